// The export page's search: in the index worker's memory, or by a job that scans the file.

import { $ } from "./dom.js";
import { plural } from "./export-format.js";
import { refreshView, setActive } from "./export-list.js";
import { ask, cancelJob, indexWorker, runJob } from "./export-messaging.js";
import { state } from "./export-state.js";
import { errorOf } from "./messages.js";

/** @typedef {import("./export-state.js").SearchResult} SearchResult */

/** The pause after typing before the search runs. */
export let searchTimer = 0;

/** Searches once typing pauses. */
export function onSearchInput() {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(runSearch, 180);
}

/** Searches for the search box's query (none: shows every conversation again). */
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
  /** @type {SearchResult} */
  let result;
  try {
    if (state.searchInMemory) {
      result = await ask(indexWorker(), { type: "search", query });
    } else {
      status.hidden = false;
      status.textContent = "Searching the file (its text is too large to keep in memory)…";
      result = await runJob("search", { type: "scan", file: state.file, query }, (p) => {
        if (seq !== state.searchSeq) return;
        const pct = p.bytesTotal ? Math.round((p.bytesRead / p.bytesTotal) * 100) : 0;
        status.textContent = `Searching the file… ${pct} % · ${plural(p.matches ?? 0, "match", "matches")} so far`;
      });
    }
  } catch (caught) {
    const e = errorOf(caught);
    if (e.kind === "cancelled") return;
    status.hidden = false;
    status.textContent = e.message;
    return;
  }
  if (seq !== state.searchSeq) return;
  /** @type {Map<number, string>} */
  const hits = new Map();
  const { indexes, snippets } = result;
  if (indexes && snippets) indexes.forEach((i, k) => hits.set(i, snippets[k]));
  // The terms as the core parsed the query: the words highlighted are the words searched.
  state.search = { query, terms: result.terms ?? [], hits };
  refreshView({ keepCurrent: false });
  // None: the empty list says so, once.
  status.hidden = !state.view.length;
  status.textContent = state.view.length ? `${plural(state.view.length, "conversation")} ${state.view.length === 1 ? "matches" : "match"} “${query}”.` : "";
  if (state.view.length) setActive(0, { preview: true, scroll: true });
}
