// The export-file page in Firefox (the checks are in export-page.mjs, shared with the other
// browser's file).

import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import puppeteer from "puppeteer-core";
import { FIREFOX_UUID, firefoxExtensionPrefs, GECKO_ID, requireDist } from "./harness.mjs";
import {
  checkRealExport, checkRedactionReview, checkSmallExports, FIREFOX, readdirNames, REAL_EXPORT,
} from "./export-page.mjs";

describe("export page in Firefox", { skip: !existsSync(FIREFOX) && `${FIREFOX} is missing` }, () => {
  let browser;
  let page;
  let tmp;
  const d = { name: "firefox" };

  before(async () => {
    const dist = requireDist("firefox");
    tmp = mkdtempSync(path.join(os.tmpdir(), "chatkeep-export-page-ff-"));
    browser = await puppeteer.launch({
      browser: "firefox",
      executablePath: FIREFOX,
      headless: true,
      env: { ...process.env, TZ: "UTC", MOZ_REMOTE_ALLOW_SYSTEM_ACCESS: "1" },
      extraPrefsFirefox: firefoxExtensionPrefs(tmp),
    });
    assert.equal(await browser.installExtension(dist), GECKO_ID);
    page = (await browser.pages())[0] ?? (await browser.newPage());
    const url = `moz-extension://${FIREFOX_UUID}/export.html`;
    // As firefox.test.mjs: navigate by BiDi and wait for the document.
    await page.mainFrame().browsingContext.navigate(url, "complete");
    for (let i = 0; i < 100; i++) {
      const ready = await page.evaluate((u) => location.href === u && document.readyState === "complete", url).catch(() => false);
      if (ready) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const waitFor = async (fn, timeout = 30000, arg) => {
      const deadline = Date.now() + timeout;
      for (;;) {
        if (await page.evaluate(fn, arg).catch(() => false)) return;
        if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${fn}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    Object.assign(d, {
      // Loads the page again (a BiDi goto to a moz-extension:// URL never ends: see above).
      goto: async () => {
        await page.evaluate(() => {
          window.reloading = true;
          location.reload();
        });
        await waitFor(() => !window.reloading && document.readyState === "complete", 10000);
      },
      setFile: async (file) => {
        const input = await page.$("#file-input");
        await input.uploadFile(file);
      },
      eval: (fn, arg) => page.evaluate(fn, arg),
      waitFor,
      click: (sel) => page.evaluate((s) => document.querySelector(s).click(), sel),
      focus: (sel) => page.focus(sel),
      press: (key) => page.keyboard.press(key),
      type: async (sel, text) => {
        await page.evaluate((s, v) => {
          const input = document.querySelector(s);
          input.value = v;
          input.dispatchEvent(new Event("input"));
        }, sel, text);
      },
      // Downloads land in `tmp` under the page's names; wait for the new file to settle.
      download: async (action, timeout = 60000) => {
        const before = new Set(readdirNames(tmp));
        await action();
        const deadline = Date.now() + timeout;
        let last = "";
        for (;;) {
          const fresh = readdirNames(tmp).filter((n) => !before.has(n) && !n.endsWith(".part") && n !== "profile");
          if (fresh.length) {
            const p = path.join(tmp, fresh[0]);
            const sizeNow = `${fresh[0]}:${readFileSync(p).length}`;
            if (sizeNow === last && !readdirNames(tmp).some((n) => n.endsWith(".part"))) return { name: fresh[0], path: p };
            last = sizeNow;
          }
          if (Date.now() > deadline) throw new Error(`no download in ${tmp} after ${timeout} ms`);
          await new Promise((r) => setTimeout(r, 300));
        }
      },
      // No save picker in Firefox: the ZIP is written into the private file system and
      // downloaded from there.
      saveAll: (action, timeout) => d.download(action, timeout),
    });
  });

  after(async () => {
    await browser?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("opens, lists, searches, previews and saves the real export", { skip: !existsSync(REAL_EXPORT) && `${REAL_EXPORT} is missing` }, async (t) => {
    await checkRealExport(d, t);
    await d.click("#close-file");
  });

  it("saves the small fixtures as the CLI does, and explains a file that is not an export", async (t) => {
    await checkSmallExports(d, t, tmp);
  });

  it("reviews what redaction replaces in the conversations chosen; a value unticked there is kept in the save", async () => {
    await checkRedactionReview(d, tmp);
  });
});
