// The options page: every option of the core (crate/core/src/options.rs, snake_case keys),
// the extension's own settings, and a live preview of a sample conversation written with
// them by the wasm core itself.
//
// Storage (through browser.js): `options` holds the core options that differ from
// defaultOptions() (the core's changedOptions(): the `redact` object field by field, so a
// field never changed takes a later version's default), plus `utc_offset_minutes` always;
// `extension` holds `save_as` and
// `time_zone` ("local": the browser's offset, refreshed on every save; "utc").

import { loadSettings, saveSettings } from "./browser.js";
import init, { changedOptions, defaultOptions, convertConversation, mergeOptions, redactionFindings, unknownPlaceholders, version } from "./pkg/chatkeep_save.js";
import { fillPrivacy, readPrivacy, showFindings, writeMarked } from "./options-privacy.js";
import { $, inputs } from "./dom.js";
import { errorOf } from "./messages.js";

const SAVE_DELAY_MS = 400;
const PREVIEW_DELAY_MS = 120;

/**
 * The core's options (crate/core/src/options.rs), as defaultOptions() and mergeOptions() give
 * them: the keys this page has controls for, and any others, kept as they are.
 * @typedef {{
 *   formats: string[],
 *   branches: string,
 *   include_reasoning: boolean,
 *   include_hidden: boolean,
 *   include_custom_instructions: boolean,
 *   timestamps: boolean,
 *   utc_offset_minutes: number,
 *   images: string,
 *   flavor: string,
 *   front_matter: string[],
 *   filename_template: string,
 *   redact: import("./options-privacy.js").RedactOptions,
 * } & Record<string, any>} CoreOptions
 */
/** The extension's own settings (browser.js's Settings.extension), as this page keeps them.
 *  @typedef {{save_as: boolean, encrypt?: boolean, time_zone: "local" | "utc"} & Record<string, any>} ExtensionSettings */

/** Labels of the front-matter fields (the keys come from defaultOptions().front_matter).
 *  @type {Record<string, string[]>} */
const FRONT_MATTER_LABELS = {
  title: ["title", "the conversation's title"],
  id: ["conversation_id", "its id"],
  url: ["url", "its address on chatgpt.com"],
  created: ["created", "when it started"],
  updated: ["updated", "its last message"],
  model: ["model", "the model used"],
  messages: ["messages", "how many messages"],
  gizmo: ["project / gpt", "the project or GPT it belongs to"],
  origin: ["source", "where chatkeep read it"],
};
/** @type {Record<string, string>} */
const FORMAT_NAMES = { markdown: "Markdown", html: "HTML", json: "JSON" };

const form = $("settings", HTMLFormElement);
/** The settings form's single named controls (options.html).
 *  @type {HTMLFormControlsCollection & Record<"include_reasoning" | "include_hidden" | "include_custom_instructions" | "timestamps" | "filename_template" | "save_as" | "encrypt", HTMLInputElement>} */
const fields = /** @type {any} */ (form.elements);

/** The state of the page. */
const state = {
  /** defaultOptions() from the core  @type {CoreOptions | null} */
  defaults: null,
  /** the core options in effect (always valid)  @type {CoreOptions | null} */
  options: null,
  /** @type {ExtensionSettings} */
  extension: { save_as: false, time_zone: "local" },
  /** sample-conversation.json, as text  @type {string | null} */
  sample: null,
  /** the format shown in the preview ("": none yet) */
  tab: "",
};

// What main() loads before it wires a control: every handler may count on it.
const NOT_LOADED = "The settings page has not finished loading. Reload it.";
/** The core options in effect. */
function current() {
  if (!state.options) throw new Error(NOT_LOADED);
  return state.options;
}
/** The core's defaults. */
function defaults() {
  if (!state.defaults) throw new Error(NOT_LOADED);
  return state.defaults;
}
/** The sample conversation of the preview, as text. */
function sample() {
  if (state.sample === null) throw new Error(NOT_LOADED);
  return state.sample;
}

// ---------------------------------------------------------------------------------------
// Start
// ---------------------------------------------------------------------------------------

main().catch((e) => {
  showPreviewMessage(`The settings could not be loaded: ${e?.message ?? e}`, true);
  setStatus(`Could not load the settings: ${e?.message ?? e}`, "error");
});

async function main() {
  const [, sample, settings] = await Promise.all([
    init(),
    fetch("./sample-conversation.json").then((r) => {
      if (!r.ok) throw new Error(`sample-conversation.json: HTTP ${r.status}`);
      return r.text();
    }),
    loadSettings(),
  ]);
  state.defaults = defaultOptions();
  state.sample = sample;
  // The core's merge, as every save uses it: keys of another version, or of the wrong type,
  // are dropped (and leave storage at the next save, which writes what differs from the
  // defaults).
  state.options = mergeOptions(settings.options ?? null, null);
  // Other parts of the extension may keep settings of their own in `extension`: kept as is.
  state.extension = {
    ...settings.extension,
    save_as: settings.extension.save_as === true,
    encrypt: settings.extension.encrypt === true,
    time_zone: timeZoneOf(settings),
  };
  current().utc_offset_minutes = offsetFor(state.extension.time_zone);
  // The browser's offset changes with daylight saving time and travel: keep it current.
  const storedOffset = settings.options?.utc_offset_minutes;
  if (storedOffset !== undefined && storedOffset !== current().utc_offset_minutes) save({ quiet: true });

  $("version").textContent = `chatkeep ${version()}`;
  buildFrontMatter(defaults().front_matter);
  describeLocalTimeZone();
  fillForm();
  wireEvents();
  renderPreview();
}

/** The chosen time zone: stored, or (for settings written before it was) guessed from the
 *  stored offset: 0 where the browser's is not 0 means UTC was chosen.
 *  @param {import("./browser.js").Settings} settings  @returns {"local" | "utc"} */
function timeZoneOf({ options, extension }) {
  if (extension.time_zone === "utc" || extension.time_zone === "local") return extension.time_zone;
  const stored = options?.utc_offset_minutes;
  return stored === 0 && browserOffset() !== 0 ? "utc" : "local";
}

/** The browser's offset from UTC in minutes, east positive (the core's convention). */
function browserOffset() {
  return -new Date().getTimezoneOffset();
}

/** @param {string} timeZone */
function offsetFor(timeZone) {
  return timeZone === "utc" ? 0 : browserOffset();
}

/** @param {number} minutes */
function formatOffset(minutes) {
  const sign = minutes < 0 ? "−" : "+";
  const abs = Math.abs(minutes);
  return `UTC${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

function describeLocalTimeZone() {
  let name = "";
  try {
    name = Intl.DateTimeFormat().resolvedOptions().timeZone ?? "";
  } catch {
    // No time zone name: the offset alone says enough.
  }
  const offset = formatOffset(browserOffset());
  $("time-zone-local-desc").textContent = name && name !== "UTC"
    ? `Your browser's time zone: ${name.replaceAll("_", " ")} (now ${offset}).`
    : `Your browser's time zone (now ${offset}).`;
}

// ---------------------------------------------------------------------------------------
// The form
// ---------------------------------------------------------------------------------------

/** @param {string[]} fields */
function buildFrontMatter(fields) {
  const box = $("front-matter");
  for (const field of fields) {
    const [label, desc] = FRONT_MATTER_LABELS[field] ?? [field, ""];
    const id = `front-matter-${field}`;
    const row = document.createElement("div");
    row.className = "choice compact";
    const input = Object.assign(document.createElement("input"), { type: "checkbox", id, name: "front_matter", value: field });
    const labelEl = Object.assign(document.createElement("label"), { htmlFor: id });
    const code = Object.assign(document.createElement("code"), { textContent: label });
    labelEl.append(code);
    if (desc) {
      const small = Object.assign(document.createElement("span"), { className: "label-desc", textContent: desc });
      labelEl.append(" ", small);
    }
    row.append(input, labelEl);
    box.append(row);
  }
}

/** Puts state into the controls. */
function fillForm() {
  const o = current();
  for (const box of formatBoxes()) box.checked = o.formats.includes(box.value);
  setRadio("branches", o.branches);
  fields.include_reasoning.checked = o.include_reasoning;
  fields.include_hidden.checked = o.include_hidden;
  fields.include_custom_instructions.checked = o.include_custom_instructions;
  fields.timestamps.checked = o.timestamps;
  setRadio("time_zone", state.extension.time_zone);
  setRadio("images", o.images);
  setRadio("flavor", o.flavor);
  for (const box of frontMatterBoxes()) box.checked = o.front_matter.includes(box.value);
  fields.filename_template.value = o.filename_template;
  fields.save_as.checked = state.extension.save_as;
  fields.encrypt.checked = state.extension.encrypt === true;
  fillPrivacy(form, o.redact);
  showError("formats", "");
  showError("template", "");
}

/** @param {string} name  @param {string} value */
function setRadio(name, value) {
  for (const radio of radios(name)) radio.checked = radio.value === value;
}

/** @param {string} name */
function radios(name) {
  return inputs(form, `input[type=radio][name="${name}"]`);
}

function formatBoxes() {
  return inputs(form, 'input[name="formats"]');
}

function frontMatterBoxes() {
  return inputs(form, 'input[name="front_matter"]');
}

/** @param {string} name */
function checkedValue(name) {
  return inputs(form, `input[name="${name}"]:checked`)[0]?.value;
}

/** Reads the controls into state. Invalid parts keep their last valid value and show an
 *  inline message. Returns whether anything changed. */
function readForm() {
  const before = JSON.stringify([current(), state.extension]);
  const o = current();

  // The last format can't be unticked (see keepOneFormat): page, storage and saves agree.
  const formats = formatBoxes().filter((b) => b.checked).map((b) => b.value);
  if (formats.length) o.formats = formats;

  o.branches = checkedValue("branches") ?? o.branches;
  o.include_reasoning = fields.include_reasoning.checked;
  o.include_hidden = fields.include_hidden.checked;
  o.include_custom_instructions = fields.include_custom_instructions.checked;
  o.timestamps = fields.timestamps.checked;
  const zone = checkedValue("time_zone");
  state.extension.time_zone = zone === "utc" || zone === "local" ? zone : state.extension.time_zone;
  o.utc_offset_minutes = offsetFor(state.extension.time_zone);
  o.images = checkedValue("images") ?? o.images;
  o.flavor = checkedValue("flavor") ?? o.flavor;
  o.front_matter = frontMatterBoxes().filter((b) => b.checked).map((b) => b.value);

  // Whatever is typed is what saves use; the example below shows what the core makes of it
  // (an empty template is the core's default).
  const template = fields.filename_template.value;
  o.filename_template = template;
  showError("template", template.trim() ? unknownPlaceholderNote(template) : `Empty: the default, ${defaults().filename_template}, is used.`, "note");

  state.extension.save_as = fields.save_as.checked;
  state.extension.encrypt = fields.encrypt.checked;
  readPrivacy(form, o);
  return JSON.stringify([current(), state.extension]) !== before;
}

/** A gentle note for `{things}` the core does not replace (it keeps them as typed).
 *  @param {string} template */
function unknownPlaceholderNote(template) {
  const unknown = unknownPlaceholders(template);
  if (!unknown.length) return "";
  const list = unknown.map((k) => `{${k}}`).join(", ");
  return `${list} ${unknown.length > 1 ? "are not placeholders" : "is not a placeholder"}, so it stays as typed.`;
}

/** Shows or clears the inline message of the formats or template group.
 *  @param {"formats" | "template"} which  @param {string} message  @param {"error" | "note"} [kind] */
function showError(which, message, kind = "error") {
  const el = $(`${which}-error`);
  el.textContent = message;
  el.hidden = !message;
  el.classList.toggle("note", kind === "note");
  const invalid = Boolean(message) && kind === "error";
  if (which === "template") {
    fields.filename_template.setAttribute("aria-invalid", String(invalid));
  } else {
    $("formats", HTMLFieldSetElement).classList.toggle("invalid", invalid);
    for (const box of formatBoxes()) {
      box.setAttribute("aria-invalid", String(invalid));
      if (invalid) box.setAttribute("aria-errormessage", "formats-error");
      else box.removeAttribute("aria-errormessage");
    }
  }
}

/** Unticking the last format ticks it again and says why.
 *  @param {HTMLInputElement} box */
function keepOneFormat(box) {
  const boxes = formatBoxes();
  if (boxes.some((b) => b.checked)) {
    showError("formats", "");
    return;
  }
  box.checked = true;
  showError("formats", `At least one format is needed, so ${FORMAT_NAMES[box.value] ?? box.value} stays ticked.`, "note");
}

function wireEvents() {
  /** @param {Event} event */
  const onEdit = (event) => {
    const target = event.target;
    // (Every control of the form with a name is an <input>, <select> or <textarea>.)
    if (!(target instanceof HTMLElement) || !("name" in target) || !target.name) return;
    // (A checkbox fires "input", then "change": one is enough.)
    if (target.name === "formats" && event.type === "change" && target instanceof HTMLInputElement) keepOneFormat(target);
    editedCard = target.closest(".card");
    if (readForm()) {
      scheduleSave();
      schedulePreview();
    }
  };
  form.addEventListener("change", onEdit);
  form.addEventListener("input", onEdit);
  form.addEventListener("submit", (e) => e.preventDefault());

  $("placeholders").addEventListener("click", (event) => {
    const button = event.target instanceof Element ? /** @type {HTMLButtonElement | null} */ (event.target.closest("button[data-insert]")) : null;
    if (button) insertPlaceholder(button.dataset.insert ?? "");
  });
  $("front-matter-all", HTMLButtonElement).addEventListener("click", () => setAllFrontMatter(true));
  $("front-matter-none", HTMLButtonElement).addEventListener("click", () => setAllFrontMatter(false));
  $("reset", HTMLButtonElement).addEventListener("click", resetToDefaults);
  $("preview-toggle", HTMLButtonElement).addEventListener("click", () => openPreview(!$("preview").classList.contains("open")));
  addEventListener("keydown", (e) => {
    if (e.key === "Escape" && $("preview").classList.contains("open")) {
      openPreview(false);
      $("preview-toggle", HTMLButtonElement).focus();
    }
  });

  // Save before the page goes away (closing the tab within the debounce delay).
  const flush = () => {
    if (saveTimer !== undefined) save();
  };
  addEventListener("pagehide", flush);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") flush();
  });
}

/** Opens or closes the preview panel of narrow windows.
 *  @param {boolean} open */
function openPreview(open) {
  $("preview").classList.toggle("open", open);
  $("preview-toggle", HTMLButtonElement).setAttribute("aria-expanded", String(open));
  $("preview-toggle", HTMLButtonElement).textContent = open ? "Hide" : "Show";
}

/** Inserts a placeholder at the cursor, with a space on either side where it would touch
 *  other text ("{date} {title}", not "{date}{title}").
 *  @param {string} text */
function insertPlaceholder(text) {
  const input = fields.filename_template;
  const start = input.selectionStart ?? input.value.length;
  const end = input.selectionEnd ?? input.value.length;
  const before = input.value.slice(0, start);
  const after = input.value.slice(end);
  if (before && !/\s$/.test(before)) text = ` ${text}`;
  if (after && !/^\s/.test(after)) text = `${text} `;
  input.setRangeText(text, start, end, "end");
  input.focus();
  input.dispatchEvent(new Event("input", { bubbles: true }));
}

/** @param {boolean} on */
function setAllFrontMatter(on) {
  for (const box of frontMatterBoxes()) box.checked = on;
  if (readForm()) {
    scheduleSave();
    schedulePreview();
  }
}

/** Restores the defaults, and offers to undo that until the next change. */
function resetToDefaults() {
  const before = { options: structuredClone(current()), extension: { ...state.extension } };
  state.options = structuredClone(defaults());
  state.extension = { ...state.extension, save_as: false, encrypt: false, time_zone: "local" };
  current().utc_offset_minutes = offsetFor("local");
  applyAll("Defaults restored");
  const undo = Object.assign(document.createElement("button"), { type: "button", className: "small", id: "undo-reset", textContent: "Undo" });
  undo.addEventListener("click", () => {
    state.options = before.options;
    state.extension = before.extension;
    current().utc_offset_minutes = offsetFor(state.extension.time_zone);
    applyAll("Your settings are back");
    $("reset-status").textContent = "Your settings are back.";
    $("reset", HTMLButtonElement).focus();
  });
  $("reset-status").replaceChildren("Defaults restored.", undo);
  undo.focus();
}

/** @param {string} message */
function applyAll(message) {
  fillForm();
  editedCard = null;
  save();
  renderPreview();
  setStatus(message, "ok");
}

// ---------------------------------------------------------------------------------------
// Saving
// ---------------------------------------------------------------------------------------

/** @type {ReturnType<typeof setTimeout> | undefined} */
let saveTimer;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let statusTimer;
/** The card of the last change, where "Saved" is shown.
 *  @type {Element | null} */
let editedCard = null;

function scheduleSave() {
  clearTimeout(saveTimer);
  setStatus("Saving…", "busy");
  // Any change ends the offer to undo a reset.
  $("reset-status").replaceChildren();
  saveTimer = setTimeout(save, SAVE_DELAY_MS);
}

/** Stores the options that differ from the defaults (so later versions' new defaults
 *  apply), with the offset always written out, and the extension's settings.
 *  @param {{quiet?: boolean}} [how] */
async function save({ quiet = false } = {}) {
  clearTimeout(saveTimer);
  saveTimer = undefined;
  try {
    /** @type {Record<string, unknown>} */
    const options = changedOptions(current());
    options.utc_offset_minutes = current().utc_offset_minutes;
    await saveSettings({ options, extension: { ...state.extension } });
    if (!quiet && $("save-status").dataset.kind !== "ok") setStatus("Saved", "ok");
    if (!quiet) cardStatus("Saved", "ok");
  } catch (caught) {
    const e = errorOf(caught);
    setStatus(`Not saved: ${e?.message ?? e}`, "error");
    cardStatus(`Not saved: ${e?.message ?? e}`, "error");
  }
}

/** "Saved" (or the error) in the card that was changed, in sight of the change.
 *  @param {string} text  @param {"ok" | "error"} kind */
function cardStatus(text, kind) {
  const card = editedCard;
  if (!card) return;
  // The status line keeps its fade-out timer on itself.
  /** @type {(HTMLElement & {timer?: ReturnType<typeof setTimeout>}) | null} */
  let el = card.querySelector(":scope > .card-status");
  if (!el) {
    el = Object.assign(document.createElement("p"), { className: "card-status" });
    el.setAttribute("role", "status");
    card.append(el);
  }
  clearTimeout(el.timer);
  el.textContent = kind === "ok" ? `✓ ${text}` : text;
  el.dataset.kind = kind;
  el.classList.add("visible");
  const shown = el;
  if (kind === "ok") shown.timer = setTimeout(() => shown.classList.remove("visible"), 2500);
}

/** The small indicator in the header: busy, ok (fades after a moment) or error.
 *  @param {string} text  @param {"busy" | "ok" | "error"} kind */
function setStatus(text, kind) {
  const el = $("save-status");
  clearTimeout(statusTimer);
  el.textContent = text;
  el.dataset.kind = kind;
  el.classList.add("visible");
  if (kind === "ok") {
    statusTimer = setTimeout(() => {
      el.classList.remove("visible");
      el.dataset.kind = "";
    }, 2000);
  }
}

// ---------------------------------------------------------------------------------------
// Preview
// ---------------------------------------------------------------------------------------

/** @type {ReturnType<typeof setTimeout> | undefined} */
let previewTimer;

function schedulePreview() {
  clearTimeout(previewTimer);
  previewTimer = setTimeout(renderPreview, PREVIEW_DELAY_MS);
}

function renderPreview() {
  let result;
  try {
    result = convertConversation(sample(), current(), undefined);
  } catch (caught) {
    const e = errorOf(caught);
    showPreviewMessage(e?.message ?? String(e), true);
    $("template-example", HTMLOutputElement).textContent = "—";
    return;
  }
  const files = result.files;
  const formats = current().formats;
  if (!formats.includes(state.tab)) state.tab = formats[0];
  const index = Math.max(0, formats.indexOf(state.tab));
  const file = files[index];

  $("template-example", HTMLOutputElement).textContent = files[0]?.fileName ?? "";
  renderTabs(formats);
  $("preview-file-name").textContent = file.fileName;

  // What redaction replaces in the sample (all it finds, with nothing kept), listed in the
  // Privacy section with a checkbox each; the preview marks the placeholders.
  /** @type {import("./options-privacy.js").Finding[]} */
  let replaced = [];
  try {
    const all = redactionFindings(sample(), { ...current(), redact: { ...current().redact, allow: [] } });
    showFindings(form, all, current().redact);
    if (current().redact.enabled) replaced = redactionFindings(sample(), current());
  } catch {
    // The conversion above would have failed the same way.
  }

  const pre = $("preview-text");
  const frame = $("preview-html", HTMLIFrameElement);
  $("preview-message").hidden = true;
  if (state.tab === "html") {
    pre.hidden = true;
    frame.hidden = false;
    if (frame.srcdoc !== file.text) frame.srcdoc = file.text;
  } else {
    frame.hidden = true;
    pre.hidden = false;
    const keep = pre.dataset.format === state.tab ? pre.scrollTop : 0;
    writeMarked(pre, file.text, replaced);
    pre.dataset.format = state.tab;
    pre.scrollTop = keep;
  }

  const warnings = $("preview-warnings");
  warnings.textContent = result.warnings.length ? `Notes from chatkeep: ${result.warnings.map((/** @type {import("./messages.js").CoreWarning} */ w) => w.message).join(" ")}` : "";
  warnings.hidden = !result.warnings.length;
}

/** @param {string} text  @param {boolean} isError */
function showPreviewMessage(text, isError) {
  const message = $("preview-message");
  message.textContent = text;
  message.hidden = false;
  message.classList.toggle("error", Boolean(isError));
  message.setAttribute("role", isError ? "alert" : "status");
  $("preview-text").hidden = true;
  $("preview-html", HTMLIFrameElement).hidden = true;
}

/** The tab list (only when several formats are chosen): roving tabindex, arrow keys.
 *  @param {string[]} formats */
function renderTabs(formats) {
  const list = $("preview-tabs");
  const panel = $("preview-panel");
  list.hidden = formats.length < 2;
  const tabs = () => /** @type {HTMLButtonElement[]} */ ([...list.children]);
  const current = tabs().map((b) => b.dataset.format).join();
  if (current !== formats.join()) {
    list.replaceChildren(
      ...formats.map((format) => {
        const tab = document.createElement("button");
        tab.type = "button";
        tab.setAttribute("role", "tab");
        tab.id = `tab-${format}`;
        tab.dataset.format = format;
        tab.textContent = FORMAT_NAMES[format] ?? format;
        tab.setAttribute("aria-controls", "preview-panel");
        tab.addEventListener("click", () => selectTab(format, false));
        tab.addEventListener("keydown", onTabKey);
        return tab;
      }),
    );
  }
  for (const tab of tabs()) {
    const selected = tab.dataset.format === state.tab;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
  }
  // A tab panel only when there are tabs; otherwise a plain region named by the heading.
  if (list.hidden) {
    panel.removeAttribute("role");
    panel.setAttribute("aria-labelledby", "preview-title");
  } else {
    panel.setAttribute("role", "tabpanel");
    panel.setAttribute("aria-labelledby", `tab-${state.tab}`);
  }
}

/** @param {string} format  @param {boolean} focus */
function selectTab(format, focus) {
  state.tab = format;
  renderPreview();
  if (focus) $(`tab-${format}`)?.focus();
}

/** @param {KeyboardEvent} event */
function onTabKey(event) {
  const formats = current().formats;
  const i = formats.indexOf(state.tab);
  /** @type {Record<string, number>} */
  const keys = {
    ArrowRight: (i + 1) % formats.length,
    ArrowLeft: (i - 1 + formats.length) % formats.length,
    Home: 0,
    End: formats.length - 1,
  };
  const to = keys[event.key];
  if (to === undefined) return;
  event.preventDefault();
  selectTab(formats[to], true);
}
