// What a person sees, in Chromium: the popup, the options page and the export page at 1280
// and 700 px, light and dark (screenshots in tests/e2e/out/ui/, looked at by people, with
// the layout checked by measuring it), an accessibility check of each (axe-core, pinned in
// package.json, injected into the page: no serious or critical violation), and the saving
// feedback of issue #16 (the name a download actually got, the page reader's file names and
// message, the home page's message, the shortcut pressed off ChatGPT).
//
// UI_SHOTS=1 also rewrites docs/popup.png, docs/saved-toast.png, docs/options.png and
// docs/options-dark.png.

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { chromium } from "playwright-core";
import {
  allConversations, caseId, CASES, expectSaved, freshDownloads, makeDownloadLink, OUT, requireDist, ROOT,
  waitForDownloads,
} from "./harness.mjs";
import { startServer } from "./server.mjs";

const EXECUTABLE = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
const SHOTS = path.join(OUT, "ui");
const DOCS_SHOTS = process.env.UI_SHOTS === "1";
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const BASIC = caseId(CASES.basic);
const BASIC_NAME = "2024-12-29 Markdown cheat sheet";
const WIDTHS = [1280, 700];
const SCHEMES = ["light", "dark"];

/** Today in UTC (the browser runs with TZ=UTC), as file names write it. */
const today = () => new Date().toISOString().slice(0, 10);

/** Runs axe-core in `page` (its frames left out: they are sandboxed outputs, checked by the
 *  core's tests) and fails on any serious or critical violation, naming each. */
async function checkAccessibility(page, what) {
  const violations = await page.evaluate(async (source) => {
    if (!globalThis.axe) (0, eval)(source);
    const result = await globalThis.axe.run(document, { iframes: false, resultTypes: ["violations"] });
    return result.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.slice(0, 3).map((n) => `${n.target.join(" ")}: ${n.any.map((a) => a.message).join(" ")}`).join("; ")})`);
  }, AXE);
  assert.deepEqual(violations, [], `${what}: accessibility violations`);
}

/** Screenshots of `page` in both schemes at its current size into out/ui/<name>-<scheme>.png
 *  (and, with UI_SHOTS=1, into docs/ under the names of `docs`: {light, dark}), each scheme
 *  checked by axe-core. */
async function shoot(page, name, docs = {}) {
  mkdirSync(SHOTS, { recursive: true });
  for (const scheme of SCHEMES) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await page.screenshot({ path: path.join(SHOTS, `${name}-${scheme}.png`) });
    if (DOCS_SHOTS && docs[scheme]) await page.screenshot({ path: path.join(ROOT, "docs", docs[scheme]) });
    await checkAccessibility(page, `${name}, ${scheme}`);
  }
  await page.emulateMedia({ colorScheme: "light" });
}

/** The box of the element matching `selector`, in CSS pixels of the viewport. */
const box = (page, selector) => page.locator(selector).first().boundingBox();

describe("what a person sees, in Chromium", () => {
  let server;
  let context;
  let page;
  let root;
  let extensionId;
  let link;

  const worker = async () =>
    context.serviceWorkers().find((w) => w.url().startsWith(`chrome-extension://${extensionId ?? ""}`)) ??
    context.waitForEvent("serviceworker", { timeout: 10000 });
  const ext = (p) => `chrome-extension://${extensionId}/${p}`;

  /** Calls globalThis.chatkeep[name](tabId of the chat page, ...args) in the service worker. */
  async function call(name, ...args) {
    const sw = await worker();
    return sw.evaluate(
      async ({ name, args, url }) => {
        const [tab] = await chrome.tabs.query({ url });
        try {
          const value = await globalThis.chatkeep[name](tab.id, ...args);
          return { ok: true, result: JSON.parse(JSON.stringify(value ?? null)) };
        } catch (e) {
          return { ok: false, error: { kind: e?.kind ?? null, message: String(e?.message ?? e) } };
        }
      },
      { name, args, url: page.url() },
    );
  }

  async function openChat(p) {
    await page.goto(server.url(p));
    await page.evaluate(() => fetch("/__login", { credentials: "same-origin" }));
  }

  before(async () => {
    const dist = requireDist("chromium");
    server = await startServer({ conversations: allConversations() });
    root = mkdtempSync(path.join(os.tmpdir(), "chatkeep-e2e-ui-"));
    link = makeDownloadLink(root);
    const profile = path.join(root, "profile");
    mkdirSync(path.join(profile, "Default"), { recursive: true });
    writeFileSync(
      path.join(profile, "Default", "Preferences"),
      JSON.stringify({ download: { default_directory: link, prompt_for_download: false, directory_upgrade: true }, savefile: { default_directory: link } }),
    );
    context = await chromium.launchPersistentContext(profile, {
      executablePath: EXECUTABLE,
      headless: true,
      viewport: { width: 1280, height: 900 },
      // No transitions half-way through a colour when a screenshot or axe looks.
      reducedMotion: "reduce",
      env: { ...process.env, TZ: "UTC" },
      args: ["--headless=new", "--no-sandbox", `--load-extension=${dist}`, `--disable-extensions-except=${dist}`,
        "--disable-background-networking", "--disable-component-update", "--no-first-run", ...server.chromiumArgs()],
      ignoreHTTPSErrors: true,
    });
    const cdp = await context.browser().newBrowserCDPSession();
    await cdp.send("Browser.setDownloadBehavior", { behavior: "default" });
    extensionId = new URL((await worker()).url()).host;
    page = context.pages()[0] ?? (await context.newPage());
    page.on("pageerror", (e) => console.error("page error:", e.message));
  });

  after(async () => {
    await context?.close();
    await server?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  // --- Saving and its feedback ----------------------------------------------------------

  it("reports the name the browser gave a download, and names page reads like API reads", async (t) => {
    server.reset();
    await openChat(`/c/${BASIC}`);
    const dir = freshDownloads(t, link);
    const first = expectSaved(await call("save", { formats: ["markdown"] }));
    assert.deepEqual(first.files, [`${BASIC_NAME}.md`]);
    // The same again: the browser adds " (1)", and the result says so.
    const again = expectSaved(await call("save", { formats: ["markdown"] }));
    assert.deepEqual(again.files, [`${BASIC_NAME} (1).md`]);
    assert.deepEqual(await waitForDownloads(dir, 2), [`${BASIC_NAME} (1).md`, `${BASIC_NAME}.md`]);

    // API down: the page is read, its file named by the template too (the page shows no
    // dates: the day of the save, and a note says so), with one plain sentence for what
    // happened and one for what it means.
    server.set({ api: "down" });
    const day = today();
    const paged = expectSaved(await call("save", { formats: ["markdown"] }));
    assert.equal(paged.reader, "dom");
    assert.deepEqual(paged.files, [`${day} Markdown cheat sheet.md`]);
    assert.match(paged.warnings[0], /^ChatGPT's API did not answer \(HTTP 500\), so chatkeep read the chat from the page\. The file has what the page shows: [^.]+\.$/);
    assert.ok(paged.warnings.some((w) => /file name is the day it was saved/.test(w)), paged.warnings.join(" | "));

    // Rate limited: read from the page, and no "wait a minute" on a save that worked.
    server.set({ api: "429", rateLimitCount: Infinity });
    const limited = expectSaved(await call("save", { formats: ["markdown"] }));
    assert.equal(limited.reader, "dom");
    assert.match(limited.warnings[0], /^ChatGPT was limiting requests, so chatkeep read the chat from the page\./);
    assert.ok(!limited.warnings.some((w) => /wait a minute/i.test(w)), limited.warnings.join(" | "));
    server.reset();
  });

  it("on ChatGPT's home page, says to open a conversation first", async () => {
    await openChat("/");
    const outcome = await call("save", { formats: ["markdown"] });
    assert.equal(outcome.ok, false);
    assert.equal(outcome.error.kind, "no_conversation");
    assert.match(outcome.error.message, /^Open a conversation first/);
  });

  it("the shortcut off ChatGPT: the explanation is kept, and the popup says it when opened", async (t) => {
    await page.goto(server.url("/c/" + BASIC)); // a ChatGPT tab to come back to later
    const other = await context.newPage();
    t.after(() => other.close());
    await other.goto("about:blank");
    await other.bringToFront();
    const sw = await worker();
    const outcome = await sw.evaluate(async () => {
      const [tab] = await chrome.tabs.query({ active: true, lastFocusedWindow: true });
      try {
        await globalThis.chatkeep.onCommand("save-chat", tab);
        return { ok: true };
      } catch (e) {
        const title = await chrome.action.getTitle({ tabId: tab.id });
        const badge = await chrome.action.getBadgeText({ tabId: tab.id });
        return { ok: false, kind: e.kind, message: e.message, title, badge };
      }
    });
    assert.equal(outcome.ok, false);
    assert.equal(outcome.kind, "not_chatgpt", outcome.message);
    assert.equal(outcome.badge, "!");
    assert.equal(outcome.title, `chatkeep: ${outcome.message}`);
    const popup = await context.newPage();
    await popup.setViewportSize({ width: 320, height: 480 });
    await popup.goto(ext("popup.html"));
    await popup.waitForFunction(() => document.getElementById("status").textContent.length > 0);
    assert.equal(await popup.locator("#status").textContent(), outcome.message);
    // Shown once.
    assert.deepEqual(await popup.evaluate(() => chrome.storage.session.get("notice")), {});
    await popup.close();
  });

  // --- The note on the chat page ----------------------------------------------------------

  it("the note on the chat page: the title once, short labels, stays until closed, at 1280 and 700 px, light and dark", async (t) => {
    await openChat(`/c/${BASIC}`);
    freshDownloads(t, link);
    /** The note's parts as a person reads them, and its box. */
    const readNote = () => page.evaluate(() => {
      const root = document.getElementById("chatkeep-note")?.shadowRoot;
      const note = root?.querySelector(".note");
      if (!note) return null;
      const r = note.getBoundingClientRect();
      const lineHeight = (e) => parseFloat(getComputedStyle(e).lineHeight);
      const title = root.querySelector(".title");
      return {
        line: root.querySelector(".line").textContent,
        labels: root.querySelector(".labels")?.textContent ?? null,
        title: title?.textContent ?? null,
        titleLines: title ? Math.round(title.getBoundingClientRect().height / lineHeight(title)) : 0,
        theme: root.firstElementChild?.nextElementSibling?.className ?? root.querySelector(".note").parentElement.className,
        show: root.querySelector("button.link")?.textContent ?? null,
        close: root.querySelector("button.close")?.getAttribute("aria-label") ?? null,
        box: { x: r.x, y: r.y, width: r.width, height: r.height },
        viewport: { width: innerWidth, height: innerHeight },
      };
    });
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      for (const scheme of SCHEMES) {
        // The note takes the page's scheme when it is shown: set it first, then save.
        await page.emulateMedia({ colorScheme: scheme });
        expectSaved(await call("save", { formats: ["markdown", "html", "json"] }));
        await page.waitForFunction(() => document.getElementById("chatkeep-note")?.shadowRoot?.querySelector(".note.done"));
        const note = await readNote();
        assert.equal(note.line, "Saved MD · HTML · JSON");
        assert.equal(note.labels, "MD · HTML · JSON");
        assert.equal(note.title, "Markdown cheat sheet", "the chat's title once, not the file names");
        assert.equal(note.titleLines, 1, `${width} px: the title fits on one line`);
        assert.equal(note.theme, scheme);
        assert.equal(note.show, "Show in folder");
        assert.equal(note.close, "Close the chatkeep note");
        // In the corner, whole, and not wider than its text needs.
        const { box: b, viewport: v } = note;
        assert.ok(b.x >= 0 && b.y >= 0 && b.x + b.width <= v.width && b.y + b.height <= v.height, `${width} px: the note is on screen (${JSON.stringify(b)})`);
        assert.ok(v.width - (b.x + b.width) <= 24 && v.height - (b.y + b.height) <= 24, `${width} px: the note sits in the bottom-right corner`);
        assert.ok(b.width <= 28 * 16 + 1, `${width} px: the note is ${b.width} px wide`);
        mkdirSync(SHOTS, { recursive: true });
        await page.screenshot({ path: path.join(SHOTS, `page-note-${width}-${scheme}.png`) });
        if (DOCS_SHOTS && width === 1280 && scheme === "light") await page.screenshot({ path: path.join(ROOT, "docs", "saved-toast.png") });
        // axe looks into the note's open shadow root.
        await checkAccessibility(page, `the page note, ${width} px, ${scheme}`);
      }
    }
    await page.emulateMedia({ colorScheme: "light" });
    await page.setViewportSize({ width: 1280, height: 900 });

    // It stays (the old one went after 4 s) until its close button, or Esc.
    await page.waitForTimeout(4500);
    assert.ok(await readNote(), "the note is still there after 4.5 s");
    await page.locator("#chatkeep-note button.close").click();
    assert.equal(await readNote(), null, "the close button removes it");
    expectSaved(await call("save", { formats: ["markdown"] }));
    await page.waitForFunction(() => document.getElementById("chatkeep-note")?.shadowRoot?.querySelector(".note.done"));
    assert.equal((await readNote()).line, "Saved MD");
    await page.keyboard.press("Escape");
    assert.equal(await readNote(), null, "Esc removes it");

    // "Show in folder" asks the browser to show the file just saved (Chromium's
    // downloads.show answers nothing, Firefox's a promise: both must reply).
    const sw = await worker();
    await sw.evaluate(() => {
      globalThis.__shown = [];
      const show = chrome.downloads.show.bind(chrome.downloads);
      chrome.downloads.show = (id) => {
        globalThis.__shown.push(id);
        return show(id);
      };
    });
    expectSaved(await call("save", { formats: ["markdown"] }));
    await page.waitForFunction(() => document.getElementById("chatkeep-note")?.shadowRoot?.querySelector(".note.done"));
    await page.locator("#chatkeep-note button.link").click();
    await sw.evaluate(() => new Promise((resolve) => {
      const wait = () => (globalThis.__shown.length ? resolve() : setTimeout(wait, 50));
      wait();
    }));
    const [latest] = await sw.evaluate(() => chrome.downloads.search({ orderBy: ["-startTime"], limit: 1 }));
    assert.deepEqual(await sw.evaluate(() => globalThis.__shown), [latest.id], "the note's button shows the file it saved");
    const ext = await context.newPage();
    t.after(() => ext.close());
    await ext.goto(`chrome-extension://${extensionId}/popup.html`);
    const reply = await ext.evaluate((id) => chrome.runtime.sendMessage({ type: "chatkeep/show-download", downloadId: id }), latest.id);
    assert.deepEqual(reply, { ok: true, result: null }, "the background answers the request to show a download");
  });

  // --- The popup --------------------------------------------------------------------------

  it("popup off ChatGPT: one Settings link, screenshots, no serious accessibility issue", async () => {
    const popup = await context.newPage();
    await popup.setViewportSize({ width: 320, height: 420 });
    await popup.goto(ext("popup.html"));
    await popup.waitForFunction(() => !document.getElementById("elsewhere").hidden);
    const links = await popup.locator("a.open-options:visible").count();
    assert.equal(links, 1, "the Settings link appears once");
    await popup.setViewportSize({ width: 320, height: Math.ceil(await popup.evaluate(() => document.documentElement.scrollHeight)) });
    await shoot(popup, "popup-elsewhere", { light: "popup.png" });
    await popup.close();
  });

  // --- The options page -------------------------------------------------------------------

  it("options page: formats, template, Saved in place, reset and undo, time zone", async () => {
    const sw = await worker();
    await sw.evaluate(() => chrome.storage.sync.clear());
    // Settings of an older version: a key no version has now and a value of the wrong type
    // are dropped (by the core's merge, as for a save); the rest is kept.
    await sw.evaluate(() => chrome.storage.sync.set({ options: { filename_template: "{title} (kept)", format: ["json"], timestamps: "yes" } }));
    const opts = await context.newPage();
    await opts.setViewportSize({ width: 1280, height: 900 });
    await opts.goto(ext("options.html"));
    await opts.waitForFunction(() => document.getElementById("template-example").textContent.length > 0);
    const stored = () => sw.evaluate(() => chrome.storage.sync.get(["options", "extension"]));

    assert.equal(await opts.locator("#time-zone-local-desc").textContent(), "Your browser's time zone (now UTC+00:00).");

    // The last format stays ticked, and storage agrees with the page.
    await opts.locator("#format-html").check();
    await opts.locator("#format-markdown").uncheck();
    await opts.locator("#format-html").click();
    assert.equal(await opts.locator("#format-html").isChecked(), true, "the last format cannot be unticked");
    assert.match(await opts.locator("#formats-error").textContent(), /At least one format is needed, so HTML stays ticked\./);
    // "Saved" in the card of the change.
    await opts.waitForFunction(() => document.querySelector("#formats .card-status.visible")?.textContent === "✓ Saved");
    assert.deepEqual((await stored()).options.formats, ["html"]);
    assert.deepEqual(Object.keys((await stored()).options).sort(), ["filename_template", "formats", "utc_offset_minutes"], "the stale keys left storage");
    assert.equal((await stored()).options.filename_template, "{title} (kept)");
    assert.match(await opts.locator("#preview-file-name").textContent(), /\.html$/);

    // The template: the real result of what is typed, the default when empty, chips spaced.
    const template = opts.locator("#template");
    await template.fill("");
    await opts.waitForFunction(() => /^\d{4}-\d{2}-\d{2} .+\.html$/.test(document.getElementById("template-example").textContent));
    assert.match(await opts.locator("#template-error").textContent(), /Empty: the default, \{date\} \{title\}, is used\./);
    await template.fill("{date}");
    await opts.locator('button[data-insert="{title}"]').click();
    assert.equal(await template.inputValue(), "{date} {title}");
    await template.fill("{title}");
    await opts.waitForFunction(() => !/^\d/.test(document.getElementById("template-example").textContent));
    const titleOnly = await opts.locator("#template-example").textContent();
    await opts.waitForFunction(async () => (await chrome.storage.sync.get("options")).options?.filename_template === "{title}");

    // Reset offers undo; undo brings the settings back, stored.
    await opts.locator("#reset").click();
    assert.equal(await template.inputValue(), "{date} {title}");
    assert.equal(await opts.locator("#format-markdown").isChecked(), true);
    await opts.locator("#undo-reset").click();
    assert.equal(await template.inputValue(), "{title}");
    assert.equal(await opts.locator("#format-html").isChecked(), true);
    assert.equal(await opts.locator("#template-example").textContent(), titleOnly);
    await opts.waitForFunction(async () => {
      const { options } = await chrome.storage.sync.get("options");
      return options?.filename_template === "{title}" && options?.formats?.join() === "html";
    });
    await sw.evaluate(() => chrome.storage.sync.clear());
    await opts.close();
  });

  it("options page Privacy: the sample's findings listed and marked in the preview; unticking one keeps it, stored", async () => {
    const sw = await worker();
    await sw.evaluate(() => chrome.storage.sync.clear());
    const opts = await context.newPage();
    await opts.setViewportSize({ width: 1280, height: 900 });
    await opts.goto(ext("options.html"));
    await opts.waitForFunction(() => document.getElementById("preview-file-name").textContent.length > 0);
    assert.equal(await opts.locator("#redact-found").isVisible(), false, "no list while redaction is off");
    assert.ok((await opts.locator("#preview-text").textContent()).includes("ana.lima@example.org"));

    await opts.locator("#redact-enabled").check();
    await opts.waitForFunction(() => document.querySelectorAll('#redact-found-list input[name="redact_allow"]').length === 3);
    const values = await opts.locator("#redact-found-list code").allTextContents();
    assert.deepEqual(values.sort(), ["+44 20 7946 0958", "GB82 WEST 1234 5698 7654 32", "ana.lima@example.org"]);
    assert.equal(await opts.locator("#redact-found-counts").textContent(), "Replaced in the sample: 1 phone, 1 email, 1 iban.");
    const marks = await opts.locator("#preview-text mark").allTextContents();
    assert.ok(marks.includes("[email 1]") && marks.includes("[phone 1]") && marks.includes("[iban 1]"), `marked: ${marks}`);
    assert.ok(!(await opts.locator("#preview-text").textContent()).includes("ana.lima@example.org"));

    // Untick the e-mail: the preview keeps it, the list says so, storage holds it in allow.
    await opts.locator("#redact-found-list li", { hasText: "ana.lima@example.org" }).locator("input").uncheck();
    await opts.waitForFunction(() => document.getElementById("preview-text").textContent.includes("ana.lima@example.org"));
    assert.match(await opts.locator("#redact-found-counts").textContent(), /1 phone, 1 iban; 1 kept\.$/);
    assert.ok(!(await opts.locator("#preview-text mark").allTextContents()).includes("[email 1]"));
    await opts.waitForFunction(async () => {
      const { options } = await chrome.storage.sync.get("options");
      return options?.redact?.enabled === true && options?.redact?.allow?.join() === "ana.lima@example.org";
    });
    // Reloaded, the page shows the stored choice.
    await opts.reload();
    await opts.waitForFunction(() => document.querySelectorAll('#redact-found-list input[name="redact_allow"]').length === 3);
    assert.equal(await opts.locator("#redact-found-list li", { hasText: "ana.lima@example.org" }).locator("input").isChecked(), false);
    await checkAccessibility(opts, "options page with the findings list");
    await sw.evaluate(() => chrome.storage.sync.clear());
    await opts.close();
  });

  it("options page Privacy: leaving out the JSON's original data is ticked by default and stored only when unticked", async () => {
    const sw = await worker();
    await sw.evaluate(() => chrome.storage.sync.clear());
    const opts = await context.newPage();
    await opts.goto(ext("options.html"));
    await opts.waitForFunction(() => document.getElementById("preview-file-name").textContent.length > 0);
    const box = opts.locator("#redact-drop-source");
    await opts.locator("#redact-enabled").check();
    assert.equal(await box.isChecked(), true, "the core's default: left out");
    /** Waits a while (the page saves 400 ms after a change) for the stored `redact` object
     *  to be `want`, then checks it is. */
    const storedRedact = async (/** @type {object} */ want) => {
      const read = () => opts.evaluate(async () => (await chrome.storage.sync.get("options")).options?.redact);
      for (let waited = 0; waited < 5000 && JSON.stringify(await read()) !== JSON.stringify(want); waited += 100) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.deepEqual(await read(), want);
    };
    // Only what differs from the defaults is stored: a later default for `source` applies.
    await storedRedact({ enabled: true });
    await box.uncheck();
    await storedRedact({ enabled: true, source: "redact" });
    await opts.reload();
    await opts.waitForFunction(() => document.getElementById("preview-file-name").textContent.length > 0);
    assert.equal(await box.isChecked(), false, "the stored choice: redacted inside");
    await box.check();
    await storedRedact({ enabled: true });
    await sw.evaluate(() => chrome.storage.sync.clear());
    await opts.close();
  });

  it("options page at 1280 and 700 px: the preview in reach, screenshots, no serious accessibility issue", async () => {
    const opts = await context.newPage();
    for (const width of WIDTHS) {
      await opts.setViewportSize({ width, height: 900 });
      await opts.goto(ext("options.html"));
      await opts.waitForFunction(() => document.getElementById("preview-file-name").textContent.length > 0);
      // Scrolled down to the file names: the preview (or its bar) is still on screen.
      await opts.locator("#template").scrollIntoViewIfNeeded();
      const preview = await box(opts, "#preview");
      assert.ok(preview.y >= 0 && preview.y < 900 - 40, `${width} px: the preview starts at ${preview.y}, off screen`);
      if (width === 700) {
        assert.ok(await opts.locator("#preview-toggle").isVisible(), "700 px: a button opens the preview");
        await shoot(opts, `options-${width}-closed`);
        await opts.locator("#preview-toggle").click();
        const open = await box(opts, "#preview-panel");
        assert.ok(open.height > 250 && open.y + open.height <= 900, `700 px: the open preview shows ${open.height} px`);
      } else {
        assert.equal(await opts.locator("#preview-toggle").isVisible(), false);
        await opts.evaluate(() => scrollTo(0, 0));
      }
      await shoot(opts, `options-${width}`, width === 1280 ? { light: "options.png", dark: "options-dark.png" } : {});
    }
    await opts.close();
  });

  // --- The export page --------------------------------------------------------------------

  it("export page: focus ring, layout at 1280 and 700 px, filters and buttons, preview, screenshots, accessibility", async () => {
    const exp = await context.newPage();
    await exp.setViewportSize({ width: 1280, height: 900 });
    await exp.goto(ext("export.html"));
    // The only control of the empty page shows where the focus is.
    for (let i = 0; i < 4 && (await exp.evaluate(() => document.activeElement?.id)) !== "file-input"; i++) await exp.keyboard.press("Tab");
    const ring = await exp.evaluate(() => ({
      focused: document.activeElement?.id,
      outline: getComputedStyle(document.querySelector('label[for="file-input"]')).outlineStyle,
    }));
    assert.equal(ring.focused, "file-input");
    assert.notEqual(ring.outline, "none", "the focused file input's label shows a ring");
    await checkAccessibility(exp, "export page, empty");

    // A small export: the API fixtures, and a voice reply whose transcript is Markdown.
    const conversations = Object.values(CASES).map((name) => JSON.parse(readFileSync(path.join(ROOT, "tests/fixtures/api", name, "input.json"), "utf8")));
    const voice = conversations.find((c) => JSON.stringify(c).includes('"direction":"out"'));
    assert.ok(voice, "a fixture with a voice reply");
    for (const node of Object.values(voice.mapping)) {
      for (const part of node.message?.content?.parts ?? []) {
        if (part?.content_type === "audio_transcription" && part.direction === "out") part.text = "Yes, it is **still an active** lighthouse.";
      }
    }
    const file = path.join(root, "conversations.json");
    writeFileSync(file, JSON.stringify(conversations));
    await exp.setInputFiles("#file-input", file);
    await exp.waitForFunction(() => document.documentElement.dataset.openSeconds);
    const total = conversations.length;
    assert.equal(await exp.locator("#save-all").textContent(), `Save all ${total}`);

    // The voice reply's Markdown is rendered in the preview.
    await exp.fill("#search", "lighthouse");
    await exp.waitForFunction(() => /match(es)? “lighthouse”/.test(document.getElementById("search-status").textContent));
    const shown = await exp.locator("#list .row").count();
    assert.ok(shown > 0 && shown < total);
    assert.equal(await exp.locator("#save-all").textContent(), `Save the ${shown} shown`);
    await exp.waitForFunction(() => document.documentElement.dataset.previewMatch);
    const preview = await exp.evaluate(() => {
      const doc = document.getElementById("preview-frame").contentDocument;
      const mark = doc.getElementById("chatkeep-first-match");
      const r = mark.getBoundingClientRect();
      return { match: mark.textContent, inView: r.top >= 0 && r.bottom <= doc.documentElement.clientHeight, strong: [...doc.querySelectorAll(".transcription strong")].map((s) => s.textContent) };
    });
    assert.equal(preview.match.toLowerCase(), "lighthouse");
    assert.ok(preview.inView, "the preview scrolled to the first match");
    assert.deepEqual(preview.strong, ["still an active"]);

    // Selected rows hidden by the search are counted.
    await exp.fill("#search", "");
    await exp.waitForFunction((n) => document.getElementById("list-count").textContent === `${n} conversations`, total);
    await exp.locator("#list .row .box").nth(0).click();
    await exp.locator("#list .row .box").nth(1).click();
    await exp.fill("#search", "zqxj-nothing");
    await exp.waitForFunction(() => !document.getElementById("list-empty").hidden);
    assert.equal(await exp.locator("#save-selected").textContent(), "Save 2 selected, 2 not shown");
    // "No conversation matches" once.
    const said = await exp.evaluate(() => [...document.querySelectorAll("body *:not(script)")]
      .filter((e) => e.checkVisibility() && [...e.childNodes].some((n) => n.nodeType === 3 && /No conversation matches/.test(n.data))).length);
    assert.equal(said, 1);
    await exp.fill("#search", "");
    await exp.waitForFunction((n) => document.getElementById("list-count").textContent === `${n} conversations`, total);

    // 1280 px: the filters have room; the saved message moves nothing.
    const room = await exp.evaluate(() => ({
      sort: document.getElementById("sort").getBoundingClientRect().width,
      date: document.getElementById("date-from").getBoundingClientRect().width,
      help: document.getElementById("list-help").getBoundingClientRect().height,
      line: parseFloat(getComputedStyle(document.getElementById("list-help")).lineHeight) || 20,
    }));
    assert.ok(room.sort >= 180 && room.date >= 180, `filters: sort ${room.sort} px, date ${room.date} px`);
    assert.ok(room.help < room.line * 1.8, "the key hints fit on one line");
    await exp.locator("#list .row").nth(0).click();
    const before = await box(exp, "#preview");
    const saved = exp.waitForEvent("download");
    await exp.locator("#save-one").click();
    await (await saved).cancel();
    await exp.waitForFunction(() => /Saved/.test(document.getElementById("save-result").textContent));
    assert.deepEqual(await box(exp, "#preview"), before, "the Saved message moved the preview");
    await shoot(exp, "export-1280");

    // 700 px: a conversation opens over the list; Esc goes back.
    await exp.setViewportSize({ width: 700, height: 900 });
    assert.equal(await exp.locator("#preview").isVisible(), false);
    await exp.locator("#list .row").nth(1).click();
    await exp.waitForFunction(() => document.getElementById("browser").classList.contains("previewing"));
    const over = await box(exp, "#preview");
    assert.ok(over.y < 100 && over.height > 600, `700 px: the preview covers the list (${JSON.stringify(over)})`);
    await shoot(exp, "export-700-preview");
    await exp.keyboard.press("Escape");
    assert.equal(await exp.locator("#preview").isVisible(), false);
    await shoot(exp, "export-700");
    await exp.close();
  });
});
