// The export page of the built extension (dist/chromium) in headless Chromium, on real
// files: open + list, then save every conversation as Markdown into one ZIP. Reports the
// page's own figures (dataset.openSeconds / saveSeconds, as the page measures them) and
// the peak resident memory of the browser's process tree over its idle level.
//
//   node bench/export-page.mjs FILE [FILE…]   → one JSON line per file and step on stdout
import { chromium } from "playwright-core";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { browserPid, sampler, treeRss } from "./rss.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DIST = path.join(ROOT, "dist", "chromium");
const HOUR = 3600 * 1000;

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
  const results = [];
  try {
    const sw = context.serviceWorkers()[0] ?? (await context.waitForEvent("serviceworker", { timeout: 15000 }));
    const page = await context.newPage();
    await page.goto(`chrome-extension://${new URL(sw.url()).host}/export.html`);
    const pid = browserPid(profile);
    if (!pid) throw new Error("could not find the browser process");
    await new Promise((r) => setTimeout(r, 1000));
    const idle = treeRss(pid);
    const mem = sampler(pid);

    mem.start();
    await page.setInputFiles("#file-input", file);
    await page.waitForFunction(() => document.documentElement.dataset.openSeconds || !document.getElementById("open-error").hidden, null, { timeout: HOUR, polling: 200 });
    const opened = await page.evaluate(() => ({
      error: document.getElementById("open-error").hidden ? null : document.getElementById("open-error").textContent,
      seconds: Number(document.documentElement.dataset.openSeconds),
      count: document.getElementById("list-count").textContent,
    }));
    results.push({ step: "open", file, ok: !opened.error, error: opened.error, ms: opened.seconds * 1000, count: opened.count, peakBytes: mem.stop(), idleBytes: idle });
    if (opened.error) return results;

    await page.evaluate(() => {
      for (const i of document.querySelectorAll('input[name="format"]')) i.checked = i.value === "markdown";
    });
    mem.start();
    const wait = page.waitForEvent("download", { timeout: HOUR });
    await page.click("#save-all");
    const download = await wait;
    const zipPath = await download.path();
    const saved = await page.evaluate(() => Number(document.documentElement.dataset.saveSeconds));
    const peak = mem.stop();
    results.push({ step: "save", file, ok: true, ms: saved * 1000, zipBytes: fs.statSync(zipPath).size, peakBytes: peak, idleBytes: idle });
    await download.delete();
  } catch (e) {
    results.push({ step: results.length ? "save" : "open", file, ok: false, error: String(e.message).split("\n")[0] });
  } finally {
    await context.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return results;
}

for (const file of process.argv.slice(2)) {
  for (const r of await measure(file)) console.log(JSON.stringify(r));
}
