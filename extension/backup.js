// The "Back up everything" page: asks the background for the backup's status every 500 ms
// while the page is visible, shows it through backup-view.js, and sends the buttons'
// actions (start or update, pause, resume, cancel, download, delete).

import { api, loadSettings } from "./browser.js";
import { errorOf, Msg, request } from "./messages.js";
import { askPassword } from "./password-dialog.js";
import { pageTitle, patch, render } from "./backup-view.js";
import { $ } from "./dom.js";
import "./backup-seed.js";

const POLL_MS = 500;
/** How long "Really delete?" waits for its second click. */
const CONFIRM_MS = 8000;

/** The message of each button's action.
 *  @type {Record<string, string>} */
const ACTIONS = {
  start: Msg.BACKUP_START,
  pause: Msg.BACKUP_PAUSE,
  resume: Msg.BACKUP_RESUME,
  cancel: Msg.BACKUP_CANCEL,
  download: Msg.BACKUP_DOWNLOAD,
  "delete-confirm": Msg.BACKUP_DELETE,
};

const main = $("main");

/** The state of the page. */
const page = {
  /** @type {import("./backup-view.js").BackupStatus|null} the last status received */
  status: null,
  /** What the page adds to the status (see ViewState in backup-view.js).
   *  @type {{pending: string | null, confirmDelete: boolean, error: string | null, readable: boolean | null}} */
  ui: { pending: null, confirmDelete: false, error: null, readable: null },
  /** The error of the last poll (the background not answering), shown until one succeeds.
   *  @type {string | null} */
  pollError: null,
  /** Requests are numbered so that a slow poll never overwrites a newer answer. */
  asked: 0,
  shown: 0,
  polling: false,
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  confirmTimer: undefined,
};

start();

function start() {
  $("version").textContent = `chatkeep ${api.runtime.getManifest().version}`;
  loadSettings().then(({ extension }) => {
    encryptBox().checked = extension.encrypt === true;
  }, () => {});
  main.addEventListener("click", onClick);
  main.addEventListener("change", (event) => {
    const target = event.target;
    if (target instanceof HTMLInputElement && target.matches('input[data-option="readable"]')) {
      page.ui.readable = target.checked;
      show();
    }
  });
  main.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && page.ui.confirmDelete) keepData();
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") poll();
  });
  // Once even when opened in the background, then while visible.
  if (document.visibilityState === "visible") poll();
  else refresh();
}

/** Asks for the status every POLL_MS while the page is visible (one loop at a time). */
async function poll() {
  if (page.polling) return;
  page.polling = true;
  try {
    while (document.visibilityState === "visible") {
      const started = Date.now();
      await refresh();
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, POLL_MS - (Date.now() - started))));
    }
  } finally {
    page.polling = false;
  }
}

async function refresh() {
  const n = ++page.asked;
  try {
    const status = await request(api, { type: Msg.BACKUP_STATUS });
    page.pollError = null;
    accept(n, status);
  } catch (caught) {
    const e = errorOf(caught);
    page.pollError = `chatkeep could not read the backup's state: ${e.message}`;
    show();
  }
}

/** Takes a status if it is newer than the one shown, and shows it.
 *  @param {number} n  @param {import("./backup-view.js").BackupStatus | null} status */
function accept(n, status) {
  if (n < page.shown || !status || typeof status.state !== "string") {
    show();
    return;
  }
  page.shown = n;
  page.status = status;
  show();
}

function show() {
  const ui = { ...page.ui, error: page.ui.error ?? page.pollError };
  const shown = main.firstElementChild;
  if (!shown) throw new Error("The backup page has lost its view: reload the page.");
  patch(shown, render(page.status, Date.now(), ui));
  document.title = pageTitle(page.status);
}

/** @param {MouseEvent} event */
function onClick(event) {
  const target = event.target instanceof Element ? event.target.closest("button[data-action]") : null;
  if (!(target instanceof HTMLElement) || target.getAttribute("aria-disabled") === "true") return;
  const action = target.dataset.action ?? "";
  if (action === "delete") askToDelete();
  else if (action === "delete-keep") keepData();
  else if (ACTIONS[action]) act(action);
}

/** Sends an action's message and shows the status it answers (download answers a file name,
 *  then the status is asked for: it holds the ZIP's name).
 *  @param {string} action */
async function act(action) {
  if (page.ui.pending) return;
  let password;
  if (action === "download" && encryptBox().checked) {
    // The password goes to the background with the download's message, and no further
    // than the worker that writes the ZIP.
    const core = await import("./pkg/chatkeep_save.js");
    await core.default();
    password = await askPassword(core, { what: "the backup" });
    if (password === null) return;
  }
  clearTimeout(page.confirmTimer);
  page.ui.pending = action;
  page.ui.error = null;
  show();
  const n = ++page.asked;
  try {
    // The "readable copies" box goes with the run (its ZIP at the end) and the download.
    const readable = page.ui.readable ?? page.status?.readable ?? false;
    const extra = action === "start" ? { options: { readable } } : action === "download" ? { readable, password } : {};
    const result = await request(api, { type: ACTIONS[action], ...extra });
    page.ui.pending = null;
    if (action === "delete-confirm") page.ui.confirmDelete = false;
    if (action === "download") await refresh();
    else accept(n, result);
  } catch (caught) {
    const e = errorOf(caught);
    page.ui.pending = null;
    page.ui.confirmDelete = false;
    page.ui.error = e.message;
    show();
  }
  // The action's button may have gone (after Delete or Cancel): keep the focus on the page.
  if (!document.activeElement || document.activeElement === document.body) {
    /** @type {HTMLElement | null} */ (main.querySelector("button[data-action]:not([aria-disabled])"))?.focus();
  }
}

/** The "Encrypt the download" checkbox. */
function encryptBox() {
  return $("encrypt-download", HTMLInputElement);
}

/** The first click on "Delete local backup data": the same button asks "Really delete?". */
function askToDelete() {
  page.ui.confirmDelete = true;
  page.ui.error = null;
  show();
  clearTimeout(page.confirmTimer);
  page.confirmTimer = setTimeout(keepData, CONFIRM_MS);
}

function keepData() {
  clearTimeout(page.confirmTimer);
  const hadFocus = main.contains(document.activeElement);
  page.ui.confirmDelete = false;
  show();
  if (hadFocus) /** @type {HTMLElement | null} */ (main.querySelector('button[data-action="delete"]'))?.focus();
}
