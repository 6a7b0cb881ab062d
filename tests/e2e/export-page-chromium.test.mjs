// The export-file page in Chromium (the checks are in export-page.mjs, shared with the other
// browser's file).

import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { chromium } from "playwright-core";
import { OUT, requireDist } from "./harness.mjs";
import {
  checkRealExport, checkRedactionReview, checkSmallExports, CHROMIUM, REAL_EXPORT, screenshots, SHOTS,
} from "./export-page.mjs";

describe("export page in Chromium", () => {
  let context;
  let page;
  let tmp;
  let url;
  const d = { name: "chromium" };

  before(async () => {
    const dist = requireDist("chromium");
    tmp = mkdtempSync(path.join(os.tmpdir(), "chatkeep-export-page-"));
    context = await chromium.launchPersistentContext(path.join(tmp, "profile"), {
      executablePath: CHROMIUM,
      headless: true,
      acceptDownloads: true,
      viewport: { width: 1440, height: 900 },
      env: { ...process.env, TZ: "UTC" },
      args: ["--headless=new", "--no-sandbox", `--load-extension=${dist}`, `--disable-extensions-except=${dist}`, "--no-first-run", "--disable-background-networking"],
    });
    const sw = context.serviceWorkers()[0] ?? (await context.waitForEvent("serviceworker", { timeout: 15000 }));
    url = `chrome-extension://${new URL(sw.url()).host}/export.html`;
    page = await context.newPage();
    page.on("pageerror", (e) => console.error("page error:", e.message));
    Object.assign(d, {
      goto: () => page.goto(url),
      setFile: (file) => page.setInputFiles("#file-input", file),
      eval: (fn, arg) => page.evaluate(fn, arg),
      waitFor: (fn, timeout, arg) => page.waitForFunction(fn, arg, { timeout, polling: 50 }),
      click: (sel) => page.click(sel),
      focus: (sel) => page.focus(sel),
      press: (key) => page.keyboard.press(key === " " ? "Space" : key),
      type: (sel, text) => page.fill(sel, text),
      download: async (action, timeout = 60000) => {
        const wait = page.waitForEvent("download", { timeout });
        await action();
        const dl = await wait;
        const to = path.join(tmp, `dl-${Date.now()}-${dl.suggestedFilename()}`);
        await dl.saveAs(to);
        return { name: dl.suggestedFilename(), path: to };
      },
      saveAll: async (action, timeout = 60000) => {
        // The stand-in picker: a file of the private file system (a FileSystemFileHandle
        // like the one the real picker gives), named as the page suggests.
        await page.evaluate(() => {
          delete document.documentElement.dataset.saveSeconds;
          window.showSaveFilePicker = async ({ suggestedName }) => {
            window.pickedName = suggestedName;
            const dir = await navigator.storage.getDirectory();
            return dir.getFileHandle(suggestedName, { create: true });
          };
        });
        await action();
        await page.waitForFunction(() => document.documentElement.dataset.saveSeconds, null, { timeout, polling: 100 });
        const name = await page.evaluate(() => window.pickedName);
        const bytes = await page.evaluate(async (n) => {
          const dir = await navigator.storage.getDirectory();
          const file = await (await dir.getFileHandle(n)).getFile();
          const b = new Uint8Array(await file.arrayBuffer());
          let s = "";
          for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
          await dir.removeEntry(n);
          return btoa(s);
        }, name);
        const to = path.join(tmp, `picked-${Date.now()}-${name}`);
        writeFileSync(to, Buffer.from(bytes, "base64"));
        return { name, path: to };
      },
    });
    await d.goto();
  });

  after(async () => {
    await context?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("opens, lists, searches, previews and saves the real export", { skip: !existsSync(REAL_EXPORT) && `${REAL_EXPORT} is missing` }, async (t) => {
    await checkRealExport(d, t);
    if (SHOTS) {
      mkdirSync(OUT, { recursive: true });
      await screenshots(page);
    }
    await d.click("#close-file");
  });

  it("saves the small fixtures as the CLI does, lists the broken conversation, and explains a file that is not an export", async (t) => {
    await checkSmallExports(d, t, tmp);
  });

  it("reviews what redaction replaces in the conversations chosen; a value unticked there is kept in the save", async () => {
    await checkRedactionReview(d, tmp);
  });

  it("cancels while reading, and is ready for another file", { skip: !existsSync(REAL_EXPORT) && `${REAL_EXPORT} is missing` }, async () => {
    await d.setFile(REAL_EXPORT);
    await d.waitFor(() => !document.getElementById("progress-card").hidden, 10000);
    await d.click("#cancel-open");
    const after = await d.eval(() => ({
      open: !document.getElementById("open-card").hidden,
      progress: !document.getElementById("progress-card").hidden,
      browser: !document.getElementById("browser").hidden,
    }));
    assert.deepEqual(after, { open: true, progress: false, browser: false });
  });
});
