// The browser half of the benchmark (run by bench/bench.py after the build): the wasm core
// in a Worker of headless Chromium reading a `conversations.json` File, against the same
// run's baseline — `JSON.parse` of the file's text plus a plain JavaScript walk of every
// conversation's current branch (what JavaScript exporters do). Peak memory is the
// browser's process tree's resident memory, sampled every 50 ms.
//
// Browser timings swing by 2× from run to run on a shared machine, so each file is
// measured in rounds, each round running the baseline and chatkeep's modes one after the
// other (interleaved, so a slow spell hits both); the first round is a warm-up and is not
// counted. Each mode's line gives the median time and the spread (min–max) of the counted
// rounds, and for chatkeep's modes the median and spread of the per-round ratio to the
// baseline. Rounds: BENCH_ROUNDS (default 5 counted rounds under 200 MB, 3 under 2 GB, and
// 1 without warm-up above: the 4 GB case runs once).
//
//   node bench/browser.mjs FILE [FILE…]        → JSON lines on stdout
//   node bench/browser.mjs --one-click         → time per save of long conversations
import { chromium } from "playwright-core";
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { longConversation } from "../tests/e2e/conversations.mjs";
import { sampler, treeRss } from "./rss.mjs";
import { median, rounds } from "./rounds.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const PKG = process.env.CHATKEEP_PKG || path.join(ROOT, "extension", "pkg");

const PAGE = `<!doctype html><meta charset="utf-8"><input type="file" id="f">
<script type="module">
window.runBench = (mode, extra) => new Promise((resolve) => {
  const w = new Worker("/worker.js", { type: "module" });
  w.onmessage = (e) => { resolve(e.data); w.terminate(); };
  w.onerror = (e) => { resolve({ error: e.message }); w.terminate(); };
  w.postMessage({ mode, file: document.getElementById("f").files[0] ?? null, extra });
});
</script>`;

const WORKER = `
import init, { JsonStream, NameSet, Search, convertConversation } from "/pkg/chatkeep_export.js";
const CHUNK = 4 << 20;
function walk(c) {
  // The current branch, root first, and the text of its parts.
  let n = 0, chars = 0, at = c.current_node;
  const seen = new Set();
  while (at && c.mapping[at] && !seen.has(at)) {
    seen.add(at);
    const m = c.mapping[at].message;
    if (m && m.content) {
      n++;
      for (const p of m.content.parts ?? []) if (typeof p === "string") chars += p.length;
      if (typeof m.content.text === "string") chars += m.content.text.length;
    }
    at = c.mapping[at].parent;
  }
  return n + chars;
}
onmessage = async ({ data: { mode, file, extra } }) => {
  try {
    await init();
    const t0 = performance.now();
    let n = 0;
    if (mode === "baseline") {
      const all = JSON.parse(await file.text());
      let sink = 0;
      for (const c of all) sink += walk(c);
      n = all.length;
    } else if (mode === "list") {
      // What the export page does on opening a conversations.json: each conversation's
      // list entry, its search text kept in the core (as the page's budget allows), its
      // JSON never leaving the core.
      const s = new JsonStream();
      const search = new Search(128 * 1024 * 1024);
      for (let off = 0; off < file.size; off += CHUNK) {
        const bytes = new Uint8Array(await file.slice(off, off + CHUNK).arrayBuffer());
        n += s.pushIndex(bytes, search).length;
      }
      s.finish();
    } else if (mode === "markdown") {
      // What the export page's "Save all" does in its worker: each chunk converted in the
      // core (pushConvert), the files named uniquely, the JSON never leaving the core.
      const s = new JsonStream();
      const names = new NameSet();
      const options = { formats: ["markdown"] };
      for (let off = 0; off < file.size; off += CHUNK) {
        const bytes = new Uint8Array(await file.slice(off, off + CHUNK).arrayBuffer());
        for (const item of s.pushConvert(bytes, options, names)) if (item.converted) n++;
      }
      s.finish();
    } else if (mode === "one-click") {
      const out = {};
      for (const [name, json] of Object.entries(extra)) {
        for (const format of ["markdown", "html", "json"]) {
          convertConversation(json, { formats: [format] }); // warm-up
          const runs = [];
          for (let i = 0; i < 5; i++) { const s = performance.now(); convertConversation(json, { formats: [format] }); runs.push(performance.now() - s); }
          out[name + " " + format] = Math.min(...runs);
        }
      }
      postMessage({ ok: true, times: out });
      return;
    }
    postMessage({ ok: true, conversations: n, ms: performance.now() - t0 });
  } catch (e) {
    postMessage({ ok: false, error: String(e && e.message || e) });
  }
};`;

function serve() {
  const server = http.createServer((req, res) => {
    const headers = { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" };
    const url = new URL(req.url, "http://x");
    if (url.pathname === "/") return res.writeHead(200, { ...headers, "Content-Type": "text/html" }).end(PAGE);
    if (url.pathname === "/worker.js") return res.writeHead(200, { ...headers, "Content-Type": "text/javascript" }).end(WORKER);
    if (url.pathname.startsWith("/pkg/")) {
      const file = path.join(PKG, path.basename(url.pathname));
      if (!fs.existsSync(file)) return res.writeHead(404).end();
      const type = file.endsWith(".wasm") ? "application/wasm" : "text/javascript";
      return res.writeHead(200, { ...headers, "Content-Type": type }).end(fs.readFileSync(file));
    }
    res.writeHead(404).end();
  });
  return new Promise((r) => server.listen(0, "127.0.0.1", () => r(server)));
}

async function measure(port, mode, file, extra) {
  const server = await chromium.launchServer({
    executablePath: process.env.CHROMIUM_BIN || "/usr/bin/chromium",
    args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--js-flags=--max-old-space-size=16384"],
  });
  const pid = server.process()?.pid;
  const browser = await chromium.connect(server.wsEndpoint());
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${port}/`);
  if (file) await page.setInputFiles("#f", file);
  const idle = pid ? treeRss(pid) : 0;
  const mem = pid ? sampler(pid) : null;
  mem?.start();
  let result;
  try {
    result = await page.evaluate(([m, x]) => window.runBench(m, x), [mode, extra ?? null]);
  } catch (e) {
    // JSON.parse of a file beyond V8's string limit takes the tab down with it.
    result = { ok: false, error: `the tab crashed (${String(e.message).split("\n")[0].trim()})` };
  }
  const peak = mem ? mem.stop() : 0;
  await browser.close();
  await server.close();
  return { mode, file, ...result, peakBytes: peak, idleBytes: idle };
}

/** One mode's line: the median run's figures, every run's time, and against the
 *  baseline's run of the same round, the ratio of throughputs (median, min, max). */
function summarise(mode, file, runs, base) {
  const ok = runs.filter((r) => r.ok);
  if (!ok.length) return runs[0] ?? { mode, file, ok: false, error: "no run" };
  const ms = ok.map((r) => r.ms);
  const mid = median(ms);
  const line = { ...ok.reduce((a, b) => (Math.abs(b.ms - mid) < Math.abs(a.ms - mid) ? b : a)), ms: mid, runsMs: ms, minMs: Math.min(...ms), maxMs: Math.max(...ms) };
  line.peakBytes = median(ok.map((r) => r.peakBytes - r.idleBytes)) + line.idleBytes;
  if (mode !== "baseline") {
    const ratios = runs.map((r, i) => (r.ok && base[i]?.ok ? base[i].ms / r.ms : null)).filter((x) => x !== null);
    if (ratios.length) line.ratio = { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios), rounds: ratios.length };
  }
  return line;
}

const server = await serve();
const port = server.address().port;
try {
  if (process.argv.includes("--one-click")) {
    const extra = {};
    for (const n of [100, 1000, 5000]) extra[`${n} messages`] = JSON.stringify(longConversation(n));
    console.log(JSON.stringify(await measure(port, "one-click", null, extra)));
  } else {
    // `--modes=list,markdown` measures only these (the baseline always runs: the ratios
    // are per round).
    const only = process.argv.find((a) => a.startsWith("--modes="))?.slice(8).split(",");
    const modes = ["baseline", "list", "markdown"].filter((m) => !only || m === "baseline" || only.includes(m));
    for (const file of process.argv.slice(2).filter((a) => !a.startsWith("--"))) {
      const { counted, warmUp } = rounds(fs.statSync(file).size);
      const runs = Object.fromEntries(modes.map((m) => [m, []]));
      for (let r = 0; r < counted + warmUp; r++) {
        for (const mode of modes) {
          const result = await measure(port, mode, file);
          if (r >= warmUp) runs[mode].push(result);
        }
      }
      for (const mode of modes) console.log(JSON.stringify(summarise(mode, file, runs[mode], runs.baseline)));
    }
  }
} finally {
  server.close();
}
