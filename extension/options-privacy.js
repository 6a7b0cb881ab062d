// The options page's Privacy section: the core's `redact` options (crate/core/src/redact,
// RedactOptions) to and from its controls. A self-contained block: options.js calls
// fillPrivacy in fillForm, readPrivacy in readForm and showFindings with each preview; the
// live preview then shows the redaction, since the core applies it to every save.
//
// The findings list: what the core's `redactionFindings` finds in the preview's sample
// conversation, one checkbox per value. Unticking a value puts it in `redact.allow` (kept
// as it is in every save); values kept earlier that the sample does not show stay kept.
// The list itself is findings-list.js, which the export page uses too.

import { listFindings, markFindings } from "./findings-list.js";
import { $, inputs } from "./dom.js";

/**
 * The core's RedactOptions (snake_case keys).
 * @typedef {{enabled: boolean, kinds: string[], terms: string[], drop_files: boolean, source: string, allow: string[]}} RedactOptions
 */
/**
 * A value the core's redactionFindings found (findings-list.js's Found), with its placeholder.
 * @typedef {import("./findings-list.js").Found & {placeholder: string}} Finding
 */
/**
 * The Privacy section's single named controls (options.html).
 * @typedef {HTMLFormControlsCollection & Record<"redact_enabled" | "redact_drop_files" | "redact_drop_source", HTMLInputElement>
 *   & {redact_terms: HTMLTextAreaElement}} PrivacyFields
 */

/** @param {HTMLFormElement} form  @returns {PrivacyFields} */
function fieldsOf(form) {
  return /** @type {any} */ (form.elements);
}

/** Puts `redact` (the core's RedactOptions) into the section's controls.
 *  @param {HTMLFormElement} form  @param {RedactOptions} redact */
export function fillPrivacy(form, redact) {
  const fields = fieldsOf(form);
  fields.redact_enabled.checked = redact.enabled;
  for (const box of kindBoxes(form)) box.checked = redact.kinds.includes(box.value);
  fields.redact_terms.value = redact.terms.join("\n");
  fields.redact_drop_files.checked = redact.drop_files;
  // Ticked by default: the core leaves the JSON's `source` out unless told to redact inside it.
  fields.redact_drop_source.checked = redact.source === "drop";
  for (const box of allowBoxes(form)) box.checked = !redact.allow.includes(box.value);
  showKinds(form, redact.enabled);
}

/** Reads the section's controls into `options.redact`.
 *  @param {HTMLFormElement} form  @param {{redact: RedactOptions}} options */
export function readPrivacy(form, options) {
  const fields = fieldsOf(form);
  const r = options.redact;
  r.enabled = fields.redact_enabled.checked;
  r.kinds = kindBoxes(form).filter((b) => b.checked).map((b) => b.value);
  // One term a line; the core trims them and ignores short ones.
  r.terms = fields.redact_terms.value.split("\n").filter((t) => t.trim());
  r.drop_files = fields.redact_drop_files.checked;
  r.source = fields.redact_drop_source.checked ? "drop" : "redact";
  const listed = allowBoxes(form);
  const shown = new Set(listed.map((b) => b.value));
  r.allow = [...r.allow.filter((v) => !shown.has(v)), ...listed.filter((b) => !b.checked).map((b) => b.value)];
  showKinds(form, r.enabled);
}

/**
 * Shows what redaction replaces in the sample: `all` are the core's findings with nothing
 * kept (every value the kinds and terms find), `redact` the options in effect.
 * @param {HTMLFormElement} form  @param {Finding[]} all  @param {RedactOptions} redact
 */
export function showFindings(form, all, redact) {
  const box = $("redact-found");
  const list = $("redact-found-list");
  const counts = $("redact-found-counts");
  box.hidden = !redact.enabled;
  if (!redact.enabled) return;
  listFindings(list, all, { name: "redact_allow" });
  counts.textContent = markFindings(list, all, new Set(redact.allow), "in the sample");
}

/** Writes `text` into `pre` with every placeholder of `findings` in a <mark>.
 *  @param {HTMLElement} pre  @param {string} text  @param {Finding[]} findings */
export function writeMarked(pre, text, findings) {
  const placeholders = [...new Set(findings.map((f) => f.placeholder))];
  if (!placeholders.length) {
    pre.textContent = text;
    return;
  }
  /** @type {(string | Node)[]} */
  const parts = [];
  let at = 0;
  for (;;) {
    let next = -1;
    let which = "";
    for (const p of placeholders) {
      const k = text.indexOf(p, at);
      if (k >= 0 && (next < 0 || k < next)) [next, which] = [k, p];
    }
    if (next < 0) break;
    parts.push(text.slice(at, next));
    const mark = document.createElement("mark");
    mark.textContent = which;
    parts.push(mark);
    at = next + which.length;
  }
  parts.push(text.slice(at));
  pre.replaceChildren(...parts);
}

/** @param {HTMLFormElement} form */
function kindBoxes(form) {
  return inputs(form, 'input[name="redact_kinds"]');
}

/** @param {HTMLFormElement} form */
function allowBoxes(form) {
  return inputs(form, 'input[name="redact_allow"]');
}

/** @param {HTMLFormElement} form  @param {boolean} enabled */
function showKinds(form, enabled) {
  $("redact-details", HTMLFieldSetElement).disabled = !enabled;
}
