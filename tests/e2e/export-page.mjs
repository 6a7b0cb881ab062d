// The export-file page (extension/export.html) end to end, shared by
// export-page-chromium.test.mjs and export-page-firefox.test.mjs (one file per browser, so
// that `node --test` runs the two at once): the real 491-conversation export
// (../shared/fixtures/export/chatgpt-export-2026-01.zip) and the small fixtures of
// tests/fixtures/export, opened in the built extension (dist/chromium in Chromium through
// Playwright; dist/firefox in Firefox ESR through Puppeteer), listed, searched, previewed
// and saved. The saved ZIPs are checked entry by entry (python3's zipfile reads them).
//
// EXPORT_PAGE_SHOTS=1 also writes docs/export-page.png (list + preview, light) and
// tests/e2e/out/export-page-dark.png.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { OUT, ROOT } from "./harness.mjs";
import { assertSameFiles, openEncrypted } from "./sevenzip.mjs";

export const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
export const FIREFOX = process.env.FIREFOX_BIN ?? "/usr/bin/firefox-esr";
export const REAL_EXPORT = path.resolve(ROOT, "../shared/fixtures/export/chatgpt-export-2026-01.zip");
const REAL_COUNT = 491;
const FIXTURES = path.join(ROOT, "tests/fixtures/export");
export const SHOTS = process.env.EXPORT_PAGE_SHOTS === "1";

/**
 * Entry names of a ZIP file, via python3's zipfile, after checking every entry's CRC and
 * that text files are deflated while images are stored.
 */
function zipEntries(file) {
  const out = execFileSync("python3", ["-c", `
import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
bad = z.testzip()
wrong = [i.filename for i in z.infolist()
         if i.compress_type != (zipfile.ZIP_STORED if i.filename.endswith(".png") else zipfile.ZIP_DEFLATED)]
print(json.dumps({"bad": bad, "wrong": wrong, "names": z.namelist()}))
`, file]);
  const { bad, wrong, names } = JSON.parse(out.toString());
  assert.equal(bad, null, `${file}: entry ${bad} has a bad CRC`);
  assert.deepEqual(wrong, [], `${file}: text entries deflated, PNG stored`);
  return names;
}

function zipText(file, name) {
  return execFileSync("python3", ["-c", "import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))", file, name]).toString("utf8");
}

/** A ZIP of the files of `dir` (python3's zipfile, deflated). */
function zipFolder(dir, to) {
  execFileSync("python3", ["-c", `
import os, sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
    for root, _, files in os.walk(src):
        for f in sorted(files):
            p = os.path.join(root, f)
            z.write(p, os.path.relpath(p, src))
`, dir, to]);
}

// ---------------------------------------------------------------------------------------
// What both browsers run, through a small driver: {goto(), setFile(path), eval(fn, arg),
// click(sel), press(key), type(sel, text), download(action) → {name, path}, saveAll(action)
// → {name, path}: a ZIP saved with "Save all" (Chromium: into the file chosen in its save
// picker, here a stand-in picker that gives a file of the private file system; Firefox,
// which has no picker: downloaded)}.
// ---------------------------------------------------------------------------------------

async function openFile(d, file, { rows }) {
  await d.setFile(file);
  await d.waitFor(() => document.documentElement.dataset.openSeconds || !document.getElementById("open-error").hidden, 180000);
  const state = await d.eval(() => ({
    error: document.getElementById("open-error").hidden ? null : document.getElementById("open-error").textContent,
    count: document.getElementById("list-count").textContent,
    seconds: Number(document.documentElement.dataset.openSeconds),
    rowsInDom: document.querySelectorAll("#list .row").length,
    spacer: document.getElementById("list-spacer").style.height,
  }));
  assert.equal(state.error, null, `the page did not open ${path.basename(file)}: ${state.error}`);
  assert.equal(state.count, `${rows} conversation${rows === 1 ? "" : "s"}`);
  return state;
}

export async function checkRealExport(d, t) {
  const opened = await openFile(d, REAL_EXPORT, { rows: REAL_COUNT });
  t.diagnostic(`${d.name}: opened the real export (${REAL_COUNT} conversations, 17 MB ZIP, 88 MB JSON) in ${opened.seconds.toFixed(2)} s`);
  // Virtualized: only the visible rows (and a few more) exist.
  assert.ok(opened.rowsInDom > 0 && opened.rowsInDom < 60, `${opened.rowsInDom} rows in the DOM`);
  assert.equal(opened.spacer, `${REAL_COUNT * 64}px`);

  // The first conversation is previewed in a sandboxed iframe.
  await d.waitFor(() => !document.getElementById("preview-frame").hidden && document.getElementById("preview-frame").srcdoc.length > 100, 30000);
  const preview = await d.eval(() => {
    const f = document.getElementById("preview-frame");
    return { sandbox: f.getAttribute("sandbox"), title: document.getElementById("preview-title").textContent, html: f.srcdoc.slice(0, 400) };
  });
  // No scripts in the preview; same origin only for marking the search's first match.
  assert.equal(preview.sandbox, "allow-same-origin");
  assert.match(preview.html, /^<!DOCTYPE html>/i);

  // Keyboard: ↓ moves and previews, Space selects.
  await d.focus("#list");
  await d.press("ArrowDown");
  await d.press("ArrowDown");
  await d.press(" ");
  await d.waitFor(() => document.querySelector("#list .row.active")?.getAttribute("aria-posinset") === "3", 5000);
  const keyboard = await d.eval(() => ({
    active: document.getElementById("list").getAttribute("aria-activedescendant"),
    selected: document.getElementById("selection-count").textContent,
    activeSelected: document.querySelector("#list .row.active").getAttribute("aria-selected"),
  }));
  assert.equal(keyboard.selected, "1 selected");
  assert.equal(keyboard.activeSelected, "true");
  assert.match(keyboard.active, /^row-\d+$/);
  const activeTitle = await d.eval(() => document.querySelector("#list .row.active .title").textContent);
  await d.waitFor((title) => document.getElementById("preview-title").textContent === title, 10000, activeTitle);

  // Scrolling far renders other rows, still few of them.
  await d.eval(() => {
    const list = document.getElementById("list");
    list.scrollTop = list.scrollHeight / 2;
    list.dispatchEvent(new Event("scroll"));
  });
  await d.waitFor(() => [...document.querySelectorAll("#list .row")].some((r) => Number(r.getAttribute("aria-posinset")) > 200), 5000);

  // Full-text search: in titles and message text, matches highlighted.
  await d.type("#search", "python");
  await d.waitFor(() => /match(es)? “python”/.test(document.getElementById("search-status").textContent), 20000);
  const search = await d.eval(() => ({
    status: document.getElementById("search-status").textContent,
    count: document.getElementById("list-count").textContent,
    marks: document.querySelectorAll("#list .row mark").length,
    firstMark: document.querySelector("#list .row mark")?.textContent,
  }));
  const matches = Number(/^([\d,]+) conversations? match/.exec(search.status)?.[1].replace(/,/g, ""));
  assert.ok(matches > 0 && matches < REAL_COUNT, search.status);
  assert.equal(search.count, `${matches} of ${REAL_COUNT} conversations`);
  assert.ok(search.marks > 0, "matches are highlighted");
  assert.equal(search.firstMark.toLowerCase(), "python");

  // A search nothing matches, then back to everything.
  await d.type("#search", "zqxjkv-nothing-has-this");
  await d.waitFor(() => /^No conversation matches “zqxjkv-nothing-has-this”\.$/.test(document.getElementById("list-empty").textContent) && !document.getElementById("list-empty").hidden, 20000);
  assert.equal(await d.eval(() => document.getElementById("search-status").hidden), true, "the empty list says it once");
  await d.type("#search", "");
  await d.waitFor(() => document.getElementById("list-count").textContent === "491 conversations", 10000);

  // Date range: only January 2026.
  await d.eval(() => {
    for (const [id, v] of [["date-from", "2026-01-01"], ["date-to", "2026-01-31"]]) {
      const input = document.getElementById(id);
      input.value = v;
      input.dispatchEvent(new Event("change"));
    }
  });
  const ranged = await d.eval(() => document.getElementById("list-count").textContent);
  const inRange = Number(/^([\d,]+) of/.exec(ranged)?.[1].replace(/,/g, ""));
  assert.ok(inRange > 0 && inRange < REAL_COUNT, ranged);
  await d.eval(() => {
    for (const id of ["date-from", "date-to"]) {
      const input = document.getElementById(id);
      input.value = "";
      input.dispatchEvent(new Event("change"));
    }
  });

  // Save one: one Markdown file (images embedded), named like the conversation.
  await d.eval(() => {
    for (const i of document.querySelectorAll('input[name="format"]')) i.checked = i.value === "markdown";
  });
  const one = await d.download(() => d.click("#save-one"));
  assert.match(one.name, /^\d{4}-\d{2}-\d{2} .+\.md$/);
  const md = readFileSync(one.path, "utf8");
  assert.match(md, /^---\ntitle: /);

  // Save all, in all three formats: one ZIP.
  await d.eval(() => {
    for (const i of document.querySelectorAll('input[name="format"]')) i.checked = true;
  });
  const started = Date.now();
  const all = await d.saveAll(() => d.click("#save-all"), 600000);
  t.diagnostic(`${d.name}: saved all ${REAL_COUNT} conversations × 3 formats in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const names = zipEntries(all.path);
  for (const ext of ["md", "html", "json"]) {
    const n = names.filter((x) => !x.includes("/") && x.endsWith(`.${ext}`) && !x.startsWith("index.")).length;
    assert.equal(n, REAL_COUNT, `${n} .${ext} files in the ZIP`);
  }
  assert.ok(names.includes("index.md") && names.includes("index.html"));
  assert.equal(new Set(names.map((n) => n.toLowerCase())).size, names.length, "names are unique");
  const indexMd = zipText(all.path, "index.md");
  assert.equal(indexMd.split("\n").filter((l) => /^\| \d{4}-/.test(l)).length, REAL_COUNT);
  const result = await d.eval(() => document.getElementById("save-result").textContent);
  assert.match(result, /Saved 491 conversations/);
}

export async function checkSmallExports(d, t, tmp) {
  // The split ZIP fixture: 3 conversations from conversations-000/-001.json, images.
  const zip = path.join(tmp, "split-export.zip");
  zipFolder(path.join(FIXTURES, "zip-split/input"), zip);
  await openFile(d, zip, { rows: 3 });
  // Its user.json names the account: the page offers the e-mail as a word to redact.
  const offer = await d.eval(() => ({ hidden: document.getElementById("account-terms").hidden, text: document.getElementById("account-terms").textContent }));
  assert.equal(offer.hidden, false, "user.json's e-mail is offered for redaction");
  assert.match(offer.text, /This export names your account: sam@example\.com\./);
  await d.eval(() => {
    for (const i of document.querySelectorAll('input[name="format"]')) i.checked = i.value === "markdown";
    document.querySelector('input[name="images"][value="link"]').checked = true;
  });
  const all = await d.saveAll(() => d.click("#save-all"));
  const names = zipEntries(all.path);
  assert.ok(names.some((n) => n.startsWith("assets/") && n.endsWith(".png")), `images in assets/: ${names.join(", ")}`);
  assert.equal(names.filter((n) => n.endsWith(".md")).length, 4);
  await checkEncryptedSave(d, tmp, all.path);

  // A bare conversations.json with a broken conversation and two of the same name.
  await d.click("#close-file");
  await openFile(d, path.join(FIXTURES, "array-with-broken/input.json"), { rows: 2 });
  assert.equal(await d.eval(() => document.getElementById("account-terms").hidden), true, "a bare conversations.json has no user.json to offer");
  const errors = await d.eval(() => ({ hidden: document.getElementById("errors-card").hidden, text: document.getElementById("errors-list").textContent }));
  assert.equal(errors.hidden, false, "the broken conversation is listed");
  await d.eval(() => {
    for (const i of document.querySelectorAll('input[name="format"]')) i.checked = true;
  });
  // Where the browser offers no file picker (or refuses it), the ZIP is downloaded.
  await d.eval(() => {
    window.showSaveFilePicker = undefined;
  });
  const saved = await d.download(() => d.click("#save-all"));
  const savedNames = zipEntries(saved.path).filter((n) => !n.startsWith("index.")).sort();
  const expected = [...readdirNames(path.join(FIXTURES, "array-with-broken/expected"))].filter((n) => n !== "errors.txt").sort();
  assert.deepEqual(savedNames, expected, "the same names as the CLI");
  for (const name of expected) {
    assert.equal(zipText(saved.path, name), readFileSync(path.join(FIXTURES, "array-with-broken/expected", name), "utf8"), `${name} as the CLI writes it`);
  }
  const result = await d.eval(() => document.getElementById("save-result").textContent);
  assert.match(result, /Saved 2 conversations/);
  assert.match(result, /1 conversation could not be saved/);
  assert.match(zipText(saved.path, "index.md"), /## Not saved\n\n- Broken conversation: Could not read/, "the index names what it could not save");

  // A file that is not an export: a sentence saying what was expected and what was found.
  await d.click("#close-file");
  const notExport = path.join(tmp, "notes.json");
  writeFileSync(notExport, JSON.stringify({ hello: "world" }));
  await d.setFile(notExport);
  await d.waitFor(() => !document.getElementById("open-error").hidden, 30000);
  const message = await d.eval(() => document.getElementById("open-error").textContent);
  assert.match(message, /conversations/i);
  t.diagnostic(`${d.name}: not an export → ${message}`);
}

/** "Encrypt" ticked, Save all asks for a password (the dialog refuses two that differ, hints
 *  the strength) and writes the same ZIP as `plainZip`, AES-256, which 7z opens with the
 *  password only. */
async function checkEncryptedSave(d, tmp, plainZip) {
  const password = "kettle-3-marsh-9-pixel-1-radar";
  const dialog = "dialog.password-dialog[open]";
  await d.eval(() => {
    document.getElementById("encrypt-save").checked = true;
  });
  await d.click("#save-all");
  await d.waitFor((sel) => !!document.querySelector(sel), 10000, dialog);
  await d.type(`${dialog} input[id$="-password"]`, password);
  await d.type(`${dialog} input[id$="-confirm"]`, `${password}x`);
  await d.click(`${dialog} button[type="submit"]`);
  const refused = await d.eval((sel) => ({
    open: !!document.querySelector(sel),
    problem: document.querySelector(`${sel} .password-problem`)?.textContent,
    strength: document.querySelector(`${sel} .password-strength`)?.textContent,
  }), dialog);
  assert.deepEqual(refused, { open: true, problem: "The two passwords differ: type the same one twice.", strength: "Strong." });
  await d.type(`${dialog} input[id$="-confirm"]`, password);
  const encrypted = await d.saveAll(() => d.click(`${dialog} button[type="submit"]`));
  await d.eval(() => {
    document.getElementById("encrypt-save").checked = false;
  });
  const plain = path.join(tmp, `plain-${Date.now()}`);
  execFileSync("7z", ["x", "-y", "-pnone", `-o${plain}`, plainZip]);
  const opened = path.join(tmp, `encrypted-${Date.now()}`);
  const inside = openEncrypted(encrypted.path, password, opened);
  assert.deepEqual(inside, zipEntries(plainZip).sort(), "the encrypted ZIP holds the plain one's files");
  assertSameFiles(plain, opened, inside);
}

/** With redaction on (the stored settings: two words), "Review what is redacted" lists what
 *  is replaced in the conversations chosen (all three), each value with the conversations it
 *  is in; a value unticked there is kept as it is in the saved files, the others replaced. */
export async function checkRedactionReview(d, tmp) {
  const store = (options) =>
    d.eval((o) => {
      const sync = (globalThis.browser ?? globalThis.chrome).storage.sync;
      return o ? sync.set({ options: o }) : sync.remove("options");
    }, options);
  await store({ redact: { enabled: true, terms: ["diagram", "logo"] } });
  try {
    await d.goto();
    const zip = path.join(tmp, "split-review.zip");
    zipFolder(path.join(FIXTURES, "zip-split/input"), zip);
    await openFile(d, zip, { rows: 3 });
    assert.equal(await d.eval(() => document.getElementById("redact-review").hidden), false, "offered when the settings redact");
    await d.click("#review-findings");
    await d.waitFor(() => !document.getElementById("findings").hidden, 30000);
    const read = () =>
      d.eval(() => ({
        counts: document.getElementById("findings-counts").textContent,
        items: [...document.querySelectorAll("#findings-list li")].map((li) => ({
          value: li.querySelector("code")?.textContent,
          ticked: li.querySelector("input")?.checked,
          desc: li.querySelector(".label-desc")?.textContent,
          where: li.querySelector(".finding-where")?.textContent,
        })),
      }));
    const review = await read();
    // Every value is one of the words, found in the conversations the list names.
    const texts = Object.fromEntries(
      ["conversations-000.json", "conversations-001.json"]
        .flatMap((f) => JSON.parse(readFileSync(path.join(FIXTURES, "zip-split/input", f), "utf8")))
        .map((c) => [c.title, JSON.stringify(c)]),
    );
    assert.ok(review.items.length >= 2, JSON.stringify(review));
    for (const item of review.items) {
      assert.match(item.value, /^(diagram|logo)$/i, JSON.stringify(item));
      assert.equal(item.ticked, true);
      assert.match(item.desc, /^name, replaced \d+×$/);
      const titles = [...item.where.matchAll(/“([^”]+)”/g)].map((m) => m[1]);
      assert.ok(titles.length > 0, `${item.value} names no conversation`);
      for (const title of titles) assert.ok(texts[title]?.includes(item.value), `${item.value} is not in “${title}”`);
    }
    assert.ok(review.items.some((i) => /logo/i.test(i.value) && i.where.includes("“Project: logo ideas”")), JSON.stringify(review.items));
    assert.equal(review.counts, `Replaced in these 3 conversations: ${review.items.length} name.`);

    // Unticking every "logo": kept in the save, "diagram" still replaced.
    const logos = review.items.filter((i) => /logo/i.test(i.value)).map((i) => i.value);
    await d.eval((values) => {
      for (const input of document.querySelectorAll("#findings-list input")) {
        if (values.includes(input.value)) input.click();
      }
    }, logos);
    const after = await read();
    assert.equal(after.counts, `Replaced in these 3 conversations: ${review.items.length - logos.length} name; ${logos.length} kept.`);
    assert.deepEqual(after.items.filter((i) => !i.ticked).map((i) => i.desc), logos.map(() => "name, kept"));
    await d.eval(() => {
      for (const i of document.querySelectorAll('input[name="format"]')) i.checked = i.value === "markdown";
    });
    const saved = await d.saveAll(() => d.click("#save-all"));
    const md = zipEntries(saved.path).filter((n) => n.endsWith(".md") && !n.startsWith("index."));
    assert.equal(md.length, 3);
    const text = md.map((n) => zipText(saved.path, n)).join("\n");
    for (const v of logos) assert.ok(text.includes(v), `the kept ${v} is in the saved files`);
    assert.ok(text.includes("[name "), "the other word is replaced");
    for (const item of review.items.filter((i) => !logos.includes(i.value))) {
      assert.ok(!new RegExp(`\\b${item.value}\\b`).test(text.replace(/\(assets\/[^)]*\)/g, "")), `${item.value} is still in the saved files`);
    }

    // A thousand values in one conversation: the first 40 listed, the rest counted.
    await d.click("#close-file");
    const [one] = JSON.parse(readFileSync(path.join(FIXTURES, "zip-split/input/conversations-001.json"), "utf8"));
    const user = Object.values(one.mapping).find((n) => n.message?.author.role === "user");
    user.message.content.parts = [Array.from({ length: 1000 }, (_, i) => `person${i}@example.org`).join(", ")];
    const many = path.join(tmp, "many-findings.json");
    writeFileSync(many, JSON.stringify([one]));
    await openFile(d, many, { rows: 1 });
    await d.click("#review-findings");
    await d.waitFor(() => !document.getElementById("findings").hidden, 30000);
    const big = await d.eval(() => ({
      counts: document.getElementById("findings-counts").textContent,
      boxes: document.querySelectorAll('#findings-list input[data-kind="email"]').length,
      more: [...document.querySelectorAll("#findings-list .findings-more")].map((li) => li.textContent),
    }));
    assert.deepEqual(big, {
      counts: "Replaced in “Café sketch & chart”: 1000 email.",
      boxes: 40,
      more: ["and 960 more email values, not listed: replaced unless kept in the settings"],
    });
  } finally {
    await store(null);
    await d.goto();
  }
}

export function readdirNames(dir) {
  return execFileSync("ls", ["-1", dir]).toString().split("\n").filter(Boolean);
}


export async function screenshots(page) {
  // A search, two conversations selected, the third previewed.
  await page.evaluate(() => document.getElementById("save-result").replaceChildren());
  await page.fill("#search", "python");
  await page.waitForFunction(() => /match(es)? “python”/.test(document.getElementById("search-status").textContent));
  await page.focus("#list");
  await page.keyboard.press("Home");
  for (const k of ["Space", "ArrowDown", "Space", "ArrowDown", "ArrowDown"]) await page.keyboard.press(k);
  await page.waitForTimeout(1000);
  for (const scheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.waitForTimeout(400);
    await page.screenshot({ path: scheme === "light" ? path.join(ROOT, "docs/export-page.png") : path.join(OUT, "export-page-dark.png") });
  }
  await page.emulateMedia({ colorScheme: "light" });
}
