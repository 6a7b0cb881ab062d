// The options page's Privacy section: the core's `redact` options (crate/core/src/redact,
// RedactOptions) to and from its controls. A self-contained block: options.js calls
// fillPrivacy in fillForm and readPrivacy in readForm; the live preview then shows the
// redaction, since the core applies it to every save.

/** Puts `redact` (the core's RedactOptions) into the section's controls. */
export function fillPrivacy(form, redact) {
  form.elements.redact_enabled.checked = redact.enabled;
  for (const box of kindBoxes(form)) box.checked = redact.kinds.includes(box.value);
  form.elements.redact_terms.value = redact.terms.join("\n");
  form.elements.redact_drop_files.checked = redact.drop_files;
  form.elements.redact_drop_source.checked = redact.source === "drop";
  showKinds(form, redact.enabled);
}

/** Reads the section's controls into `options.redact`. */
export function readPrivacy(form, options) {
  const r = options.redact;
  r.enabled = form.elements.redact_enabled.checked;
  r.kinds = kindBoxes(form).filter((b) => b.checked).map((b) => b.value);
  // One term a line; the core trims them and ignores short ones.
  r.terms = form.elements.redact_terms.value.split("\n").filter((t) => t.trim());
  r.drop_files = form.elements.redact_drop_files.checked;
  r.source = form.elements.redact_drop_source.checked ? "drop" : "redact";
  showKinds(form, r.enabled);
}

function kindBoxes(form) {
  return [...form.querySelectorAll('input[name="redact_kinds"]')];
}

function showKinds(form, enabled) {
  /** @type {HTMLFieldSetElement} */ (document.getElementById("redact-details")).disabled = !enabled;
}
