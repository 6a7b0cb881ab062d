// The whole-account backup, driven from the background. The core's Backup decides every
// step (what to list or fetch next, when to wait, what to keep, what failed); this file
// only performs the requests it is handed, in an open ChatGPT tab with the page's own
// session, keeps the bytes it is told to keep (backup-store.js, one transaction per step),
// and reports progress. It carries on by itself after the background is stopped or the
// browser restarted: the state is in IndexedDB, and an alarm wakes the background while a
// run is under way.

import { Backup } from "./pkg/chatkeep_save.js";
import { api, loadSettings } from "./browser.js";
import { clearStore, commit, getMeta, keptSinceState, putMeta, putState } from "./backup-store.js";
import { fromBase64, pageRequest, pageSession } from "./page-requests.js";
import { errorOf, KindError as BackupError } from "./messages.js";

const CHATGPT_TABS = ["https://chatgpt.com/*", "https://chat.openai.com/*"];
const ALARM = "chatkeep-backup";
/** Checks hourly whether a scheduled update is due. */
const SCHEDULE_ALARM = "chatkeep-backup-schedule";
/** How often a scheduled update runs.
 *  @type {Record<string, number>} */
const SCHEDULES = { off: 0, daily: 24 * 3600_000, weekly: 7 * 24 * 3600_000 };
/** How long an export being read into the backup holds runs back, at most. */
const SEED_MAX_MS = 30 * 60_000;
/** A wait is cut into slices this long, each ending with an extension API call: Chromium
 *  keeps a service worker alive while it makes them. */
const KEEPALIVE_MS = 20_000;
/** The core's state is written at most this often (and at every pause, cancel and end): it
 *  grows with the account, and what is kept in between is handed back on resuming. */
const STATE_EVERY_MS = 5_000;

/** @type {Record<string, string>} */
const BLOCKED = {
  no_tab: "Open chatgpt.com in a tab: the backup carries on as soon as one is open.",
  logged_out: "Log in to ChatGPT in this browser: the backup carries on once you are logged in.",
  chatgpt_down: "ChatGPT is not answering right now: the backup tries again in a moment.",
};

/**
 * The shell's own record of the backup, kept in the store's `meta` as "info".
 * @typedef {{
 *   status: "idle" | "running" | "paused" | "done",
 *   lastZip: string | null,
 *   account: string | null,
 *   schedule: string,
 *   message?: string | null,
 *   seedingSince?: number,
 *   scheduleOptions?: object | null,
 * }} Info
 */

/**
 * The backup's controls. `ready` resolves once the wasm core is initialised;
 * `zipUrl(layout, progress, password)` makes the backup ZIP (encrypted with `password` when
 * given) and returns a URL the downloads API can fetch, telling `progress({done, total})`
 * as it goes; `clearZips()` deletes the ZIPs made.
 * @param {{
 *   ready: Promise<unknown>,
 *   zipUrl: (layout: any, progress: (p: {done: number, total: number}) => void, password?: string) => Promise<string>,
 *   clearZips?: () => Promise<void>,
 * }} how
 */
export function createBackupRunner({ ready, zipUrl, clearZips }) {
  /** @type {Backup|null} */
  let backup = null;
  /** The shell's own record: {status: "idle"|"running"|"paused"|"done", lastZip, account,
   *  schedule: "off"|"daily"|"weekly", message}. */
  /** @type {Info} */
  let info = { status: "idle", lastZip: null, account: null, schedule: "off" };
  /** @type {Promise<void> | null} */
  let loaded = null;
  /** @type {Promise<unknown> | null} */
  let loop = null;
  /** @type {string | null} */
  let blocked = null;
  /** @type {string | null} */
  let message = null;
  /** The token and account for this run only: never stored.
   *  @type {{token: string, account?: string | null} | null} */
  let session = null;
  let wakeUp = () => {};
  /** When the core's state was last written, and in which phase. */
  let stateWritten = 0;
  /** @type {string | null} */
  let phaseWritten = null;
  /** While an extension page reads an export into the backup, no run starts. Kept in
   *  `info` (the background may be stopped meanwhile), for SEED_MAX_MS at most (a page
   *  closed mid-read never says it ended). */
  const seeding = () => typeof info.seedingSince === "number" && Date.now() - info.seedingSince < SEED_MAX_MS;

  /** The backup as last written, with what was kept after that handed back to it.
   *  @param {string} state */
  async function restore(state) {
    return handBack(Backup.fromJson(state));
  }

  /** Hands back to `b` what was kept after its state was written.
   *  @param {Backup} b */
  async function handBack(b) {
    await keptSinceState(
      (bytes) => {
        try {
          b.seed(bytes);
        } catch {
          // Not a conversation (cannot happen for what the core said to keep): fetched again.
        }
      },
      (f) => b.seedFile(f.id, f.entry ?? undefined),
    );
    return b;
  }

  function load() {
    loaded ??= (async () => {
      await ready;
      const [state, saved] = await Promise.all([getMeta("state"), getMeta("info")]);
      if (saved) info = { ...info, ...saved };
      message = info.message ?? null;
      if (state) {
        let b = null;
        try {
          b = Backup.fromJson(state);
        } catch (caught) {
          const e = errorOf(caught);
          message = `The saved backup state could not be read (${e.message}); the next run starts afresh.`;
        }
        // A storage error here rejects load() (tried again on the next call): it must not
        // pass for a missing backup, which a new run would overwrite.
        if (b) backup = await handBack(b);
      }
    })().catch((e) => {
      loaded = null;
      throw e;
    });
    return loaded;
  }

  const saveInfo = () => putMeta({ info });

  /** Sleeps `ms`, or less when woken (pause, resume, cancel), calling the extension API
   *  every few seconds so Chromium keeps the worker alive.
   *  @param {number} ms */
  async function sleep(ms) {
    const until = Date.now() + Math.max(0, ms);
    let woken = false;
    const woke = new Promise((resolve) => {
      wakeUp = () => {
        woken = true;
        resolve(undefined);
      };
    });
    while (!woken && Date.now() < until) {
      const slice = Math.min(until - Date.now(), KEEPALIVE_MS);
      await Promise.race([new Promise((r) => setTimeout(r, slice)), woke]);
      await api.runtime.getPlatformInfo().catch(() => {});
    }
  }

  function wake() {
    wakeUp();
  }

  async function chatgptTab() {
    const tabs = await api.tabs.query({ url: CHATGPT_TABS });
    const ready = tabs.filter((t) => t.status === "complete" && !t.discarded);
    return (ready.find((t) => t.active) ?? ready[0])?.id ?? null;
  }

  /** @param {number} tabId  @param {(...args: any[]) => any} func  @param {any[]} args */
  async function inPage(tabId, func, args) {
    // A long request (a large file) must not let Chromium stop the worker under it.
    const keepalive = setInterval(() => api.runtime.getPlatformInfo().catch(() => {}), KEEPALIVE_MS);
    try {
      const [r] = await api.scripting.executeScript({ target: { tabId }, world: "MAIN", func, args });
      return r?.result ?? null;
    } catch {
      return null; // the tab closed or navigated: ask again
    } finally {
      clearInterval(keepalive);
    }
  }

  /** @param {string | null} kind */
  function setBlocked(kind) {
    blocked = kind;
    message = kind ? BLOCKED[kind] : null;
  }

  async function badge() {
    const p = backup?.progress(Date.now());
    const text = !p ? "" : p.phase === "listing" ? "…" : p.total ? `${Math.floor((100 * p.done) / p.total)}%` : "";
    await api.action.setBadgeBackgroundColor({ color: "#2563eb" }).catch(() => {});
    await api.action.setBadgeText({ text }).catch(() => {});
  }

  /** One step of the run: false once the run has ended. */
  async function advance() {
    // The loop runs only with a backup (and nothing replaces it while the loop runs).
    const backup = current();
    const now = Date.now();
    const step = backup.next(now);
    if (step.step === "done") return false;
    if (step.step === "wait") {
      await sleep(step.until - now);
      return true;
    }
    const tabId = await chatgptTab();
    if (tabId === null) {
      setBlocked("no_tab");
      await sleep(2000);
      return true;
    }
    if (!session) {
      const s = await inPage(tabId, pageSession, []);
      if (!s?.token) {
        setBlocked(!s ? "no_tab" : s.loggedOut ? "logged_out" : "chatgpt_down");
        await sleep(s ? 5000 : 2000);
        return true;
      }
      // One backup is one account: another one's chats are not mixed into it.
      if (s.account && info.account && info.account !== s.account && (backup?.totals().conversations ?? 0) > 0) {
        blocked = "other_account";
        message = `This browser is logged in to ChatGPT as ${s.account}, but the backup is of ${info.account}. Log in as ${info.account} to carry on, or delete the local backup to back up ${s.account}.`;
        await sleep(5000);
        return true;
      }
      session = s;
      if (s.account && info.account !== s.account) {
        info.account = s.account;
        await saveInfo();
      }
    }
    setBlocked(null);
    const r = await inPage(tabId, pageRequest, [step.url, step.auth ? (session?.token ?? null) : null, 120_000]);
    if (!r) {
      // The tab went away mid-request (or the page refused the script): the same request
      // goes again, after a pause.
      await sleep(1000);
      return true;
    }
    const bytes = r.base64 ? fromBase64(r.base64) : new Uint8Array(0);
    const out = backup.record(Date.now(), step.seq, r.status, r.retryAfter ?? null, bytes, r.error ?? null);
    if (out.keep === "signIn") {
      session = null;
      return true;
    }
    const now2 = Date.now();
    // Also at each new phase: what is kept afterwards is handed back against a state that
    // holds the whole listing.
    const phase = backup.phase;
    const writeState = now2 - stateWritten >= STATE_EVERY_MS || phase !== phaseWritten;
    if (out.keep !== "nothing" || writeState) {
      await commit(writeState ? backup.toJson() : null, out, bytes);
      if (writeState) {
        stateWritten = now2;
        phaseWritten = phase;
      }
    }
    await badge();
    return true;
  }

  /** The backup of a run under way. */
  function current() {
    if (!backup) throw new BackupError("internal", "The backup's state is gone from memory. Reload the extension and resume the backup.");
    return backup;
  }

  async function runLoop() {
    let errors = 0;
    try {
      await api.alarms?.create(ALARM, { periodInMinutes: 0.5 });
      for (;;) {
        if (info.status !== "running" || !backup) {
          // Paused or cancelled: the state is written here, after the step in flight, never
          // beside it (a write that failed must not be followed by a state claiming it).
          if (backup) await putState(backup.toJson(), info);
          return status();
        }
        try {
          if (!(await advance())) break;
          errors = 0;
        } catch (caught) {
          const e = errorOf(caught);
          // Something chatkeep did not expect (the browser closing under it, storage
          // refusing a write): try again a few times before pausing with the reason. The
          // state on disk is the last one written, so nothing is lost either way.
          errors += 1;
          // The state in memory may be ahead of what was written: go back to the one on
          // disk, which always matches the bytes kept.
          // If even that cannot be read, pause: carrying on with the state in memory could
          // write a state that claims bytes that were never kept.
          const saved = await getMeta("state");
          // (A cancel while the step awaited may have changed the status.)
          const cancelled = /** @type {string} */ (info.status) === "done";
          if (saved) backup = await restore(saved);
          else {
            const fresh = new Backup(current().options);
            fresh.start(Date.now());
            backup = await handBack(fresh);
          }
          if (cancelled) current().stop(Date.now());
          if (errors >= 5) throw e;
          message = `The backup met a problem and is trying again: ${e?.message ?? e}`;
          await sleep(2000 * errors);
        }
      }
      session = null;
      const done = current();
      await putState(done.toJson(), info);
      message = null;
      // Encrypted saves ask for their password on the page: no ZIP is written unasked.
      const encrypt = (await loadSettings().catch(() => null))?.extension.encrypt === true;
      if (done.options.download && encrypt) {
        message = "The backup is complete. Your settings ask for a password for every save: use “Download backup” to download it encrypted.";
      } else if (done.options.download) {
        message = "Writing the backup ZIP…";
        try {
          await downloadZip();
          message = null;
        } catch (caught) {
          const e = errorOf(caught);
          message = `The backup is complete, but its ZIP could not be written (${e?.message ?? e}). Use “Download backup” to try again.`;
        }
      }
      info.status = "done";
      info.message = message;
      await saveInfo();
      return status();
    } catch (caught) {
      const e = errorOf(caught);
      // Something chatkeep did not expect: pause, and say it; the user can resume.
      info.status = "paused";
      message = `The backup stopped: ${e?.message ?? e}. Resume it to carry on from where it was.`;
      info.message = message;
      await saveInfo().catch(() => {});
      throw e instanceof BackupError || e?.kind ? e : new BackupError("internal", message);
    } finally {
      loop = null;
      session = info.status === "running" ? session : null;
      if (info.status !== "running") {
        await api.alarms?.clear(ALARM).catch(() => {});
        await api.action.setBadgeText({ text: "" }).catch(() => {});
      }
    }
  }

  function ensureLoop() {
    loop ??= runLoop();
    return loop;
  }

  /** Writes the backup ZIP and downloads it; resolves with the name the download got.
   *  @param {string} [password] */
  async function downloadZip(password) {
    await load();
    if (!backup) throw new BackupError("empty", "There is no backup yet. Back up your account first.");
    const now = Date.now();
    const layout = backup.layout(now, info.account ?? undefined, undefined);
    const before = message;
    let url;
    try {
      url = await zipUrl(
        layout,
        ({ done, total }) => {
          message = `Writing the backup ZIP… ${Math.floor((100 * done) / Math.max(total, 1))} %`;
        },
        password,
      );
    } finally {
      message = before;
    }
    let id;
    try {
      id = await api.downloads.download({ url, filename: layout.zipName, conflictAction: "uniquify", saveAs: false });
    } catch (caught) {
      const e = errorOf(caught);
      throw new BackupError("download", `The download of ${layout.zipName} failed: ${e.message}. Check the browser's download settings, then try again.`);
    }
    const name = await downloadedName(id, layout.zipName);
    info.lastZip = name;
    await saveInfo();
    return name;
  }

  /** The file name a download really got (the browser may have added " (1)").
   *  @param {number} id  @param {string} asked  @returns {Promise<string>} */
  async function downloadedName(id, asked) {
    for (let i = 0; i < 600; i++) {
      const [d] = await api.downloads.search({ id });
      if (!d || d.state === "interrupted") break;
      if (d.state === "complete" && d.filename) return d.filename.split(/[\\/]/).pop() ?? asked;
      await new Promise((r) => setTimeout(r, 100));
    }
    return asked;
  }

  /** What the backup page shows (see backup-view.js). */
  async function status() {
    await load();
    const now = Date.now();
    let storedBytes = 0;
    try {
      storedBytes = (await navigator.storage.estimate()).usage ?? 0;
    } catch {
      // Not told: 0.
    }
    const totals = backup?.totals() ?? null;
    return {
      state: info.status,
      blocked: info.status === "running" ? blocked : null,
      message,
      progress: backup ? backup.progress(now) : null,
      failures: backup ? backup.failures() : [],
      totals,
      lastRun: totals?.started ? { started: totals.started, finished: totals.finished ?? null, cancelled: totals.stopped } : null,
      lastZip: info.lastZip ?? null,
      storedBytes,
      account: info.account ?? null,
      schedule: info.schedule ?? "off",
      nextScheduled: nextScheduled(),
      readable: backup?.options.readable ?? false,
    };
  }

  /** When the next scheduled update is due (epoch ms), or null. */
  function nextScheduled() {
    const every = SCHEDULES[info.schedule] ?? 0;
    if (!every || !backup) return null;
    const last = backup?.totals().finished ?? null;
    return last === null ? Date.now() : last + every;
  }

  /** A scheduled update, when one is due and a ChatGPT tab is open (it never opens one). */
  async function runIfDue() {
    await load();
    const due = nextScheduled();
    if (due === null || Date.now() < due || info.status === "running" || info.status === "paused" || seeding()) return;
    if ((await chatgptTab()) === null) return;
    // Scheduled runs keep the local backup current; the ZIP is downloaded when asked.
    const options = { ...(info.scheduleOptions ?? backup?.options ?? {}), download: false };
    controls.backup(options).catch(() => {});
  }

  const controls = {
    /** Runs a backup, or the incremental update of the one kept; joins a run under way.
     *  Resolves when it ends (or is paused) with the status, `lastZip` naming the ZIP.
     *  @param {unknown} [options] */
    async backup(options = {}) {
      await load();
      if (options === null || typeof options !== "object" || Array.isArray(options)) {
        throw new BackupError("options", "Invalid option: the backup options must be an object.");
      }
      if (seeding()) throw new BackupError("busy", "An export file is being read into the backup. Wait until it is done, then start the backup.");
      // The last run is still writing its ZIP: let it finish, then start the new one.
      if (loop && backup && !backup.running) await loop.catch(() => {});
      const checked = Backup.checkOptions(options);
      if (!backup) backup = new Backup(checked);
      else backup.setOptions(checked);
      if (!backup.running) backup.start(Date.now());
      info.status = "running";
      info.message = message = null;
      // A loop under way writes the state itself, after its step in flight.
      await (loop ? saveInfo() : putState(backup.toJson(), info));
      return ensureLoop();
    },
    /** Starts a run without waiting for its end (for the page).
     *  @param {unknown} [options] */
    async start(options = {}) {
      const run = controls.backup(options);
      run.catch(() => {});
      await new Promise((r) => setTimeout(r, 50));
      return status();
    },
    status,
    async pause() {
      await load();
      if (info.status === "running") {
        info.status = "paused";
        // The loop writes the state when it stops, after its step in flight.
        await (loop || !backup ? saveInfo() : putState(backup.toJson(), info));
        wake();
      }
      return status();
    },
    async resume() {
      await load();
      if (info.status === "paused" && backup?.running && !seeding()) {
        info.status = "running";
        info.message = message = null;
        await saveInfo();
        ensureLoop().catch(() => {});
      }
      return status();
    },
    async cancel() {
      await load();
      if (backup?.running) {
        backup.stop(Date.now());
        info.status = "done";
        info.message = message = null;
        await (loop ? saveInfo() : putState(backup.toJson(), info));
        wake();
      }
      return status();
    },
    /** Downloads the ZIP of what is kept; `readable` (optional) sets whether it gets the
     *  readable copies (kept as the backup's option). */
    /** @param {{readable?: boolean, password?: string}} [choice] */
    async download({ readable, password } = {}) {
      if (readable !== undefined && typeof readable !== "boolean") throw new BackupError("options", "Invalid option: readable must be true or false.");
      await load();
      if (backup && readable !== undefined && backup.options.readable !== readable) {
        backup.setOptions({ ...backup.options, readable });
        if (!loop) await putState(backup.toJson(), info);
      }
      return { fileName: await downloadZip(password) };
    },
    async delete() {
      await load();
      if (info.status === "running") throw new BackupError("busy", "The backup is running. Pause or cancel it first, then delete.");
      if (seeding()) throw new BackupError("busy", "An export file is being read into the backup. Wait until it is done, then delete.");
      await clearStore();
      await clearZips?.();
      backup = null;
      // Nothing left to keep up to date: the schedule goes too.
      info = { status: "idle", lastZip: null, account: null, schedule: "off" };
      await api.alarms?.clear(SCHEDULE_ALARM).catch(() => {});
      message = null;
      return status();
    },
    /** An extension page starts (`"begin"`) or has finished (`"end"`) reading an export
     *  into the backup's database; at the end the state is read again.
     *  @param {string} phase */
    async seed(phase) {
      await load();
      if (phase === "begin") {
        if (backup?.running || loop) throw new BackupError("busy", "A backup run is under way (or paused). Let it finish, or cancel it, then start from an export.");
        // The page reads the state from the database: it must be the latest.
        if (backup) await putState(backup.toJson());
        info.seedingSince = Date.now();
        await saveInfo();
      } else if (phase === "end") {
        delete info.seedingSince;
        await saveInfo();
        loaded = null;
        backup = null;
        message = null;
        await load();
      } else {
        throw new BackupError("options", `Invalid option: seed phase must be "begin" or "end", not ${JSON.stringify(phase)}.`);
      }
      return status();
    },
    /** Sets how often the backup updates itself: "off", "daily" or "weekly"; `options`
     *  (optional, checked by the core) are those of the scheduled runs, else the backup's.
     *  @param {string} every  @param {unknown} [options] */
    async schedule(every, options) {
      await load();
      if (!(every in SCHEDULES)) throw new BackupError("options", `Invalid option: schedule must be "off", "daily" or "weekly", not ${JSON.stringify(every)}.`);
      info.scheduleOptions = options === undefined || options === null ? null : Backup.checkOptions(options);
      info.schedule = every;
      await saveInfo();
      if (every === "off") await api.alarms?.clear(SCHEDULE_ALARM).catch(() => {});
      else await api.alarms?.create(SCHEDULE_ALARM, { periodInMinutes: 60, delayInMinutes: 1 });
      return status();
    },
    /** An alarm fired: carry on a run, or start a scheduled one.
     *  @param {string} name */
    async onAlarm(name) {
      if (name === ALARM) return controls.resumeIfRunning();
      if (name === SCHEDULE_ALARM) return runIfDue();
    },
    /** Carries on a run that was under way when the background stopped. */
    async resumeIfRunning() {
      await load();
      // Browsers may drop alarms on restart: the schedule's is made again.
      if ((SCHEDULES[info.schedule] ?? 0) > 0) await api.alarms?.create(SCHEDULE_ALARM, { periodInMinutes: 60, delayInMinutes: 1 });
      if (info.status === "running" && backup?.running && !seeding()) ensureLoop().catch(() => {});
      else if (info.status === "running" && !loop) {
        // Stopped while writing the ZIP at the end of a run: the run itself is done.
        info.status = "done";
        await saveInfo();
      }
    },
  };
  return controls;
}
