// chatkeep end to end in Firefox (puppeteer-core over WebDriver BiDi, the system's
// /usr/bin/firefox-esr): the built dist/firefox against the chatgpt.com stand-in. Firefox's
// background is an event page that no driver can reach, so every save goes through an
// extension page: browser.runtime.sendMessage({type: "chatkeep/save", tabId, options}).
// See README.md in this folder.

import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import puppeteer from "puppeteer-core";
import { DOM_TOUR_ID } from "./conversations.mjs";
import {
  allConversations, FIREFOX_UUID, firefoxExtensionPrefs, GECKO_ID, makeDownloadLink, requireDist,
} from "./harness.mjs";
import { scenarios } from "./scenarios.mjs";
import { startServer } from "./server.mjs";

const BROWSER = "firefox";
const EXECUTABLE = process.env.FIREFOX_BIN ?? "/usr/bin/firefox-esr";

/** The extension page the tests send messages from: the options page, else the popup. */
function extensionPage(dist) {
  const manifest = JSON.parse(readFileSync(path.join(dist, "manifest.json"), "utf8"));
  const page = [manifest.options_ui?.page, manifest.options_page, manifest.action?.default_popup, "options.html", "popup.html"]
    .find((p) => p && existsSync(path.join(dist, p)));
  if (!page) throw new Error(`${dist} has no extension page (options or popup) to send messages from`);
  return page;
}

describe("chatkeep in Firefox", () => {
  let server;
  let browser;
  let chat; // the tab showing the stand-in
  let ext; // a tab showing an extension page
  let root;
  const driver = { name: BROWSER, server: null, link: null };

  /** Loads an extension page in `page`. WebDriver BiDi refuses moz-extension:// URLs unless
   *  system access is allowed (MOZ_REMOTE_ALLOW_SYSTEM_ACCESS), and then Puppeteer's goto()
   *  never sees the navigation finish (the page moves to the extension process), so this
   *  sends browsingContext.navigate itself and waits for the document. */
  async function openExtensionPage(page, file) {
    const url = `moz-extension://${FIREFOX_UUID}/${file}`;
    await page.mainFrame().browsingContext.navigate(url, "complete");
    for (let i = 0; i < 50; i++) {
      const ready = await page
        .evaluate((u) => location.href === u && document.readyState === "complete" && typeof browser?.runtime?.sendMessage === "function", url)
        .catch(() => false);
      if (ready) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the extension page ${url} did not load (is the add-on installed under the UUID from extensions.webextensions.uuids?)`);
  }

  before(async () => {
    const dist = requireDist(BROWSER);
    server = await startServer({ conversations: allConversations() });
    driver.server = server;
    root = mkdtempSync(path.join(os.tmpdir(), "chatkeep-e2e-firefox-"));
    driver.link = makeDownloadLink(root);
    browser = await puppeteer.launch({
      browser: "firefox",
      executablePath: EXECUTABLE,
      headless: true,
      // The stand-in's certificate is self-signed; this accepts it for every request,
      // the extension's included.
      acceptInsecureCerts: true,
      env: { ...process.env, TZ: "UTC", MOZ_REMOTE_ALLOW_SYSTEM_ACCESS: "1" },
      extraPrefsFirefox: {
        ...server.firefoxPrefs(),
        // Downloads go to the link (each test points it at its own folder).
        ...firefoxExtensionPrefs(driver.link),
      },
    });
    const id = await browser.installExtension(dist);
    assert.equal(id, GECKO_ID);
    [chat] = await browser.pages();
    chat ??= await browser.newPage();
    ext = await browser.newPage();
    await openExtensionPage(ext, extensionPage(dist));
    await chat.bringToFront();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  beforeEach(() => server.reset());

  driver.open = async (p, { loggedIn = true } = {}) => {
    await chat.goto(server.url(p), { waitUntil: "load" });
    await chat.evaluate((url) => fetch(url, { credentials: "same-origin" }), loggedIn ? "/__login" : "/__logout");
  };

  driver.save = (options) =>
    ext.evaluate(
      async (url, options, hasOptions) => {
        const tabs = await browser.tabs.query({ url: ["https://chatgpt.com/*", "https://chat.openai.com/*"] });
        const tab = tabs.find((t) => t.url === url) ?? tabs[0];
        if (!tab) {
          return { ok: false, error: { kind: "harness", message: `the extension sees no chatgpt.com tab; the tab shows ${url}` } };
        }
        const message = { type: "chatkeep/save", tabId: tab.id };
        if (hasOptions) message.options = options;
        try {
          const reply = await browser.runtime.sendMessage(message);
          if (!reply || typeof reply.ok !== "boolean") {
            return { ok: false, error: { kind: "harness", message: `unexpected reply to chatkeep/save: ${JSON.stringify(reply)}` } };
          }
          return reply;
        } catch (e) {
          return { ok: false, error: { kind: "harness", message: `runtime.sendMessage failed: ${e.message}` } };
        }
      },
      chat.url(),
      options ?? null,
      options !== undefined,
    );

  driver.copy = (options) =>
    ext.evaluate(
      async (url, options) => {
        const tabs = await browser.tabs.query({ url: ["https://chatgpt.com/*", "https://chat.openai.com/*"] });
        const tab = tabs.find((t) => t.url === url) ?? tabs[0];
        if (!tab) return { ok: false, error: { kind: "harness", message: `the extension sees no chatgpt.com tab; the tab shows ${url}` } };
        try {
          return await browser.runtime.sendMessage({ type: "chatkeep/copy-markdown", tabId: tab.id, options });
        } catch (e) {
          return { ok: false, error: { kind: "harness", message: `runtime.sendMessage failed: ${e.message}` } };
        }
      },
      chat.url(),
      options,
    );

  driver.evaluate = (fn, arg) => chat.evaluate(fn, arg);
  driver.press = (key) => chat.keyboard.press(key);

  driver.setStoredOptions = (options) =>
    ext.evaluate((o) => (o === null ? browser.storage.sync.remove("options") : browser.storage.sync.set({ options: o })), options);

  driver.setStoredExtension = (extension) =>
    ext.evaluate((o) => (o === null ? browser.storage.sync.remove("extension") : browser.storage.sync.set({ extension: o })), extension);

  driver.extensionWindow = async (part) => {
    const prefix = `moz-extension://${FIREFOX_UUID}/`;
    // Puppeteer may still name a window the extension opened about:blank (its page moved to
    // the extension's process): ask each page where it is.
    const where = (x) => x.evaluate(() => location.href).catch(() => x.url());
    let p;
    for (let i = 0; !p && i < 100; i++) {
      for (const x of await browser.pages()) {
        const href = await where(x);
        if (href.startsWith(prefix) && href.includes(part)) p = x;
      }
      if (!p) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(p, `no extension page at …${part} opened; open: ${(await Promise.all((await browser.pages()).map(where))).join(", ")}`);
    return {
      evaluate: (fn, arg) => p.evaluate(fn, arg),
      waitFor: (fn, arg) => p.waitForFunction(fn, { timeout: 10000 }, arg),
      closed: async () => {
        for (let i = 0; i < 100; i++) {
          // Puppeteer may keep listing a closed window's page; its browsing context is gone.
          if (p.isClosed() || !(await browser.pages()).includes(p)) return;
          if (await p.evaluate(() => false).catch((e) => /no such frame|not found/i.test(e.message))) return;
          await new Promise((r) => setTimeout(r, 100));
        }
        assert.fail(`the extension page at …${part} did not close`);
      },
    };
  };

  // --- The harness itself --------------------------------------------------------------

  it("the add-on installs, and its page opens at the fixed moz-extension:// UUID", async () => {
    const href = await ext.evaluate(() => location.href);
    assert.ok(href.startsWith(`moz-extension://${FIREFOX_UUID}/`), href);
    const manifest = await ext.evaluate(() => browser.runtime.getManifest());
    assert.equal(manifest.browser_specific_settings?.gecko?.id ?? GECKO_ID, GECKO_ID);
    const granted = await ext.evaluate(() => browser.permissions.contains({ origins: ["https://chatgpt.com/*"] }));
    assert.equal(granted, true, "the host permission for https://chatgpt.com/* is not granted");
  });

  it("the stand-in answers as https://chatgpt.com through the proxy, and its chat page is virtualised", async () => {
    server.set({ layout: "2026-09" });
    await driver.open(`/c/${DOM_TOUR_ID}`);
    assert.equal(await chat.title(), "Quadratic equations, a tour - ChatGPT");
    const mounted = await chat.evaluate(() => window.__standIn.mountedKeys());
    assert.ok(mounted.length >= 3 && mounted.length < 12, `${mounted.length} of 12 turns mounted`);
    const scroll = await chat.evaluate(() => document.querySelector("[data-app-action-timeline-scroll]").scrollTop);
    assert.equal(scroll, 0, "a column-reverse thread starts at scrollTop 0 (the bottom)");
    const session = await chat.evaluate(() => fetch("/api/auth/session").then((r) => r.json()));
    assert.equal(session.accessToken, "test-token");
  });

  // --- Everything both browsers check ----------------------------------------------------

  for (const s of scenarios(BROWSER)) {
    it(s.name, { timeout: s.timeout }, (t) => s.run(t, driver));
  }
});
