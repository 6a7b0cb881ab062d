// The toolbar popup: save the open ChatGPT conversation (default formats, one format, or
// all three), copy it as Markdown, or, anywhere else, say what chatkeep does; everywhere,
// open the page that backs up the whole account.
//
// Also the small window the background opens when a save from a menu, the shortcut or the
// toolbar button needs a password ("encrypt every save"): popup.html?tab=<id>&save=<json>,
// where <json> is that save's options. It asks for the password at once, completes that
// same save for that tab, and closes itself (at once when cancelled).

import { api, loadSettings } from "./browser.js";
import { errorOf, Msg, request } from "./messages.js";
import { $ } from "./dom.js";
import { askPassword } from "./password-dialog.js";
import { saveCore as wasmCore } from "./save-core.js";

/** @type {Record<string, string>} */
const FORMAT_NAMES = { markdown: "Markdown", html: "HTML", json: "JSON" };

const statusEl = $("status");

/** The formats of the settings (what "Save" writes).
 *  @type {string[] | null} */
let defaultFormats = null;
let busy = false;
/** Whether the settings ask for a password to encrypt every save. */
let alwaysEncrypt = false;

const params = new URLSearchParams(location.search);
/** The tab this page saves: the one in `?tab=` (the password window), else the active tab. */
const forTab = /^\d+$/.test(params.get("tab") ?? "") ? Number(params.get("tab")) : undefined;
/** The save the background handed over (`?save=`: its options), to complete with a password. */
const handedOver = handedOverSave();

main();

async function main() {
  $("version").textContent = `chatkeep ${api.runtime.getManifest().version}`;
  for (const link of document.querySelectorAll(".open-options")) {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      openOptions();
    });
  }
  $("open-export", HTMLButtonElement).addEventListener("click", openExport);
  $("open-backup", HTMLButtonElement).addEventListener("click", openBackup);
  $("save", HTMLButtonElement).addEventListener("click", () => save(defaultFormats));
  for (const button of document.querySelectorAll("button[data-formats]")) {
    if (!(button instanceof HTMLButtonElement)) continue;
    // (The selector asks for the attribute.)
    button.addEventListener("click", () => save((button.dataset.formats ?? "").split(",")));
  }
  $("save-encrypted", HTMLButtonElement).addEventListener("click", () => save(defaultFormats, true));
  loadSettings().then(({ extension }) => {
    alwaysEncrypt = extension.encrypt === true;
    if (alwaysEncrypt) $("save-encrypted").hidden = true;
  }, () => {});
  $("copy", HTMLButtonElement).addEventListener("click", () => copyMarkdown(false));
  $("copy-redacted", HTMLButtonElement).addEventListener("click", () => copyMarkdown(true));

  settingsFormats().then(
    (formats) => {
      defaultFormats = formats;
      $("save-formats").textContent = `as ${listOf(formats.map((f) => FORMAT_NAMES[f] ?? f))}`;
    },
    () => {
      // Saving without formats uses the settings anyway.
      $("save-formats").textContent = "in the formats of your settings";
    },
  );

  let tab;
  try {
    tab = await request(api, { type: Msg.TAB_STATUS, tabId: forTab });
  } catch (caught) {
    const e = errorOf(caught);
    show("elsewhere");
    setStatus(e.message, "error");
    return;
  }
  // Any ChatGPT page: temporary chats have no conversation address, and the background
  // explains in one sentence when a page shows no conversation.
  if (tab?.chatgpt) {
    show("chat");
    $("save", HTMLButtonElement).focus();
    if (handedOver) return completeHandedOver();
  } else {
    show("elsewhere");
    $("open-export", HTMLButtonElement).focus();
  }
  await showNotice(tab?.tabId);
}

/** What the background could not say on the page (the shortcut pressed off ChatGPT),
 *  shown once, within ten minutes.
 *  @param {number | null | undefined} tabId */
async function showNotice(tabId) {
  /** @type {Partial<import("./messages.js").Notice> | undefined} */
  let notice;
  try {
    ({ notice } = await api.storage.session.get("notice"));
  } catch {
    return; // No session storage: nothing was kept.
  }
  if (!notice?.text) return;
  await api.storage.session.remove("notice").catch(() => {});
  const target = notice.tabId ?? tabId;
  if (target != null) {
    await api.action.setBadgeText({ tabId: target, text: "" }).catch(() => {});
    await api.action.setTitle({ tabId: target, title: api.runtime.getManifest().action?.default_title ?? "chatkeep" }).catch(() => {});
  }
  if (Date.now() - (notice.at ?? NaN) < 10 * 60_000) setStatus(notice.text, "error");
}

/** @param {"chat" | "elsewhere"} section */
function show(section) {
  $("loading").hidden = true;
  $("chat").hidden = section !== "chat";
  $("elsewhere").hidden = section !== "elsewhere";
}

/** The formats chosen in the settings, or the core's default.
 *  @returns {Promise<string[]>} */
async function settingsFormats() {
  const { options } = await loadSettings();
  if (Array.isArray(options.formats) && options.formats.length) return options.formats;
  // Nothing stored: ask the core for its default (the one source of truth).
  return (await wasmCore()).defaultOptions().formats;
}

/** "A", "A and B", "A, B and C".
 *  @param {string[]} items */
function listOf(items) {
  if (items.length < 2) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

/** The options of the save handed over in `?save=` (a JSON object), or null. */
function handedOverSave() {
  try {
    const options = JSON.parse(params.get("save") ?? "null");
    return options && typeof options === "object" && !Array.isArray(options) ? options : null;
  } catch {
    return null;
  }
}

/** The password window: asks at once and completes the save handed over; closes itself
 *  when cancelled, and a moment after the save (long enough to read "Saved"). */
async function completeHandedOver() {
  $("chat-title").textContent = "Save this conversation encrypted";
  const outcome = await save(handedOver.formats ?? defaultFormats, true, handedOver);
  if (outcome === "cancelled") window.close();
  else if (outcome === "saved") setTimeout(() => window.close(), 2500);
}

/** Saves the chat; `encrypt` (or the settings) first asks for a password, which goes to the
 *  background with this one message and is kept nowhere. `extra`: more of the save's
 *  options (a save handed over by the background). Resolves with "saved", "cancelled" or
 *  "failed".
 *  @param {string[] | null} formats  @param {boolean} [encrypt]  @param {Record<string, any>} [extra] */
async function save(formats, encrypt = false, extra = {}) {
  if (busy) return "failed";
  let password;
  if (encrypt || alwaysEncrypt) {
    password = await askPassword(await wasmCore(), { what: "this chat" });
    if (password === null) return "cancelled";
  }
  setBusy(true);
  setStatus("Saving…", "busy");
  try {
    /** @type {Record<string, any>} */
    const options = { ...extra };
    const message = { type: Msg.SAVE, tabId: forTab, options };
    if (formats) message.options.formats = formats;
    if (password !== undefined) message.options.password = password;
    const result = await request(api, message);
    const names = fileNames(result?.files);
    const warnings = Array.isArray(result?.warnings) ? result.warnings : [];
    setStatus(names.length ? "Saved" : "Saved.", "ok", names, warnings);
    return "saved";
  } catch (caught) {
    const e = errorOf(caught);
    setStatus(e.message, "error");
    return "failed";
  } finally {
    setBusy(false);
  }
}

/** The names of the written files, whatever shape the background reports them in.
 *  @param {unknown} files  @returns {string[]} */
function fileNames(files) {
  if (!Array.isArray(files)) return [];
  return files
    .map((f) => (typeof f === "string" ? f : f?.fileName ?? f?.filename ?? f?.name))
    .filter((name) => typeof name === "string" && name)
    .map((name) => name.split(/[\\/]/).pop() ?? name);
}

/** @param {boolean} redacted */
async function copyMarkdown(redacted) {
  if (busy) return;
  setBusy(true);
  setStatus("Copying…", "busy");
  try {
    const { text } = await request(api, { type: Msg.COPY_MARKDOWN, tabId: forTab, options: { redacted } });
    await writeClipboard(text);
    setStatus(redacted ? "Copied as Markdown, redacted" : "Copied as Markdown", "ok");
  } catch (caught) {
    const e = errorOf(caught);
    setStatus(e.message, "error");
  } finally {
    setBusy(false);
  }
}

/** Writes text to the clipboard; falls back to a hidden text area where the async API is
 *  refused (the click's user activation may have expired while the background worked).
 *  @param {string} text */
async function writeClipboard(text) {
  try {
    await navigator.clipboard.writeText(text);
    return;
  } catch {
    // Fall through to the older way.
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.append(area);
  area.select();
  const ok = document.execCommand("copy");
  area.remove();
  if (!ok) throw new Error("The browser did not allow copying. Try again.");
}

/** @param {boolean} on */
function setBusy(on) {
  busy = on;
  for (const button of document.querySelectorAll("#chat button")) {
    if (button instanceof HTMLButtonElement) button.disabled = on;
  }
  document.body.setAttribute("aria-busy", String(on));
}

/** The status line: a message, optionally the saved file names and chatkeep's notes.
 *  @param {string} text  @param {"busy" | "ok" | "error"} kind  @param {string[]} [files]  @param {string[]} [notes] */
function setStatus(text, kind, files = [], notes = []) {
  statusEl.replaceChildren();
  statusEl.dataset.kind = kind;
  const line = document.createElement("span");
  line.className = "status-text";
  line.textContent = text;
  statusEl.append(line);
  if (files.length) {
    const list = document.createElement("span");
    list.className = "status-files";
    for (const name of files) {
      const item = document.createElement("span");
      item.className = "file";
      item.textContent = name;
      list.append(item);
    }
    statusEl.append(list);
  }
  if (notes.length) {
    const note = document.createElement("span");
    note.className = "status-notes";
    note.textContent = notes.length === 1 ? `Note: ${notes[0]}` : `${notes.length} notes: ${notes.join(" ")}`;
    statusEl.append(note);
  }
}

async function openOptions() {
  await api.runtime.openOptionsPage();
  window.close();
}

async function openExport() {
  await api.tabs.create({ url: api.runtime.getURL("export.html") });
  window.close();
}

async function openBackup() {
  await api.tabs.create({ url: api.runtime.getURL("backup.html") });
  window.close();
}
