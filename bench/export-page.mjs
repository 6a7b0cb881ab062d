// The export page of the built extension (dist/chromium, or CHATKEEP_DIST) in headless
// Chromium, on real files: open + list, then save every conversation as Markdown into one
// ZIP (through the save picker, as a person in Chromium does: a stand-in picker gives a
// file of the private file system). Reports the page's own figures (dataset.openSeconds /
// saveSeconds, as the page measures them) and the peak resident memory of the browser's
// process tree over its idle level.
//
// Each file is opened and saved in rounds in one browser (close, open again); the first
// round is a warm-up and is not counted; each step's line gives the median and the spread
// (min–max). Rounds: BENCH_ROUNDS (default 5 counted under 200 MB, 3 under 2 GB; above, one
// round and no warm-up: the 4 GB case runs once).
//
//   node bench/export-page.mjs FILE [FILE…]   → one JSON line per file and step on stdout
import { chromium } from "playwright-core";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { browserPid, sampler, treeRss } from "./rss.mjs";
import { median, rounds } from "./rounds.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DIST = process.env.CHATKEEP_DIST || path.join(ROOT, "dist", "chromium");
const HOUR = 3600 * 1000;

/** One step's line from its counted runs: median time and memory, and the spread. */
function summarise(step, file, runs, idle) {
  const failed = runs.find((r) => !r.ok);
  if (failed || !runs.length) return failed ?? { step, file, ok: false, error: "no run" };
  const ms = runs.map((r) => r.ms);
  return {
    ...runs[runs.length - 1],
    ms: median(ms),
    runsMs: ms,
    minMs: Math.min(...ms),
    maxMs: Math.max(...ms),
    peakBytes: median(runs.map((r) => r.peakBytes - idle)) + idle,
    maxPeakBytes: Math.max(...runs.map((r) => r.peakBytes)),
    idleBytes: idle,
  };
}

async function measure(file) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "chatkeep-bench-page-"));
  const profile = path.join(tmp, "profile");
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_BIN || "/usr/bin/chromium",
    headless: true,
    acceptDownloads: true,
    downloadsPath: tmp,
    args: ["--headless=new", "--no-sandbox", `--load-extension=${DIST}`, `--disable-extensions-except=${DIST}`, "--no-first-run", "--disable-background-networking", "--disable-component-update"],
  });
  const runs = { open: [], save: [] };
  let idle = 0;
  try {
    const sw = context.serviceWorkers()[0] ?? (await context.waitForEvent("serviceworker", { timeout: 15000 }));
    const page = await context.newPage();
    await page.goto(`chrome-extension://${new URL(sw.url()).host}/export.html`);
    const pid = browserPid(profile);
    if (!pid) throw new Error("could not find the browser process");
    await new Promise((r) => setTimeout(r, 1000));
    idle = treeRss(pid);
    const mem = sampler(pid);
    const { counted, warmUp } = rounds(fs.statSync(file).size);
    for (let r = 0; r < counted + warmUp; r++) {
      const keep = r >= warmUp;
      await page.evaluate(() => {
        delete document.documentElement.dataset.openSeconds;
        delete document.documentElement.dataset.saveSeconds;
      });
      mem.start();
      await page.setInputFiles("#file-input", file);
      await page.waitForFunction(() => document.documentElement.dataset.openSeconds || !document.getElementById("open-error").hidden, null, { timeout: 4 * HOUR, polling: 200 });
      const opened = await page.evaluate(() => ({
        error: document.getElementById("open-error").hidden ? null : document.getElementById("open-error").textContent,
        seconds: Number(document.documentElement.dataset.openSeconds),
        count: document.getElementById("list-count").textContent,
      }));
      const openPeak = mem.stop();
      if (keep || opened.error) runs.open.push({ step: "open", file, ok: !opened.error, error: opened.error, ms: opened.seconds * 1000, count: opened.count, peakBytes: openPeak });
      if (opened.error) break;

      await page.evaluate(() => {
        for (const i of document.querySelectorAll('input[name="format"]')) i.checked = i.value === "markdown";
        // The save picker's stand-in: a file of the private file system.
        window.showSaveFilePicker = async () => (await navigator.storage.getDirectory()).getFileHandle("bench-save.zip", { create: true });
      });
      mem.start();
      await page.click("#save-all");
      await page.waitForFunction(() => document.documentElement.dataset.saveSeconds, null, { timeout: 4 * HOUR, polling: 200 });
      const saved = await page.evaluate(() => ({ seconds: Number(document.documentElement.dataset.saveSeconds), bytes: Number(document.documentElement.dataset.saveBytes) }));
      const savePeak = mem.stop();
      if (keep) runs.save.push({ step: "save", file, ok: true, ms: saved.seconds * 1000, zipBytes: saved.bytes, peakBytes: savePeak });
      await page.evaluate(async () => (await navigator.storage.getDirectory()).removeEntry("bench-save.zip").catch(() => {}));
      await page.click("#close-file");
    }
  } catch (e) {
    const step = runs.open.length > runs.save.length ? "save" : "open";
    runs[step].push({ step, file, ok: false, error: String(e.message).split("\n")[0] });
  } finally {
    await context.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return ["open", "save"].filter((s) => runs[s].length).map((s) => summarise(s, file, runs[s], idle));
}

for (const file of process.argv.slice(2)) {
  for (const r of await measure(file)) console.log(JSON.stringify(r));
}
