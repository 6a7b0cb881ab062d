// The export page's workers (export-worker.js): the index worker that lives while the file
// is open and the job workers of long jobs; requests and their answers.

import { addRows, opened, openFailed } from "./export-open.js";
import { state } from "./export-state.js";

/** @typedef {import("./export-state.js").Progress} Progress */
/** @typedef {import("./export-state.js").KindError} KindError */

/**
 * A worker of export-worker.js whose answers settle the page's requests, and whose list
 * rows, "opened" and open failure go to the open file.
 * @param {(p: Progress) => void} [onProgress]
 * @returns {Worker}
 */
export function newWorker(onProgress) {
  const worker = new Worker("export-worker.js", { type: "module" });
  worker.onmessage = ({ data }) => {
    if (data.type === "progress") onProgress?.(data);
    else if (data.type === "rows") addRows(data.rows);
    else if (data.type === "opened") opened(data);
    else if (data.type === "result" || data.type === "failed") {
      const pending = state.requests.get(data.id);
      if (pending) {
        state.requests.delete(data.id);
        if (data.type === "result") pending.resolve(data);
        else pending.reject(Object.assign(new Error(data.error.message), { kind: data.error.kind }));
      } else if (data.type === "failed" && data.op === "open") {
        openFailed(data.error);
      }
    }
  };
  worker.onerror = (e) => {
    e.preventDefault();
    const error = { kind: "internal", message: `chatkeep's reader stopped: ${e.message || "unknown error"}. Reload the page and try again.` };
    if (worker === state.worker && !state.all.length) openFailed(error);
    for (const [id, p] of state.requests) {
      if (p.worker === worker) {
        state.requests.delete(id);
        p.reject(Object.assign(new Error(error.message), { kind: error.kind }));
      }
    }
  };
  return worker;
}

/**
 * Sends a request to `worker`; resolves with its result (the worker's "result" message,
 * whose fields depend on the request).
 * @param {Worker} worker
 * @param {{type: string} & Record<string, any>} message
 * @param {Transferable[]} [transfer]
 * @returns {Promise<any>}
 */
export function ask(worker, message, transfer = []) {
  const id = state.nextId++;
  return new Promise((resolve, reject) => {
    state.requests.set(id, { resolve, reject, worker });
    worker.postMessage({ ...message, id }, transfer);
  });
}

/**
 * Runs a long job in a worker of its own; `cancelJob()` terminates it.
 * @param {string} kind "save" or "search"
 * @param {{type: string} & Record<string, any>} message
 * @param {(p: Progress) => void} [onProgress]
 * @returns {Promise<any>}
 */
export function runJob(kind, message, onProgress) {
  cancelJob();
  const worker = newWorker(onProgress);
  state.job = { worker, kind };
  return ask(worker, message).finally(() => {
    if (state.job?.worker === worker) state.job = null;
    worker.terminate();
  });
}

/**
 * The index worker of the open file; throws a "cancelled" error when no file is open (it
 * was closed while a request was waiting to be sent).
 * @returns {Worker}
 */
export function indexWorker() {
  if (!state.worker) throw Object.assign(new Error("Cancelled."), { kind: "cancelled" });
  return state.worker;
}

/** Stops the running job, if any: its worker is terminated, its request rejected as "cancelled". */
export function cancelJob() {
  if (!state.job) return;
  const { worker } = state.job;
  state.job = null;
  worker.terminate();
  for (const [id, p] of state.requests) {
    if (p.worker === worker) {
      state.requests.delete(id);
      p.reject(Object.assign(new Error("Cancelled."), { kind: "cancelled" }));
    }
  }
}
