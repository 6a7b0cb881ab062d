// The backup page's own controls beside the status: "Start from an export" and "Keep it
// up to date". "Start from an export": the seed worker reads the chosen ZIP with the
// core, and this page keeps what it hands over in the backup's database, then tells the
// background to read the backup's state again. The next run fetches only what is newer or
// missing.

import { api } from "./browser.js";
import { Msg, request } from "./messages.js";
import { getMeta, keepMany, putState } from "./backup-store.js";
import { $ } from "./dom.js";

const input = $("seed-file", HTMLInputElement);
const line = $("seed-status");
const count = new Intl.NumberFormat();

input.addEventListener("change", () => {
  const file = input.files?.[0];
  input.value = "";
  if (file) seed(file).catch((e) => say(e.message));
});

/** @param {string} text */
function say(text) {
  line.textContent = text;
}

/** Reads `file` into the backup. Resolves with the core's counts.
 *  @param {File} file */
export async function seed(file) {
  input.disabled = true;
  try {
    await request(api, { type: Msg.BACKUP_SEED, phase: "begin" });
    try {
      return await readInto(file);
    } finally {
      await request(api, { type: Msg.BACKUP_SEED, phase: "end" });
    }
  } finally {
    input.disabled = false;
  }
}

/** @param {File} file */
function readInto(file) {
  say(`Reading ${file.name}…`);
  return getMeta("state").then(
    (state) =>
      new Promise((resolve, reject) => {
        const worker = new Worker("backup-seed-worker.js", { type: "module" });
        // Writes go in batches, one transaction each, in order.
        /** @type {(import("./backup-store.js").Keep & {bytes: Uint8Array})[]} */
        let batch = [];
        let writing = Promise.resolve();
        let kept = 0;
        const flush = () => {
          const items = batch;
          batch = [];
          writing = writing.then(() => keepMany(items));
          return writing;
        };
        worker.onmessage = ({ data }) => {
          if (data.type === "item") {
            batch.push(data.item);
            if (data.item.keep === "conversation") kept += 1;
            if (batch.length >= 50) flush().catch(() => {});
          } else if (data.type === "progress") {
            const pct = data.bytesTotal ? ` (${Math.floor((100 * data.bytesRead) / data.bytesTotal)}%)` : "";
            say(`Reading ${file.name}${pct}: ${count.format(data.conversations)} conversations read, ${count.format(kept)} added.`);
          } else if (data.type === "done") {
            worker.terminate();
            flush()
              .then(() => putState(data.state))
              .then(() => {
                const s = data.stats;
                say(
                  `Added ${count.format(s.kept)} of ${count.format(s.read)} conversations and ${count.format(s.files)} files from ${file.name}` +
                    (s.unreadable ? ` (${count.format(s.unreadable)} could not be read and will be fetched)` : "") +
                    ". Start the backup to fetch what is newer or missing.",
                );
                resolve(s);
              }, reject);
          } else if (data.type === "failed") {
            worker.terminate();
            // What was kept stays, and is handed back to the core the next time the
            // background reads the state (it was stamped after the state).
            flush().finally(() => reject(Object.assign(new Error(data.error.message), { kind: data.error.kind })));
          }
        };
        worker.onerror = (e) => {
          worker.terminate();
          reject(new Error(`chatkeep could not read the file: ${e.message}`));
        };
        worker.postMessage({ file, state: state ?? null });
      }),
  );
}

// "Keep it up to date": how often the backup updates itself.
const schedule = $("schedule", HTMLSelectElement);
const scheduleLine = $("schedule-status");

/** @param {import("./backup-view.js").BackupStatus} status */
function showSchedule(status) {
  schedule.value = status.schedule ?? "off";
  scheduleLine.textContent = status.nextScheduled
    ? `Next update: ${new Date(Math.max(status.nextScheduled, Date.now())).toLocaleString()} or later, when a chatgpt.com tab is open.`
    : "";
}

request(api, { type: Msg.BACKUP_STATUS }).then(showSchedule, () => {});
schedule.addEventListener("change", () => {
  request(api, { type: Msg.BACKUP_SCHEDULE, schedule: schedule.value }).then(showSchedule, (e) => {
    scheduleLine.textContent = e.message;
  });
});
