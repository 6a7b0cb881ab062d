// The export page's list: filtering and sorting into the view, the virtual list (only the
// visible rows exist), its cursor, keys, clicks and selection.

import { $ } from "./dom.js";
import { dateFmt, numberFmt, plural } from "./export-format.js";
import { narrow, previewOver, showPreview } from "./export-preview.js";
import { state } from "./export-state.js";

/** @typedef {import("./export-state.js").Summary} Summary */

const ROW_HEIGHT = 64;
const OVERSCAN = 6;

/**
 * Appends `text` to `parent`, with every occurrence of the search terms in <mark>.
 * @param {HTMLElement} parent
 * @param {string | null | undefined} text
 * @param {string[] | undefined} terms
 */
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

/** @type {Record<string, (a: Summary, b: Summary) => number>} */
const SORTS = {
  "created-desc": (a, b) => (b.create_time ?? 0) - (a.create_time ?? 0) || a.index - b.index,
  "created-asc": (a, b) => (a.create_time ?? 0) - (b.create_time ?? 0) || a.index - b.index,
  "updated-desc": (a, b) => (b.update_time ?? b.create_time ?? 0) - (a.update_time ?? a.create_time ?? 0) || a.index - b.index,
  "title-asc": (a, b) => collator.compare(a.title, b.title) || a.index - b.index,
  "messages-desc": (a, b) => b.messages - a.messages || a.index - b.index,
};
const collator = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });

/**
 * A date input's value as seconds since the epoch (local midnight), or null.
 * @param {string} value
 * @returns {number | null}
 */
function dayStart(value) {
  if (!value) return null;
  const [y, m, d] = value.split("-").map(Number);
  return new Date(y, m - 1, d).getTime() / 1000;
}

/**
 * Filters, sorts and shows the list again (after new rows, a search, a filter).
 * @param {{keepCurrent?: boolean}} [how] keepCurrent: keep the cursor on the same conversation
 */
export function refreshView({ keepCurrent = true } = {}) {
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

export function clearRows() {
  for (const el of state.rendered.values()) el.remove();
  state.rendered.clear();
}

export function renderRows() {
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

/**
 * The row of view index `i`.
 * @param {number} i
 * @returns {HTMLElement}
 */
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
    appendHighlighted(s, snippet, state.search?.terms);
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

/**
 * @param {string} text
 * @param {string | null} [title]
 */
function badge(text, title) {
  const span = document.createElement("span");
  const b = document.createElement("span");
  b.className = "badge";
  b.textContent = text;
  if (title) b.title = title;
  span.append(b);
  return span;
}

/**
 * @param {HTMLElement} el
 * @param {Summary} r
 * @param {number} i its view index
 */
function updateRowState(el, r, i) {
  el.setAttribute("aria-selected", String(state.checked.has(r.index)));
  el.classList.toggle("active", i === state.active);
  el.classList.toggle("current", r.index === state.current);
}

export function updateRenderedRows() {
  for (const [i, el] of state.rendered) updateRowState(el, state.view[i], i);
  const active = state.view[state.active];
  if (active && state.rendered.has(state.active)) $("list").setAttribute("aria-activedescendant", `row-${active.index}`);
}

let previewTimer = 0;

/**
 * Moves the cursor to view index `i`; previews it (after a short pause when moving fast).
 * @param {number} i
 * @param {{preview?: boolean, scroll?: boolean, now?: boolean}} [how]
 */
export function setActive(i, { preview = true, scroll = true, now = false } = {}) {
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

/** @param {number} i */
function scrollToRow(i) {
  const list = $("list");
  const top = i * ROW_HEIGHT;
  if (top < list.scrollTop) list.scrollTop = top;
  else if (top + ROW_HEIGHT > list.scrollTop + list.clientHeight) list.scrollTop = top + ROW_HEIGHT - list.clientHeight;
}

/**
 * @param {number} index position in the file
 * @param {boolean} [on]
 */
function toggleChecked(index, on = !state.checked.has(index)) {
  if (on) state.checked.add(index);
  else state.checked.delete(index);
}

/** @param {KeyboardEvent} e */
export function onListKey(e) {
  const page = Math.max(1, Math.floor($("list").clientHeight / ROW_HEIGHT) - 1);
  /** @type {Record<string, number>} */
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

/** @param {MouseEvent} e */
export function onListClick(e) {
  const target = /** @type {Element} */ (e.target);
  const el = /** @type {HTMLElement | null} */ (target.closest(".row"));
  if (!el) return;
  const i = Number(el.dataset.view);
  const r = state.view[i];
  if (!r) return;
  if (e.shiftKey && state.anchor >= 0) {
    for (let k = Math.min(state.anchor, i); k <= Math.max(state.anchor, i); k++) toggleChecked(state.view[k].index, true);
    updateSelectionUi();
  } else if (target.closest(".box") || e.ctrlKey || e.metaKey) {
    toggleChecked(r.index);
    state.anchor = i;
    updateSelectionUi();
  } else {
    state.anchor = i;
  }
  $("list").focus({ preventScroll: true });
  setActive(i, { scroll: false, now: true, preview: !target.closest(".box") || state.current === -1 });
  if (narrow.matches && !target.closest(".box") && !e.shiftKey && !e.ctrlKey && !e.metaKey) previewOver(true);
}

/** Whether a search or a filter hides some conversations. */
export function filtered() {
  return state.view.length !== state.all.length;
}

/** @param {boolean} on */
export function checkAllShown(on) {
  for (const r of state.view) toggleChecked(r.index, on);
  updateSelectionUi();
}

export function updateSelectionUi() {
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
