// The backup page's view: `render(status, now, ui)` builds the page's content from the
// background's backup status (plus what only the page knows: an action under way, the delete
// confirmation, an error), and `patch(shown, fresh)` brings the shown tree up to date in place,
// so focus, an opened <details> and the live region survive the poll every 500 ms.
// No extension API here: tests/e2e/backup-view.html renders fixed statuses with it.

/**
 * @typedef {object} BackupProgress
 * @property {"idle"|"listing"|"fetching"|"checking"|"done"} phase
 * @property {{ordinary: number, archived: number, project: number}} listed  found so far
 * @property {number} projects  projects found so far
 * @property {number} total  conversations to go through in this run
 * @property {number} done  of them, gone through (fetched, up to date or failed)
 * @property {number} fetched
 * @property {number} upToDate
 * @property {number} failed
 * @property {number} files  images and other files saved
 * @property {number} filesFailed
 * @property {number} bytes  fetched in this run
 * @property {number} requests
 * @property {number} rateLimited
 * @property {string|null} current  title of the conversation being fetched
 * @property {number|null} waitUntil  epoch ms: the next request not before
 * @property {null|"pace"|"rate_limited"|"retry"} waitReason
 * @property {number|null} etaMs
 * @property {number} kept  conversations in the local backup
 */

/**
 * @typedef {object} BackupFailure
 * @property {"conversation"|"file"|"list"} what
 * @property {string} id
 * @property {string|null} title
 * @property {string} reason
 */

/**
 * The background's answer to BACKUP_STATUS (and to every other backup message but download).
 * @typedef {object} BackupStatus
 * @property {"idle"|"running"|"paused"|"done"} state
 * @property {null|"no_tab"|"logged_out"|"chatgpt_down"|"other_account"} blocked  why a running backup is not moving
 * @property {string|null} message  one sentence for the user
 * @property {BackupProgress|null} progress
 * @property {BackupFailure[]} failures  of the last run
 * @property {null|{started: number, finished: number|null}} lastRun  epoch ms
 * @property {string|null} lastZip  file name of the last downloaded ZIP
 * @property {number} storedBytes  bytes kept locally
 * @property {boolean} [readable]  whether the ZIP gets readable copies (the backup's option)
 * @property {object|null} [totals]  the core's totals of the backup
 * @property {string|null} [account]  the ChatGPT account backed up
 * @property {string} [schedule]  "off", "daily" or "weekly"
 * @property {number|null} [nextScheduled]  epoch ms of the next scheduled update
 */

/**
 * What the page adds to the status.
 * @typedef {object} ViewState
 * @property {string|null} [pending]  the action waiting for the background ("start", "pause",
 *   "resume", "cancel", "download", "delete-confirm"): every button is inert meanwhile
 * @property {boolean} [confirmDelete]  the delete button asks "Really delete?"
 * @property {string|null} [error]  shown in the alert at the top
 * @property {string} [idPrefix]  prefixes the ids, for several views on one page
 * @property {boolean|null} [readable]  the "readable copies" box as the user left it (null:
 *   as the backup's option says)
 */

const numberFormat = new Intl.NumberFormat();
const oneDecimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
const noDecimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** What each blocked reason asks of the user, when the background gives no message.
 *  @type {Record<string, string>} */
const BLOCKED_TEXT = {
  no_tab: "Open chatgpt.com in a tab: the backup carries on when one is open.",
  logged_out: "Log in to ChatGPT on chatgpt.com: the backup carries on once you are logged in.",
};

/** Button labels while their action waits for the background.
 *  @type {Record<string, string>} */
const PENDING_LABELS = {
  start: "Starting…",
  pause: "Pausing…",
  resume: "Resuming…",
  cancel: "Cancelling…",
  download: "Preparing the ZIP…",
  "delete-confirm": "Deleting…",
};

// ---------------------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------------------

/** A whole number in the user's locale: 1,234 (0 for anything else).
 *  @param {number | undefined} n */
export function formatNumber(n) {
  return numberFormat.format(typeof n === "number" && Number.isFinite(n) ? n : 0);
}

/** "1 conversation", "1,234 conversations".
 *  @param {number | undefined} n  @param {string} one  @param {string} [many] */
function count(n, one, many = `${one}s`) {
  return `${formatNumber(n)} ${n === 1 ? one : many}`;
}

/** A size in bytes, KB, MB or GB (of 1,024): "512 bytes", "12.3 MB", "1.2 GB".
 *  @param {number | undefined} bytes */
export function formatBytes(bytes) {
  const n = typeof bytes === "number" && Number.isFinite(bytes) && bytes > 0 ? bytes : 0;
  if (n < 1024) return count(n, "byte");
  let value = n / 1024;
  let unit = 0;
  const units = ["KB", "MB", "GB", "TB"];
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${(value < 100 ? oneDecimal : noDecimal).format(value)} ${units[unit]}`;
}

/** A duration for people: "less than a minute", "12 min", "3 h 10 min", "2 days 5 h".
 *  @param {number} ms */
export function formatDuration(ms) {
  if (!(ms >= 60000)) return "less than a minute";
  let minutes = Math.round(ms / 60000);
  if (minutes < 60) return `${minutes} min`;
  // Past an hour, a count to the minute claims a precision nobody has.
  minutes = Math.round(minutes / 10) * 10;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours < 48) return rest ? `${hours} h ${rest} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} days ${hours % 24} h` : `${days} days`;
}

/** The time left until `until`, as a clock: "0:42", "12:05", "1:02:03".
 *  @param {number} until  @param {number} now */
export function formatCountdown(until, now) {
  const total = Math.max(0, Math.ceil((until - now) / 1000));
  const s = String(total % 60).padStart(2, "0");
  const m = Math.floor(total / 60) % 60;
  const h = Math.floor(total / 3600);
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** "about 3 h 10 min left", or "less than a minute left".
 *  @param {number} ms */
export function formatEta(ms) {
  const text = formatDuration(ms);
  return text === "less than a minute" ? `${text} left` : `about ${text} left`;
}

/** "A", "A and B", "A, B and C".
 *  @param {string[]} items */
function listOf(items) {
  if (items.length < 2) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

/** @param {Partial<BackupProgress> | null | undefined} progress */
function percentOf(progress) {
  if (!progress?.total) return null;
  return Math.min(100, Math.floor(((progress.done ?? 0) / progress.total) * 100));
}

/** Whether anything is kept locally.
 *  @param {BackupStatus} status */
function hasData(status) {
  return (status.progress?.kept ?? 0) > 0 || status.storedBytes > 0;
}

/** Whether a backup was made or begun (then the button updates it).
 *  @param {BackupStatus} status */
function hasBackup(status) {
  return hasData(status) || status.lastRun != null;
}

/** The text for the tab: the percentage while running, so it shows among other tabs.
 *  @param {BackupStatus | null | undefined} status */
export function pageTitle(status) {
  const base = "chatkeep";
  if (status?.state === "running") {
    if (status.blocked) return `Backup waiting · ${base}`;
    const percent = status.progress?.phase === "fetching" || status.progress?.phase === "checking" ? percentOf(status.progress) : null;
    return percent === null ? `Backing up… · ${base}` : `${percent}% backed up · ${base}`;
  }
  if (status?.state === "paused") return `Backup paused · ${base}`;
  if (status?.state === "done") return `Backup complete · ${base}`;
  return `Back up your ChatGPT account · ${base}`;
}

// ---------------------------------------------------------------------------------------
// Building
// ---------------------------------------------------------------------------------------

/**
 * An element: `attrs` become attributes (null, undefined and false are left out, true is an
 * empty attribute); children are nodes or strings, nested arrays flattened, falsy ones skipped.
 * @param {string} tag  @param {Record<string, unknown>} [attrs]  @param {...unknown} children
 * @returns {HTMLElement}
 */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false || child === "") continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** A button that names its action in data-action; inert (not disabled, so it keeps the
 *  focus) while `view.pending` or when `inert` is set.
 *  @param {View} view  @param {string} action  @param {string} label
 *  @param {{key?: string, kind?: string | null, inert?: boolean, describedBy?: string | null}} [how] */
function button(view, action, label, { key = action, kind = null, inert = false, describedBy = null } = {}) {
  const waiting = view.pending === action;
  return h(
    "button",
    {
      type: "button",
      class: kind,
      "data-action": action,
      "data-key": key,
      "aria-disabled": view.pending || inert ? "true" : null,
      "aria-busy": waiting ? "true" : null,
      "aria-describedby": describedBy,
    },
    waiting ? PENDING_LABELS[action] ?? label : label,
  );
}

/**
 * The page's content for a status (null: not known yet) at the time `now` (epoch ms, for the
 * countdown), with what the page adds (`ui`). Returns a new element; show it with `patch`.
 * @param {BackupStatus|null} status
 * @param {number} [now]
 * @param {ViewState} [ui]
 * @returns {HTMLElement}
 */
export function render(status, now = Date.now(), ui = {}) {
  /** @type {View} */
  const view = { pending: null, confirmDelete: false, error: null, idPrefix: "", ...ui };
  /** @param {string} name */
  const id = (name) => `${view.idPrefix}${name}`;
  let card;
  if (!status) card = loadingCard();
  else if (status.state === "running" || status.state === "paused") card = progressCard(status, now, view, id);
  else if (status.state === "done" || hasBackup(status)) card = summaryCard(status, view, id);
  else card = startCard(status, view, id);
  return h(
    "div",
    { class: "backup-view", "data-state": status?.state ?? "loading" },
    // Always there (empty when all is well), so assistive technology reads what appears in it.
    h("div", { class: "alerts", role: "alert", "data-key": "alerts" }, view.error && h("p", { class: "alert error" }, view.error)),
    card,
    status && hasData(status) && dataCard(status, view, id),
  );
}

function loadingCard() {
  return h("section", { class: "card", "data-key": "loading", "aria-busy": "true" }, h("p", { class: "muted loading" }, "Loading…"));
}

/** The view state with its defaults (see render).
 *  @typedef {ViewState & {idPrefix: string}} View */
/** Makes an id unique on the page (ViewState.idPrefix).
 *  @typedef {(name: string) => string} IdOf */

/** Before the first backup: what it needs, and the button.
 *  @param {BackupStatus} status  @param {View} view  @param {IdOf} id */
function startCard(status, view, id) {
  return h(
    "section",
    { class: "card start-card", "data-key": "start", "aria-labelledby": id("run-title") },
    h("h2", { id: id("run-title") }, "Start your backup"),
    h(
      "ol",
      { class: "steps" },
      h("li", {}, "Open ", h("a", { href: "https://chatgpt.com/", target: "_blank", rel: "noopener" }, "chatgpt.com"), " in a tab and log in."),
      h("li", {}, "Press “Back up everything”. You can close this page: the backup goes on by itself."),
      h("li", {}, "When it is done, download it as one ZIP file, laid out like ChatGPT's own export."),
    ),
    status.message && h("p", { class: "note" }, status.message),
    readableChoice(status, view, id),
    h("div", { class: "actions" }, button(view, "start", "Back up everything", { kind: "primary large" })),
  );
}

/** The box that adds readable copies to the ZIP.
 *  @param {BackupStatus} status  @param {View} view  @param {IdOf} id */
function readableChoice(status, view, id) {
  const checked = view.readable ?? status.readable ?? false;
  return h(
    "div",
    { class: "choice", "data-key": "readable" },
    h("input", { type: "checkbox", id: id("readable"), "data-option": "readable", checked, "aria-describedby": id("readable-hint") }),
    h("label", { for: id("readable") }, "Add readable copies to the ZIP"),
    h(
      "p",
      { class: "hint", id: id("readable-hint") },
      "Every conversation also as a file you can open (Markdown, HTML or JSON, as in chatkeep's settings), with an index, in a folder named “readable”.",
    ),
  );
}

/** While running or paused: the bar, the counts, the wait, the buttons.
 *  @param {BackupStatus} status  @param {number} now  @param {View} view  @param {IdOf} id */
function progressCard(status, now, view, id) {
  /** @type {Partial<BackupProgress>} */
  const p = status.progress ?? {};
  const paused = status.state === "paused";
  const blocked = !paused && status.blocked ? status.message || BLOCKED_TEXT[status.blocked] || "The backup is waiting." : null;
  const phase = p.phase ?? "idle";
  const counting = phase === "fetching" || phase === "checking" || phase === "done";
  const determinate = counting && (p.total ?? 0) > 0;
  const percent = determinate ? percentOf(p) : null;

  let heading = paused ? "Paused" : blocked ? "Waiting" : phase === "checking" ? "Checking for changes…" : "Backing up…";
  if (!paused && !blocked && phase === "done") heading = "Finishing…";

  let line;
  if (phase === "listing") line = listingLine(p);
  else if (counting) line = countLine(p);
  else line = paused ? "Paused before it started." : "Starting…";

  const details = [];
  if (counting && (p.upToDate ?? 0) > 0) details.push(`${formatNumber(p.upToDate)} already up to date`);
  if ((p.failed ?? 0) > 0) details.push(`${count(p.failed, "conversation")} could not be saved`);
  if ((p.filesFailed ?? 0) > 0) details.push(`${count(p.filesFailed, "file")} could not be saved`);

  const waiting = !paused && !blocked && p.waitUntil && p.waitUntil > now ? waitLine(p.waitReason ?? null, formatCountdown(p.waitUntil, now)) : null;

  return h(
    "section",
    { class: "card progress-card", "data-key": "progress", "aria-labelledby": id("run-title") },
    h(
      "div",
      { class: "card-head" },
      h("h2", { id: id("run-title") }, heading),
      percent !== null && h("span", { class: "percent", "aria-hidden": "true" }, `${percent}%`),
    ),
    blocked && h("p", { class: "alert warning", "data-key": "blocked" }, h("strong", {}, blocked)),
    !blocked && status.message && h("p", { class: "note", "data-key": "message" }, status.message),
    h("progress", {
      "data-key": "bar",
      class: paused || blocked ? "stalled" : null,
      max: determinate ? p.total : null,
      value: determinate ? p.done : null,
      "aria-labelledby": id("run-title"),
      "aria-describedby": id("progress-line"),
    }),
    h(
      "div",
      { class: "progress-meta", "data-key": "meta" },
      h("p", { class: "progress-line", id: id("progress-line"), role: "status", "aria-live": "polite", "aria-atomic": "true" }, line),
      counting && !paused && (p.etaMs ?? 0) > 0 && h("p", { class: "eta" }, formatEta(p.etaMs ?? 0)),
    ),
    details.length > 0 && h("p", { class: "progress-details", "data-key": "details" }, details.join(" · ")),
    !paused && p.current && h("p", { class: "current", "data-key": "current" }, h("span", { class: "muted" }, "Now: "), h("span", { class: "current-title" }, p.current)),
    waiting && h("p", { class: `wait ${p.waitReason === "rate_limited" ? "limited" : ""}`.trim(), "data-key": "wait" }, waiting),
    h(
      "div",
      { class: "actions", "data-key": "actions" },
      paused ? button(view, "resume", "Resume", { key: "pause", kind: "primary" }) : button(view, "pause", "Pause", { key: "pause" }),
      button(view, "cancel", "Cancel", { describedBy: id("cancel-hint") }),
    ),
    h(
      "p",
      { class: "hint", id: id("cancel-hint"), "data-key": "cancel-hint" },
      paused
        ? "Paused until you resume it. Cancel keeps what is already backed up."
        : "It goes on by itself while a chatgpt.com tab is open, even if you close this page. Cancel keeps what is already backed up.",
    ),
  );
}

/** "Finding your conversations… 340 found (12 archived, 80 in 2 projects)".
 *  @param {Partial<BackupProgress>} p */
function listingLine(p) {
  /** @type {Partial<BackupProgress["listed"]>} */
  const listed = p.listed ?? {};
  const found = (listed.ordinary ?? 0) + (listed.archived ?? 0) + (listed.project ?? 0);
  const parts = [];
  if ((listed.archived ?? 0) > 0) parts.push(`${formatNumber(listed.archived)} archived`);
  if ((listed.project ?? 0) > 0) parts.push(`${formatNumber(listed.project)} in ${count(p.projects ?? 0, "project")}`);
  else if ((p.projects ?? 0) > 0) parts.push(count(p.projects ?? 0, "project"));
  return `Finding your conversations… ${formatNumber(found)} found${parts.length ? ` (${parts.join(", ")})` : ""}`;
}

/** "1,234 of 2,000 conversations · 56 files · 12.3 MB".
 *  @param {Partial<BackupProgress>} p */
function countLine(p) {
  const total = p.total ?? 0;
  return [`${formatNumber(p.done ?? 0)} of ${count(total, "conversation")}`, count(p.files ?? 0, "file"), formatBytes(p.bytes)].join(" · ");
}

/** @param {string | null} reason  @param {string} clock */
function waitLine(reason, clock) {
  if (reason === "rate_limited") return `ChatGPT is limiting requests: next request in ${clock}`;
  if (reason === "retry") return `ChatGPT did not answer: trying again in ${clock}`;
  return `Going slowly to stay within ChatGPT's limits: next request in ${clock}`;
}

/** After a run (or with a backup kept and nothing running): what it holds, what failed, the
 *  download and the update.
 *  @param {BackupStatus} status  @param {View} view  @param {IdOf} id */
function summaryCard(status, view, id) {
  const p = status.progress;
  const done = status.state === "done";
  const run = status.lastRun;
  let heading = "Your backup";
  if (done) heading = "Backup complete";
  else if (run && !run.finished) heading = "Backup stopped";

  let when = null;
  if (run?.finished) {
    when = `${done ? "Finished" : "Last updated"} ${dateFormat.format(run.finished)}`;
    if (run.started && run.finished >= run.started) when += ` · took ${formatDuration(run.finished - run.started)}`;
  } else if (run?.started) {
    when = `Started ${dateFormat.format(run.started)}, stopped before the end. “Update backup” carries on from there.`;
  }

  const kept = p?.kept ?? 0;
  const stats = [];
  if (p) {
    stats.push(stat("Conversations", formatNumber(kept), keptBreakdown(p)));
    stats.push(stat("Saved this time", formatNumber(p.fetched ?? 0), p.upToDate > 0 ? `${formatNumber(p.upToDate)} already up to date` : "new or changed"));
    stats.push(stat("Images and files", formatNumber(p.files ?? 0), p.filesFailed > 0 ? `${formatNumber(p.filesFailed)} could not be saved` : "saved this time"));
  }

  return h(
    "section",
    { class: "card summary-card", "data-key": done ? "done" : "summary", "aria-labelledby": id("run-title") },
    h("div", { class: "card-head" }, h("h2", { id: id("run-title") }, done && h("span", { class: "tick", "aria-hidden": "true" }), heading)),
    when && h("p", { class: "when" }, when),
    status.message && h("p", { class: "note" }, status.message),
    stats.length > 0 && h("dl", { class: "stats" }, stats),
    failuresList(status.failures ?? [], id),
    readableChoice(status, view, id),
    h(
      "div",
      { class: "actions", "data-key": "actions" },
      kept > 0 || status.storedBytes > 0 ? button(view, "download", "Download backup (ZIP)", { kind: "primary" }) : null,
      button(view, "start", "Update backup", { describedBy: id("update-hint") }),
    ),
    h("p", { class: "hint", id: id("update-hint") }, "“Update backup” fetches only the conversations that are new or changed since."),
    h(
      "p",
      { class: "last-zip", role: "status", "aria-live": "polite", "data-key": "last-zip" },
      status.lastZip && [h("span", { class: "muted" }, "Last download: "), h("span", { class: "file-name" }, status.lastZip)],
    ),
  );
}

/** "80 archived · 20 in 2 projects", from the last listing.
 *  @param {BackupProgress} p */
function keptBreakdown(p) {
  /** @type {Partial<BackupProgress["listed"]>} */
  const listed = p.listed ?? {};
  const parts = [];
  if ((listed.archived ?? 0) > 0) parts.push(`${formatNumber(listed.archived)} archived`);
  if ((listed.project ?? 0) > 0) parts.push(`${formatNumber(listed.project)} in ${count(p.projects ?? 0, "project")}`);
  return parts.length ? parts.join(" · ") : "in your backup";
}

/** @param {string} label  @param {string} value  @param {string} note */
function stat(label, value, note) {
  return h("div", { class: "stat" }, h("dt", {}, label), h("dd", {}, h("span", { class: "value" }, value), note && h("span", { class: "stat-note" }, note)));
}

/** The failures of the last run, by title and reason, folded.
 *  @param {BackupFailure[]} failures  @param {IdOf} id */
function failuresList(failures, id) {
  if (!failures.length) return null;
  /** @type {Record<string, number>} */
  const by = { conversation: 0, file: 0, list: 0 };
  for (const f of failures) by[f.what in by ? f.what : "conversation"] += 1;
  const parts = [];
  if (by.conversation) parts.push(count(by.conversation, "conversation"));
  if (by.file) parts.push(count(by.file, "file"));
  if (by.list) parts.push(count(by.list, "list of conversations", "lists of conversations"));
  const items = failures.map((f) =>
    h(
      "li",
      {},
      h("span", { class: "failure-title" }, failureName(f)),
      h("span", { class: "failure-reason" }, f.reason || "No reason given."),
    ),
  );
  return h(
    "details",
    { class: "failures", "data-key": "failures" },
    h("summary", {}, `${listOf(parts)} could not be backed up`),
    h("ul", { id: id("failures") }, items),
    h("p", { class: "hint" }, "“Update backup” tries them again."),
  );
}

/** @param {BackupFailure} f */
function failureName(f) {
  if (f.title) return f.what === "file" ? `A file of “${f.title}”` : f.title;
  if (f.what === "file") return `A file (${f.id})`;
  if (f.what === "list") return "A list of conversations";
  return `A conversation without a title (${f.id})`;
}

/** What is kept on this computer, and deleting it (a second click confirms).
 *  @param {BackupStatus} status  @param {View} view  @param {IdOf} id */
function dataCard(status, view, id) {
  const running = status.state === "running";
  const kept = status.progress?.kept;
  const confirming = view.confirmDelete && !running;
  const size = formatBytes(status.storedBytes);
  const text = (kept ?? 0) > 0 ? `${count(kept, "conversation")} and their files: ${size} in this browser's storage.` : `${size} in this browser's storage.`;
  return h(
    "section",
    { class: "card data-card", "data-key": "data", "aria-labelledby": id("data-title") },
    h("h2", { id: id("data-title") }, "Kept on this computer"),
    h("p", {}, text),
    h(
      "div",
      { class: "actions", "data-key": "actions" },
      confirming
        ? [
            button(view, "delete-confirm", "Really delete?", { key: "delete", kind: "danger solid", describedBy: id("delete-hint") }),
            button(view, "delete-keep", "Keep it", { key: "keep" }),
          ]
        : button(view, "delete", "Delete local backup data", { kind: "danger", inert: running, describedBy: id("delete-hint") }),
    ),
    h(
      "p",
      { class: `hint${confirming ? " warning-text" : ""}`, id: id("delete-hint"), "data-key": "delete-hint" },
      running
        ? "Pause or cancel the backup to delete it."
        : confirming
          ? "This deletes every backed-up conversation and file from this browser. ZIP files you downloaded stay."
          : "Removes the backup from this browser. Download it first if you want to keep it.",
    ),
  );
}

// ---------------------------------------------------------------------------------------
// Patching
// ---------------------------------------------------------------------------------------

/**
 * Makes `shown` look like `fresh` (an element of the same tag, from `render`), changing only
 * what differs: elements are reused where they match (by `data-key` when they have one, else
 * by position and tag), so a focused button and an opened <details> stay as they are, and
 * text changes reach the live region as changes. Returns `shown`.
 * @param {Element} shown
 * @param {Element} fresh
 * @returns {Element}
 */
export function patch(shown, fresh) {
  patchNode(shown, fresh);
  return shown;
}

/** @param {Node} node */
function keyOf(node) {
  return node.nodeType === Node.ELEMENT_NODE ? /** @type {Element} */ (node).getAttribute("data-key") : null;
}

/** @param {Node} shownNode  @param {Node} freshNode  (of the same type and name) */
function patchNode(shownNode, freshNode) {
  if (shownNode.nodeType !== Node.ELEMENT_NODE) {
    if (shownNode.nodeValue !== freshNode.nodeValue) shownNode.nodeValue = freshNode.nodeValue;
    return;
  }
  const shown = /** @type {Element} */ (shownNode);
  const fresh = /** @type {Element} */ (freshNode);
  for (const { name } of [...shown.attributes]) {
    // An opened <details> is the user's doing.
    if (name === "open" && shown.localName === "details") continue;
    if (!fresh.hasAttribute(name)) shown.removeAttribute(name);
  }
  for (const { name, value } of fresh.attributes) {
    if (shown.getAttribute(name) !== value) shown.setAttribute(name, value);
  }
  // A box shows what the view says, even after the user ticked it (the attribute alone would
  // not change what is shown then).
  if (shown instanceof HTMLInputElement && shown.type === "checkbox") shown.checked = fresh.hasAttribute("checked");
  patchChildren(shown, fresh);
}

/** @param {Element} shown  @param {Element} fresh */
function patchChildren(shown, fresh) {
  /** @type {Map<string, ChildNode>} */
  const byKey = new Map();
  for (const child of shown.childNodes) {
    const key = keyOf(child);
    if (key) byKey.set(key, child);
  }
  const wanted = [...fresh.childNodes];
  /** Keys still to come in `fresh`. */
  const ahead = new Set(wanted.map(keyOf).filter(Boolean));
  // Everything before `at` is in place; `at` is the next shown node that may be reused.
  let at = shown.firstChild;
  for (const next of wanted) {
    const key = keyOf(next);
    /** @type {ChildNode | null} */
    let reuse = null;
    if (key) {
      reuse = byKey.get(key) ?? null;
      byKey.delete(key);
      ahead.delete(key);
    } else if (at && !keyOf(at)) {
      reuse = at;
    }
    if (reuse && (reuse.nodeType !== next.nodeType || reuse.nodeName !== next.nodeName)) reuse = null;
    if (!reuse) {
      shown.insertBefore(next, at);
      continue;
    }
    // Drop what lies before it rather than move it: moving a node takes its focus away.
    while (at && at !== reuse && !ahead.has(keyOf(at))) {
      const after = at.nextSibling;
      at.remove();
      at = after;
    }
    if (reuse === at) at = at.nextSibling;
    else shown.insertBefore(reuse, at);
    patchNode(reuse, next);
  }
  while (at) {
    const after = at.nextSibling;
    at.remove();
    at = after;
  }
}
