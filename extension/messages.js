// Messages between the parts of the extension. Every message is `{type, ...}`; every reply
// is `{ok: true, result}` or `{ok: false, error: {kind, message}}`.

export const Msg = Object.freeze({
  /** popup/options/tests → background: `{type, tabId?, options?}` → `{files, reader, warnings}`.
   *  `tabId` defaults to the active tab; `options` is a partial core options object plus the
   *  extension's `save_as` and `reader` ('auto' | 'api' | 'dom'). */
  SAVE: "chatkeep/save",
  /** popup → background: `{type, tabId?}` → `{text}`: the open chat as Markdown. */
  COPY_MARKDOWN: "chatkeep/copy-markdown",
  /** any page → background: `{type}` → `{chatgpt: bool, url}` about the active tab. */
  TAB_STATUS: "chatkeep/tab-status",
  /** the note on the ChatGPT page → background: `{type, downloadId}` → null: shows a saved
   *  file in its folder (downloads.show). The note cannot import this module: it writes
   *  the string itself. */
  SHOW_DOWNLOAD: "chatkeep/show-download",
  /** backup page → background: `{type, options?}` → backup status. Starts a backup of the
   *  whole account, or an update fetching only what changed when a backup exists; a run
   *  already under way is joined. */
  BACKUP_START: "chatkeep/backup-start",
  /** backup page → background: `{type}` → backup status: `{state, blocked, message,
   *  progress, failures, lastRun, lastZip, storedBytes}` (see backup-view.js). */
  BACKUP_STATUS: "chatkeep/backup-status",
  /** backup page → background: `{type}` → backup status. */
  BACKUP_PAUSE: "chatkeep/backup-pause",
  /** backup page → background: `{type}` → backup status. */
  BACKUP_RESUME: "chatkeep/backup-resume",
  /** backup page → background: `{type}` → backup status. Stops the run; what is kept stays. */
  BACKUP_CANCEL: "chatkeep/backup-cancel",
  /** backup page → background: `{type, readable?, password?}` → `{fileName}`: downloads the
   *  ZIP of what is kept (laid out like ChatGPT's export), even mid-run; `readable`
   *  (boolean) sets whether it gets readable copies with an index (kept as the backup's
   *  option); `password` encrypts the ZIP (used for it, kept nowhere). */
  BACKUP_DOWNLOAD: "chatkeep/backup-download",
  /** backup page → background: `{type}` → backup status. Deletes every kept conversation
   *  and file and the backup's state; refused with kind "busy" while a run is under way. */
  BACKUP_DELETE: "chatkeep/backup-delete",
  /** backup page → background: `{type, phase: "begin" | "end"}` → backup status. While an
   *  export is read into the backup (between begin and end) no run starts; "begin" is
   *  refused with kind "busy" while a run is under way; "end" makes the background read the
   *  backup's state again. */
  BACKUP_SEED: "chatkeep/backup-seed",
  /** backup page → background: `{type, schedule: "off" | "daily" | "weekly", options?}` →
   *  backup status. A scheduled update runs when it is due and a ChatGPT tab is open, with
   *  `options` (backup options, checked by the core) or else the backup's own. */
  BACKUP_SCHEDULE: "chatkeep/backup-schedule",
  /** offscreen document → background (Chromium): `{type, done, total}`, no reply: how far
   *  the backup ZIP it writes is. */
  OFFSCREEN_PROGRESS: "chatkeep/offscreen-progress",
});

// Shapes shared by the pages and the background (used with `import("./messages.js").X`).

/**
 * The options of a save (`globalThis.chatkeep.save`, Msg.SAVE, Msg.COPY_MARKDOWN): the
 * extension's own keys below, the others a partial core options object (checked by the core).
 * @typedef {{
 *   save_as?: boolean,
 *   reader?: "auto" | "api" | "dom",
 *   conversation_id?: string,
 *   feedback?: boolean,
 *   download?: boolean,
 *   password?: string,
 *   redacted?: boolean,
 * } & Record<string, any>} SaveOptions
 */

/**
 * What a save resolves with: the names the files got, the images a Markdown file links to,
 * how the chat was read and what the user should know.
 * @typedef {{files: string[], assets: string[], reader: string, warnings: string[]}} SaveResult
 */

/**
 * A warning of the core: a stable `kind` and a sentence.
 * @typedef {{kind: string, message: string}} CoreWarning
 */

/**
 * A reply to a message: `{ok: true, result}` or `{ok: false, error: {kind, message}}`.
 * @typedef {{ok: true, result: any} | {ok: false, error: {kind: string, message: string}}} Reply
 */

/**
 * The message the popup keeps for a tab (the shortcut pressed off ChatGPT): session storage
 * `notice`.
 * @typedef {{text: string, tabId: number, at: number}} Notice
 */

/**
 * The note on the ChatGPT page (page-note.js): a state, a sentence, and for a save its title,
 * format labels, warnings, detail and download id.
 * @typedef {{
 *   state?: "progress" | "done" | "error" | "cancelled",
 *   text: string,
 *   title?: string | null,
 *   labels?: string[],
 *   warnings?: string[],
 *   detail?: string | null,
 *   downloadId?: number | null,
 * }} NoteSpec
 */

/**
 * What the scripts injected into a ChatGPT tab (page-note.js, capture.js) define on its
 * isolated world's global object.
 * @typedef {typeof globalThis & {
 *   __chatkeepNote?: (spec: NoteSpec | null) => void,
 *   __chatkeepCapture?: () => Promise<any>,
 *   __chatkeepPageHtml?: () => string,
 * }} PageGlobals
 */

// What each message may carry besides its type: key → check. A message with a key not
// listed, or a value that fails its check, is answered with an error of kind "options".
/** @param {unknown} v */
const tabId = (v) => v === undefined || v === null || Number.isInteger(v);
/** @param {unknown} v */
const object = (v) => v === undefined || v === null || (typeof v === "object" && !Array.isArray(v));
/** @type {Record<string, Record<string, (v: any) => boolean>>} */
const ARGS = {
  [Msg.SAVE]: { tabId, options: object },
  [Msg.COPY_MARKDOWN]: { tabId, options: object },
  [Msg.TAB_STATUS]: { tabId },
  [Msg.BACKUP_START]: { options: object },
  [Msg.BACKUP_STATUS]: {},
  [Msg.BACKUP_PAUSE]: {},
  [Msg.BACKUP_RESUME]: {},
  [Msg.BACKUP_CANCEL]: {},
  [Msg.BACKUP_DOWNLOAD]: { readable: (v) => v === undefined || typeof v === "boolean", password: (v) => v === undefined || typeof v === "string" },
  [Msg.BACKUP_DELETE]: {},
  [Msg.BACKUP_SEED]: { phase: (v) => v === "begin" || v === "end" },
  [Msg.BACKUP_SCHEDULE]: { schedule: (v) => ["off", "daily", "weekly"].includes(v), options: object },
  [Msg.OFFSCREEN_PROGRESS]: { done: Number.isFinite, total: Number.isFinite },
};

/**
 * Why `message` is not one the background takes (one sentence), or null when it is.
 * Messages of other types (for other pages) are not judged: null.
 * @param {any} message  what the runtime delivered: anything
 * @returns {string | null}
 */
export function messageProblem(message) {
  const args = ARGS[message?.type];
  if (!args) return null;
  for (const key of Object.keys(message)) {
    if (key !== "type" && key !== "target" && !(key in args)) return `Invalid message: ${message.type} takes no \`${key}\`.`;
  }
  for (const [key, ok] of Object.entries(args)) {
    if (!ok(message[key])) return `Invalid message: ${message.type} got ${JSON.stringify(message[key]) ?? "nothing"} for \`${key}\`.`;
  }
  return null;
}

/** Sends a message and unwraps the reply: resolves with `result`, rejects with an Error
 *  carrying `kind`.
 *  @param {typeof chrome} api  @param {{type: string} & Record<string, any>} message
 *  @returns {Promise<any>} */
export async function request(api, message) {
  const reply = await api.runtime.sendMessage(message);
  if (reply?.ok) return reply.result;
  throw new KindError(reply?.error?.kind ?? "internal", reply?.error?.message ?? "chatkeep did not answer. Reload the extension and try again.");
}

/**
 * A caught value as an Error: the value itself when it is one (the core's errors and the
 * replies' carry a `kind`), else a new Error with its `message` and `kind` when it has them
 * (a worker's posted error), or its text.
 * @param {unknown} caught
 * @returns {Error & {kind?: string}}
 */
export function errorOf(caught) {
  if (caught instanceof Error) return caught;
  const o = typeof caught === "object" && caught !== null ? /** @type {{message?: unknown, kind?: unknown}} */ (caught) : {};
  const error = new Error(typeof o.message === "string" ? o.message : String(caught));
  return typeof o.kind === "string" ? Object.assign(error, { kind: o.kind }) : error;
}

/** An Error with the `kind` every reply and the core's errors carry ("options",
 *  "not_an_export", …): what the pages match on, never the message's words. */
export class KindError extends Error {
  /** @param {string} kind  @param {string} message */
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}
