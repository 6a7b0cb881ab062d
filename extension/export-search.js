// The export page's search: in the index worker's memory, or by a job that scans the file.

import { $ } from "./dom.js";
import { plural } from "./export-format.js";
import { refreshView, setActive } from "./export-list.js";
import { ask, cancelJob, runJob } from "./export-messaging.js";
import { state } from "./export-state.js";

export let searchTimer = 0;

export function onSearchInput() {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(runSearch, 180);
}

export async function runSearch() {
  const query = $("search", HTMLInputElement).value.trim();
  const seq = ++state.searchSeq;
  const status = $("search-status");
  if (state.job?.kind === "search") cancelJob();
  if (!query) {
    state.search = null;
    status.hidden = true;
    status.textContent = "";
    refreshView();
    return;
  }
  let result;
  try {
    if (state.searchInMemory) {
      result = await ask(state.worker, { type: "search", query });
    } else {
      status.hidden = false;
      status.textContent = "Searching the file (its text is too large to keep in memory)…";
      result = await runJob("search", { type: "scan", file: state.file, query }, (p) => {
        if (seq !== state.searchSeq) return;
        const pct = p.bytesTotal ? Math.round((p.bytesRead / p.bytesTotal) * 100) : 0;
        status.textContent = `Searching the file… ${pct} % · ${plural(p.matches, "match", "matches")} so far`;
      });
    }
  } catch (e) {
    if (e.kind === "cancelled") return;
    status.hidden = false;
    status.textContent = e.message;
    return;
  }
  if (seq !== state.searchSeq) return;
  const hits = new Map();
  result.indexes?.forEach((i, k) => hits.set(i, result.snippets[k]));
  // The terms as the core parsed the query: the words highlighted are the words searched.
  state.search = { query, terms: result.terms ?? [], hits };
  refreshView({ keepCurrent: false });
  // None: the empty list says so, once.
  status.hidden = !state.view.length;
  status.textContent = state.view.length ? `${plural(state.view.length, "conversation")} ${state.view.length === 1 ? "matches" : "match"} “${query}”.` : "";
  if (state.view.length) setActive(0, { preview: true, scroll: true });
}
