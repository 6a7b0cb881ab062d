// Opening a file on the export page (a chosen or dropped export, or the local backup),
// its progress and errors, and closing it.

import { getMeta } from "./backup-store.js";
import { loadSettings, saveSettings } from "./browser.js";
import { $ } from "./dom.js";
import { findingsOpened, findingsReset } from "./export-findings.js";
import { duration, megabytes, plural, size } from "./export-format.js";
import { clearRows, refreshView, setActive } from "./export-list.js";
import { cancelJob, newWorker } from "./export-messaging.js";
import { showPreviewMessage } from "./export-preview.js";
import { state } from "./export-state.js";

/** @typedef {import("./export-state.js").ErrorInfo} ErrorInfo */
/** @typedef {import("./export-state.js").FailedConversation} FailedConversation */
/** @typedef {import("./export-state.js").Opened} Opened */
/** @typedef {import("./export-state.js").Progress} Progress */
/** @typedef {import("./export-state.js").Summary} Summary */

let openStarted = 0;

/**
 * Opens an export (a ZIP, or a conversations.json) in a new index worker.
 * @param {File | null | undefined} file
 */
export function openFile(file) {
  if (!file) return;
  closeFile();
  state.file = file;
  openStarted = performance.now();
  $("open-card").hidden = true;
  $("open-error").hidden = true;
  $("progress-card").hidden = false;
  $("progress-title").textContent = `Reading ${file.name}…`;
  $("progress-bar", HTMLProgressElement).removeAttribute("value");
  $("progress-text").textContent = `${size(file.size)} · starting…`;
  $("cancel-open", HTMLButtonElement).focus();
  state.worker = newWorker(openProgress);
  state.worker.postMessage({ type: "open", file });
}

/** @param {Progress} p */
function openProgress(p) {
  if (p.phase === "find") {
    const fraction = p.bytesTotal ? p.bytesRead / p.bytesTotal : 0;
    $("preview-message").textContent = `Finding this conversation in the file… ${Math.round(fraction * 100)} %`;
    return;
  }
  if (p.phase !== "open") return;
  const fraction = p.bytesTotal ? Math.min(1, p.bytesRead / p.bytesTotal) : 0;
  $("progress-bar", HTMLProgressElement).value = fraction;
  const elapsed = (performance.now() - openStarted) / 1000;
  const parts = [
    `${plural(p.conversations, "conversation")} found`,
    `${megabytes(p.bytesRead)} of ${megabytes(p.bytesTotal)} MB read`,
  ];
  if (elapsed > 1.5 && fraction > 0.02 && fraction < 1) parts.push(`about ${duration((elapsed / fraction) * (1 - fraction))} left`);
  $("progress-text").textContent = parts.join(" · ");
}

/** @param {Summary[]} rows */
export function addRows(rows) {
  for (const r of rows) {
    state.rows[r.index] = r;
    state.all.push(r);
  }
  if (!$("browser").hidden) refreshView();
}

/** @param {Opened} info */
export function opened(info) {
  const file = state.file;
  if (!file) return; // closed meanwhile
  state.kind = info.kind;
  state.count = info.count;
  state.searchInMemory = info.searchInMemory;
  state.openErrors = info.errors;
  state.openSeconds = info.seconds;
  // Measured by the tests and shown to the curious.
  document.documentElement.dataset.openSeconds = info.seconds.toFixed(2);
  $("progress-card").hidden = true;
  $("browser").hidden = false;
  $("close-file", HTMLButtonElement).hidden = false;
  $("skip-link", HTMLAnchorElement).hidden = false;
  $("subtitle").textContent = `${file.name} · ${size(file.size)} · ${plural(info.count, "conversation")} · read in ${duration(info.seconds)}`;
  showOpenErrors();
  offerAccountTerms(info.accountTerms ?? []);
  findingsOpened();
  refreshView();
  if (state.view.length) {
    setActive(0, { preview: true, scroll: true });
  } else {
    showPreviewMessage(info.count ? "No conversation could be read." : "This export holds no conversations.");
  }
  $("list").focus();
}

/** Offers the account's own name and e-mail (the core reads them from user.json) as
 *  redaction terms: one click adds them to the words and names of the Privacy settings.
 * @param {string[]} terms */
function offerAccountTerms(terms) {
  const have = new Set((state.options.redact?.terms ?? []).map((/** @type {string} */ t) => t.trim().toLowerCase()));
  const missing = terms.filter((t) => !have.has(t.toLowerCase()));
  const offer = $("account-terms");
  offer.hidden = !missing.length;
  if (!missing.length) return;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "small";
  button.id = "account-terms-add";
  button.textContent = "Redact these in my saves";
  offer.replaceChildren(`This export names your account: ${missing.join(", ")}. `, button);
  button.addEventListener("click", async () => {
    button.disabled = true;
    /** @type {Record<string, any>} */
    let stored = {};
    try {
      stored = (await loadSettings()).options;
    } catch {
      // Storage unavailable: the terms still apply to this page's saves.
    }
    const terms = [...(stored.redact?.terms ?? state.options.redact?.terms ?? []), ...missing];
    // Terms are the "name" kind: switched on with them if it was off.
    const withName = (/** @type {unknown} */ kinds) => (Array.isArray(kinds) && !kinds.includes("name") ? [...kinds, "name"] : kinds);
    const redact = { ...(stored.redact ?? {}), terms, enabled: true, kinds: withName(stored.redact?.kinds) };
    state.options.redact = { ...(state.options.redact ?? {}), terms, enabled: true, kinds: withName(state.options.redact?.kinds) };
    for (const r of [redact, state.options.redact]) if (r.kinds === undefined) delete r.kinds;
    findingsOpened();
    try {
      await saveSettings({ options: { ...stored, redact }, extension: undefined });
    } catch {
      // As above.
    }
    offer.textContent = "Added to your words and names (Settings → Privacy); redaction is on for your saves.";
  });
}

/** @param {ErrorInfo | {message: string}} error */
export function openFailed(error) {
  const file = state.file;
  closeFile();
  $("open-error").textContent = error.message;
  $("open-error").hidden = false;
  if (file) document.title = `Could not open ${file.name} · chatkeep`;
}

export function closeFile() {
  cancelJob();
  state.worker?.terminate();
  for (const [id, p] of state.requests) {
    state.requests.delete(id);
    p.reject(Object.assign(new Error("Cancelled."), { kind: "cancelled" }));
  }
  Object.assign(state, {
    file: null, worker: null, kind: null, rows: [], all: [], view: [], count: 0, openErrors: [],
    active: -1, anchor: -1, current: -1, search: null, searchInMemory: true,
  });
  state.checked.clear();
  findingsReset();
  clearRows();
  $("list-spacer").style.height = "0px";
  $("browser").hidden = true;
  $("browser").classList.remove("previewing");
  $("progress-card").hidden = true;
  $("errors-card").hidden = true;
  $("close-file", HTMLButtonElement).hidden = true;
  $("skip-link", HTMLAnchorElement).hidden = true;
  $("open-card").hidden = false;
  $("search", HTMLInputElement).value = "";
  $("search-status").hidden = true;
  $("save-result").replaceChildren();
  $("save-progress").hidden = true;
  $("preview-frame", HTMLIFrameElement).hidden = true;
  $("preview-frame", HTMLIFrameElement).removeAttribute("srcdoc");
  $("subtitle").textContent = "Browse, search and save the conversations of ChatGPT's “Export data” file. Everything stays on this computer.";
  document.title = "Open a ChatGPT export · chatkeep";
  delete document.documentElement.dataset.openSeconds;
}

function showOpenErrors() {
  const errors = state.openErrors;
  $("errors-card").hidden = !errors.length;
  if (!errors.length) return;
  $("errors-title").textContent = `${plural(errors.length, "conversation")} could not be read`;
  $("errors-list").replaceChildren(...errors.map(errorItem));
}

/**
 * A list item naming a conversation that failed, and why.
 * @param {FailedConversation} e
 */
export function errorItem(e) {
  const li = document.createElement("li");
  const b = document.createElement("strong");
  b.textContent = e.title;
  const why = document.createElement("span");
  why.className = "why";
  why.textContent = ` — ${e.message}`;
  li.append(b, why);
  return li;
}

/** Offers the whole-account backup kept in this browser, when there is one. */
export async function offerLocalBackup() {
  const state = await getMeta("state").catch(() => undefined);
  $("open-backup-row").hidden = !state;
}

/** Opens the local backup: a worker writes it as a ZIP File (the core's layout, stored),
 *  which then opens like any export, offline. */
export function openLocalBackup() {
  const worker = new Worker("export-worker.js", { type: "module" });
  $("open-error").hidden = true;
  $("open-backup", HTMLButtonElement).disabled = true;
  worker.onmessage = ({ data }) => {
    if (data.type !== "result" && data.type !== "failed") return;
    worker.terminate();
    $("open-backup", HTMLButtonElement).disabled = false;
    if (data.file) openFile(data.file);
    else openFailed(data.error ?? { message: "chatkeep could not read its backup." });
  };
  worker.postMessage({ type: "backup-file", id: 1 });
}
