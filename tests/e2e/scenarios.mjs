// The end-to-end scenarios both browsers run, written once against a small driver:
//
//   driver.name                         "chromium" | "firefox"
//   driver.server                       the stand-in (server.mjs)
//   driver.link                         the download-folder symlink (harness.freshDownloads)
//   await driver.open(path, {loggedIn}) load https://chatgpt.com<path> in the chat tab, then
//                                       log in (session cookie set) or out (cookie removed)
//   await driver.save(options?)         the extension saves the chat tab: resolves
//                                       {ok: true, result} | {ok: false, error: {kind, message}}
//   await driver.setStoredOptions(o)    storage.sync {options: o}; null clears it
//   await driver.evaluate(fn, arg)      fn(arg) in the chat tab's page
//   await driver.press(key)             a key press in the chat tab ("Escape")
//   await driver.setStoredExtension(o)  storage.sync {extension: o}; null clears it
//   await driver.extensionWindow(part)  the extension page that opened (or opens) at a URL
//                                       containing `part`: {evaluate(fn, arg), waitFor(fn),
//                                       closed()} (closed: resolves once it is gone)
//   driver.command?(name), driver.menu?(menuItemId)
//                                       (Chromium only) the keyboard shortcut and the page's
//                                       context menu on the chat tab, as {ok, error}
//
// Chromium calls globalThis.chatkeep.save(tabId, options) in the service worker; Firefox
// sends {type: "chatkeep/save", tabId, options} from an extension page.

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DOM_TOUR_ID, LONG_ID, LONG_MESSAGES, threadId } from "./conversations.mjs";
import {
  caseId, CASES, checkDomTourMarkdown, checkGolden, checkLongMarkdown,
  expectRefused, expectSaved, freshDownloads, isStandInPng, keepIfFails, listFiles, readText, SHARE_ID,
  THREAD_SIZES, waitForDownloads,
} from "./harness.mjs";
import { assertSameFiles, openEncrypted } from "./sevenzip.mjs";

const BASIC = caseId(CASES.basic);
const BASIC_NAME = "2024-12-29 Markdown cheat sheet";
const TOUR_TITLE = "Quadratic equations, a tour";

/**
 * Saves and waits for the files: checks that every file the result lists (`count` of them,
 * when given) landed in the test's folder, beside nothing but assets/…, and returns
 * {result, files, dir} (files: everything in the folder).
 */
export async function saveAndCollect(t, driver, options, { count, timeout } = {}) {
  const dir = freshDownloads(t, driver.link);
  const outcome = await driver.save(options);
  const result = expectSaved(outcome);
  if (count !== undefined) {
    assert.equal(result.files.length, count, `expected ${count} file(s), the result lists ${JSON.stringify(result.files)}`);
  }
  const files = await waitForDownloads(dir, result.files.length, { timeout });
  for (const f of result.files) {
    assert.ok(files.includes(f), `the result lists ${f}, which is not in the download folder (${files.join(", ")})`);
  }
  // Besides the listed files, only the images and files a conversation links (assets/…).
  const extra = files.filter((f) => !result.files.includes(f));
  assert.ok(extra.every((f) => f.startsWith("assets/")), `unexpected files in the download folder: ${extra.join(", ")}`);
  if (result.warnings.length) t.diagnostic(`warnings: ${result.warnings.join(" | ")}`);
  return { result, files, dir };
}

/** Whether `name` is `rest` after the date of a save made just now ("2026-11-29 rest"; the
 *  browsers run in UTC; a save across midnight may carry either day). */
function savedToday(name, rest) {
  const days = [Date.now() - 120_000, Date.now()].map((t) => new Date(t).toISOString().slice(0, 10));
  return days.some((day) => name === `${day} ${rest}`);
}

/** Checks that nothing was downloaded into `dir` within a short while. */
async function assertNoDownloads(dir) {
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(listFiles(dir), [], "a refused save should download nothing");
}

const LAYOUTS = ["2024", "2026", "2026-09"];

/** The stand-in's virtualisation models the page reader must read whole (pages.mjs), with
 *  their window and batch sizes (in page turns) for a thread of `count` messages. Real
 *  threads mount 3–6 turns; the 2,000-message pages mount a little more, to keep the test
 *  quick (the reader's step follows what is mounted). */
const VIRTUAL_MODELS = [
  { model: "grow", layout: "2026", window: () => 12, batch: (count) => (count > 100 ? 40 : 8) },
  { model: "window", layout: "2026-09", window: (count) => (count > 100 ? 16 : 8), batch: (count) => (count > 100 ? 6 : 3) },
  { model: "spacers", layout: "2024", window: (count) => (count > 100 ? 25 : 5), batch: () => 8 },
];

/** The stable beginning of the warning of an incomplete page read (the core's). */
const INCOMPLETE = /^Incomplete:|Incomplete: /;

/** The text of chatkeep's note on the chat page, or null. */
function noteText(d) {
  return d.evaluate(() => {
    const note = document.getElementById("chatkeep-note")?.shadowRoot?.querySelector(".note");
    return note ? note.textContent : null;
  });
}

/** @returns {{name: string, timeout?: number, run: (t, driver) => Promise<void>}[]} */
export function scenarios(browser) {
  const list = [];
  const add = (name, run, timeout = 30000) => list.push({ name, run, timeout });

  // --- The API path, each format, against golden files --------------------------------

  for (const [format, ext] of [["markdown", "md"], ["html", "html"], ["json", "json"]]) {
    add(`API: saves ${format} identical to the golden file`, async (t, d) => {
      await d.open(`/c/${BASIC}`);
      const { result, dir } = await saveAndCollect(t, d, { formats: [format] }, { count: 1 });
      assert.equal(result.reader, "api");
      assert.deepEqual(result.files, [`${BASIC_NAME}.${ext}`]);
      checkGolden(browser, "api/basic-markdown", dir, result.files[0]);
      assert.equal(d.server.apiRequests().length, 1, "one conversation request per save");
      for (const r of d.server.apiRequests()) assert.equal(r.authorization, "Bearer test-token");
    });
  }

  add("API: all three formats in one save (2025 citations)", async (t, d) => {
    await d.open(`/c/${caseId(CASES.citations)}`);
    const { result, dir } = await saveAndCollect(t, d, { formats: ["markdown", "html", "json"] }, { count: 3 });
    assert.equal(result.reader, "api");
    const stem = "2025-06-27 Ada Lovelace overview";
    assert.deepEqual(result.files, [`${stem}.md`, `${stem}.html`, `${stem}.json`]);
    for (const f of result.files) checkGolden(browser, "api/citations-2025", dir, f);
  });

  add("API: every branch with {branches: 'all'}", async (t, d) => {
    await d.open(`/c/${caseId(CASES.branches)}`);
    const { result, dir } = await saveAndCollect(t, d, { formats: ["markdown"], branches: "all" }, { count: 1 });
    assert.equal(result.reader, "api");
    assert.deepEqual(result.files, ["2025-01-06 Naming a grey cat.md"]);
    checkGolden(browser, "api/branches", dir, result.files[0]);
  });

  add("API: hostile title and content (safe file name, escaped HTML)", async (t, d) => {
    await d.open(`/c/${caseId(CASES.hostile)}`);
    const { result, dir } = await saveAndCollect(t, d, { formats: ["markdown", "html"] }, { count: 2 });
    const stem = "2025-01-27 _script_alert('t')__script_ & _quotes__ yes second line";
    assert.deepEqual(result.files, [`${stem}.md`, `${stem}.html`]);
    for (const f of result.files) checkGolden(browser, "api/hostile", dir, f);
    assert.ok(!/<script/i.test(readText(dir, `${stem}.html`)), "the HTML output carries a <script> element");
  });

  add("API: images are fetched through the files API and linked", async (t, d) => {
    await d.open(`/c/${caseId(CASES.tools)}`);
    const { result, dir, files } = await saveAndCollect(t, d, { formats: ["markdown"] });
    const md = files.find((f) => f.endsWith(".md"));
    assert.ok(md, `no Markdown file among ${files.join(", ")}`);
    assert.equal(md, "2025-03-20 Tools tour_ images, code, canvas.md");
    const text = readText(dir, md);
    // Every image the Markdown links to a local file must have been downloaded, and be the
    // PNG the stand-in served for it.
    const links = [...text.matchAll(/!\[[^\]]*\]\(<?([^)>\s]+)>?\)/g)]
      .map((m) => m[1].split("/").map(decodeURIComponent).join("/"))
      .filter((href) => !/^[a-z]+:/i.test(href));
    t.diagnostic(`${links.length} local image link(s); files API requests: ${d.server.requests.filter((r) => r.path.startsWith("/backend-api/files/download/")).length}`);
    assert.ok(links.length > 0, "the Markdown links no downloaded image (the tools conversation has five)");
    for (const href of links) {
      assert.ok(files.includes(href), `the Markdown links ${href}, which was not downloaded (files: ${files.join(", ")})`);
      assert.ok(isStandInPng(readFileSync(path.join(dir, href))), `${href} is not the PNG the stand-in served`);
    }
    assert.equal(result.reader, "api");
  });

  add("encrypted save: one AES-256 ZIP that 7z opens with the password only, holding the plain save's files", async (t, d) => {
    await d.open(`/c/${caseId(CASES.tools)}`);
    const formats = ["markdown", "html"];
    const plain = await saveAndCollect(t, d, { formats });
    const dir = freshDownloads(t, d.link);
    const short = expectRefused(await d.save({ formats, password: "short" }), "options");
    assert.match(short.message, /at least 8 characters/);
    await assertNoDownloads(dir);
    const password = "otter-4-lemon-7-quartz-2-ember";
    const { files, dir: saved } = await saveAndCollect(t, d, { formats, password }, { count: 1 });
    assert.deepEqual(files, ["2025-03-20 Tools tour_ images, code, canvas.zip"]);
    const into = mkdtempSync(path.join(os.tmpdir(), "chatkeep-encrypted-"));
    try {
      const inside = openEncrypted(path.join(saved, files[0]), password, path.join(into, "x"));
      assert.deepEqual(inside, listFiles(plain.dir), "the ZIP holds what the plain save downloads");
      assert.ok(inside.some((f) => f.startsWith("assets/")), `no image in the ZIP: ${inside.join(", ")}`);
      assertSameFiles(path.join(into, "x"), plain.dir, inside);
    } finally {
      rmSync(into, { recursive: true, force: true });
    }
  }, 60000);

  add("encrypt every save: a save without a password opens the password window, whose dialog hints, suggests, refuses, cancels, then completes that save", async (t, d) => {
    await d.open(`/c/${BASIC}`);
    await d.setStoredExtension({ encrypt: true });
    t.after(() => d.setStoredExtension(null));
    const dir = freshDownloads(t, d.link);
    const dialog = "dialog.password-dialog[open]";
    const openDialog = (w) => w.waitFor((sel) => !!document.querySelector(sel), dialog);
    /** Fills the dialog's fields (as typing does: input events) and reads what it shows. */
    const fill = (w, password, confirm) =>
      w.evaluate(
        ({ sel, password, confirm }) => {
          for (const [end, value] of [["-password", password], ["-confirm", confirm]]) {
            if (value === undefined) continue;
            const input = document.querySelector(`${sel} input[id$="${end}"]`);
            input.value = value;
            input.dispatchEvent(new Event("input", { bubbles: true }));
          }
          return { strength: document.querySelector(`${sel} .password-strength`).textContent };
        },
        { sel: dialog, password, confirm },
      );
    const click = (w, text) =>
      w.evaluate(({ sel, text }) => [...document.querySelectorAll(`${sel} button`)].find((b) => b.textContent === text).click(), { sel: dialog, text });

    // The shortcut (Chromium; Firefox's driver saves as a menu does, without a password):
    // refused here, handed to a window that asks. Cancel closes it; nothing is written.
    const first = d.command ? await d.command("save-chat") : await d.save();
    expectRefused(first, "password_asked");
    const cancelled = await d.extensionWindow("popup.html?tab=");
    await openDialog(cancelled);
    assert.match(await cancelled.evaluate(() => document.getElementById("chat-title").textContent), /encrypted/);
    await click(cancelled, "Cancel");
    await cancelled.closed();
    await assertNoDownloads(dir);

    // The menu's "in all three formats": the same save, completed in the window.
    const second = d.menu ? await d.menu("save-all") : await d.save({ formats: ["markdown", "html", "json"] });
    expectRefused(second, "password_asked");
    const w = await d.extensionWindow("popup.html?tab=");
    await openDialog(w);
    assert.equal((await fill(w, "abc")).strength, "Too short: use at least 8 characters.");
    await click(w, "Suggest a passphrase");
    const offered = await w.evaluate((sel) => {
      const [p, c] = ["-password", "-confirm"].map((e) => document.querySelector(`${sel} input[id$="${e}"]`));
      return { password: p.value, confirm: c.value, shown: p.type, strength: document.querySelector(`${sel} .password-strength`).dataset.strength };
    }, dialog);
    assert.match(offered.password, /^[a-z]+(-\d-[a-z]+){5}$/, "six words the core chose");
    assert.deepEqual([offered.confirm, offered.shown, offered.strength], [offered.password, "text", "strong"], "filled in twice, shown, rated strong");
    const password = "marble-5-harbor-2-violet-8-cinder";
    await fill(w, password, `${password}x`);
    await click(w, "Save encrypted");
    const refused = await w.evaluate((sel) => ({ open: !!document.querySelector(sel), problem: document.querySelector(`${sel} .password-problem`).textContent }), dialog);
    assert.deepEqual(refused, { open: true, problem: "The two passwords differ: type the same one twice." });
    await assertNoDownloads(dir);
    await fill(w, undefined, password);
    await click(w, "Save encrypted");
    const [zip] = await waitForDownloads(dir, 1);
    assert.equal(zip, `${BASIC_NAME}.zip`);
    await w.closed();
    const into = mkdtempSync(path.join(os.tmpdir(), "chatkeep-asked-"));
    try {
      const inside = openEncrypted(path.join(dir, zip), password, path.join(into, "x"));
      assert.deepEqual(inside, ["html", "json", "md"].map((e) => `${BASIC_NAME}.${e}`));
      for (const f of inside) checkGolden(browser, "api/basic-markdown", path.join(into, "x"), f);
    } finally {
      rmSync(into, { recursive: true, force: true });
    }
  }, 60000);

  // --- The page path -------------------------------------------------------------------

  for (const layout of LAYOUTS) {
    add(`API down: falls back to the page (${layout} layout) and keeps everything`, async (t, d) => {
      d.server.set({ api: "down", layout });
      await d.open(`/c/${DOM_TOUR_ID}`);
      const { result, dir, files } = await saveAndCollect(t, d, { formats: ["markdown"] }, { count: 1, timeout: 20000 });
      assert.equal(result.reader, "dom", "the result should say the page was read");
      // Named by the template like an API save; the page shows no dates: the day of the save.
      assert.ok(savedToday(files[0], `${TOUR_TITLE}.md`), `unexpected file name ${files[0]}`);
      keepIfFails(browser, `dom/${layout}`, dir, files[0], checkDomTourMarkdown);
      checkGolden(browser, `dom/${layout}`, dir, files[0], `${TOUR_TITLE}.md`);
    }, 60000);
  }

  add("reader 'dom' forced: reads the page without calling the API (2026 layout)", async (t, d) => {
    d.server.set({ layout: "2026" });
    await d.open(`/c/${DOM_TOUR_ID}`);
    const { result, dir, files } = await saveAndCollect(t, d, { formats: ["markdown"], reader: "dom" }, { count: 1 });
    assert.equal(result.reader, "dom");
    assert.equal(d.server.apiRequests().length, 0, "reader 'dom' should not call the conversation API");
    keepIfFails(browser, "dom-forced", dir, files[0], checkDomTourMarkdown);
  }, 60000);

  // --- Refusals ------------------------------------------------------------------------

  add("logged out: refuses with kind 'logged_out' and says to log in", async (t, d) => {
    await d.open(`/c/${BASIC}`, { loggedIn: false });
    const dir = freshDownloads(t, d.link);
    const error = expectRefused(await d.save({ formats: ["markdown"] }), "logged_out");
    assert.match(error.message, /Log in to ChatGPT, then try again/);
    await assertNoDownloads(dir);
  });

  add("no conversation open (the ChatGPT home page): refuses with kind 'no_conversation'", async (t, d) => {
    await d.open("/");
    const dir = freshDownloads(t, d.link);
    expectRefused(await d.save({ formats: ["markdown"] }), "no_conversation");
    await assertNoDownloads(dir);
  });

  add("429 once with Retry-After: 1: waits, retries the API and saves", async (t, d) => {
    d.server.set({ api: "429", rateLimitCount: 1 });
    await d.open(`/c/${BASIC}`);
    const dir = freshDownloads(t, d.link);
    const r = expectSaved(await d.save({ formats: ["markdown"] }));
    assert.equal(r.reader, "api", "after a short 429 the extension retries the API, not the page");
    const api = d.server.apiRequests();
    assert.equal(api.length, 2, `one request, then one retry: ${api.length} requests`);
    const wait = api[1].time - api[0].time;
    assert.ok(wait >= 900, `retried after ${wait} ms, before Retry-After (1 s) had passed`);
    const files = await waitForDownloads(dir, r.files.length);
    assert.deepEqual(files, [`${BASIC_NAME}.md`]);
    checkGolden(browser, "api/basic-markdown", dir, files[0]);
  });

  add("429 every time: one retry, then reads the page and says why", async (t, d) => {
    d.server.set({ api: "429", rateLimitCount: Infinity });
    await d.open(`/c/${BASIC}`);
    const dir = freshDownloads(t, d.link);
    const r = expectSaved(await d.save({ formats: ["markdown"] }));
    assert.equal(r.reader, "dom", `the API never answered, yet the result says reader ${r.reader}`);
    assert.match(r.warnings[0], /^ChatGPT was limiting requests, so chatkeep read the chat from the page\./);
    const files = await waitForDownloads(dir, r.files.length);
    assert.equal(files.length, 1);
    assert.ok(savedToday(files[0], "Markdown cheat sheet.md"), files[0]);
    assert.equal(d.server.apiRequests().length, 2, "a persistent 429 is asked once more, not hammered");
  }, 60000);

  // --- Long conversations --------------------------------------------------------------

  add(`${LONG_MESSAGES} messages through the API: all present`, async (t, d) => {
    await d.open(`/c/${LONG_ID}`);
    const { result, dir } = await saveAndCollect(t, d, { formats: ["markdown"] }, { count: 1 });
    assert.equal(result.reader, "api");
    assert.deepEqual(result.files, ["2025-01-01 Two thousand messages.md"]);
    keepIfFails(browser, "long-api", dir, result.files[0], (md) => checkLongMarkdown(md, LONG_MESSAGES));
  }, 60000);

  // The page reader at 2,000 messages: see the virtualised threads below.

  // --- The page reader on every kind of virtualised thread -----------------------------
  // The API is down, so the page is read. Each model at 40 and 2,000 messages, in the
  // layout that makes it hardest: the thread that grows at the top in sections, the fixed
  // window that evicts (no spacer, the height never changes) in the column-reverse
  // scroller of September 2026, the spacers in articles.

  for (const { model, layout, window, batch } of VIRTUAL_MODELS) {
    for (const count of THREAD_SIZES) {
      add(`page reader, ${model} model (${layout} layout), ${count} messages: every message saved, in order`, async (t, d) => {
        d.server.set({ api: "down", layout, virtual: model, window: window(count), batch: batch(count) });
        await d.open(`/c/${threadId(count)}`);
        const start = Date.now();
        const { result, dir, files } = await saveAndCollect(t, d, { formats: ["markdown"] }, { count: 1, timeout: 60000 });
        t.diagnostic(`page read and saved in ${Date.now() - start} ms`);
        assert.equal(result.reader, "dom");
        keepIfFails(browser, `virtual-${model}-${count}`, dir, files[0], (md) => checkLongMarkdown(md, count));
        assert.ok(!result.warnings.some((w) => INCOMPLETE.test(w)), `a complete read says it is incomplete: ${result.warnings.join(" | ")}`);
        assert.doesNotMatch(readText(dir, files[0]), INCOMPLETE);
        const note = await noteText(d);
        assert.match(note ?? "", /^Saved MD/, "the note on the page after the save: 'Saved', then the format");
        assert.ok(note.includes(`A thread of ${count} messages`) && !note.includes(".md"), `the note names the chat once, not its files: ${note}`);
        if (count < 100) {
          // The note stays until dismissed (Esc, or its close button).
          await d.press("Escape");
          assert.equal(await noteText(d), null, "Esc should close the note");
        }
      }, 120000);
    }
  }

  add("page reader: older turns that arrive 1.5 s late are waited for", async (t, d) => {
    d.server.set({ api: "down", layout: "2026", virtual: "grow", window: 10, batch: 10, lateMs: 1500 });
    await d.open(`/c/${threadId(40)}`);
    const { result, dir, files } = await saveAndCollect(t, d, { formats: ["markdown"] }, { count: 1, timeout: 60000 });
    assert.equal(result.reader, "dom");
    keepIfFails(browser, "virtual-late", dir, files[0], (md) => checkLongMarkdown(md, 40));
    assert.ok(!result.warnings.some((w) => INCOMPLETE.test(w)), result.warnings.join(" | "));
  }, 60000);

  add("page reader: first turns that never load → saved, and the file and the note say so", async (t, d) => {
    d.server.set({ api: "down", layout: "2024", virtual: "grow", window: 10, batch: 8, unreachable: 12 });
    await d.open(`/c/${threadId(40)}`);
    const { result, dir, files } = await saveAndCollect(t, d, { formats: ["markdown", "html", "json"] }, { count: 3, timeout: 60000 });
    assert.equal(result.reader, "dom");
    const warning = result.warnings.find((w) => INCOMPLETE.test(w));
    assert.ok(warning, `no warning says the read is incomplete: ${result.warnings.join(" | ")}`);
    assert.match(warning, /the first 12 turns could not be read/);
    const [md, html, json] = result.files.map((f) => readText(dir, f));
    assert.match(md, /the first 12 turns could not be read/, "the Markdown file does not say what is missing");
    assert.match(html, /the first 12 turns could not be read/, "the HTML file does not say what is missing");
    assert.ok(
      JSON.parse(json).warnings.some((w) => w.kind === "incomplete" && w.message === warning),
      "the JSON file's warnings lack the incomplete read (kind incomplete)",
    );
    // What was read is there, in order: messages 13 to 40.
    assert.ok(!md.includes("Question 6: what is 6 squared?"), "a turn the page never showed is in the file");
    assert.ok(md.indexOf("Answer 7: 7 squared") < md.indexOf("Question 20: what is 20 squared?"));
    assert.match(await noteText(d), /the first 12 turns could not be read/, "the note on the page does not say what is missing");
  }, 60000);

  add("page reader: progress on the page during a long capture, and Esc cancels it (nothing saved)", async (t, d) => {
    d.server.set({ api: "down", layout: "2026", virtual: "spacers" });
    await d.open(`/c/${threadId(2000)}`);
    const dir = freshDownloads(t, d.link);
    const saving = d.save({ formats: ["markdown"] });
    let progress = null;
    for (let i = 0; i < 200 && !progress; i++) {
      const text = await noteText(d);
      if (/[1-9][\d,]* of about 2,000 messages/.test(text ?? "")) progress = text;
      else await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(progress, "no progress note ('Reading the page… N of about 2,000 messages') appeared");
    assert.match(progress, /Reading the page… [\d,]+ of about 2,000 messages/);
    assert.match(progress, /Esc/);
    await d.press("Escape");
    const error = expectRefused(await saving, "cancelled");
    assert.match(error.message, /cancel/i);
    assert.match(await noteText(d), /cancel/i, "the note should say the capture was cancelled");
    await assertNoDownloads(dir);
  }, 60000);

  // --- Share pages ---------------------------------------------------------------------

  add("share page: read from the page's own data", async (t, d) => {
    await d.open(`/share/${SHARE_ID}`);
    const { result, dir } = await saveAndCollect(t, d, { formats: ["markdown"] }, { count: 1 });
    assert.equal(result.reader, "share");
    assert.deepEqual(result.files, ["2026-02-02 今天重大新闻概览.md"]);
    checkGolden(browser, "share", dir, result.files[0]);
  });

  // --- Settings ------------------------------------------------------------------------

  add("toolbar button: save(tabId) with no options and no settings writes Markdown from the API", async (t, d) => {
    await d.setStoredOptions(null);
    await d.open(`/c/${BASIC}`);
    const { result, dir } = await saveAndCollect(t, d, undefined, { count: 1 });
    assert.equal(result.reader, "api", `the default save read the ${result.reader} (warnings: ${result.warnings.join(" | ")})`);
    assert.deepEqual(result.files, [`${BASIC_NAME}.md`]);
    checkGolden(browser, "api/basic-markdown", dir, result.files[0]);
  });

  add("options in storage.sync are the defaults of a save without options", async (t, d) => {
    await d.setStoredOptions({ formats: ["html"] });
    t.after(() => d.setStoredOptions(null));
    await d.open(`/c/${BASIC}`);
    const { result, dir } = await saveAndCollect(t, d, undefined, { count: 1 });
    assert.deepEqual(result.files, [`${BASIC_NAME}.html`], "the stored formats: ['html'] were not used");
    checkGolden(browser, "api/basic-markdown", dir, result.files[0]);
  });

  add("redaction in the stored options reaches the save: the title, the file name and the text; the JSON's source is left out unless kept", async (t, d) => {
    await d.setStoredOptions({ formats: ["markdown", "json"], redact: { enabled: true, terms: ["cheat sheet"] } });
    t.after(() => d.setStoredOptions(null));
    await d.open(`/c/${BASIC}`);
    const { result, dir } = await saveAndCollect(t, d, undefined, { count: 2 });
    assert.deepEqual(result.files.sort(), ["2024-12-29 Markdown [name 1].json", "2024-12-29 Markdown [name 1].md"]);
    const md = readText(dir, "2024-12-29 Markdown [name 1].md");
    assert.ok(!/cheat sheet/i.test(md), "the term is gone from the Markdown");
    assert.match(md, /^redacted: \{name: 1\}$/m);
    assert.match(md, /^\*Redacted by chatkeep: 1 name\.\*$/m);
    const json = JSON.parse(readText(dir, "2024-12-29 Markdown [name 1].json"));
    assert.deepEqual(json.redaction, { counts: { name: 1 }, source: "dropped", files_dropped: 0 });
    assert.equal(json.source, null, "a redacted JSON leaves its source out by default");
    // Asked to redact inside it (the options page's box unticked): kept, the term replaced.
    await d.setStoredOptions({ formats: ["json"], redact: { enabled: true, terms: ["cheat sheet"], source: "redact" } });
    const kept = await saveAndCollect(t, d, undefined, { count: 1 });
    const keptJson = JSON.parse(readText(kept.dir, "2024-12-29 Markdown [name 1].json"));
    assert.deepEqual(keptJson.redaction, { counts: { name: 1 }, source: "redacted", files_dropped: 0 });
    const source = JSON.stringify(keptJson.source);
    assert.ok(keptJson.source !== null && source.includes("[name 1]"), "the source is kept, redacted inside");
    assert.ok(!/cheat sheet/i.test(source), "the term is gone from the JSON's source");
  });

  add("Copy as Markdown (redacted): the text handed to the clipboard has placeholders, even with redaction off for saves", async (t, d) => {
    // Redaction is off for saves; the words (one of them in a user message) are in the settings.
    await d.setStoredOptions({ redact: { enabled: false, terms: ["cheat sheet", "Thanks"] } });
    t.after(() => d.setStoredOptions(null));
    await d.open(`/c/${BASIC}`);
    const text = (outcome, what) => {
      if (!outcome.ok) assert.fail(`${what} failed: [${outcome.error?.kind}] ${outcome.error?.message}`);
      assert.equal(typeof outcome.result?.text, "string", `${what}: no text in ${JSON.stringify(outcome.result)}`);
      return outcome.result.text;
    };
    const plain = text(await d.copy({}), "copy");
    assert.match(plain, /cheat sheet/, "the plain copy keeps the words");
    assert.match(plain, /^Thanks!/m);
    const copied = text(await d.copy({ redacted: true }), "copy (redacted)");
    assert.ok(!/cheat sheet|thanks/i.test(copied), `a word is left in the redacted copy: ${copied.slice(0, 400)}`);
    assert.match(copied, /^# Markdown \\\[name 1\\\]$/m, "the title's placeholder");
    assert.match(copied, /^\[name 2\]!/m, "the user message's placeholder");
    assert.match(copied, /^redacted: \{name: 2\}$/m);
  });

  return list;
}

