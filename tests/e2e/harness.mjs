// What both browser test files share: paths, the stand-in's conversations, per-test download
// folders, waiting for downloads, golden files, and reading a save's outcome.

import assert from "node:assert/strict";
import {
  copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync,
  statSync, symlinkSync, unlinkSync, writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  DOM_TOUR_ID, domTour, fixture, katexVisual, LONG_ID, longConversation, plainThread, threadId,
} from "./conversations.mjs";

/** The lengths of the plain threads the page reader's scenarios read. */
export const THREAD_SIZES = [40, 2000];

export const E2E = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(E2E, "../..");
export const DIST = path.join(ROOT, "dist");
export const GOLDEN = path.join(E2E, "golden");
/** Where a file that differs from its golden file is copied, for diffing (git-ignored). */
export const OUT = path.join(E2E, "out");
export const UPDATE_GOLDEN = process.env.UPDATE_GOLDEN === "1";
/** KEEP_DOWNLOADS=1 leaves each test's download folder in place (its path is printed). */
const KEEP_DOWNLOADS = process.env.KEEP_DOWNLOADS === "1";

/** The id of the Firefox add-on (manifest.json browser_specific_settings.gecko.id). */
export const GECKO_ID = "chatkeep@chatkeep.dev";
/** The fixed moz-extension:// UUID the Firefox tests give the add-on. */
export const FIREFOX_UUID = "0c4a7e52-6f1b-4d3e-8a29-c4e7b1d0f5a3";

/**
 * Firefox preferences every suite needs: a fixed moz-extension:// host (so tests can open
 * the extension's pages) and downloads into `downloadDir` without questions.
 */
export function firefoxExtensionPrefs(downloadDir) {
  return {
    "extensions.webextensions.uuids": JSON.stringify({ [GECKO_ID]: FIREFOX_UUID }),
    "browser.download.dir": downloadDir,
    "browser.download.folderList": 2,
    "browser.download.useDownloadDir": true,
    "browser.download.always_ask_before_handling_new_types": false,
    "browser.download.start_downloads_in_tmp_dir": false,
    "browser.download.alwaysOpenPanel": false,
    "browser.download.panel.shown": true,
    "browser.download.manager.addToRecentDocs": false,
  };
}

/** The share id of shared/fixtures/share/chatgpt-share-2026-02.html. */
export const SHARE_ID = "69807432-337c-8003-9975-57b27ce55c6f";

/** API fixture cases by name, with their conversation ids. */
export const CASES = {
  basic: "basic-markdown",
  citations: "citations-2025",
  branches: "branches",
  hostile: "hostile",
  tools: "tools",
};

/** Every conversation the stand-in serves, by id. */
export function allConversations() {
  const map = new Map();
  for (const name of Object.values(CASES)) {
    const c = fixture(name);
    map.set(c.json.conversation_id ?? c.json.id, c);
  }
  map.set(DOM_TOUR_ID, domTour());
  map.set(LONG_ID, longConversation());
  for (const count of THREAD_SIZES) map.set(threadId(count), plainThread(count));
  return map;
}

/** The conversation id of an API fixture case. */
export function caseId(name) {
  const json = JSON.parse(readFileSync(path.join(ROOT, "tests/fixtures/api", name, "input.json"), "utf8"));
  return json.conversation_id ?? json.id;
}

/** Fails early, with what to do, when the extension has not been built. */
export function requireDist(browser) {
  const dir = path.join(DIST, browser);
  if (!existsSync(path.join(dir, "manifest.json"))) {
    throw new Error(`${dir} is missing: build the extension first (./build.sh)`);
  }
  return dir;
}

// ---------------------------------------------------------------------------------------
// Download folders. The browser's download directory is a symlink (`link`) that each test
// points at a fresh folder of its own under os.tmpdir(); browsers resolve it at download
// time, so every test sees exactly its own files, with the names the extension chose.
// ---------------------------------------------------------------------------------------

export function makeDownloadLink(root) {
  const link = path.join(root, "downloads");
  const parking = path.join(root, "downloads-between-tests");
  mkdirSync(parking, { recursive: true });
  symlinkSync(parking, link);
  return link;
}

/** Points `link` at a new empty folder for test `t`; removed when the test ends. */
export function freshDownloads(t, link) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "chatkeep-e2e-dl-"));
  unlinkSync(link);
  symlinkSync(dir, link);
  t.after(() => {
    if (KEEP_DOWNLOADS) {
      t.diagnostic(`downloads kept in ${dir}`);
    } else {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  return dir;
}

/** Every file under `dir`, as paths relative to it with "/" separators, sorted. */
export function listFiles(dir) {
  const out = [];
  const walk = (d, prefix) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name), `${prefix}${e.name}/`);
      else out.push(`${prefix}${e.name}`);
    }
  };
  if (existsSync(dir)) walk(dir, "");
  return out.sort();
}

const PARTIAL = /\.(crdownload|part)$|^\.com\.google\.Chrome\./;

/**
 * Waits until `dir` holds at least `count` finished files and nothing is still being
 * written (Chromium's .crdownload, Firefox's .part), and the listing has been stable for a
 * moment. Returns the file list.
 */
export async function waitForDownloads(dir, count, { timeout = 15000 } = {}) {
  const deadline = Date.now() + timeout;
  let last = "";
  let stableSince = Date.now();
  for (;;) {
    const files = listFiles(dir);
    const sizes = files.map((f) => `${f}:${statSync(path.join(dir, f)).size}`).join("|");
    if (sizes !== last) {
      last = sizes;
      stableSince = Date.now();
    }
    const done = files.filter((f) => !PARTIAL.test(path.basename(f)));
    const partial = files.length - done.length;
    if (done.length >= count && partial === 0 && Date.now() - stableSince >= 300) return done;
    if (Date.now() > deadline) {
      throw new Error(
        `waited ${timeout} ms for ${count} finished download(s) in ${dir}; found: ${files.length ? files.join(", ") : "nothing"}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function readText(dir, name) {
  return readFileSync(path.join(dir, name), "utf8");
}

// ---------------------------------------------------------------------------------------
// Golden files: tests/e2e/golden/<case>/<file name>. UPDATE_GOLDEN=1 rewrites them.
// ---------------------------------------------------------------------------------------

/**
 * Compares the downloaded file `name` in `dir` with golden/<goldenCase>/<goldenName>
 * (`name` unless given: a page read's name carries the day of the save), byte for byte. On
 * a difference, copies the downloaded file to out/<browser>/<goldenCase>/ and fails with
 * the first differing line.
 */
export function checkGolden(browser, goldenCase, dir, name, goldenName = name) {
  const shared = coreGolden(goldenCase);
  const golden = shared ? path.join(shared, goldenName) : path.join(GOLDEN, goldenCase, goldenName);
  const actual = readFileSync(path.join(dir, name));
  if (UPDATE_GOLDEN && !shared) {
    if (!existsSync(golden) || !readFileSync(golden).equals(actual)) {
      mkdirSync(path.dirname(golden), { recursive: true });
      writeFileSync(golden, actual);
    }
    return;
  }
  if (!existsSync(golden)) {
    const saved = keepActual(browser, goldenCase, dir, name);
    assert.fail(
      `no golden file ${path.relative(ROOT, golden)}: the download is in ${path.relative(ROOT, saved)}; ` +
        `if it is right, run the e2e tests with UPDATE_GOLDEN=1 and review the new file`,
    );
  }
  const expected = readFileSync(golden);
  if (expected.equals(actual)) return;
  const saved = keepActual(browser, goldenCase, dir, name);
  const a = actual.toString("utf8").split("\n");
  const e = expected.toString("utf8").split("\n");
  let i = 0;
  while (i < a.length && i < e.length && a[i] === e[i]) i++;
  const clip = (s) => (s === undefined ? "(end of file)" : JSON.stringify(s.length > 200 ? `${s.slice(0, 200)}…` : s));
  assert.fail(
    `${name} differs from ${path.relative(ROOT, golden)} at line ${i + 1}:\n` +
      `  expected: ${clip(e[i])}\n  actual:   ${clip(a[i])}\n` +
      `(${e.length} vs ${a.length} lines; the download is in ${path.relative(ROOT, saved)}; ` +
      `diff them, and if the new output is right run with UPDATE_GOLDEN=1)`,
  );
}

/**
 * The core's golden folder for cases whose downloads must equal the core's own output (the
 * extension adds and loses nothing): `api/<case>` and `share`. Those files are rewritten by
 * the core's `UPDATE_GOLDEN=1 cargo test -p chatkeep-core --test golden`, never from here.
 * Page reads (`dom/<layout>`) have goldens of their own under tests/e2e/golden.
 */
function coreGolden(goldenCase) {
  if (goldenCase.startsWith("api/")) return path.join(ROOT, "tests/fixtures", goldenCase, "expected");
  if (goldenCase === "share") return path.join(ROOT, "tests/fixtures/share/chatgpt-share-2026-02/expected");
  return null;
}

function keepActual(browser, goldenCase, dir, name) {
  const to = path.join(OUT, browser, goldenCase, name);
  mkdirSync(path.dirname(to), { recursive: true });
  copyFileSync(path.join(dir, name), to);
  return to;
}

// ---------------------------------------------------------------------------------------
// Outcomes
// ---------------------------------------------------------------------------------------

/**
 * The outcome of a save as the drivers return it: {ok: true, result: {files, reader,
 * warnings}} or {ok: false, error: {kind, message}}. Fails with the error when it did not
 * succeed.
 */
export function expectSaved(outcome, what = "save") {
  if (!outcome.ok) {
    assert.fail(`${what} failed: [${outcome.error?.kind ?? "no kind"}] ${outcome.error?.message ?? JSON.stringify(outcome.error)}`);
  }
  const r = outcome.result;
  assert.ok(r && Array.isArray(r.files), `${what}: the result has no files array: ${JSON.stringify(r)}`);
  assert.ok(Array.isArray(r.warnings), `${what}: the result has no warnings array: ${JSON.stringify(r)}`);
  return r;
}

/** Fails unless the save was refused with `kind`; returns the error. */
export function expectRefused(outcome, kinds) {
  const list = [].concat(kinds);
  if (outcome.ok) {
    assert.fail(`expected an error of kind ${list.join(" or ")}, but the save succeeded: ${JSON.stringify(outcome.result)}`);
  }
  const { kind, message } = outcome.error ?? {};
  assert.ok(list.includes(kind), `expected kind ${list.join(" or ")}, got [${kind}] ${message}`);
  assertSentence(message);
  return outcome.error;
}

/** A message for the user: one sentence (or two short ones), not a stack or a code. */
export function assertSentence(message) {
  assert.equal(typeof message, "string", "the error has no message");
  const m = message.trim();
  assert.ok(m.length >= 10 && m.length <= 300, `the message should be a sentence: ${JSON.stringify(message)}`);
  assert.ok(!m.includes("\n"), `the message should be one line: ${JSON.stringify(message)}`);
  assert.ok(!/\bat \S+:\d+:\d+|Error: |undefined|\[object /.test(m), `the message looks like a raw error: ${JSON.stringify(message)}`);
}

/** The Markdown's role headings ("## You …", "## ChatGPT …") in order, as "user"/"assistant". */
export function roleHeadings(md) {
  const out = [];
  for (const line of md.split("\n")) {
    const m = line.match(/^## (You|ChatGPT)(?: ·|$)/);
    if (m) out.push(m[1] === "You" ? "user" : "assistant");
  }
  return out;
}

/** Checks that `md` holds all `count` messages of the long conversation, in order, and
 *  names the missing ones when it does not. */
export function checkLongMarkdown(md, count) {
  const missing = [];
  const disordered = [];
  let from = 0;
  for (let n = 1; n <= count / 2; n++) {
    for (const [label, needle] of [[`Q${n}`, `Question ${n}: what is ${n} squared?`], [`A${n}`, `Answer ${n}: ${n} squared is **${n * n}**.`]]) {
      const at = md.indexOf(needle, from);
      if (at >= 0) {
        from = at + needle.length;
      } else if (md.includes(needle)) {
        disordered.push(label);
      } else {
        missing.push(label);
      }
    }
  }
  const list = (xs) => `${xs.slice(0, 20).join(", ")}${xs.length > 20 ? `, … (${xs.length})` : ""}`;
  assert.ok(missing.length === 0, `${missing.length} of ${count} messages are missing: ${list(missing)}`);
  assert.ok(disordered.length === 0, `${disordered.length} messages are out of order: ${list(disordered)}`);
  const roles = roleHeadings(md);
  assert.equal(roles.length, count, `expected ${count} role headings ("## You", "## ChatGPT"), found ${roles.length}`);
  roles.forEach((r, i) => {
    if (r !== (i % 2 === 0 ? "user" : "assistant")) {
      assert.fail(`role heading ${i + 1} is ${r}: prompts and answers should alternate`);
    }
  });
}

/** Runs `check()` on a downloaded file; if it throws, keeps the file in out/<browser>/<label>/. */
export function keepIfFails(browser, label, dir, name, check) {
  try {
    check(readFileSync(path.join(dir, name), "utf8"));
  } catch (e) {
    const saved = keepActual(browser, label, dir, name);
    e.message += ` (the download is in ${path.relative(ROOT, saved)})`;
    throw e;
  }
}

/**
 * What a DOM read of the DOM tour must contain whatever the layout: the formulas (as TeX,
 * once), both code blocks, the table, the cited link, the user's literal text, and all 24
 * messages.
 */
export function checkDomTourMarkdown(md) {
  const roles = roleHeadings(md);
  assert.equal(roles.length, 24, `expected 24 role headings, found ${roles.length}`);
  const must = [
    ["display formula", "$$\nx = \\frac{-b \\pm \\sqrt{b^2 - 4ac}}{2a}\n$$"],
    ["inline formula", "$ax^2 + bx + c = 0$"],
    ["2024 code block (hljs)", "```python\ndef roots(a, b, c):\n    d = (b * b - 4 * a * c) ** 0.5\n"],
    ["CodeMirror code block (no <code>)", "function roots(a, b, c) {\n  const d = Math.sqrt(b * b - 4 * a * c);\n\n  return"],
    ["table", "| Completing the square | always | medium |"],
    ["citation link", "https://en.wikipedia.org/wiki/Quadratic_formula"],
    ["link", "https://www.khanacademy.org/math/algebra/x2f8bb11595b61c86:quadratic-functions-equations"],
    ["ordered list", "1. Substitute each root back."],
    ["blockquote", "> A quick sketch catches most sign errors."],
    ["first answer", "is the **discriminant**"],
    ["last answer", "This is turn **12** of 12."],
  ];
  for (const [what, text] of must) {
    assert.ok(md.includes(text), `the ${what} is missing from the Markdown: ${JSON.stringify(text)}`);
  }
  // The user's words stay literal: Markdown escapes are fine, interpreted HTML or emphasis
  // is not.
  const plain = md
    .replace(/\\([!-/:-@[-`{-~])/g, "$1")
    .replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  for (const line of ["Is 2 < 3 && 5 > 4?", "Keep <b>this</b> and *these stars* literal.", "  Indented line."]) {
    assert.ok(plain.includes(line), `the user's literal text ${JSON.stringify(line)} is missing`);
  }
  assert.ok(!md.includes("<b>this</b>"), "the user's <b>this</b> is left as live HTML in the Markdown");
  assert.ok(!md.includes(" *these stars* "), "the user's *these stars* would render as emphasis");
  // KaTeX's aria-hidden visual copy must not be read as text beside the TeX.
  for (const tex of ["ax^2 + bx + c = 0", "x = \\frac{-b \\pm \\sqrt{b^2 - 4ac}}{2a}", "b^2 - 4ac"]) {
    assert.ok(!md.includes(katexVisual(tex)), `KaTeX's visual copy (katex-html) of ${tex} leaked into the Markdown`);
  }
  // Buttons and screen-reader headings are not content.
  for (const noise of ["You said:", "ChatGPT said:", "Copy code", "Thought for 4s"]) {
    assert.ok(!md.includes(noise), `page chrome leaked into the Markdown: ${JSON.stringify(noise)}`);
  }
}

/** The 1×1 PNG the stand-in serves for every file. */
export function isStandInPng(buf) {
  return buf.length > 8 && buf.subarray(1, 4).toString("latin1") === "PNG";
}
