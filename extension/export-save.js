// Saving from the export page: one conversation, a selection or all of them.

import { $, inputs } from "./dom.js";
import { duration, numberFmt, plural, size } from "./export-format.js";
import { updateSelectionUi } from "./export-list.js";
import { ask, indexWorker, runJob } from "./export-messaging.js";
import { errorItem } from "./export-open.js";
import { state } from "./export-state.js";
import { askPassword } from "./password-dialog.js";
import { saveCore as wasmCore } from "./save-core.js";
import { ZipWriter } from "./zip-writer.js";
import { errorOf } from "./messages.js";

/** @typedef {import("./export-state.js").Converted} Converted */
/** @typedef {import("./export-state.js").FailedConversation} FailedConversation */
/** @typedef {import("./export-state.js").Progress} Progress */
/** @typedef {import("./export-state.js").SaveResult} SaveResult */

/** The formats ticked. @returns {string[]} */
export function chosenFormats() {
  return inputs(document, 'input[name="format"]:checked').map((i) => i.value);
}

/** How images are saved: "link" or "embed". @returns {string} */
function chosenImages() {
  return inputs(document, 'input[name="images"]:checked')[0]?.value ?? "link";
}

/** The formats ticked, or null (and says so) when none is. @returns {string[] | null} */
function checkFormats() {
  const formats = chosenFormats();
  $("formats", HTMLFieldSetElement).classList.toggle("invalid", !formats.length);
  if (!formats.length) {
    showSaveResult([errorLine("Choose at least one format.")]);
    return null;
  }
  return formats;
}

/**
 * Downloads `blob` as `name` (the browser's download, no permission needed).
 * @param {Blob} blob
 * @param {string} name
 */
function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  // Firefox reads the blob after the click returns: keep the URL a while.
  setTimeout(() => URL.revokeObjectURL(url), 120000);
}

/** @param {Node[]} nodes */
export function showSaveResult(nodes) {
  $("save-result").replaceChildren(...nodes);
}

/** @param {string} text */
function okLine(text) {
  const p = document.createElement("p");
  p.className = "ok";
  p.textContent = text;
  return p;
}

/** @param {string} text */
function errorLine(text) {
  const p = document.createElement("p");
  p.className = "error";
  p.textContent = text;
  return p;
}

/** @param {FailedConversation[]} errors */
function errorDetails(errors) {
  const d = document.createElement("details");
  d.open = errors.length <= 5;
  const s = document.createElement("summary");
  s.textContent = `${plural(errors.length, "conversation")} could not be saved`;
  const ul = document.createElement("ul");
  ul.className = "errors-list";
  ul.append(...errors.map(errorItem));
  d.append(s, ul);
  return d;
}

/** The output's name from the export's: "chatgpt-export-2026-01.zip" → "chatgpt-export-2026-01 (chatkeep, 491).zip".
 * @param {number} count */
function zipName(count) {
  const stem = (state.file?.name ?? "chatgpt-export").replace(/\.(zip|json)$/i, "").slice(0, 80);
  return `${stem} (chatkeep, ${count}).zip`;
}

/**
 * The password of an encrypted save (undefined when not encrypting, null when cancelled).
 * @param {string} what what is saved, as the dialog names it
 * @returns {Promise<string | null | undefined>}
 */
async function savePassword(what) {
  if (!$("encrypt-save", HTMLInputElement).checked) return undefined;
  return askPassword(await wasmCore(), { what });
}

/** Saves the previewed conversation: its file alone, or a ZIP with its images or encrypted. */
export async function saveOne() {
  const formats = checkFormats();
  if (!formats || state.current < 0) return;
  const index = state.current;
  const password = await savePassword("this conversation");
  if (password === null) return;
  const images = chosenImages();
  // One file: Markdown's images go inside it, unless several files are written anyway.
  const single = formats.length === 1;
  const options = { ...state.options, formats, images: single && images === "link" ? "embed" : images };
  showSaveResult([]);
  try {
    /** @type {{converted: Converted}} */
    const { converted } = await ask(indexWorker(), { type: "convert", index, options });
    if (single && !converted.assets?.length && password === undefined) {
      const f = converted.files[0];
      download(new Blob([f.text], { type: f.mime }), f.fileName);
      showSaveResult([okLine(`Saved ${f.fileName}`)]);
    } else {
      const encryption = password === undefined ? undefined : { password, AesEntry: (await wasmCore()).AesEntry };
      const zip = new ZipWriter({ encryption });
      for (const f of converted.files) await zip.add(f.fileName, f.text);
      for (const a of converted.assets ?? []) if (!zip.has(a.path)) await zip.add(a.path, a.bytes);
      const name = `${converted.files[0].fileName.replace(/\.[^.]+$/, "")}.zip`;
      // Written in memory (the writer's default sink): finish() gives the Blob.
      download(/** @type {Blob} */ (await zip.finish()), name);
      showSaveResult([okLine(`Saved ${name}`)]);
    }
  } catch (caught) {
    const e = errorOf(caught);
    if (e.kind !== "cancelled") showSaveResult([errorLine(`${state.rows[index]?.title ?? "This conversation"}: ${e.message}`)]);
  }
}

/**
 * Where the ZIP of a save goes, asked first thing in the click (the file picker needs the
 * click's user activation): a file the user chooses, where the browser offers that
 * (Chromium's showSaveFilePicker: the ZIP is written straight into it, never whole in
 * memory); `null` where it does not (the ZIP is written into the private file system and
 * downloaded from there); `undefined` when the user cancelled.
 * @param {string} suggestedName
 * @returns {Promise<FileSystemFileHandle | null | undefined>}
 */
async function chooseTarget(suggestedName) {
  /** @type {any} the File System Access API (Chromium only; not in TypeScript's DOM types) */
  const page = window;
  if (typeof page.showSaveFilePicker !== "function") return null;
  try {
    return await page.showSaveFilePicker({ suggestedName, types: [{ description: "ZIP archive", accept: { "application/zip": [".zip"] } }] });
  } catch (caught) {
    const e = errorOf(caught);
    if (e?.name === "AbortError") return undefined;
    return null; // refused (no user activation, a policy): download instead
  }
}

/**
 * Saves several conversations into one ZIP, in a job worker.
 * @param {number[] | null} indexes positions in the file (sorted), or null for all
 */
export async function saveMany(indexes) {
  const formats = checkFormats();
  const file = state.file;
  if (!formats || !file) return;
  const goal = indexes ? indexes.length : state.all.length;
  if (goal === 1 && indexes) {
    state.current = indexes[0];
    return saveOne();
  }
  const password = await savePassword(plural(goal, "conversation"));
  if (password === null) return;
  // After the password (whose dialog's button gives the picker a fresh user activation).
  const target = await chooseTarget(zipName(goal));
  if (target === undefined) return;
  const options = { ...state.options, formats, images: chosenImages() };
  /** @type {Record<number, {create_time: number | null | undefined, messages: number}>} */
  const summaries = {};
  for (const i of indexes ?? state.all.map((r) => r.index)) {
    const r = state.rows[i];
    if (r) summaries[i] = { create_time: r.create_time, messages: r.messages };
  }
  const started = performance.now();
  showSaveResult([]);
  $("save-progress").hidden = false;
  $("save-bar", HTMLProgressElement).value = 0;
  $("save-text").textContent = `Saving ${plural(goal, "conversation")}…`;
  $("cancel-save", HTMLButtonElement).focus();
  const onProgress = (/** @type {Progress} */ p) => {
    if (p.phase !== "save") return;
    // Progress through the file (the job reads it up to the last chosen conversation).
    const fraction = p.goal ? p.conversations / p.goal : p.bytesTotal ? p.bytesRead / p.bytesTotal : 0;
    $("save-bar", HTMLProgressElement).value = Math.min(1, fraction);
    const elapsed = (performance.now() - started) / 1000;
    const parts = [`${numberFmt.format(p.conversations)} of ${plural(goal, "conversation")}`, `${size(p.zipBytes ?? 0)} written`];
    if (elapsed > 1.5 && fraction > 0.02 && fraction < 1) parts.push(`about ${duration((elapsed / fraction) * (1 - fraction))} left`);
    $("save-text").textContent = parts.join(" · ");
  };
  const title = `ChatGPT conversations from ${file.name}`;
  const job = runJob("save", { type: "save", file, indexes, options, title, summaries, password, target }, onProgress);
  updateSelectionUi();
  try {
    /** @type {SaveResult} */
    const result = await job;
    let name = target?.name;
    if (result.blob) {
      name = zipName(result.saved);
      download(result.blob, name);
    }
    const seconds = (performance.now() - started) / 1000;
    document.documentElement.dataset.saveSeconds = seconds.toFixed(2);
    document.documentElement.dataset.saveBytes = String(result.bytes);
    /** @type {HTMLElement[]} */
    const lines = [okLine(`Saved ${plural(result.saved, "conversation")} in ${name} (${size(result.bytes)}, ${duration(seconds)}).`)];
    if (result.errors.length) lines.push(errorDetails(result.errors));
    showSaveResult(lines);
  } catch (caught) {
    const e = errorOf(caught);
    showSaveResult([e.kind === "cancelled" ? errorLine("Saving was cancelled; nothing was written.") : errorLine(e.message)]);
  } finally {
    $("save-progress").hidden = true;
    updateSelectionUi();
  }
}
