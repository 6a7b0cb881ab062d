// The browsers the whole-account backup is driven in, for tests/e2e/backup.mjs and
// bench/backup.mjs: each driver launches Debian's browser with the built extension and a
// persistent profile (so it can be closed and launched again), downloads into its own
// folder, and talks to the background.

import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";
import puppeteer from "puppeteer-core";
import { FIREFOX_UUID, firefoxExtensionPrefs, GECKO_ID, requireDist } from "./harness.mjs";

/** The names of the ZIPs the extension wrote into its private file system (run in an
 *  extension context). */
const SCRATCH_ZIPS = async () => {
  const names = [];
  try {
    const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle("chatkeep-zips");
    for await (const [name] of dir.entries()) names.push(name);
  } catch {
    // None written.
  }
  return names.sort();
};

export async function chromiumDriver(server, root) {
  const dist = requireDist("chromium");
  const profile = path.join(root, "profile");
  const downloads = path.join(root, "downloads");
  mkdirSync(path.join(profile, "Default"), { recursive: true });
  mkdirSync(downloads, { recursive: true });
  writeFileSync(path.join(profile, "Default", "Preferences"), JSON.stringify({
    download: { default_directory: downloads, prompt_for_download: false, directory_upgrade: true },
  }));
  let context;
  let page;
  const d = {
    name: "chromium",
    downloads,
    profile,
    /** The Playwright context (for the benchmark's own measurements). */
    context: () => context,
    async launch() {
      context = await chromium.launchPersistentContext(profile, {
        executablePath: process.env.CHROMIUM_BIN ?? "/usr/bin/chromium",
        headless: true,
        env: { ...process.env, TZ: "UTC" },
        args: ["--headless=new", "--no-sandbox", `--load-extension=${dist}`, `--disable-extensions-except=${dist}`,
          "--disable-background-networking", "--disable-component-update", "--no-first-run", ...server.chromiumArgs()],
        ignoreHTTPSErrors: true,
      });
      const cdp = await context.browser().newBrowserCDPSession();
      await cdp.send("Browser.setDownloadBehavior", { behavior: "default" });
      page = context.pages()[0] ?? (await context.newPage());
    },
    async worker() {
      const live = context.serviceWorkers().find((w) => w.url().startsWith("chrome-extension://"));
      return live ?? context.waitForEvent("serviceworker", { timeout: 10000 });
    },
    async call(name, arg) {
      const sw = await d.worker();
      return sw.evaluate(async ({ name, arg }) => {
        try {
          return { ok: true, value: JSON.parse(JSON.stringify((await globalThis.chatkeep[name](arg)) ?? null)) };
        } catch (e) {
          return { ok: false, error: { kind: e?.kind ?? null, message: String(e?.message ?? e) } };
        }
      }, { name, arg });
    },
    backup: (options) => d.call("backup", options),
    status: async () => (await d.call("backupStatus")).value,
    async schedule(every, options) {
      const sw = await d.worker();
      return sw.evaluate(async ({ every, options }) => JSON.parse(JSON.stringify(await globalThis.chatkeep.backupSchedule(every, options))), { every, options });
    },
    download: (options) => d.call("backupDownload", options),
    /** The ZIPs written into the extension's private file system. */
    scratchZips: async () => (await d.worker()).evaluate(SCRATCH_ZIPS),
    /** Stops the extension's service worker, as Chromium does to an idle one. */
    async killWorker() {
      const cdp = await context.browser().newBrowserCDPSession();
      const { targetInfos } = await cdp.send("Target.getTargets");
      const sw = targetInfos.find((t) => t.type === "service_worker" && t.url.startsWith("chrome-extension://"));
      assert.ok(sw, "the extension's service worker is running");
      d.extensionId = new URL(sw.url).host;
      await cdp.send("Target.closeTarget", { targetId: sw.targetId });
      await cdp.detach();
    },
    /** Wakes a stopped service worker as a user would: by opening the backup page (which
     *  asks the background for the status), then waits until it answers. */
    async wake() {
      const p = await context.newPage();
      try {
        await p.goto(`chrome-extension://${d.extensionId}/backup.html`);
        for (let i = 0; i < 100; i++) {
          const live = context.serviceWorkers().find((w) => w.url().startsWith("chrome-extension://"));
          const answer = live && (await Promise.race([live.evaluate(() => typeof globalThis.chatkeep?.backupStatus).catch(() => null), new Promise((r) => setTimeout(() => r(null), 1000))]));
          if (answer === "function") return;
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error("the service worker did not start again");
      } finally {
        await p.close();
      }
    },
    /** Opens the local backup on the export page; resolves with its list count. */
    async openInExportPage() {
      const id = new URL((await d.worker()).url()).host;
      const p = await context.newPage();
      try {
        await p.goto(`chrome-extension://${id}/export.html`);
        await p.click("#open-backup");
        await p.waitForFunction(() => document.documentElement.dataset.openSeconds || !document.getElementById("open-error").hidden, null, { timeout: 120_000 });
        return await p.evaluate(() => (document.getElementById("open-error").hidden ? document.getElementById("list-count").textContent : `error: ${document.getElementById("open-error").textContent}`));
      } finally {
        await p.close();
      }
    },
    async fireAlarm(name) {
      const sw = await d.worker();
      await sw.evaluate((name) => chrome.alarms.create(name, { when: Date.now() + 50 }), name);
    },
    /** Adds an export ZIP on the backup page; resolves with the page's closing line. */
    async seed(file) {
      const id = new URL((await d.worker()).url()).host;
      const p = await context.newPage();
      try {
        await p.goto(`chrome-extension://${id}/backup.html`);
        await p.setInputFiles("#seed-file", file);
        await p.waitForFunction(() => /^Added|could not|not a ZIP/.test(document.getElementById("seed-status").textContent), null, { timeout: 120_000 });
        return await p.textContent("#seed-status");
      } finally {
        await p.close();
      }
    },
    async openChat(loggedIn = true) {
      await page.goto(server.url("/"), { waitUntil: "load" });
      await page.evaluate((u) => fetch(u), loggedIn ? "/__login" : "/__logout");
    },
    async closeChat() {
      await page.goto("about:blank");
    },
    async close() {
      await context?.close();
      context = undefined;
    },
  };
  return d;
}

export async function firefoxDriver(server, root) {
  const dist = requireDist("firefox");
  const profile = path.join(root, "profile");
  const downloads = path.join(root, "downloads");
  mkdirSync(profile, { recursive: true });
  mkdirSync(downloads, { recursive: true });
  let browser;
  let chat;
  let ext;
  const d = {
    name: "firefox",
    downloads,
    async launch() {
      browser = await puppeteer.launch({
        browser: "firefox",
        executablePath: process.env.FIREFOX_BIN ?? "/usr/bin/firefox-esr",
        headless: true,
        userDataDir: profile,
        acceptInsecureCerts: true,
        env: { ...process.env, TZ: "UTC", MOZ_REMOTE_ALLOW_SYSTEM_ACCESS: "1" },
        extraPrefsFirefox: {
          ...server.firefoxPrefs(),
          ...firefoxExtensionPrefs(downloads),
          // A temporary add-on is uninstalled when Firefox closes: keep its storage and its
          // UUID, so the add-on installed again after a restart finds its backup.
          "extensions.webextensions.keepStorageOnUninstall": true,
          "extensions.webextensions.keepUuidOnUninstall": true,
        },
      });
      assert.equal(await browser.installExtension(dist), GECKO_ID);
      [chat] = await browser.pages();
      chat ??= await browser.newPage();
      ext = await browser.newPage();
      await d.openExtPage(ext, "backup.html");
    },
    /** Loads an extension page in `page` (see firefox.test.mjs for why not goto()). */
    async openExtPage(page, file) {
      const url = `moz-extension://${FIREFOX_UUID}/${file}`;
      await page.mainFrame().browsingContext.navigate(url, "complete");
      for (let i = 0; i < 100; i++) {
        const ok = await page.evaluate((u) => location.href === u && document.readyState === "complete" && typeof browser?.runtime?.sendMessage === "function", url).catch(() => false);
        if (ok) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`the extension page ${url} did not load`);
    },
    async openInExportPage() {
      const p = await browser.newPage();
      try {
        await d.openExtPage(p, "export.html");
        await p.waitForFunction(() => !document.getElementById("open-backup-row").hidden, { timeout: 10_000 });
        await p.click("#open-backup");
        await p.waitForFunction(() => document.documentElement.dataset.openSeconds || !document.getElementById("open-error").hidden, { timeout: 120_000 });
        return await p.evaluate(() => (document.getElementById("open-error").hidden ? document.getElementById("list-count").textContent : `error: ${document.getElementById("open-error").textContent}`));
      } finally {
        await p.close();
      }
    },
    /** Messages from the extension page; `chatkeep.backup()` itself through the
     *  background page where Firefox gives it, else start-and-poll. */
    async message(type, extra = {}) {
      return ext.evaluate(async (type, extra) => {
        try {
          return await browser.runtime.sendMessage({ type, ...extra });
        } catch (e) {
          return { ok: false, error: { kind: "harness", message: String(e?.message ?? e) } };
        }
      }, type, extra);
    },
    async backup(options) {
      const started = await d.message("chatkeep/backup-start", { options });
      if (!started?.ok) return started;
      for (;;) {
        const s = await d.status();
        if (s && s.state !== "running") return { ok: true, value: s };
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    status: async () => (await d.message("chatkeep/backup-status")).result,
    schedule: async (every, options) => (await d.message("chatkeep/backup-schedule", { schedule: every, options })).result,
    download: (options) => d.message("chatkeep/backup-download", options),
    scratchZips: () => ext.evaluate(SCRATCH_ZIPS),
    async fireAlarm(name) {
      await ext.evaluate((name) => browser.alarms.create(name, { when: Date.now() + 50 }), name);
    },
    async seed(file) {
      const input = await ext.$("#seed-file");
      await input.uploadFile(file);
      for (let i = 0; i < 1200; i++) {
        const text = await ext.evaluate(() => document.getElementById("seed-status").textContent);
        if (/^Added|could not|not a ZIP/.test(text)) return text;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error("the seed did not finish");
    },
    async openChat(loggedIn = true) {
      await chat.goto(server.url("/"), { waitUntil: "load" });
      await chat.evaluate((u) => fetch(u), loggedIn ? "/__login" : "/__logout");
    },
    async closeChat() {
      await chat.goto("about:blank");
    },
    async close() {
      await browser?.close();
      browser = undefined;
    },
  };
  return d;
}
