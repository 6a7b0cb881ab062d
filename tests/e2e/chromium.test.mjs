// chatkeep end to end in Chromium (Playwright, the system's /usr/bin/chromium): the built
// dist/chromium against the chatgpt.com stand-in. See README.md in this folder.

import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { chromium } from "playwright-core";
import { DOM_TOUR_ID } from "./conversations.mjs";
import {
  allConversations, caseId, CASES, checkGolden, expectSaved, freshDownloads, makeDownloadLink,
  requireDist, waitForDownloads,
} from "./harness.mjs";
import { scenarios } from "./scenarios.mjs";
import { startServer } from "./server.mjs";

const BROWSER = "chromium";
const EXECUTABLE = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
const BASIC = caseId(CASES.basic);
const BASIC_MD = "2024-12-29 Markdown cheat sheet.md";

describe("chatkeep in Chromium", () => {
  let server;
  let context;
  let page;
  let root;
  let extensionId;
  const driver = { name: BROWSER, server: null, link: null };

  /** The extension's service worker (it can be restarted; always ask for the live one). */
  async function worker() {
    const live = context.serviceWorkers().find((w) => w.url().startsWith(`chrome-extension://${extensionId ?? ""}`));
    if (live) return live;
    return context.waitForEvent("serviceworker", {
      predicate: (w) => w.url().startsWith("chrome-extension://"),
      timeout: 10000,
    });
  }

  /** The chat tab's id, as the extension sees it. */
  async function chatTabId() {
    const sw = await worker();
    const found = await sw.evaluate(async (url) => {
      const tabs = await chrome.tabs.query({ url: ["https://chatgpt.com/*", "https://chat.openai.com/*"] });
      return (tabs.find((t) => t.url === url) ?? tabs[0])?.id ?? null;
    }, page.url());
    assert.ok(
      found !== null,
      `the extension sees no chatgpt.com tab (tabs.query by URL needs host permission for https://chatgpt.com/*); the tab shows ${page.url()}`,
    );
    return found;
  }

  /** Calls globalThis.chatkeep[name](...args) in the service worker, where an argument
   *  "$tab" stands for the chat tab object; resolves {ok, value} or {ok: false, error}. */
  async function callChatkeep(name, args) {
    const tabId = await chatTabId();
    const sw = await worker();
    return sw.evaluate(
      async ({ name, args, tabId }) => {
        const f = globalThis.chatkeep?.[name];
        if (typeof f !== "function") {
          return { ok: false, error: { kind: "harness", message: `globalThis.chatkeep.${name} is not a function in the service worker (not built yet?)` } };
        }
        const tab = await chrome.tabs.get(tabId);
        const real = args.map((a) => (a === "$tab" ? tab : a === "$tabId" ? tabId : a));
        try {
          const value = await f(...real);
          return { ok: true, value: JSON.parse(JSON.stringify(value ?? null)) };
        } catch (e) {
          return { ok: false, error: { kind: e?.kind ?? null, message: String(e?.message ?? e) } };
        }
      },
      { name, args, tabId },
    );
  }

  before(async () => {
    const dist = requireDist(BROWSER);
    server = await startServer({ conversations: allConversations() });
    driver.server = server;
    root = mkdtempSync(path.join(os.tmpdir(), "chatkeep-e2e-chromium-"));
    driver.link = makeDownloadLink(root);
    const profile = path.join(root, "profile");
    // Downloads go to the link (each test points it at its own folder), named as the
    // extension asks, without a prompt.
    mkdirSync(path.join(profile, "Default"), { recursive: true });
    writeFileSync(
      path.join(profile, "Default", "Preferences"),
      JSON.stringify({
        download: { default_directory: driver.link, prompt_for_download: false, directory_upgrade: true },
        savefile: { default_directory: driver.link },
      }),
    );
    context = await chromium.launchPersistentContext(profile, {
      executablePath: EXECUTABLE,
      headless: true,
      env: { ...process.env, TZ: "UTC" },
      args: [
        "--headless=new",
        "--no-sandbox",
        `--load-extension=${dist}`,
        `--disable-extensions-except=${dist}`,
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        ...server.chromiumArgs(),
      ],
      ignoreHTTPSErrors: true,
    });
    // Playwright routes downloads to its own folder under GUID names ('allowAndName'), and
    // 'allow' with a downloadPath drops the name chrome.downloads gives; 'default' leaves
    // them to the profile's download directory, under the extension's names.
    const cdp = await context.browser().newBrowserCDPSession();
    await cdp.send("Browser.setDownloadBehavior", { behavior: "default" });
    const sw = await worker();
    extensionId = new URL(sw.url()).host;
    page = context.pages()[0] ?? (await context.newPage());
  });

  after(async () => {
    await context?.close();
    await server?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  beforeEach(() => server.reset());

  driver.open = async (p, { loggedIn = true } = {}) => {
    await page.goto(server.url(p));
    await page.evaluate((url) => fetch(url, { credentials: "same-origin" }), loggedIn ? "/__login" : "/__logout");
  };

  driver.save = async (options) => {
    const r = await callChatkeep("save", options === undefined ? ["$tabId"] : ["$tabId", options]);
    return r.ok ? { ok: true, result: r.value } : r;
  };

  driver.copy = async (options) => {
    const r = await callChatkeep("copyMarkdown", ["$tabId", options]);
    return r.ok ? { ok: true, result: r.value } : r;
  };

  driver.evaluate = (fn, arg) => page.evaluate(fn, arg);
  driver.press = (key) => page.keyboard.press(key);

  driver.setStoredOptions = async (options) => {
    const sw = await worker();
    await sw.evaluate((o) => (o === null ? chrome.storage.sync.remove("options") : chrome.storage.sync.set({ options: o })), options);
  };

  driver.setStoredExtension = async (extension) => {
    const sw = await worker();
    await sw.evaluate((o) => (o === null ? chrome.storage.sync.remove("extension") : chrome.storage.sync.set({ extension: o })), extension);
  };

  driver.extensionWindow = async (part) => {
    const prefix = `chrome-extension://${extensionId}/`;
    const found = (p) => p.url().startsWith(prefix) && p.url().includes(part);
    // Polled: a window's page can be announced before it has its URL.
    let p;
    for (let i = 0; !p && i < 100; i++) {
      p = context.pages().find(found);
      if (!p) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(p, `no extension page at …${part} opened`);
    return {
      evaluate: (fn, arg) => p.evaluate(fn, arg),
      waitFor: (fn, arg) => p.waitForFunction(fn, arg, { timeout: 10000 }),
      closed: () => (p.isClosed() ? Promise.resolve() : p.waitForEvent("close", { timeout: 10000 })),
    };
  };

  driver.command = (name) => callChatkeep("onCommand", [name, "$tab"]);
  driver.menu = (menuItemId) => callChatkeep("onMenu", [{ menuItemId, pageUrl: page.url(), editable: false }, "$tab"]);

  // --- The harness itself --------------------------------------------------------------

  it("the built extension loads and its service worker answers chatkeep.version()", async () => {
    const sw = await worker();
    const version = await sw.evaluate(() => globalThis.chatkeep.version());
    const manifest = JSON.parse(readFileSync(path.join(requireDist(BROWSER), "manifest.json"), "utf8"));
    assert.equal(version, manifest.version);
  });

  it("the stand-in answers as https://chatgpt.com, and its chat page is virtualised", async () => {
    server.set({ layout: "2024" });
    await driver.open(`/c/${DOM_TOUR_ID}`);
    assert.equal(await page.title(), "Quadratic equations, a tour - ChatGPT");
    const mounted = await page.evaluate(() => window.__standIn.mountedKeys());
    assert.ok(mounted.length >= 5 && mounted.length < 24, `${mounted.length} of 24 turns mounted`);
    assert.equal(await page.locator("article[data-testid^=conversation-turn-]").count(), mounted.length);
    await page.evaluate(() => { document.getElementById("thread-scroller").scrollTop = 0; });
    await page.waitForFunction(() => window.__standIn.mountedKeys()[0].endsWith("000000000001"));
    const session = await page.evaluate(() => fetch("/api/auth/session").then((r) => r.json()));
    assert.equal(session.accessToken, "test-token");
  });

  // --- Everything both browsers check ----------------------------------------------------

  for (const s of scenarios(BROWSER)) {
    it(s.name, { timeout: s.timeout }, (t) => s.run(t, driver));
  }

  // --- Entry points only a browser's chrome can trigger ---------------------------------

  it("keyboard shortcut: chatkeep.onCommand('save-chat') saves the active tab", async (t) => {
    await driver.open(`/c/${BASIC}`);
    await page.bringToFront();
    const dir = freshDownloads(t, driver.link);
    const outcome = await callChatkeep("onCommand", ["save-chat", "$tab"]);
    assert.ok(outcome.ok, `onCommand failed: [${outcome.error?.kind}] ${outcome.error?.message}`);
    const files = await waitForDownloads(dir, 1);
    assert.deepEqual(files, [BASIC_MD]);
    checkGolden(BROWSER, "api/basic-markdown", dir, BASIC_MD);
  });

  describe("context menu: chatkeep.onMenu(info, tab)", () => {
    const stem = "2024-12-29 Markdown cheat sheet";
    const entries = [
      ["save-md", [`${stem}.md`]],
      ["save-html", [`${stem}.html`]],
      ["save-json", [`${stem}.json`]],
      ["save-all", [`${stem}.html`, `${stem}.json`, `${stem}.md`]],
      // A right-click on a link to another conversation (the sidebar) saves that one.
      ["save-link", ["2025-06-27 Ada Lovelace overview.md"]],
    ];
    for (const [menuItemId, expected] of entries) {
      it(menuItemId, async (t) => {
        await driver.open(`/c/${BASIC}`);
        const dir = freshDownloads(t, driver.link);
        const info = { menuItemId, pageUrl: server.url(`/c/${BASIC}`), editable: false };
        if (menuItemId === "save-link") info.linkUrl = server.url(`/c/${caseId(CASES.citations)}`);
        const outcome = await callChatkeep("onMenu", [info, "$tab"]);
        assert.ok(outcome.ok, `onMenu(${menuItemId}) failed: [${outcome.error?.kind}] ${outcome.error?.message}`);
        const files = await waitForDownloads(dir, expected.length);
        assert.deepEqual(files, expected);
        const golden = menuItemId === "save-link" ? "api/citations-2025" : "api/basic-markdown";
        for (const f of files) checkGolden(BROWSER, golden, dir, f);
      });
    }
  });

  it("context menu: Copy as Markdown (redacted) puts the redacted chat on the clipboard", async (t) => {
    await driver.setStoredOptions({ redact: { terms: ["cheat sheet"] } });
    t.after(() => driver.setStoredOptions(null));
    await driver.open(`/c/${BASIC}`);
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: new URL(page.url()).origin });
    await page.evaluate(() => navigator.clipboard.writeText("before"));
    const outcome = await callChatkeep("onMenu", [{ menuItemId: "copy-md-redacted", pageUrl: page.url(), editable: false }, "$tab"]);
    assert.ok(outcome.ok, `onMenu(copy-md-redacted) failed: [${outcome.error?.kind}] ${outcome.error?.message}`);
    await page.bringToFront();
    const text = await page.evaluate(() => navigator.clipboard.readText());
    assert.match(text, /^# Markdown \\\[name 1\\\]$/m, `the clipboard: ${text.slice(0, 300)}`);
    assert.ok(!/cheat sheet/i.test(text), "the term is not on the clipboard");
  });

  it("an extension page saves through runtime.sendMessage({type: 'chatkeep/save'})", async (t) => {
    const dist = requireDist(BROWSER);
    const manifest = JSON.parse(readFileSync(path.join(dist, "manifest.json"), "utf8"));
    const pagePath = [manifest.options_ui?.page, manifest.options_page, manifest.action?.default_popup, "options.html", "popup.html"]
      .find((p) => p && existsSync(path.join(dist, p)));
    assert.ok(pagePath, "dist/chromium has no extension page (options or popup) to send the message from");
    await driver.open(`/c/${BASIC}`);
    const tabUrl = page.url();
    const extPage = await context.newPage();
    t.after(() => extPage.close());
    await extPage.goto(`chrome-extension://${extensionId}/${pagePath}`);
    await page.bringToFront();
    const dir = freshDownloads(t, driver.link);
    const reply = await extPage.evaluate(async (url) => {
      const tabs = await chrome.tabs.query({ url: "https://chatgpt.com/*" });
      const tab = tabs.find((x) => x.url === url) ?? tabs[0];
      try {
        return await chrome.runtime.sendMessage({ type: "chatkeep/save", tabId: tab.id, options: { formats: ["markdown"] } });
      } catch (e) {
        return { ok: false, error: { kind: "harness", message: `runtime.sendMessage failed: ${e.message}` } };
      }
    }, tabUrl);
    const result = expectSaved(reply ?? { ok: false, error: { kind: "harness", message: "no reply" } }, "sendMessage");
    assert.deepEqual(result.files, [BASIC_MD]);
    const files = await waitForDownloads(dir, 1);
    assert.deepEqual(files, [BASIC_MD]);
    checkGolden(BROWSER, "api/basic-markdown", dir, BASIC_MD);
  });
});

