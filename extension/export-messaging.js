// The export page's workers (export-worker.js): the index worker that lives while the file
// is open and the job workers of long jobs; requests and their answers.

import { addRows, opened, openFailed } from "./export-open.js";
import { state } from "./export-state.js";

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

/** Sends a request to `worker`; resolves with its result. */
export function ask(worker, message, transfer = []) {
  const id = state.nextId++;
  return new Promise((resolve, reject) => {
    state.requests.set(id, { resolve, reject, worker });
    worker.postMessage({ ...message, id }, transfer);
  });
}

/** Runs a long job in a worker of its own; `cancelJob()` terminates it. */
export function runJob(kind, message, onProgress) {
  cancelJob();
  const worker = newWorker(onProgress);
  state.job = { worker, kind };
  return ask(worker, message).finally(() => {
    if (state.job?.worker === worker) state.job = null;
    worker.terminate();
  });
}

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
