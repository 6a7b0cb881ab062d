// The export page: open ChatGPT's "Export data" file (drag and drop or file picker), list
// its conversations (a virtual list: only the visible rows exist), search, filter, sort,
// preview one as HTML, and save one, a selection or all of them.
//
// The page never reads the file itself: export-worker.js does, in an "index" worker that
// lives while the file is open (summaries, search text, single conversions) and in "job"
// workers for long jobs (saving several, searching a file too big to keep its text), which
// are terminated to cancel.
//
// This file wires the page's controls to its modules, one job each: export-state.js (the
// state), export-messaging.js (the workers), export-open.js (opening and closing a file),
// export-list.js (filters, sort, the virtual list, selection), export-search.js,
// export-preview.js, export-save.js, export-format.js (numbers, sizes, dates), and
// export-findings.js (the review of what redaction replaces).

import { loadSettings } from "./browser.js";
import { $, inputs } from "./dom.js";
import { checkAllShown, filtered, onListClick, onListKey, refreshView, renderRows, setActive } from "./export-list.js";
import { setUpFindings } from "./export-findings.js";
import { ask, cancelJob, indexWorker } from "./export-messaging.js";
import { closeFile, offerLocalBackup, openFile, openLocalBackup } from "./export-open.js";
import { narrow, previewOver } from "./export-preview.js";
import { chosenFormats, saveMany, saveOne, showSaveResult } from "./export-save.js";
import { onSearchInput, runSearch, searchTimer } from "./export-search.js";
import { state } from "./export-state.js";

/** The save options from the settings: the core's options, the formats and images ticked, encryption. */
async function loadPreferences() {
  /** @type {import("./browser.js").Settings} */
  let settings = { options: {}, extension: { save_as: false } };
  try {
    settings = await loadSettings();
  } catch {
    // Storage unavailable (a page opened outside the extension): the core's defaults.
  }
  const options = { ...settings.options };
  if (settings.extension.time_zone !== "utc") options.utc_offset_minutes = -new Date().getTimezoneOffset();
  state.options = options;
  const formats = Array.isArray(options.formats) && options.formats.length ? options.formats : ["markdown"];
  for (const input of inputs(document, 'input[name="format"]')) input.checked = formats.includes(input.value);
  const images = options.images === "embed" ? "embed" : "link";
  for (const input of inputs(document, 'input[name="images"]')) input.checked = input.value === images;
  $("encrypt-save", HTMLInputElement).checked = settings.extension.encrypt === true;
}

/** A file dropped anywhere on the page opens. */
function setUpDrop() {
  let depth = 0;
  const zone = $("open-card");
  const hasFiles = (/** @type {DragEvent} */ e) => [...(e.dataTransfer?.types ?? [])].includes("Files");
  document.addEventListener("dragenter", (e) => {
    if (!hasFiles(e)) return;
    depth++;
    zone.classList.add("dragging");
  });
  document.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (!depth) zone.classList.remove("dragging");
  });
  document.addEventListener("dragover", (e) => {
    if (!hasFiles(e) || !e.dataTransfer) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "copy";
  });
  document.addEventListener("drop", (e) => {
    if (!hasFiles(e) || !e.dataTransfer) return;
    e.preventDefault();
    depth = 0;
    zone.classList.remove("dragging");
    const file = e.dataTransfer.files[0];
    if (file) openFile(file);
  });
}

function main() {
  loadPreferences();
  setUpFindings({
    find: (indexes, options) => ask(indexWorker(), { type: "findings", indexes, options }).then((r) => r.findings),
    // The selected conversations, else all shown (what "Save selected" and "Save all" save).
    chosen: () => (state.checked.size ? [...state.checked] : state.view.map((r) => r.index)).sort((a, b) => a - b),
    title: (index) => state.rows[index]?.title ?? `Conversation ${index + 1}`,
    options: () => state.options,
  });
  setUpDrop();
  offerLocalBackup();
  $("open-backup", HTMLButtonElement).addEventListener("click", openLocalBackup);
  const fileInput = $("file-input", HTMLInputElement);
  fileInput.addEventListener("change", () => {
    openFile(fileInput.files?.[0]);
    fileInput.value = "";
  });
  $("cancel-open", HTMLButtonElement).addEventListener("click", () => {
    closeFile();
    $("file-input", HTMLInputElement).focus();
  });
  $("close-file", HTMLButtonElement).addEventListener("click", () => {
    closeFile();
    $("file-input", HTMLInputElement).focus();
  });
  const list = $("list");
  let frame = 0;
  list.addEventListener("scroll", () => {
    if (!frame) frame = requestAnimationFrame(() => {
      frame = 0;
      renderRows();
    });
  });
  new ResizeObserver(() => renderRows()).observe(list);
  list.addEventListener("keydown", onListKey);
  list.addEventListener("click", onListClick);
  list.addEventListener("focus", () => {
    if (state.active < 0 && state.view.length) setActive(0, { preview: false });
  });
  $("search", HTMLInputElement).addEventListener("input", onSearchInput);
  $("search", HTMLInputElement).addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" || e.key === "Enter") {
      e.preventDefault();
      clearTimeout(searchTimer);
      if (e.key === "Enter") runSearch();
      list.focus();
    }
  });
  for (const id of ["date-from", "date-to", "show", "sort"]) $(id).addEventListener("change", () => refreshView());
  $("check-all", HTMLInputElement).addEventListener("change", (e) => checkAllShown(/** @type {HTMLInputElement} */ (e.target).checked));
  $("save-one", HTMLButtonElement).addEventListener("click", saveOne);
  $("save-selected", HTMLButtonElement).addEventListener("click", () => saveMany([...state.checked].sort((a, b) => a - b)));
  $("save-all", HTMLButtonElement).addEventListener("click", () => saveMany(filtered() ? state.view.map((r) => r.index).sort((a, b) => a - b) : null));
  $("cancel-save", HTMLButtonElement).addEventListener("click", cancelJob);
  $("close-preview", HTMLButtonElement).addEventListener("click", () => previewOver(false));
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && $("browser").classList.contains("previewing")) {
      e.preventDefault();
      previewOver(false);
    }
  });
  narrow.addEventListener("change", () => !narrow.matches && previewOver(false));
  for (const input of inputs(document, 'input[name="format"]')) {
    input.addEventListener("change", () => {
      if (chosenFormats().length) {
        $("formats", HTMLFieldSetElement).classList.remove("invalid");
        showSaveResult([]);
      }
    });
  }
}

main();
