// The export page's preview of one conversation (the core's HTML in a sandboxed frame).

import { $ } from "./dom.js";
import { dateTimeFmt, plural } from "./export-format.js";
import { updateRenderedRows, updateSelectionUi } from "./export-list.js";
import { ask, indexWorker } from "./export-messaging.js";
import { state } from "./export-state.js";
import { errorOf } from "./messages.js";

/** @typedef {import("./export-state.js").Converted} Converted */

let previewSeq = 0;

/**
 * Shows a message instead of the preview.
 * @param {string} text
 * @param {boolean} [error]
 */
export function showPreviewMessage(text, error = false) {
  $("preview-frame", HTMLIFrameElement).hidden = true;
  const m = $("preview-message");
  m.hidden = false;
  m.textContent = text;
  m.classList.toggle("error", error);
}

/**
 * Previews the conversation at `index` (position in the file) as the core's HTML.
 * @param {number} index
 */
export async function showPreview(index) {
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
    /** @type {{converted: Converted}} */
    const { converted } = await ask(indexWorker(), { type: "convert", index, options: { ...state.options, formats: ["html"] } });
    if (seq !== previewSeq) return;
    const frame = $("preview-frame", HTMLIFrameElement);
    const terms = state.search?.terms;
    delete document.documentElement.dataset.previewMatch;
    frame.onload = () => markFirstMatch(frame, terms);
    frame.srcdoc = converted.files[0].text;
    frame.hidden = false;
    $("preview-message").hidden = true;
  } catch (caught) {
    const e = errorOf(caught);
    if (seq === previewSeq && e.kind !== "cancelled") showPreviewMessage(e.message, true);
  } finally {
    clearTimeout(waiting);
  }
}

/** Marks the first occurrence of a search term in the previewed page (the same matching as
 *  the list's highlights: lowercase, within one text) and scrolls the preview to it.
 * @param {HTMLIFrameElement} frame
 * @param {string[] | undefined} terms */
function markFirstMatch(frame, terms) {
  const doc = frame.contentDocument;
  if (!doc?.body || !terms?.length) return;
  const walker = doc.createTreeWalker(doc.body, NodeFilter.SHOW_TEXT);
  // SHOW_TEXT: every node is a Text.
  const next = () => /** @type {Text | null} */ (walker.nextNode());
  for (let node = next(); node; node = next()) {
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

/**
 * Narrow windows: shows the preview over the list, or goes back to the list.
 * @param {boolean} on
 */
export function previewOver(on) {
  const panes = $("browser");
  if (panes.classList.contains("previewing") === on) return;
  panes.classList.toggle("previewing", on);
  if (on) $("close-preview", HTMLButtonElement).focus();
  else $("list").focus({ preventScroll: true });
}

export const narrow = matchMedia("(max-width: 64rem)");
