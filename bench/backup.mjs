// The whole-account backup of the built extension (dist/chromium) in headless Chromium,
// against the ChatGPT stand-in (tests/e2e/server.mjs) serving a generated account
// (tests/e2e/account.mjs): no quota, gapMs 0, so the run is limited by the page round trip
// (one chrome.scripting call and one fetch in the ChatGPT tab per request), not by ChatGPT's
// quota (which in reality allows about one conversation a minute after a burst).
//
// Measures: the requests the stand-in answered, per conversation and by kind (lists,
// conversations, file links, file bytes); the run's wall time and conversations per second;
// the browser's process-tree RSS sampled every 250 ms (the baseline before the run, the peak
// while fetching, the peak while the backup ZIP is written); the ZIP's size; the size of the
// core's state JSON, which the background writes to IndexedDB at most every 5 s (and at the
// end of a run).
//
//   node bench/backup.mjs [--conversations N] [--answer-kb K]   (defaults 10000, 30: each
//   answer padded with about K KB of prose, so the conversations weigh what real ones do)
//
// Prints a markdown table, then one line `BACKUP_BENCH {json}` (bench/bench.py reads it).

import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { makeAccount } from "../tests/e2e/account.mjs";
import { chromiumDriver } from "../tests/e2e/backup-drivers.mjs";
import { requireDist } from "../tests/e2e/harness.mjs";
import { startServer } from "../tests/e2e/server.mjs";
import { browserPid, treeRss } from "./rss.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
const SAMPLE_MS = 250;
/** How often the state's size is read from IndexedDB during the run. */
const STATE_EVERY_MS = 2000;
const WRITING_ZIP = "Writing the backup ZIP…";

function args() {
  const a = process.argv.slice(2);
  let n = 10000;
  let answerKb = 30;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === "--conversations") n = Number(a[++i]);
    else if (a[i].startsWith("--conversations=")) n = Number(a[i].split("=")[1]);
    else if (a[i] === "--answer-kb") answerKb = Number(a[++i]);
    else if (a[i].startsWith("--answer-kb=")) answerKb = Number(a[i].split("=")[1]);
    else if (a[i] === "--help" || a[i] === "-h") {
      console.log("usage: node bench/backup.mjs [--conversations N] [--answer-kb K]   (defaults 10000, 30)");
      process.exit(0);
    } else {
      console.error(`bench/backup.mjs: unknown argument ${a[i]} (usage: node bench/backup.mjs [--conversations N])`);
      process.exit(2);
    }
  }
  if (!Number.isInteger(n) || n < 10) {
    console.error("bench/backup.mjs: --conversations takes a whole number of at least 10");
    process.exit(2);
  }
  if (!Number.isFinite(answerKb) || answerKb < 0) {
    console.error("bench/backup.mjs: --answer-kb takes a number of kilobytes, 0 or more");
    process.exit(2);
  }
  return { conversations: n, answerKb };
}

/** The account's mix: 80 % ordinary, 10 % archived, 10 % in two projects (6 + 4), every
 *  tenth chat with an image. 10,000 → 8,000 / 1,000 / 600 + 400. */
function accountOf(n) {
  const archived = Math.round(n * 0.1);
  const a = Math.round(n * 0.06);
  const b = Math.round(n * 0.04);
  return { ordinary: n - archived - a - b, archived, projects: [{ name: "A", count: a }, { name: "B", count: b }], imageEvery: 10 };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mib = (n) => n / 2 ** 20;

/** The core's state as kept in IndexedDB ("chatkeep-backup", store "meta", key "state"):
 *  its length in UTF-8 bytes, read inside the service worker. */
function stateBytes(sw) {
  return sw.evaluate(() => new Promise((resolve, reject) => {
    const open = indexedDB.open("chatkeep-backup");
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      if (!db.objectStoreNames.contains("meta")) {
        db.close();
        return resolve(0);
      }
      const get = db.transaction("meta").objectStore("meta").get("state");
      get.onerror = () => {
        db.close();
        reject(get.error);
      };
      get.onsuccess = () => {
        db.close();
        const v = get.result;
        if (v === undefined || v === null) return resolve(0);
        resolve(new TextEncoder().encode(typeof v === "string" ? v : JSON.stringify(v)).length);
      };
    };
  }));
}

async function main() {
  const { conversations: n, answerKb } = args();
  let dist;
  try {
    dist = requireDist("chromium");
  } catch (e) {
    console.error(`bench/backup.mjs: ${e.message}`);
    process.exit(1);
  }
  if (!existsSync(CHROMIUM)) {
    console.error(`bench/backup.mjs: no Chromium at ${CHROMIUM} (install Debian's chromium, or set CHROMIUM_BIN)`);
    process.exit(1);
  }

  const spec = { ...accountOf(n), answerBytes: Math.round(answerKb * 1024) };
  const account = makeAccount(spec);
  const total = account.conversations.size;
  const files = account.files.size;
  const server = await startServer({ account });
  const root = mkdtempSync(path.join(os.tmpdir(), "chatkeep-bench-backup-"));
  const driver = await chromiumDriver(server, root);
  const { profile, downloads } = driver;
  let timer;
  try {
    await driver.launch();
    const worker = () => driver.worker();
    const call = (name, arg) => driver.call(name, arg);

    // A logged-in ChatGPT tab: the backup makes its requests there.
    await driver.openChat();
    await worker();

    const pid = browserPid(profile);
    if (!pid) throw new Error("could not find the browser process");
    await sleep(1000);
    const baseline = treeRss(pid);
    server.reset();

    // Memory by phase: each 250 ms sample goes to the phase the last status showed.
    let phase = "fetch";
    const peak = { fetch: baseline, zip: 0 };
    let samples = 0;
    timer = setInterval(() => {
      const rss = treeRss(pid);
      peak[phase] = Math.max(peak[phase], rss);
      samples += 1;
    }, SAMPLE_MS);

    const started = Date.now();
    let ended = null;
    const run = call("backup", { gapMs: 0, download: true }).then((r) => {
      ended = Date.now();
      return r;
    });
    let zipStarted = null;
    let lastState = { at: 0, requests: 0, bytes: 0 };
    let stateWritten = 0; // estimated bytes of state written over the run
    let stateWrites = 0;
    let stateMax = 0;
    let last = null;
    let lastLog = Date.now();
    while (ended === null) {
      const s = (await call("backupStatus").catch(() => null))?.value ?? null;
      if (s) {
        last = s;
        if (Date.now() - lastLog >= 10_000) {
          lastLog = Date.now();
          const p = s.progress ?? {};
          console.error(`backup: ${((Date.now() - started) / 1000).toFixed(0)} s, ${p.phase ?? "?"}, ${p.done ?? 0}/${p.total ?? "?"} conversations, ${p.requests ?? 0} requests, RSS ${mib(treeRss(pid)).toFixed(0)} MB`);
        }
        const writing = s.message?.startsWith(WRITING_ZIP.slice(0, -1)) || (s.progress?.phase === "done" && !s.lastZip);
        if (writing && phase === "fetch") {
          phase = "zip";
          peak.zip = treeRss(pid);
          zipStarted = Date.now();
        }
        const requests = s.progress?.requests ?? 0;
        if (phase === "fetch" && Date.now() - lastState.at >= STATE_EVERY_MS) {
          const bytes = await stateBytes(await worker()).catch(() => null);
          if (bytes !== null) {
            // The background writes the state at most every 5 s (STATE_EVERY_MS in
            // extension/backup-runner.js), at about the mean of the two readings' size.
            const writes = requests > lastState.requests ? Math.max(1, Math.floor((Date.now() - lastState.at) / 5000)) : 0;
            stateWrites += writes;
            stateWritten += writes * (bytes + lastState.bytes) / 2;
            stateMax = Math.max(stateMax, bytes);
            lastState = { at: Date.now(), requests, bytes };
          }
        }
      }
      if (ended === null) await Promise.race([sleep(SAMPLE_MS), run]);
    }
    clearInterval(timer);
    timer = undefined;
    const result = await run;
    if (!result.ok) throw new Error(`the backup failed: ${result.error?.message}`);
    const status = result.value;
    peak[phase] = Math.max(peak[phase], treeRss(pid));
    if (status.state !== "done") throw new Error(`the backup ended ${status.state}: ${status.message}`);

    const finalState = await stateBytes(await worker());
    stateWritten += (status.progress.requests - lastState.requests) * (finalState + lastState.bytes) / 2;
    const zipPath = path.join(downloads, status.lastZip ?? "");
    const zipBytes = status.lastZip && existsSync(zipPath) ? statSync(zipPath).size
      : readdirSync(downloads).filter((f) => f.endsWith(".zip")).reduce((m, f) => Math.max(m, statSync(path.join(downloads, f)).size), 0);

    // The stand-in's log: every request answered from the start of the run.
    const answered = server.requests.filter((r) => r.status !== null);
    const lists = server.listRequests().length;
    const convs = server.conversationRequests().length;
    const links = server.requests.filter((r) => r.path.startsWith("/backend-api/files/download/")).length;
    const bytesReq = server.requests.filter((r) => r.path.startsWith("/backend-api/estuary/content")).length;
    const other = answered.length - lists - convs - links - bytesReq;
    const not200 = answered.filter((r) => r.status !== 200).length;

    const wallMs = ended - started;
    const fetchMs = status.lastRun?.started && status.lastRun?.finished
      ? status.lastRun.finished - status.lastRun.started
      : (zipStarted ?? ended) - started;
    // The core's run ends with the last request; the ZIP is written after it.
    const zipMs = status.lastRun?.finished ? ended - status.lastRun.finished : zipStarted ? ended - zipStarted : null;
    const out = {
      conversations: total,
      account: spec,
      files,
      fetched: status.progress.fetched,
      failed: status.progress.failed,
      filesSaved: status.progress.files,
      bytesFetched: status.progress.bytes,
      requests: {
        total: answered.length,
        lists,
        conversations: convs,
        fileLinks: links,
        fileBytes: bytesReq,
        other,
        not200,
        perConversation: answered.length / total,
        goalPerConversation: (total + files) / total,
        coreCount: status.progress.requests,
      },
      wallMs,
      fetchMs,
      zipMs,
      conversationsPerSecond: total / (fetchMs / 1000),
      conversationsPerSecondWall: total / (wallMs / 1000),
      memory: { baselineBytes: baseline, fetchPeakBytes: peak.fetch, zipPeakBytes: peak.zip || null, samples, sampleMs: SAMPLE_MS },
      zipBytes,
      state: { finalBytes: finalState, maxBytes: Math.max(stateMax, finalState), writtenBytesEstimate: Math.round(stateWritten), writesEstimate: stateWrites + 1 },
      lastStatusMessage: last?.message ?? null,
    };

    const r = out.requests;
    const per = (x) => (x / total).toFixed(3);
    const rows = [
      ["account", `${total} conversations (${spec.ordinary} ordinary, ${spec.archived} archived, ${spec.projects.map((p) => `${p.count} in project ${p.name}`).join(", ")}), ${files} images, answers of about ${Math.round(spec.answerBytes / 1024)} KB; no quota, gapMs 0`],
      ["requests answered", `${r.total} = ${r.perConversation.toFixed(3)} per conversation (goal ${r.goalPerConversation.toFixed(3)}: one per conversation + one per file)`],
      ["  lists", `${r.lists} (${per(r.lists)} per conversation)`],
      ["  conversations", `${r.conversations} (${per(r.conversations)} per conversation)`],
      ["  file links + file bytes", `${r.fileLinks} + ${r.fileBytes} (${per(r.fileLinks + r.fileBytes)} per conversation; a file takes two requests: the download link, then its bytes)`],
      ["  other (session, …)", `${r.other}; answers other than 200: ${r.not200}`],
      ["wall time", `${(wallMs / 1000).toFixed(1)} s (fetching ${(fetchMs / 1000).toFixed(1)} s, ZIP ${zipMs === null ? "–" : (zipMs / 1000).toFixed(1)} s)`],
      ["conversations per second", `${out.conversationsPerSecond.toFixed(1)} while fetching, ${out.conversationsPerSecondWall.toFixed(1)} overall (limited by the page round trip per request; ChatGPT's quota allows ~1/minute after a burst)`],
      ["browser RSS, baseline", `${mib(baseline).toFixed(0)} MB (process tree, sampled every ${SAMPLE_MS} ms)`],
      ["browser RSS, peak while fetching", `${mib(peak.fetch).toFixed(0)} MB (+${mib(peak.fetch - baseline).toFixed(0)})`],
      ["browser RSS, peak while writing the ZIP", peak.zip ? `${mib(peak.zip).toFixed(0)} MB (+${mib(peak.zip - baseline).toFixed(0)})` : "– (the ZIP phase was too short to sample)"],
      ["backup ZIP", zipBytes >= 2 ** 20 ? `${mib(zipBytes).toFixed(1)} MB` : `${(zipBytes / 1024).toFixed(0)} KB`],
      ["core state JSON", `${(finalState / 1024).toFixed(0)} KB at the end, written at most every 5 s (≈ ${stateWrites + 1} writes, ≈ ${mib(stateWritten).toFixed(0)} MB over the run)`],
    ];
    console.log("| backup bench | |");
    console.log("|---|---|");
    for (const [a, b] of rows) console.log(`| ${a} | ${b} |`);
    console.log(`BACKUP_BENCH ${JSON.stringify(out)}`);
  } finally {
    if (timer) clearInterval(timer);
    await driver.close().catch(() => {});
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`bench/backup.mjs: ${e?.stack ?? e}`);
  process.exit(1);
});
