// chatkeep's background: a Chromium service worker, a Firefox event page (the build adapts
// manifest.json for each). Every way to save — toolbar button, page and link menus, the
// keyboard shortcut, the popup — calls one function, `save(tabId, options)`, exposed as
// `globalThis.chatkeep.save` so tests can drive it. All reading and writing of
// conversations happens in the wasm core; this file only gathers input and starts downloads.

import init, * as core from "./pkg/chatkeep_save.js";
import { api, ensureOffscreen, isFirefox, loadSettings, objectUrl } from "./browser.js";
import { errorOf, KindError as SaveError, messageProblem, Msg } from "./messages.js";
import { createBackupRunner } from "./backup-runner.js";
import { backupZipInWorker, clearScratch } from "./backup-zip.js";
import { fromBase64, pageRequest, pageSession } from "./page-requests.js";
import { ZipWriter } from "./zip-writer.js";

/** @typedef {import("./messages.js").SaveOptions} SaveOptions */
/** @typedef {import("./messages.js").SaveResult} SaveResult */
/** @typedef {import("./messages.js").NoteSpec} NoteSpec */
/** @typedef {import("./messages.js").PageGlobals} PageGlobals */
/** @typedef {import("./browser.js").Settings} Settings */
/** A page as capture.js hands it over (`__chatkeepCapture()`).
 *  @typedef {{url: string, title: string, root: object, capture?: object, cancelled?: boolean}} CapturedPage */

// Service workers forbid top-level await: callers wait on this instead.
const ready = init();

/** The sentence for the user of each kind of error the background raises itself.
 *  @type {Record<string, string>} */
const MESSAGES = {
  not_chatgpt: "This tab isn't a ChatGPT conversation. Open one on chatgpt.com, or open your ChatGPT export from chatkeep's menu.",
  no_conversation: "This ChatGPT page shows no conversation. Open a conversation, then try again.",
  // On ChatGPT, but not in a conversation (the home page, a GPT's or project's page).
  open_a_conversation: "Open a conversation first: this ChatGPT page shows none. Pick one in ChatGPT's sidebar, then save it.",
  logged_out: "You're not logged in to ChatGPT in this browser. Log in to ChatGPT, then try again.",
  rate_limited: "ChatGPT is limiting requests right now. Wait a minute, then try again.",
  no_access: "chatkeep can't read this tab. Reload the page, then try again.",
  cancelled: "Cancelled: the page was not read to the end, and nothing was saved.",
  password_needed: "Your settings ask for a password for every save: click chatkeep's toolbar button, then type it there.",
  password_asked: "Your settings ask for a password for every save: type it in the window chatkeep opened, which then saves this chat.",
};

/** Why a chat was read from the page instead (one sentence for what happened, one for what
 *  it means), by the kind of the API's failure.
 *  @type {Record<string, (e: Error) => string>} */
const FALLBACK = {
  api_down: (e) => {
    const status = /HTTP \d+/.exec(e.message);
    return `ChatGPT's API did not answer${status ? ` (${status[0]})` : ""}, so chatkeep read the chat from the page. ${PAGE_COPY}`;
  },
  rate_limited: () => `ChatGPT was limiting requests, so chatkeep read the chat from the page. ${PAGE_COPY}`,
  not_found: () => `ChatGPT's API did not find this chat, so chatkeep read it from the page. ${PAGE_COPY}`,
};
const PAGE_COPY = "The file has what the page shows: other versions of answers and hidden messages are not in it.";

// ---------------------------------------------------------------------------------------
// Where we are
// ---------------------------------------------------------------------------------------

/** What a tab's URL is: a conversation, a share page, another ChatGPT page, or elsewhere
 *  (the core's rule: `{kind, id?, temporary?}`). A tab off ChatGPT has no `url` for us (no
 *  "tabs" permission): that is elsewhere.
 *  @param {string | undefined} url */
export async function classify(url) {
  await ready;
  return core.classifyUrl(url ?? "");
}

// ---------------------------------------------------------------------------------------
// Reading the conversation
// ---------------------------------------------------------------------------------------

/** @param {number} tabId  @param {(...args: any[]) => any} func  @param {any[]} args
 *  @param {"MAIN" | "ISOLATED"} [world] */
async function inPage(tabId, func, args, world = "MAIN") {
  let results;
  try {
    results = await api.scripting.executeScript({ target: { tabId }, world, func, args });
  } catch (caught) {
    const e = errorOf(caught);
    throw new SaveError("no_access", `${MESSAGES.no_access} (${e.message})`);
  }
  return results?.[0]?.result;
}

/** @param {number} tabId */
async function injectCapture(tabId) {
  try {
    await api.scripting.executeScript({ target: { tabId }, files: ["page-note.js", "capture.js"] });
  } catch (caught) {
    const e = errorOf(caught);
    throw new SaveError("no_access", `${MESSAGES.no_access} (${e.message})`);
  }
}

/** The page's session token, or the reason there is none.
 *  @param {number} tabId  @returns {Promise<string>} */
async function sessionToken(tabId) {
  const s = await inPage(tabId, pageSession, []);
  if (s?.token) return s.token;
  if (s?.loggedOut) throw new SaveError("logged_out", MESSAGES.logged_out);
  throw new SaveError("api_down", `ChatGPT's API did not answer${s?.status ? ` (HTTP ${s.status})` : ""}.`);
}

/** The conversation's JSON from ChatGPT's API.
 *  @param {number} tabId  @param {string} id  @returns {Promise<string>} */
async function fetchConversation(tabId, id) {
  const token = await sessionToken(tabId);
  for (let attempt = 0; ; attempt++) {
    const r = await inPage(tabId, pageRequest, [`/backend-api/conversation/${encodeURIComponent(id)}`, token, 60_000]);
    if (r?.status === 200) return new TextDecoder().decode(fromBase64(r.base64));
    const kind = r?.status === 429 ? "rate_limited" : r?.status === 404 ? "not_found" : "api_down";
    const retryAfter = Number(r?.retryAfter) || null;
    // A short Retry-After is worth one wait; a long one is not (the page is used instead).
    if (kind === "rate_limited" && attempt === 0 && retryAfter && retryAfter <= 3) {
      await new Promise((res) => setTimeout(res, retryAfter * 1000));
      continue;
    }
    const detail = r?.status ? ` (HTTP ${r.status})` : "";
    throw new SaveError(kind, MESSAGES[kind] ?? `ChatGPT's API did not answer${detail}.`);
  }
}

/** Images and files the output will show, fetched through the page's session, within a
 *  size budget; one that can't be fetched becomes a placeholder.
 *  @param {number} tabId  @param {string} json  @param {object} options  the core's */
async function fetchAssets(tabId, json, options) {
  if (!core.needsFiles(options)) return undefined;
  const ids = core.conversationAssets(json);
  if (!ids.length) return undefined;
  let token;
  try {
    token = await sessionToken(tabId);
  } catch {
    return undefined; // no files, still a complete transcript
  }
  /** @type {Record<string, {name: string | null, mime: string | null, bytes: Uint8Array}>} */
  const assets = {};
  let left = 200 * 1024 * 1024;
  for (const id of ids) {
    const meta = await inPage(tabId, pageRequest, [`/backend-api/files/download/${encodeURIComponent(id)}?inline=false`, token, 60_000]);
    if (meta?.status !== 200) continue;
    let info;
    try {
      info = JSON.parse(new TextDecoder().decode(fromBase64(meta.base64)));
    } catch {
      continue;
    }
    if (info?.status !== "success" || typeof info.download_url !== "string") continue;
    const r = await inPage(tabId, pageRequest, [info.download_url, null, 60_000]);
    if (r?.status !== 200) continue;
    const bytes = fromBase64(r.base64);
    left -= bytes.length;
    if (left < 0) break;
    assets[id] = { name: info.file_name || null, mime: info.mime_type || null, bytes };
  }
  return assets;
}

/** @param {number} tabId  @returns {Promise<CapturedPage>} */
async function capturePage(tabId) {
  await injectCapture(tabId);
  /** @type {CapturedPage | undefined} */
  const page = await inPage(tabId, () => /** @type {PageGlobals} */ (globalThis).__chatkeepCapture?.(), [], "ISOLATED");
  if (page?.cancelled) throw new SaveError("cancelled", MESSAGES.cancelled);
  if (!page?.root) throw new SaveError("no_conversation", MESSAGES.no_conversation);
  return page;
}

/** The conversation read from the page; what the reader could not prove it saw is said in
 *  the files (the core's `Incomplete: …` warnings).
 *  @param {number} tabId  @param {object} coreOptions */
async function convertCapturedPage(tabId, coreOptions) {
  const page = await capturePage(tabId);
  return core.convertPage(JSON.stringify(page.root), page.url, page.title, coreOptions, page.capture ?? null);
}

// ---------------------------------------------------------------------------------------
// Writing files
// ---------------------------------------------------------------------------------------

/** Downloads `blob` as `fileName` (a name already taken gets " (1)" from the browser) and
 *  resolves, once the browser has written it, with `{id, name}`: the download's id and the
 *  name the file actually got.
 *  @param {string} fileName  @param {Blob} blob  @param {boolean} saveAs
 *  @returns {Promise<{id: number, name: string}>} */
async function download(fileName, blob, saveAs) {
  const url = await objectUrl(blob);
  let id;
  try {
    id = await api.downloads.download({ url, filename: fileName, saveAs, conflictAction: "uniquify" });
  } catch (caught) {
    const e = errorOf(caught);
    throw new SaveError("download", `The download of ${fileName} failed: ${e.message}. Check the browser's download settings, then try again.`);
  }
  const item = await downloadDone(id);
  if (item?.state === "interrupted") {
    throw new SaveError("download", `The download of ${fileName} failed (${item.error ?? "interrupted"}). Check the browser's download settings, then try again.`);
  }
  // The path the browser chose; only its last part is the user's business.
  return { id, name: (item?.filename ? item.filename.split(/[\\/]/).pop() : undefined) ?? fileName };
}

/** The download item `id` once it is complete or interrupted (or, if the browser takes
 *  longer than a minute, as it is then).
 *  @param {number} id  @returns {Promise<chrome.downloads.DownloadItem | undefined>} */
function downloadDone(id) {
  return new Promise((resolve) => {
    let done = false;
    const finish = async () => {
      if (done) return;
      done = true;
      api.downloads.onChanged.removeListener(onChanged);
      clearTimeout(timer);
      const [item] = await api.downloads.search({ id }).catch(() => []);
      resolve(item);
    };
    /** @param {chrome.downloads.DownloadDelta} delta */
    const onChanged = (delta) => {
      if (delta.id === id && delta.state && delta.state.current !== "in_progress") finish();
    };
    const timer = setTimeout(finish, 60_000);
    api.downloads.onChanged.addListener(onChanged);
    // It may have finished before the listener was added.
    api.downloads.search({ id }).then(
      ([item]) => {
        if (item && item.state !== "in_progress") finish();
      },
      () => {},
    );
  });
}

/** Told how far the offscreen document's backup ZIP is (Chromium).
 *  @type {((p: {done: number, total: number}) => void) | null} */
let zipProgress = null;

/** A URL for the backup ZIP of `layout`, written by a worker (backup-zip-worker.js) started
 *  here where the background has a DOM (Firefox), else by the offscreen document, which
 *  reports its progress with OFFSCREEN_PROGRESS. The readable copies, when the backup asks
 *  for them, follow the user's settings.
 *  @param {any} layout  the core's
 *  @param {(p: {done: number, total: number}) => void} progress  @param {string} [password]
 *  @returns {Promise<string>} */
async function backupZipUrl(layout, progress, password) {
  const options = layout.readable ? await settingsOptions(await loadSettings()) : undefined;
  if (typeof URL.createObjectURL === "function") {
    const url = URL.createObjectURL(await backupZipInWorker(layout, { options, progress, password }));
    setTimeout(() => URL.revokeObjectURL(url), 10 * 60_000);
    return url;
  }
  await ensureOffscreen();
  zipProgress = progress;
  try {
    const reply = await api.runtime.sendMessage({ type: "chatkeep/offscreen-backup-zip", target: "offscreen", layout, options, password });
    if (!reply?.url) throw new SaveError("internal", `chatkeep could not write the backup ZIP: ${reply?.error ?? "no answer"}. Reload the extension and try again.`);
    return reply.url;
  } finally {
    zipProgress = null;
  }
}

const backups = createBackupRunner({ ready, zipUrl: backupZipUrl, clearZips: clearScratch });

// ---------------------------------------------------------------------------------------
// Feedback
// ---------------------------------------------------------------------------------------

/** The note on the page (page-note.js) and the badge: `note` is a sentence, or the note's
 *  fields ({state, text, title, labels, warnings, detail, downloadId}). An error the page
 *  cannot show (off ChatGPT) is kept for the popup.
 *  @param {number} tabId  @param {string | NoteSpec} note  @param {boolean} isError */
async function feedback(tabId, note, isError) {
  /** @type {NoteSpec} */
  const spec = typeof note === "string" ? { text: note } : note;
  spec.state ??= isError ? "error" : "done";
  let shown = false;
  try {
    await api.scripting.executeScript({ target: { tabId }, files: ["page-note.js"] });
    await api.scripting.executeScript({ target: { tabId }, func: (s) => /** @type {PageGlobals} */ (globalThis).__chatkeepNote?.(s), args: [spec] });
    shown = true;
  } catch {
    // Not a page we can write to (any page off ChatGPT, or gone): see below.
  }
  if (isError && !shown) await keepNotice(tabId, spec.text);
  try {
    await api.action.setBadgeBackgroundColor({ tabId, color: isError ? "#b42318" : "#15803d" });
    await api.action.setBadgeText({ tabId, text: isError ? "!" : "✓" });
    // An explanation kept for the popup keeps its badge until the popup shows it.
    if (shown || !isError) setTimeout(() => api.action.setBadgeText({ tabId, text: "" }).catch(() => {}), 5000);
  } catch {
    // The tab may be gone.
  }
}

/** Keeps a message the page could not show (the shortcut pressed off ChatGPT) for the
 *  popup: the toolbar button's tooltip says it, and the popup shows it when next opened.
 *  @param {number} tabId  @param {string} text */
async function keepNotice(tabId, text) {
  try {
    await api.storage.session.set({ notice: { text, tabId, at: Date.now() } });
    await api.action.setTitle({ tabId, title: `chatkeep: ${text}` });
  } catch {
    // No session storage (an old browser): the badge is all there is.
  }
}

// ---------------------------------------------------------------------------------------
// The one entry point
// ---------------------------------------------------------------------------------------

/** @type {Record<string, string>} */
const FORMAT_LABELS = { md: "MD", html: "HTML", json: "JSON" };

/** The keys of save()'s options that are the extension's (checked by checkCall); the others
 *  are the core's (checked by the core). */
const EXTENSION_KEYS = new Set(["save_as", "reader", "conversation_id", "feedback", "download", "password", "redacted"]);

/** @returns {Promise<number>} */
async function activeTabId() {
  const [tab] = await api.tabs.query({ active: true, lastFocusedWindow: true });
  if (tab?.id === undefined) throw new SaveError("not_chatgpt", MESSAGES.not_chatgpt);
  return tab.id;
}

/** Refuses a call of save() or copyMarkdown() with arguments it cannot take (the core
 *  options among `options` are checked by the core).
 *  @param {unknown} tabId  @param {unknown} options
 *  @returns {asserts options is SaveOptions} */
function checkCall(tabId, options) {
  if (tabId !== undefined && tabId !== null && !Number.isInteger(tabId)) {
    throw new SaveError("options", `Invalid option: the tab must be given by its id (a whole number), not ${JSON.stringify(tabId)}.`);
  }
  if (options === null || typeof options !== "object" || Array.isArray(options)) throw new SaveError("options", "Invalid option: the options must be an object.");
  /** @type {Record<string, (v: any) => boolean>} */
  const checks = {
    save_as: (v) => typeof v === "boolean",
    reader: (v) => ["auto", "api", "dom"].includes(v),
    conversation_id: (v) => typeof v === "string" && v.length > 0,
    feedback: (v) => typeof v === "boolean",
    download: (v) => typeof v === "boolean",
    password: (v) => typeof v === "string",
    redacted: (v) => typeof v === "boolean",
  };
  const given = /** @type {Record<string, unknown>} */ (options);
  for (const [k, ok] of Object.entries(checks)) {
    // A password is never repeated, not even in an error.
    const shown = k === "password" ? `a ${typeof given[k]}` : JSON.stringify(given[k]);
    if (given[k] !== undefined && !ok(given[k])) throw new SaveError("options", `Invalid option: ${k} cannot be ${shown}.`);
  }
}

/** The core's options: the user's `settings` (read once by the caller), then `call` (a
 *  caller's core options).
 *  @param {Settings} settings  @param {Record<string, any>} [call]  @returns {Promise<object>} */
async function settingsOptions(settings, call = {}) {
  await ready;
  // Times in the browser's current zone (it changes with daylight saving), unless UTC was chosen.
  const zone = settings.extension.time_zone !== "utc" ? { utc_offset_minutes: -new Date().getTimezoneOffset() } : {};
  // The core merges: stale stored keys are dropped, an unknown key of the call is an error.
  return core.mergeOptions(settings.options, { ...zone, ...call });
}

/** Converts the conversation in `tabId` (or the one named by `options.conversation_id`)
 *  without downloading: `{converted, reader, warnings}`, with the user's `settings`.
 *  @param {number} tabId  @param {SaveOptions} options  @param {Settings} settings
 *  @returns {Promise<{converted: any, reader: string, warnings: string[]}>} */
async function read(tabId, options, settings) {
  await ready;
  const tab = await api.tabs.get(tabId);
  const coreOptions = await settingsOptions(settings, Object.fromEntries(Object.entries(options).filter(([k]) => !EXTENSION_KEYS.has(k))));
  const where = options.conversation_id ? { kind: "conversation", id: options.conversation_id, viaLink: true } : await classify(tab.url);
  const readerPref = options.reader ?? "auto";
  /** @type {string[]} */
  const warnings = [];

  if (where.kind === "other") throw new SaveError("not_chatgpt", MESSAGES.not_chatgpt);
  if (where.kind === "share") {
    await injectCapture(tabId);
    const html = await inPage(tabId, () => /** @type {PageGlobals} */ (globalThis).__chatkeepPageHtml?.(), [], "ISOLATED");
    try {
      return { converted: core.convertSharePage(html, coreOptions), reader: "share", warnings };
    } catch (e) {
      if (readerPref === "api") throw e;
      return { converted: await convertCapturedPage(tabId, coreOptions), reader: "dom", warnings };
    }
  }
  if (where.kind === "conversation" && readerPref !== "dom") {
    try {
      const json = await fetchConversation(tabId, where.id);
      const assets = await fetchAssets(tabId, json, coreOptions);
      return { converted: core.convertConversation(json, coreOptions, assets), reader: "api", warnings };
    } catch (e) {
      // Only an API that did not answer is worth the page's copy. Logged out: the page can't
      // show the chat either. Forced API, or a chat that isn't open (a sidebar link): nothing
      // to fall back to. Anything else is a fault to report, not to hide.
      const apiFailed = e instanceof SaveError && ["api_down", "not_found", "rate_limited"].includes(e.kind);
      if (!apiFailed || readerPref === "api" || where.viaLink) throw e;
      warnings.push(FALLBACK[e.kind](e));
    }
  }
  try {
    return { converted: await convertCapturedPage(tabId, coreOptions), reader: "dom", warnings };
  } catch (caught) {
    const e = errorOf(caught);
    // On ChatGPT but not in a conversation (its home page): say what to do there.
    if (where.kind === "chatgpt" && e?.kind === "no_conversation") throw new SaveError("no_conversation", MESSAGES.open_a_conversation);
    throw e;
  }
}

/** A save's password is asked for in an extension page, never here: when the settings ask
 *  for one and the save came without (a menu, the shortcut, the toolbar button), a small
 *  window shows the popup for this tab with this save's options (popup.html?tab=&save=),
 *  which asks for the password and then makes the same save. Where no window can be opened,
 *  the toolbar button's popup is set for the tab (and opened where the browser allows).
 *  @param {number} tabId  @param {SaveOptions} options  @returns {Promise<never>} */
async function needPassword(tabId, options) {
  const save = Object.fromEntries(Object.entries(options).filter(([k]) => !["password", "feedback", "download"].includes(k)));
  const url = api.runtime.getURL(`popup.html?tab=${tabId}&save=${encodeURIComponent(JSON.stringify(save))}`);
  try {
    await api.windows.create({ url, type: "popup", width: 360, height: 640 });
  } catch {
    await api.action.setPopup({ tabId, popup: "popup.html" }).catch(() => {});
    await api.action.openPopup?.().catch(() => {});
    throw new SaveError("password_needed", MESSAGES.password_needed);
  }
  throw new SaveError("password_asked", MESSAGES.password_asked);
}

/** Saves the conversation of a tab. Resolves once the downloads have started with
 *  `{files, assets, reader, warnings}` (`assets`: the images a Markdown file links to);
 *  rejects with an Error carrying a `kind`. With `password`, the files and images go into
 *  one AES-256 encrypted ZIP (the password is used for it and kept nowhere). The stored
 *  settings are read once, here, for the whole save.
 *  @param {number | null} [tabId]  @param {SaveOptions} [options]  @returns {Promise<SaveResult>} */
async function save(tabId, options = {}) {
  checkCall(tabId, options);
  const tab = tabId ?? (await activeTabId());
  try {
    const settings = await loadSettings();
    const saveAs = options.save_as ?? settings.extension.save_as;
    if (settings.extension.encrypt === true && options.password === undefined) await needPassword(tab, options);
    await ready;
    // A password the core refuses fails before the chat is read.
    const zip = options.password !== undefined ? new ZipWriter({ encryption: { password: options.password, AesEntry: core.AesEntry } }) : null;
    const { converted, reader, warnings } = await read(tab, options, settings);
    /** @type {string[]} */
    const files = [];
    /** @type {number | null} */
    let downloadId = null;
    /** @type {string[]} */
    const assets = [];
    if (zip) {
      for (const f of converted.files) await zip.add(f.fileName, f.text);
      for (const a of converted.assets ?? []) if (!zip.has(a.path)) await zip.add(a.path, a.bytes);
      const archive = await zip.finish();
      if (!archive) throw new SaveError("internal", "chatkeep could not write the encrypted ZIP. Reload the extension and try again.");
      const got = await download(`${converted.files[0].fileName.replace(/\.[^.]+$/, "")}.zip`, archive, saveAs);
      downloadId = got.id ?? null;
      files.push(got.name);
    } else {
      for (const f of converted.files) {
        const got = await download(f.fileName, new Blob([f.text], { type: f.mime }), saveAs && files.length === 0);
        downloadId ??= got.id ?? null;
        files.push(got.name);
      }
      for (const a of converted.assets ?? []) {
        await download(a.path, new Blob([a.bytes], { type: "application/octet-stream" }), false);
        assets.push(a.path);
      }
    }
    // A page read says what it lacks in its own sentence (`warnings` of read()): the core's
    // page_read warning would say it twice.
    /** @type {import("./messages.js").CoreWarning[]} */
    const coreWarnings = converted.warnings;
    const all = [...warnings, ...coreWarnings.filter((w) => reader !== "dom" || w.kind !== "page_read").map((w) => w.message)];
    if (options.feedback !== false) {
      await feedback(tab, {
        text: "Saved",
        title: converted.title,
        labels: files.map((f) => FORMAT_LABELS[f.slice(f.lastIndexOf(".") + 1)] ?? f.slice(f.lastIndexOf(".") + 1).toUpperCase()),
        warnings: converted.incomplete ?? [],
        // A page read says so in its own sentence (what happened, what it means).
        detail: reader === "dom" ? (warnings[0] ?? `Read from the page. ${PAGE_COPY}`) : null,
        downloadId,
      }, false);
    }
    return { files, assets, reader, warnings: all };
  } catch (caught) {
    const e = errorOf(caught);
    const err = e instanceof SaveError || e?.kind ? e : new SaveError("internal", `chatkeep could not save this chat: ${e?.message ?? e}.`);
    // Handed over to the password window, which says how the save went.
    if (options.feedback !== false && err.kind !== "password_asked") await feedback(tab, { text: err.message, state: err.kind === "cancelled" ? "cancelled" : "error" }, true);
    throw err;
  }
}

/** The open chat as Markdown (for "Copy as Markdown").
 *  @param {number | null} [tabId]  @param {SaveOptions} [options]  @returns {Promise<{text: string}>} */
async function copyMarkdown(tabId, options = {}) {
  checkCall(tabId, options);
  const tab = tabId ?? (await activeTabId());
  const settings = await loadSettings();
  // "Copy as Markdown (redacted)": the Privacy settings' kinds, words and kept values, with
  // redaction on whether or not it is on for saves.
  const redact = options.redacted ? { redact: { ...(settings.options.redact ?? {}), enabled: true } } : {};
  const { converted } = await read(tab, { ...options, ...redact, formats: ["markdown"], images: "omit" }, settings);
  return { text: converted.files[0]?.text ?? "" };
}

// ---------------------------------------------------------------------------------------
// Listeners: one-liners around save()
// ---------------------------------------------------------------------------------------

/** @type {Record<string, string[]>} */
const MENU = {
  "save-md": ["markdown"],
  "save-html": ["html"],
  "save-json": ["json"],
  "save-all": ["markdown", "html", "json"],
};
const CHATGPT_PAGES = ["https://chatgpt.com/*", "https://chat.openai.com/*"];
const CHAT_LINKS = ["https://chatgpt.com/c/*", "https://chatgpt.com/g/*/c/*", "https://chat.openai.com/c/*"];

function createMenus() {
  api.contextMenus.removeAll(() => {
    api.contextMenus.create({ id: "save", title: "Save this chat", contexts: ["page"], documentUrlPatterns: CHATGPT_PAGES });
    for (const [id, label] of [["save-md", "as Markdown"], ["save-html", "as HTML"], ["save-json", "as JSON"], ["save-all", "in all three formats"]]) {
      api.contextMenus.create({ id, parentId: "save", title: label, contexts: ["page"], documentUrlPatterns: CHATGPT_PAGES });
    }
    api.contextMenus.create({ id: "copy-md", parentId: "save", title: "Copy as Markdown", contexts: ["page"], documentUrlPatterns: CHATGPT_PAGES });
    api.contextMenus.create({ id: "copy-md-redacted", parentId: "save", title: "Copy as Markdown (redacted)", contexts: ["page"], documentUrlPatterns: CHATGPT_PAGES });
    api.contextMenus.create({ id: "save-link", title: "Save this chat", contexts: ["link"], targetUrlPatterns: CHAT_LINKS, documentUrlPatterns: CHATGPT_PAGES });
    for (const [id, label] of [["save-md", "Save as Markdown"], ["save-html", "Save as HTML"], ["save-json", "Save as JSON"], ["save-all", "Save in all three formats"], ["copy-md", "Copy as Markdown"]]) {
      api.contextMenus.create({ id: `action-${id}`, title: label, contexts: ["action"], documentUrlPatterns: CHATGPT_PAGES });
    }
    api.contextMenus.create({ id: "open-export", title: "Open a ChatGPT export file…", contexts: ["action"] });
    api.contextMenus.create({ id: "open-backup", title: "Back up everything…", contexts: ["action"] });
  });
}

/** Runs in the page: puts text on the clipboard (a menu click counts as the user's gesture).
 *  @param {string} text */
function pageCopy(text) {
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  Object.assign(area.style, { position: "fixed", top: "-1000px", opacity: "0" });
  document.documentElement.appendChild(area);
  area.select();
  const ok = document.execCommand("copy");
  area.remove();
  return ok;
}

/** @param {number} tabId  @param {SaveOptions} [options] */
async function copyToClipboard(tabId, options = {}) {
  try {
    const { text } = await copyMarkdown(tabId, options);
    const ok = await inPage(tabId, pageCopy, [text], "ISOLATED");
    if (!ok) throw new SaveError("clipboard", "The browser did not allow copying. Use “Save as Markdown” instead.");
    await feedback(tabId, options.redacted ? "Copied the chat as Markdown, redacted" : "Copied the chat as Markdown", false);
  } catch (caught) {
    const e = errorOf(caught);
    await feedback(tabId, e.message, true);
    throw e;
  }
}

/** A click on one of chatkeep's menu items.
 *  @param {chrome.contextMenus.OnClickData} info  @param {chrome.tabs.Tab | undefined} tab
 *  @returns {Promise<unknown>} */
async function onMenu(info, tab) {
  const item = String(info.menuItemId).replace(/^action-/, "");
  if (item !== info.menuItemId) return onMenu({ ...info, menuItemId: item }, tab);
  if (info.menuItemId === "open-export") return api.tabs.create({ url: api.runtime.getURL("export.html") });
  if (info.menuItemId === "open-backup") return api.tabs.create({ url: api.runtime.getURL("backup.html") });
  // The browser names the tab of a page, link or toolbar menu; else the active one is meant.
  const tabId = tab?.id ?? (await activeTabId());
  if (info.menuItemId === "copy-md") return copyToClipboard(tabId);
  if (info.menuItemId === "copy-md-redacted") return copyToClipboard(tabId, { redacted: true });
  if (info.menuItemId === "save-link") {
    const target = await classify(info.linkUrl ?? "");
    if (target.kind !== "conversation") throw new SaveError("not_chatgpt", MESSAGES.not_chatgpt);
    return save(tabId, { conversation_id: target.id });
  }
  return save(tabId, MENU[info.menuItemId] ? { formats: MENU[info.menuItemId] } : {});
}

/** @param {string} command  @param {chrome.tabs.Tab | undefined} [tab] */
async function onCommand(command, tab) {
  if (command === "save-chat") return save(tab?.id ?? (await activeTabId()));
}

/** The toolbar button saves at once on ChatGPT; elsewhere it opens a popup that explains.
 *  @param {number} tabId  @param {string | undefined} url */
async function updateAction(tabId, url) {
  const onChatgpt = (await classify(url ?? "")).kind !== "other";
  // Asked for a password on every save: the popup asks it, on ChatGPT too.
  const ask = onChatgpt && (await loadSettings().catch(() => null))?.extension.encrypt === true;
  await api.action.setPopup({ tabId, popup: onChatgpt && !ask ? "" : "popup.html" }).catch(() => {});
}

/** @param {unknown} p */
const swallow = (p) => Promise.resolve(p).catch(() => {});

api.runtime.onInstalled.addListener(createMenus);
// A backup under way carries on after the background was stopped (an alarm wakes it).
api.alarms?.onAlarm.addListener((alarm) => swallow(backups.onAlarm(alarm.name)));
swallow(backups.resumeIfRunning());
api.contextMenus.onClicked.addListener((info, tab) => swallow(onMenu(info, tab)));
api.commands.onCommand.addListener((command, tab) => swallow(onCommand(command, tab)));
api.action.onClicked.addListener((tab) => swallow(save(tab.id)));
api.tabs.onUpdated.addListener((tabId, change, tab) => {
  if (change.url || change.status === "complete") swallow(updateAction(tabId, tab.url));
});
api.tabs.onActivated.addListener(({ tabId }) => swallow(api.tabs.get(tabId).then((t) => updateAction(tabId, t.url))));

api.runtime.onMessage.addListener((message, sender, sendResponse) => {
  if (message?.target === "offscreen") return false;
  /** @param {Promise<unknown>} p */
  const reply = (p) => {
    p.then((result) => sendResponse({ ok: true, result }), (e) => sendResponse({ ok: false, error: { kind: e?.kind ?? "internal", message: e?.message ?? String(e) } }));
    return true;
  };
  const problem = messageProblem(message);
  if (problem) {
    sendResponse({ ok: false, error: { kind: "options", message: problem } });
    return false;
  }
  switch (message?.type) {
    case Msg.OFFSCREEN_PROGRESS:
      if (sender.id === api.runtime.id) {
        zipProgress?.({ done: message.done, total: message.total });
      }
      return false;
    case Msg.SAVE:
      return reply(save(message.tabId, message.options ?? {}));
    case Msg.BACKUP_START:
      return reply(backups.start(message.options ?? {}));
    case Msg.BACKUP_STATUS:
      return reply(backups.status());
    case Msg.BACKUP_PAUSE:
      return reply(backups.pause());
    case Msg.BACKUP_RESUME:
      return reply(backups.resume());
    case Msg.BACKUP_CANCEL:
      return reply(backups.cancel());
    case Msg.BACKUP_DOWNLOAD:
      return reply(backups.download({ readable: message.readable, password: message.password }));
    case Msg.BACKUP_DELETE:
      return reply(backups.delete());
    case Msg.BACKUP_SEED:
      return reply(backups.seed(message.phase));
    case Msg.BACKUP_SCHEDULE:
      return reply(backups.schedule(message.schedule, message.options));
    case Msg.COPY_MARKDOWN:
      return reply(copyMarkdown(message.tabId, message.options ?? {}));
    case Msg.SHOW_DOWNLOAD:
      // Chromium's downloads.show returns nothing, Firefox's a promise.
      return reply(Promise.resolve(api.downloads.show(message.downloadId)).then(() => null));
    case Msg.TAB_STATUS:
      return reply(
        (async () => {
          const tab = message.tabId ? await api.tabs.get(message.tabId) : (await api.tabs.query({ active: true, lastFocusedWindow: true }))[0];
          const where = await classify(tab?.url ?? "");
          return { chatgpt: where.kind !== "other", kind: where.kind, url: tab?.url ?? null, tabId: tab?.id ?? null };
        })(),
      );
    default:
      return false;
  }
});

/** @type {typeof globalThis & {chatkeep?: object}} */ (globalThis).chatkeep = {
  ready,
  save,
  copyMarkdown,
  copyToClipboard,
  /** Backs up the whole account (or updates the backup kept); resolves when the run ends
   *  with its status (`lastZip`: the ZIP downloaded). Options: see the core's BackupOptions. */
  backup: (/** @type {object} */ options) => backups.backup(options),
  backupStatus: () => backups.status(),
  backupPause: () => backups.pause(),
  backupResume: () => backups.resume(),
  backupCancel: () => backups.cancel(),
  backupDownload: (/** @type {{readable?: boolean, password?: string}} */ options) => backups.download(options),
  backupDelete: () => backups.delete(),
  backupSchedule: (/** @type {string} */ every, /** @type {object} */ options) => backups.schedule(every, options),
  backupSeed: (/** @type {string} */ phase) => backups.seed(phase),
  backupOnAlarm: (/** @type {string} */ name) => backups.onAlarm(name),
  onMenu,
  onCommand,
  classify,
  isFirefox,
  /** chatkeep's version. */
  version: async () => {
    await ready;
    return core.version();
  },
  /** Converts one conversation's JSON (for tests and the console). */
  convert: async (/** @type {string} */ json, /** @type {object} */ options) => {
    await ready;
    return core.convertConversation(json, options, undefined);
  },
};
