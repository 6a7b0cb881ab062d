// The whole-account backup end to end, in Chromium (Playwright) and Firefox ESR (Puppeteer
// over WebDriver BiDi), shared by backup-chromium.test.mjs and backup-firefox.test.mjs
// (one file per browser, so that `node --test` runs the two at once): the built extension
// backs up a generated 1,000-conversation account (ordinary, archived and project chats,
// images) from the stand-in, through ChatGPT's rate limit and faults, then updates it
// incrementally; a second account is backed up across a browser restart (persistent
// profile) and a logout. Every ZIP is read back: each conversation the server holds is in
// it exactly once, byte for byte as served, each image too, and the CLI reads it with the
// same counts. See README.md in this folder.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { makeAccount } from "./account.mjs";
import { chromiumDriver, firefoxDriver } from "./backup-drivers.mjs";
import { ROOT } from "./harness.mjs";
import { openEncrypted } from "./sevenzip.mjs";
import { startServer } from "./server.mjs";

/** The request gap the tests use (the real default is a second). */
const GAP_MS = 5;

// ---------------------------------------------------------------------------------------
// Reading a backup ZIP back (python3's zipfile checks every CRC)
// ---------------------------------------------------------------------------------------

/** {entries: {name: bytes}} of a ZIP, every CRC checked. */
function readZip(file) {
  const out = execFileSync("python3", ["-c", `
import base64, json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
bad = z.testzip()
if bad: sys.exit("bad CRC: " + bad)
json.dump({i.filename: base64.b64encode(z.read(i)).decode() for i in z.infolist()}, sys.stdout)
`, file], { maxBuffer: 1 << 30 });
  const entries = new Map();
  for (const [name, b64] of Object.entries(JSON.parse(out))) entries.set(name, Buffer.from(b64, "base64"));
  return entries;
}

/**
 * Checks a backup ZIP against the account: every conversation it holds (`expected` ids,
 * default all) exactly once and byte for byte as served, each in one conversations part
 * that is exactly "[" + the served texts joined by "," + "]\n"; every file of those
 * conversations under its official name with the served bytes; the manifest's counts.
 * Returns the parsed manifest.
 */
function checkBackupZip(zipPath, account, { expected = [...account.conversations.keys()], extra = [] } = {}) {
  const entries = readZip(zipPath);
  const parts = [...entries.keys()].filter((n) => /^conversations(-\d{3})?\.json$/.test(n));
  assert.ok(parts.length >= 1, `no conversations.json in ${[...entries.keys()].slice(0, 10).join(", ")}`);
  const seen = new Map();
  for (const name of parts) {
    const text = entries.get(name).toString("utf8");
    const list = JSON.parse(text);
    const ids = list.map((c) => c.conversation_id ?? c.id);
    const served = ids.map((id) => account.conversations.get(id)?.text ?? extra.find((e) => e.id === id)?.text);
    assert.ok(served.every((s) => s !== undefined), `${name} holds a conversation the server never had`);
    assert.equal(text, `[${served.join(",")}]\n`, `${name} is not the served conversations, byte for byte`);
    for (const id of ids) seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  const want = new Set([...expected, ...extra.map((e) => e.id)]);
  const missing = [...want].filter((id) => !seen.has(id));
  assert.deepEqual(missing, [], `${missing.length} conversation(s) missing from the backup`);
  const twice = [...seen].filter(([, n]) => n > 1);
  assert.deepEqual(twice, [], "a conversation is in the backup twice");
  assert.equal(seen.size, want.size, "the backup holds conversations it should not");
  let files = 0;
  for (const id of want) {
    for (const fileId of account.fileIds(id)) {
      const name = `${fileId}-photo.png`;
      assert.ok(entries.has(name), `the image ${name} of ${id} is not in the backup`);
      assert.ok(entries.get(name).equals(account.fileBytes(fileId)), `${name} differs from the served file`);
      files += 1;
    }
  }
  const manifest = JSON.parse(entries.get("chatkeep-backup.json").toString("utf8"));
  assert.equal(manifest.schema, "chatkeep.backup/1");
  assert.equal(manifest.conversations.total, want.size);
  assert.equal(manifest.files, files);
  return manifest;
}

/** The CLI's count of a ZIP's conversations (`chatkeep list`), from whichever build exists. */
function cliCount(zipPath) {
  const bin = ["release", "debug"].map((p) => path.join(ROOT, "target", p, "chatkeep")).find((p) => existsSync(p));
  assert.ok(bin, "the chatkeep CLI is not built (cargo build -p chatkeep-cli)");
  const out = execFileSync(bin, ["list", zipPath], { maxBuffer: 1 << 28 }).toString("utf8");
  return out.trim().split("\n").filter((l) => /\b[0-9a-f]{8}-[0-9a-f]{4}-/.test(l)).length;
}

/** The newest backup ZIP in `dir`, once its download has finished. */
async function newestZip(dir, after = 0) {
  for (let i = 0; i < 300; i++) {
    const zips = readdirSync(dir)
      .filter((f) => /^chatkeep-backup-.*\.zip$/.test(f))
      .map((f) => ({ f, t: statSync(path.join(dir, f)).mtimeMs }))
      .filter((z) => z.t > after)
      .sort((a, b) => b.t - a.t);
    const partial = readdirSync(dir).some((f) => f.endsWith(".crdownload") || f.endsWith(".part"));
    if (zips.length && !partial) return path.join(dir, zips[0].f);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no backup ZIP appeared in ${dir}`);
}

/** Waits until `check(status)` holds, polling. */
async function until(d, check, what, timeout = 60000) {
  const end = Date.now() + timeout;
  let s;
  while (Date.now() < end) {
    s = await d.status().catch(() => null);
    if (s && check(s)) return s;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}; last status: ${JSON.stringify(s)?.slice(0, 600)}`);
}

/** Conversation requests the stand-in answered, per id. */
function fetchCounts(server) {
  const counts = new Map();
  for (const r of server.conversationRequests()) {
    if (r.status !== 200) continue;
    const id = decodeURIComponent(r.path.split("/").pop());
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

// ---------------------------------------------------------------------------------------
// The scenarios, for each browser
// ---------------------------------------------------------------------------------------

/** The scenarios in one browser: `name` "chromium" or "firefox". */
export function backupSuite(browserName) {
  const makeDriver = { chromium: chromiumDriver, firefox: firefoxDriver }[browserName];
  describe(`whole-account backup in ${browserName}`, () => {
    let server;
    let root;
    let d;

    before(async () => {
      server = await startServer();
      root = mkdtempSync(path.join(os.tmpdir(), `chatkeep-e2e-backup-${browserName}-`));
      d = await makeDriver(server, root);
      await d.launch();
    });

    after(async () => {
      await d?.close();
      await server?.close();
      if (root) rmSync(root, { recursive: true, force: true });
    });

    it("backs up 1,000 conversations through the rate limit and faults, then only what changed", { timeout: 300_000 }, async (t) => {
      const account = makeAccount();
      server.setAccount(account);
      server.reset();
      const all = [...account.conversations.keys()];
      assert.equal(all.length, 1000);
      const [a, b, c, e, dead] = [all[3], all[250], all[777], all[500], all[901]];
      // The quota is a token bucket, so whether a run reaches it depends on the browser's
      // pace (a busy machine may never go faster than the refill): conversation `e` answers
      // 429 once whatever the pace, so every run is limited at least once.
      server.set({
        quota: { burst: 100, perMs: 40, retryAfter: "0.3" },
        faults: { [a]: ["500", "cut"], [b]: ["malformed"], [c]: ["reset", "slow:300"], [e]: ["429"], [dead]: ["500", "500", "500", "500"] },
        estuaryAuth: "bearer",
      });
      await d.openChat();

      const started = Date.now();
      const run = await d.backup({ gapMs: GAP_MS });
      assert.ok(run.ok, JSON.stringify(run.error));
      const s = run.value;
      t.diagnostic(`first run: ${Date.now() - started} ms, ${s.progress.requests} requests, ${s.progress.rateLimited} limited`);
      assert.equal(s.state, "done");
      assert.deepEqual(s.progress.listed, { ordinary: 700, archived: 100, project: 200 });
      assert.equal(s.progress.projects, 2);
      assert.equal(s.progress.fetched, 999);
      assert.ok(s.progress.rateLimited > 0, "rate-limited at least once");
      // The one that kept failing is reported by title and reason, and nothing else.
      assert.equal(s.failures.length, 1, JSON.stringify(s.failures));
      assert.equal(s.failures[0].id, dead);
      assert.equal(s.failures[0].title, account.conversations.get(dead).json.title);
      assert.match(s.failures[0].reason, /HTTP 500, 4 times/);
      // Each conversation fetched once (faults retried), the failing one 4 times.
      const counts = fetchCounts(server);
      const twice = [...counts].filter(([id, n]) => n > 1 && ![a, b, c, e].includes(id));
      assert.deepEqual(twice, [], "fetched twice");
      assert.equal(server.conversationRequests().filter((r) => r.path.endsWith(dead)).length, 4);
      // Requests: one per conversation plus its retries, two per file (link, bytes), the
      // estuary's 403 without the token, the lists, and the 429s.
      const files = all.reduce((n, id) => n + account.fileIds(id).length, 0);
      assert.equal(s.progress.files, files);
      const zip = await newestZip(d.downloads);
      assert.equal(path.basename(zip), s.lastZip, "the status names the ZIP the browser wrote");
      const manifest = checkBackupZip(zip, account, { expected: all.filter((id) => id !== dead) });
      assert.equal(manifest.failed.length, 1);
      assert.equal(manifest.conversations.archived, 100);
      assert.equal(manifest.conversations.project, 200);
      assert.equal(cliCount(zip), 999, "chatkeep list reads the same count");
      assert.equal(await d.openInExportPage(), "999 conversations", "the export page opens the local backup, with the same count");

      // The incremental update: only what changed, the new ones, and the one that failed.
      const touched = [all[10], all[720], all[850]];
      for (const id of touched) account.touch(id);
      const added = [account.add(), account.add({ kind: "project", project: account.projects[0].id })];
      const removed = all[20];
      const removedText = account.conversations.get(removed).text;
      account.remove(removed);
      server.reset();
      const again = await d.backup({ gapMs: GAP_MS });
      assert.ok(again.ok, JSON.stringify(again.error));
      assert.equal(again.value.failures.length, 0);
      const fetched = [...fetchCounts(server).keys()].sort();
      assert.deepEqual(fetched, [...touched, ...added, dead].sort(), "the update fetched exactly what changed");
      const zip2 = await newestZip(d.downloads, statSync(zip).mtimeMs);
      const m2 = checkBackupZip(zip2, account, {
        expected: [...account.conversations.keys()].filter((id) => id !== removed),
        extra: account.conversations.has(removed) ? [] : [{ id: removed, text: removedText }],
      });
      assert.equal(m2.conversations.total, 1002, "1,000 + 2 new; the removed one is kept");
      assert.equal(m2.conversations.no_longer_listed, 1);
    });

    it("starts from an export ZIP and fetches only what is newer or missing", { timeout: 180_000 }, async () => {
      const testStart = Date.now();
      if (d.call) await d.call("backupDelete");
      else await d.message("chatkeep/backup-delete");
      const account = makeAccount({ ordinary: 300, archived: 40, projects: [{ name: "P", count: 60 }], seed: 11 });
      server.setAccount(account);
      server.reset();
      const all = [...account.conversations.keys()];
      // An official-style export of 350 of the 400, with their images.
      const inExport = all.slice(0, 350);
      const exportZip = path.join(root, "export.zip");
      const files = inExport.flatMap((id) => account.fileIds(id).map((f) => [`${f}-photo.png`, account.fileBytes(f).toString("base64")]));
      execFileSync("python3", ["-c", `
import base64, json, sys, zipfile
spec = json.load(sys.stdin)
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("conversations.json", spec["json"])
    for name, b64 in spec["files"]:
        z.writestr(name, base64.b64decode(b64))
`, exportZip], { input: JSON.stringify({ json: `[${inExport.map((id) => account.conversations.get(id).text).join(",")}]`, files }) });
      // One of them changed since the export was made.
      account.touch(inExport[7]);
      const line = await d.seed(exportZip);
      assert.match(line, /^Added 350 of 350 conversations and \d+ files from export\.zip/);
      assert.equal(server.requests.length, 0, "reading the export asks ChatGPT nothing");
      await d.openChat();
      // The daily update is due at once (no run has finished yet): its alarm starts it.
      const scheduled = await d.schedule("daily", { gapMs: GAP_MS });
      assert.equal(scheduled.schedule, "daily");
      assert.ok(scheduled.nextScheduled <= Date.now(), "due at once");
      await d.fireAlarm("chatkeep-backup-schedule");
      const end = await until(d, (s) => s.state === "done" && s.progress?.phase === "done", "the scheduled run", 120_000);
      assert.equal(end.failures.length, 0);
      assert.ok(end.nextScheduled > Date.now() + 23 * 3600_000, "the next one a day later");
      assert.equal(end.lastZip, null, "a scheduled run keeps the backup current without downloading it");
      await d.schedule("off");
      const fetched = [...fetchCounts(server).keys()].sort();
      assert.deepEqual(fetched, [...all.slice(350), inExport[7]].sort(), "only what the export lacked, and what changed since");
      // Downloaded with readable copies: every conversation also as Markdown (the default
      // format), its images beside it, and an index.
      const got = await d.download({ readable: true });
      assert.ok(got.ok, JSON.stringify(got.error));
      const imageRequests = server.fileRequests().filter((r) => r.path.startsWith("/backend-api/files/download/")).length;
      assert.equal(imageRequests, all.slice(350).reduce((n, id) => n + account.fileIds(id).length, 0), "no image the export held is fetched");
      const zip = await newestZip(d.downloads, testStart);
      const manifest = checkBackupZip(zip, account);
      assert.equal(manifest.readable, "readable/index.html");
      // Written to disk (the private file system), not built in memory.
      assert.ok((await d.scratchZips()).some((n) => /^backup-\d+\.zip$/.test(n)), "the ZIP was written into the private file system");
      const entries = readZip(zip);
      const md = [...entries.keys()].filter((n) => /^readable\/[^/]+\.md$/.test(n) && n !== "readable/index.md");
      assert.equal(md.length, all.length, "one readable Markdown file per conversation");
      const index = entries.get("readable/index.md")?.toString("utf8") ?? "";
      for (const id of [all[0], all[399]]) assert.ok(index.includes(account.conversations.get(id).json.title), `the index lists ${id}`);
      assert.ok(entries.has("readable/index.html"));
      // An image a conversation shows is linked, and the link resolves inside the ZIP.
      const withImage = all.find((id) => account.fileIds(id).length > 0);
      const page = md.map((n) => [n, entries.get(n).toString("utf8")]).find(([, text]) => text.includes(`conversation_id: "${withImage}"`));
      assert.ok(page, `the readable copy of ${withImage}`);
      const links = [...page[1].matchAll(/!\[[^\]]*\]\(<?([^)>]+)>?\)/g)].map((m) => decodeURIComponent(m[1]));
      assert.ok(links.length > 0, "the readable copy shows its image");
      for (const link of links) assert.ok(entries.has(`readable/${link}`), `the image ${link} is in the ZIP`);
      // Downloaded again, encrypted, with the readable copies: the same entries, AES-256,
      // which 7z opens with the password only (a wrong one extracts nothing), and whose
      // readable copies are every conversation's, as the plain download has them.
      const password = "heron-2-cedar-6-lotus-4-flint";
      const encrypted = await d.download({ readable: true, password });
      assert.ok(encrypted.ok, JSON.stringify(encrypted.error));
      const locked = await newestZip(d.downloads, testStart);
      assert.notEqual(locked, zip);
      const into = mkdtempSync(path.join(os.tmpdir(), "chatkeep-backup-encrypted-"));
      try {
        const inside = openEncrypted(locked, password, into);
        assert.deepEqual(inside, [...entries.keys()].sort(), "the encrypted ZIP holds the plain download's entries, readable copies included");
        const readable = inside.filter((n) => /^readable\/[^/]+\.md$/.test(n) && n !== "readable/index.md");
        const ids = readable.map((n) => /^conversation_id: "([^"]+)"$/m.exec(readFileSync(path.join(into, n), "utf8"))?.[1]);
        assert.deepEqual(ids.sort(), [...all].sort(), "one readable copy of every conversation");
        for (const name of inside.filter((n) => n !== "chatkeep-backup.json")) {
          assert.ok(readFileSync(path.join(into, name)).equals(entries.get(name)), `${name} differs from the plain download`);
        }
      } finally {
        rmSync(into, { recursive: true, force: true });
      }
    });

    it("carries on after the worker is stopped and the browser closed mid-run, and waits for a tab and a login", { timeout: 300_000 }, async (t) => {
      const testStart = Date.now();
      await d.call?.("backupDelete");
      if (!d.call) await d.message("chatkeep/backup-delete");
      assert.deepEqual(await d.scratchZips(), [], "deleting the backup deletes the ZIPs written");
      const account = makeAccount({ ordinary: 250, archived: 20, projects: [{ name: "P", count: 30 }], seed: 7 });
      server.setAccount(account);
      server.reset();
      server.set({ quota: { burst: 60, perMs: 40, retryAfter: "0.2" } });
      await d.openChat();
      if (d.killWorker) {
        // An export being read into the backup holds runs back, even after the worker was
        // stopped meanwhile.
        assert.ok((await d.call("backupSeed", "begin")).ok);
        await d.killWorker();
        await d.wake();
        const refused = await d.call("backup", { gapMs: GAP_MS });
        assert.equal(refused.error?.kind, "busy", JSON.stringify(refused));
        assert.ok((await d.call("backupSeed", "end")).ok);
      }
      const run = d.backup({ gapMs: GAP_MS }).catch((e) => ({ ok: false, error: String(e) }));
      let interruptions = 1;
      if (d.killWorker) {
        // Chromium stops the service worker mid-run: the alarm wakes it, and it carries on.
        await until(d, (s) => (s.progress?.fetched ?? 0) >= 40, "40 conversations fetched");
        await d.killWorker();
        interruptions += 1;
        await until(d, (s) => (s.progress?.fetched ?? 0) >= 100, "the run carrying on after the worker was stopped", 90_000);
      }
      await until(d, (s) => (s.progress?.fetched ?? 0) >= 100, "100 conversations fetched");
      // The browser goes away mid-run, and comes back.
      await d.close();
      await run;
      const before = fetchCounts(server);
      t.diagnostic(`closed after ${before.size} conversations`);
      await d.launch();
      // No ChatGPT tab: the run waits and says so.
      const waiting = await until(d, (s) => s.state === "running" && s.blocked === "no_tab", "the no-tab pause", 90_000);
      assert.match(waiting.message, /Open chatgpt\.com/);
      // Logged out: it waits for the login.
      await d.openChat(false);
      const out = await until(d, (s) => s.blocked === "logged_out", "the logged-out pause");
      assert.match(out.message, /Log in to ChatGPT/);
      await d.openChat(true);
      const end = await until(d, (s) => s.state === "done", "the end of the run", 180_000);
      assert.equal(end.progress.failed, 0);
      const counts = fetchCounts(server);
      const twice = [...counts].filter(([, n]) => n > 1);
      // At most the one request in flight at each interruption goes twice.
      assert.ok(twice.length <= interruptions, `fetched twice after the restart: ${JSON.stringify(twice)}`);
      const zip = await newestZip(d.downloads, testStart);
      assert.equal(path.basename(zip), end.lastZip);
      checkBackupZip(zip, account);
    });
  });
}
