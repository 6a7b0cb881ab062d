// The export page: open ChatGPT's "Export data" file (drag and drop or file picker), list
// its conversations (a virtual list: only the visible rows exist), search, filter, sort,
// preview one as HTML, and save one, a selection or all of them.
//
// The page never reads the file itself: export-worker.js does, in an "index" worker that
// lives while the file is open (summaries, search text, single conversions) and in "job"
// workers for long jobs (saving several, searching a file too big to keep its text), which
// are terminated to cancel.

import { loadSettings, saveSettings } from "./browser.js";
import { getMeta } from "./backup-store.js";
import { ZipWriter } from "./zip-writer.js";
import { $, inputs } from "./dom.js";
import { askPassword } from "./password-dialog.js";
import { saveCore as wasmCore } from "./save-core.js";

const ROW_HEIGHT = 64;
const OVERSCAN = 6;

const state = {
  file: null,
  worker: null, // the index worker
  job: null, // {worker, kind} of the running job
  kind: null, // "zip" | "json"
  rows: [], // summaries by position in the file (holes where a conversation failed)
  all: [], // every readable summary, in file order
  view: [], // what the list shows, filtered and sorted
  count: 0, // conversations in the file (failed ones included)
  openErrors: [],
  checked: new Set(), // positions in the file
  active: -1, // cursor: index into `view`
  anchor: -1, // start of a Shift+click range (index into `view`)
  current: -1, // previewed conversation (position in the file)
  searchInMemory: true,
  search: null, // {query, terms, hits: Map(position → snippet)}
  searchSeq: 0,
  options: {}, // the core's options from the settings
  rendered: new Map(), // view index → row element
  requests: new Map(),
  nextId: 1,
};

// ---------------------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------------------

const numberFmt = new Intl.NumberFormat();
const dateFmt = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric" });
const dateTimeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

function plural(n, one, many = `${one}s`) {
  return `${numberFmt.format(n)} ${n === 1 ? one : many}`;
}

function megabytes(bytes) {
  const mb = bytes / (1024 * 1024);
  return mb >= 100 ? mb.toFixed(0) : mb >= 10 ? mb.toFixed(1) : mb.toFixed(2);
}

function size(bytes) {
  if (bytes >= 1024 * 1024 * 1024) return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
  if (bytes >= 1024 * 1024) return `${megabytes(bytes)} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

function duration(seconds) {
  if (seconds < 1) return "less than a second";
  if (seconds < 60) return plural(Math.round(seconds), "second");
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** Appends `text` to `parent`, with every occurrence of the search terms in <mark>. */
function appendHighlighted(parent, text, terms) {
  if (!terms?.length || !text) {
    parent.append(text ?? "");
    return;
  }
  const lower = text.toLowerCase();
  const ranges = [];
  for (const t of terms) {
    for (let k = lower.indexOf(t); k >= 0; k = lower.indexOf(t, k + t.length)) ranges.push([k, k + t.length]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  let at = 0;
  for (const [from, to] of ranges) {
    if (from < at) continue;
    // toLowerCase() can change lengths (rare: İ); then highlight nothing rather than wrongly.
    if (lower.length !== text.length) break;
    parent.append(text.slice(at, from));
    const mark = document.createElement("mark");
    mark.textContent = text.slice(from, to);
    parent.append(mark);
    at = to;
  }
  parent.append(text.slice(at));
}

// ---------------------------------------------------------------------------------------
// Workers
// ---------------------------------------------------------------------------------------

function newWorker(onProgress) {
  const worker = new Worker("export-worker.js", { type: "module" });
  worker.onmessage = ({ data }) => {
    if (data.type === "progress") onProgress?.(data);
    else if (data.type === "rows") addRows(data.rows);
    else if (data.type === "opened") opened(data);
    else if (data.type === "result" || data.type === "failed") {
      const pending = state.requests.get(data.id);
      if (pending) {
        state.requests.delete(data.id);
        if (data.type === "result") pending.resolve(data);
        else pending.reject(Object.assign(new Error(data.error.message), { kind: data.error.kind }));
      } else if (data.type === "failed" && data.op === "open") {
        openFailed(data.error);
      }
    }
  };
  worker.onerror = (e) => {
    e.preventDefault();
    const error = { kind: "internal", message: `chatkeep's reader stopped: ${e.message || "unknown error"}. Reload the page and try again.` };
    if (worker === state.worker && !state.all.length) openFailed(error);
    for (const [id, p] of state.requests) {
      if (p.worker === worker) {
        state.requests.delete(id);
        p.reject(Object.assign(new Error(error.message), { kind: error.kind }));
      }
    }
  };
  return worker;
}

/** Sends a request to `worker`; resolves with its result. */
function ask(worker, message, transfer = []) {
  const id = state.nextId++;
  return new Promise((resolve, reject) => {
    state.requests.set(id, { resolve, reject, worker });
    worker.postMessage({ ...message, id }, transfer);
  });
}

/** Runs a long job in a worker of its own; `cancelJob()` terminates it. */
function runJob(kind, message, onProgress) {
  cancelJob();
  const worker = newWorker(onProgress);
  state.job = { worker, kind };
  return ask(worker, message).finally(() => {
    if (state.job?.worker === worker) state.job = null;
    worker.terminate();
  });
}

function cancelJob() {
  if (!state.job) return;
  const { worker } = state.job;
  state.job = null;
  worker.terminate();
  for (const [id, p] of state.requests) {
    if (p.worker === worker) {
      state.requests.delete(id);
      p.reject(Object.assign(new Error("Cancelled."), { kind: "cancelled" }));
    }
  }
}

// ---------------------------------------------------------------------------------------
// Opening a file
// ---------------------------------------------------------------------------------------

let openStarted = 0;

function openFile(file) {
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

function addRows(rows) {
  for (const r of rows) {
    state.rows[r.index] = r;
    state.all.push(r);
  }
  if (!$("browser").hidden) refreshView();
}

function opened(info) {
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
  $("subtitle").textContent = `${state.file.name} · ${size(state.file.size)} · ${plural(info.count, "conversation")} · read in ${duration(info.seconds)}`;
  showOpenErrors();
  offerAccountTerms(info.accountTerms ?? []);
  refreshView();
  if (state.view.length) {
    setActive(0, { preview: true, scroll: true });
  } else {
    showPreviewMessage(info.count ? "No conversation could be read." : "This export holds no conversations.");
  }
  $("list").focus();
}

/** Offers the account's own name and e-mail (the core reads them from user.json) as
 *  redaction terms: one click adds them to the words and names of the Privacy settings. */
function offerAccountTerms(terms) {
  const have = new Set((state.options.redact?.terms ?? []).map((t) => t.trim().toLowerCase()));
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
    let stored = {};
    try {
      stored = (await loadSettings()).options;
    } catch {
      // Storage unavailable: the terms still apply to this page's saves.
    }
    const terms = [...(stored.redact?.terms ?? state.options.redact?.terms ?? []), ...missing];
    // Terms are the "name" kind: switched on with them if it was off.
    const withName = (kinds) => (Array.isArray(kinds) && !kinds.includes("name") ? [...kinds, "name"] : kinds);
    const redact = { ...(stored.redact ?? {}), terms, enabled: true, kinds: withName(stored.redact?.kinds) };
    state.options.redact = { ...(state.options.redact ?? {}), terms, enabled: true, kinds: withName(state.options.redact?.kinds) };
    for (const r of [redact, state.options.redact]) if (r.kinds === undefined) delete r.kinds;
    try {
      await saveSettings({ options: { ...stored, redact }, extension: undefined });
    } catch {
      // As above.
    }
    offer.textContent = "Added to your words and names (Settings → Privacy); redaction is on for your saves.";
  });
}

function openFailed(error) {
  const file = state.file;
  closeFile();
  $("open-error").textContent = error.message;
  $("open-error").hidden = false;
  if (file) document.title = `Could not open ${file.name} · chatkeep`;
}

function closeFile() {
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

function errorItem(e) {
  const li = document.createElement("li");
  const b = document.createElement("strong");
  b.textContent = e.title;
  const why = document.createElement("span");
  why.className = "why";
  why.textContent = ` — ${e.message}`;
  li.append(b, why);
  return li;
}

// ---------------------------------------------------------------------------------------
// Filtering, sorting, searching
// ---------------------------------------------------------------------------------------

const SORTS = {
  "created-desc": (a, b) => (b.create_time ?? 0) - (a.create_time ?? 0) || a.index - b.index,
  "created-asc": (a, b) => (a.create_time ?? 0) - (b.create_time ?? 0) || a.index - b.index,
  "updated-desc": (a, b) => (b.update_time ?? b.create_time ?? 0) - (a.update_time ?? a.create_time ?? 0) || a.index - b.index,
  "title-asc": (a, b) => collator.compare(a.title, b.title) || a.index - b.index,
  "messages-desc": (a, b) => b.messages - a.messages || a.index - b.index,
};
const collator = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });

/** A date input's value as seconds since the epoch (local midnight), or null. */
function dayStart(value) {
  if (!value) return null;
  const [y, m, d] = value.split("-").map(Number);
  return new Date(y, m - 1, d).getTime() / 1000;
}

function refreshView({ keepCurrent = true } = {}) {
  const from = dayStart($("date-from", HTMLInputElement).value);
  const toStart = dayStart($("date-to", HTMLInputElement).value);
  const to = toStart === null ? null : toStart + 86400;
  const show = $("show", HTMLSelectElement).value;
  const hits = state.search?.hits ?? null;
  const view = state.all.filter((r) => {
    if (hits && !hits.has(r.index)) return false;
    if (show === "active" && r.is_archived) return false;
    if (show === "archived" && !r.is_archived) return false;
    const t = r.create_time;
    if (from !== null && (t == null || t < from)) return false;
    if (to !== null && (t == null || t >= to)) return false;
    return true;
  });
  view.sort(SORTS[$("sort", HTMLSelectElement).value] ?? SORTS["created-desc"]);
  const previous = state.view[state.active]?.index;
  state.view = view;
  state.positions = new Map(view.map((r, i) => [r.index, i]));
  state.active = keepCurrent && previous !== undefined ? (state.positions.get(previous) ?? (view.length ? 0 : -1)) : view.length ? 0 : -1;
  $("list-spacer").style.height = `${view.length * ROW_HEIGHT}px`;
  $("list-empty").hidden = view.length > 0 || !state.all.length;
  const filters = from !== null || to !== null || show !== "all";
  $("list-empty").textContent = state.search ? `No conversation matches “${state.search.query}”${filters ? " with these filters" : ""}.` : "No conversation matches these filters.";
  const total = state.all.length;
  $("list-count").textContent = view.length === total ? plural(total, "conversation") : `${numberFmt.format(view.length)} of ${plural(total, "conversation")}`;
  clearRows();
  renderRows();
  updateSelectionUi();
}

let searchTimer = 0;

function onSearchInput() {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(runSearch, 180);
}

async function runSearch() {
  const query = $("search", HTMLInputElement).value.trim();
  const seq = ++state.searchSeq;
  const status = $("search-status");
  if (state.job?.kind === "search") cancelJob();
  if (!query) {
    state.search = null;
    status.hidden = true;
    status.textContent = "";
    refreshView();
    return;
  }
  let result;
  try {
    if (state.searchInMemory) {
      result = await ask(state.worker, { type: "search", query });
    } else {
      status.hidden = false;
      status.textContent = "Searching the file (its text is too large to keep in memory)…";
      result = await runJob("search", { type: "scan", file: state.file, query }, (p) => {
        if (seq !== state.searchSeq) return;
        const pct = p.bytesTotal ? Math.round((p.bytesRead / p.bytesTotal) * 100) : 0;
        status.textContent = `Searching the file… ${pct} % · ${plural(p.matches, "match", "matches")} so far`;
      });
    }
  } catch (e) {
    if (e.kind === "cancelled") return;
    status.hidden = false;
    status.textContent = e.message;
    return;
  }
  if (seq !== state.searchSeq) return;
  const hits = new Map();
  result.indexes?.forEach((i, k) => hits.set(i, result.snippets[k]));
  // The terms as the core parsed the query: the words highlighted are the words searched.
  state.search = { query, terms: result.terms ?? [], hits };
  refreshView({ keepCurrent: false });
  // None: the empty list says so, once.
  status.hidden = !state.view.length;
  status.textContent = state.view.length ? `${plural(state.view.length, "conversation")} ${state.view.length === 1 ? "matches" : "match"} “${query}”.` : "";
  if (state.view.length) setActive(0, { preview: true, scroll: true });
}

// ---------------------------------------------------------------------------------------
// The virtual list
// ---------------------------------------------------------------------------------------

function clearRows() {
  for (const el of state.rendered.values()) el.remove();
  state.rendered.clear();
}

function renderRows() {
  const list = $("list");
  const first = Math.max(0, Math.floor(list.scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(state.view.length - 1, Math.ceil((list.scrollTop + list.clientHeight) / ROW_HEIGHT) + OVERSCAN);
  for (const [i, el] of state.rendered) {
    if (i < first || i > last) {
      el.remove();
      state.rendered.delete(i);
    }
  }
  const spacer = $("list-spacer");
  for (let i = first; i <= last; i++) {
    if (!state.rendered.has(i)) {
      const el = rowElement(i);
      state.rendered.set(i, el);
      spacer.append(el);
    }
  }
  const active = state.view[state.active];
  if (active && state.rendered.has(state.active)) list.setAttribute("aria-activedescendant", `row-${active.index}`);
  else list.removeAttribute("aria-activedescendant");
}

function rowElement(i) {
  const r = state.view[i];
  const el = document.createElement("div");
  el.className = "row";
  el.id = `row-${r.index}`;
  el.setAttribute("role", "option");
  el.setAttribute("aria-posinset", String(i + 1));
  el.setAttribute("aria-setsize", String(state.view.length));
  el.dataset.view = String(i);
  el.style.top = `${i * ROW_HEIGHT}px`;
  updateRowState(el, r, i);

  const box = document.createElement("span");
  box.className = "box";
  box.setAttribute("aria-hidden", "true");
  const title = document.createElement("span");
  title.className = "title";
  appendHighlighted(title, r.title, state.search?.terms);
  const date = document.createElement("span");
  date.className = "date";
  date.textContent = r.create_time ? dateFmt.format(new Date(r.create_time * 1000)) : "";
  el.append(box, title, date);

  const snippet = state.search?.hits.get(r.index);
  if (snippet) {
    const s = document.createElement("div");
    s.className = "snippet";
    appendHighlighted(s, snippet, state.search.terms);
    el.append(s);
  } else {
    const meta = document.createElement("div");
    meta.className = "meta";
    const bits = [plural(r.messages, "message")];
    if (r.model) bits.push(r.model);
    for (const b of bits) {
      const span = document.createElement("span");
      span.textContent = b;
      meta.append(span);
    }
    if (r.gizmo_label) meta.append(badge(r.gizmo_label, r.gizmo_id));
    if (r.is_archived) meta.append(badge("Archived"));
    el.append(meta);
  }
  return el;
}

function badge(text, title) {
  const span = document.createElement("span");
  const b = document.createElement("span");
  b.className = "badge";
  b.textContent = text;
  if (title) b.title = title;
  span.append(b);
  return span;
}

function updateRowState(el, r, i) {
  el.setAttribute("aria-selected", String(state.checked.has(r.index)));
  el.classList.toggle("active", i === state.active);
  el.classList.toggle("current", r.index === state.current);
}

function updateRenderedRows() {
  for (const [i, el] of state.rendered) updateRowState(el, state.view[i], i);
  const active = state.view[state.active];
  if (active && state.rendered.has(state.active)) $("list").setAttribute("aria-activedescendant", `row-${active.index}`);
}

let previewTimer = 0;

/** Moves the cursor to view index `i`; previews it (after a short pause when moving fast). */
function setActive(i, { preview = true, scroll = true, now = false } = {}) {
  if (!state.view.length) return;
  i = Math.max(0, Math.min(state.view.length - 1, i));
  state.active = i;
  if (scroll) scrollToRow(i);
  renderRows();
  updateRenderedRows();
  if (preview) {
    clearTimeout(previewTimer);
    const index = state.view[i].index;
    if (now) showPreview(index);
    else previewTimer = setTimeout(() => showPreview(index), 120);
  }
}

function scrollToRow(i) {
  const list = $("list");
  const top = i * ROW_HEIGHT;
  if (top < list.scrollTop) list.scrollTop = top;
  else if (top + ROW_HEIGHT > list.scrollTop + list.clientHeight) list.scrollTop = top + ROW_HEIGHT - list.clientHeight;
}

function toggleChecked(index, on = !state.checked.has(index)) {
  if (on) state.checked.add(index);
  else state.checked.delete(index);
}

function onListKey(e) {
  const page = Math.max(1, Math.floor($("list").clientHeight / ROW_HEIGHT) - 1);
  const moves = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page };
  if (e.key in moves) {
    e.preventDefault();
    const to = state.active + moves[e.key];
    if (e.shiftKey && state.active >= 0) {
      for (let k = Math.min(state.active, to); k <= Math.max(state.active, to); k++) {
        if (state.view[k]) state.checked.add(state.view[k].index);
      }
      updateSelectionUi();
    }
    setActive(to);
  } else if (e.key === "Home" || e.key === "End") {
    e.preventDefault();
    setActive(e.key === "Home" ? 0 : state.view.length - 1);
  } else if (e.key === " " || e.key === "Spacebar") {
    e.preventDefault();
    const r = state.view[state.active];
    if (r) {
      toggleChecked(r.index);
      state.anchor = state.active;
      updateSelectionUi();
    }
  } else if (e.key === "Enter") {
    e.preventDefault();
    if (state.view[state.active]) {
      setActive(state.active, { now: true });
      if (narrow.matches) previewOver(true);
    }
  } else if ((e.key === "a" || e.key === "A") && (e.ctrlKey || e.metaKey)) {
    e.preventDefault();
    checkAllShown(true);
  }
}

function onListClick(e) {
  const el = e.target.closest(".row");
  if (!el) return;
  const i = Number(el.dataset.view);
  const r = state.view[i];
  if (!r) return;
  if (e.shiftKey && state.anchor >= 0) {
    for (let k = Math.min(state.anchor, i); k <= Math.max(state.anchor, i); k++) toggleChecked(state.view[k].index, true);
    updateSelectionUi();
  } else if (e.target.closest(".box") || e.ctrlKey || e.metaKey) {
    toggleChecked(r.index);
    state.anchor = i;
    updateSelectionUi();
  } else {
    state.anchor = i;
  }
  $("list").focus({ preventScroll: true });
  setActive(i, { scroll: false, now: true, preview: !e.target.closest(".box") || state.current === -1 });
  if (narrow.matches && !e.target.closest(".box") && !e.shiftKey && !e.ctrlKey && !e.metaKey) previewOver(true);
}

/** Whether a search or a filter hides some conversations. */
function filtered() {
  return state.view.length !== state.all.length;
}

function checkAllShown(on) {
  for (const r of state.view) toggleChecked(r.index, on);
  updateSelectionUi();
}

function updateSelectionUi() {
  const n = state.checked.size;
  let shownChecked = 0;
  for (const r of state.view) if (state.checked.has(r.index)) shownChecked++;
  const all = $("check-all", HTMLInputElement);
  all.checked = state.view.length > 0 && shownChecked === state.view.length;
  all.indeterminate = shownChecked > 0 && shownChecked < state.view.length;
  all.disabled = !state.view.length;
  const hidden = n - shownChecked;
  $("selection-count").textContent = n ? `${numberFmt.format(n)} selected${hidden ? ` (${numberFmt.format(hidden)} hidden by the filters)` : ""}` : "";
  const busy = Boolean(state.job && state.job.kind === "save");
  $("save-selected", HTMLButtonElement).textContent = n ? `Save ${numberFmt.format(n)} selected${hidden ? `, ${numberFmt.format(hidden)} not shown` : ""}` : "Save selected";
  // While a search or filter narrows the list, the second button saves what it shows.
  $("save-all", HTMLButtonElement).textContent = filtered() ? `Save the ${numberFmt.format(state.view.length)} shown` : `Save all ${numberFmt.format(state.all.length)}`;
  $("save-selected", HTMLButtonElement).disabled = !n || busy;
  $("save-all", HTMLButtonElement).disabled = !state.view.length || busy;
  $("save-one", HTMLButtonElement).disabled = state.current < 0 || busy;
  updateRenderedRows();
}

// ---------------------------------------------------------------------------------------
// Preview
// ---------------------------------------------------------------------------------------

let previewSeq = 0;

function showPreviewMessage(text, error = false) {
  $("preview-frame", HTMLIFrameElement).hidden = true;
  const m = $("preview-message");
  m.hidden = false;
  m.textContent = text;
  m.classList.toggle("error", error);
}

async function showPreview(index) {
  const r = state.rows[index];
  if (!r) return;
  state.current = index;
  updateRenderedRows();
  updateSelectionUi();
  const seq = ++previewSeq;
  $("preview-title").textContent = r.title;
  const meta = [r.create_time ? dateTimeFmt.format(new Date(r.create_time * 1000)) : null, plural(r.messages, "message"), r.model, r.gizmo_label, r.is_archived ? "archived" : null];
  $("preview-meta").textContent = meta.filter(Boolean).join(" · ");
  const waiting = setTimeout(() => seq === previewSeq && showPreviewMessage("Preparing the preview…"), 150);
  try {
    const { converted } = await ask(state.worker, { type: "convert", index, options: { ...state.options, formats: ["html"] } });
    if (seq !== previewSeq) return;
    const frame = $("preview-frame", HTMLIFrameElement);
    const terms = state.search?.terms;
    delete document.documentElement.dataset.previewMatch;
    frame.onload = () => markFirstMatch(frame, terms);
    frame.srcdoc = converted.files[0].text;
    frame.hidden = false;
    $("preview-message").hidden = true;
  } catch (e) {
    if (seq === previewSeq && e.kind !== "cancelled") showPreviewMessage(e.message, true);
  } finally {
    clearTimeout(waiting);
  }
}

/** Marks the first occurrence of a search term in the previewed page (the same matching as
 *  the list's highlights: lowercase, within one text) and scrolls the preview to it. */
function markFirstMatch(frame, terms) {
  const doc = frame.contentDocument;
  if (!doc?.body || !terms?.length) return;
  const walker = doc.createTreeWalker(doc.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const lower = node.data.toLowerCase();
    if (lower.length !== node.data.length) continue;
    let at = -1;
    let length = 0;
    for (const t of terms) {
      const k = lower.indexOf(t);
      if (k >= 0 && (at < 0 || k < at)) [at, length] = [k, t.length];
    }
    if (at < 0) continue;
    const range = doc.createRange();
    range.setStart(node, at);
    range.setEnd(node, at + length);
    const mark = doc.createElement("mark");
    mark.id = "chatkeep-first-match";
    range.surroundContents(mark);
    // Scroll the preview only, not the page around it.
    const scroller = doc.scrollingElement ?? doc.documentElement;
    scroller.scrollTop += mark.getBoundingClientRect().top - frame.clientHeight / 3;
    document.documentElement.dataset.previewMatch = mark.textContent;
    return;
  }
}

/** Narrow windows: shows the preview over the list, or goes back to the list. */
function previewOver(on) {
  const panes = $("browser");
  if (panes.classList.contains("previewing") === on) return;
  panes.classList.toggle("previewing", on);
  if (on) $("close-preview", HTMLButtonElement).focus();
  else $("list").focus({ preventScroll: true });
}

const narrow = matchMedia("(max-width: 64rem)");

// ---------------------------------------------------------------------------------------
// Saving
// ---------------------------------------------------------------------------------------

function chosenFormats() {
  return inputs(document, 'input[name="format"]:checked').map((i) => i.value);
}

function chosenImages() {
  return inputs(document, 'input[name="images"]:checked')[0]?.value ?? "link";
}

function checkFormats() {
  const formats = chosenFormats();
  $("formats", HTMLFieldSetElement).classList.toggle("invalid", !formats.length);
  if (!formats.length) {
    showSaveResult([errorLine("Choose at least one format.")]);
    return null;
  }
  return formats;
}

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

function showSaveResult(nodes) {
  $("save-result").replaceChildren(...nodes);
}

function okLine(text) {
  const p = document.createElement("p");
  p.className = "ok";
  p.textContent = text;
  return p;
}

function errorLine(text) {
  const p = document.createElement("p");
  p.className = "error";
  p.textContent = text;
  return p;
}

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

/** The output's name from the export's: "chatgpt-export-2026-01.zip" → "chatgpt-export-2026-01 (chatkeep, 491).zip". */
function zipName(count) {
  const stem = (state.file?.name ?? "chatgpt-export").replace(/\.(zip|json)$/i, "").slice(0, 80);
  return `${stem} (chatkeep, ${count}).zip`;
}

/** The password of an encrypted save (undefined when not encrypting, null when cancelled). */
async function savePassword(what) {
  if (!$("encrypt-save", HTMLInputElement).checked) return undefined;
  return askPassword(await wasmCore(), { what });
}

async function saveOne() {
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
    const { converted } = await ask(state.worker, { type: "convert", index, options });
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
      download(await zip.finish(), name);
      showSaveResult([okLine(`Saved ${name}`)]);
    }
  } catch (e) {
    if (e.kind !== "cancelled") showSaveResult([errorLine(`${state.rows[index]?.title ?? "This conversation"}: ${e.message}`)]);
  }
}

/**
 * Where the ZIP of a save goes, asked first thing in the click (the file picker needs the
 * click's user activation): a file the user chooses, where the browser offers that
 * (Chromium's showSaveFilePicker: the ZIP is written straight into it, never whole in
 * memory); `null` where it does not (the ZIP is written into the private file system and
 * downloaded from there); `undefined` when the user cancelled.
 */
async function chooseTarget(suggestedName) {
  /** @type {any} the File System Access API (Chromium only; not in TypeScript's DOM types) */
  const page = window;
  if (typeof page.showSaveFilePicker !== "function") return null;
  try {
    return await page.showSaveFilePicker({ suggestedName, types: [{ description: "ZIP archive", accept: { "application/zip": [".zip"] } }] });
  } catch (e) {
    if (e?.name === "AbortError") return undefined;
    return null; // refused (no user activation, a policy): download instead
  }
}

async function saveMany(indexes) {
  const formats = checkFormats();
  if (!formats) return;
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
  const onProgress = (p) => {
    if (p.phase !== "save") return;
    // Progress through the file (the job reads it up to the last chosen conversation).
    const fraction = p.goal ? p.conversations / p.goal : p.bytesTotal ? p.bytesRead / p.bytesTotal : 0;
    $("save-bar", HTMLProgressElement).value = Math.min(1, fraction);
    const elapsed = (performance.now() - started) / 1000;
    const parts = [`${numberFmt.format(p.conversations)} of ${plural(goal, "conversation")}`, `${size(p.zipBytes)} written`];
    if (elapsed > 1.5 && fraction > 0.02 && fraction < 1) parts.push(`about ${duration((elapsed / fraction) * (1 - fraction))} left`);
    $("save-text").textContent = parts.join(" · ");
  };
  const title = `ChatGPT conversations from ${state.file.name}`;
  const job = runJob("save", { type: "save", file: state.file, indexes, options, title, summaries, password, target }, onProgress);
  updateSelectionUi();
  try {
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
  } catch (e) {
    showSaveResult([e.kind === "cancelled" ? errorLine("Saving was cancelled; nothing was written.") : errorLine(e.message)]);
  } finally {
    $("save-progress").hidden = true;
    updateSelectionUi();
  }
}

// ---------------------------------------------------------------------------------------
// Wiring
// ---------------------------------------------------------------------------------------

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

function setUpDrop() {
  let depth = 0;
  const zone = $("open-card");
  const hasFiles = (e) => [...(e.dataTransfer?.types ?? [])].includes("Files");
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
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "copy";
  });
  document.addEventListener("drop", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth = 0;
    zone.classList.remove("dragging");
    const file = e.dataTransfer.files[0];
    if (file) openFile(file);
  });
}

/** Offers the whole-account backup kept in this browser, when there is one. */
async function offerLocalBackup() {
  const state = await getMeta("state").catch(() => undefined);
  $("open-backup-row").hidden = !state;
}

/** Opens the local backup: a worker writes it as a ZIP File (the core's layout, stored),
 *  which then opens like any export, offline. */
function openLocalBackup() {
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

function main() {
  loadPreferences();
  setUpDrop();
  offerLocalBackup();
  $("open-backup", HTMLButtonElement).addEventListener("click", openLocalBackup);
  const fileInput = $("file-input", HTMLInputElement);
  fileInput.addEventListener("change", () => {
    openFile(fileInput.files[0]);
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
