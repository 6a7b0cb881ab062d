// The export page's review of redaction: when the Privacy settings redact, "Review what is
// redacted" lists what the core's `redactionFindings` finds in the conversations chosen
// (the selected ones, else all shown), merged across them: counts per kind, and one
// checkbox a value with the conversations it is in (findings-list.js, the options page's
// list). Unticking a value keeps it as it is in this page's saves: it goes into the
// `redact.allow` of the page's options (not into the stored settings); ticking a value the
// settings keep replaces it in this page's saves.
//
// export.js sets it up once, handing over what the page owns: `setUpFindings({find, chosen,
// title, options})`; export-open.js calls `findingsOpened()` when a file is open (or the
// settings changed) and `findingsReset()` when it is closed.

import { $ } from "./dom.js";
import { listFindings, markFindings } from "./findings-list.js";
import { errorOf } from "./messages.js";

/**
 * A value found in the conversations, as the worker merges them (export-worker.js): `where`
 * holds the positions of the first conversations it is in, `in` how many it is in.
 * @typedef {{kind: string, value: string, count: number, where: number[], in: number}} Merged
 */

/** Values listed per kind; the others are counted ("and 120 more"). */
const CAP = 40;

/** The review set up by setUpFindings.
 * @type {{opened: () => void, reset: () => void} | null} */
let review = null;

/** A file is open (or the settings changed): the review is offered when the settings redact. */
export function findingsOpened() {
  review?.opened();
}

/** The file is closed: the review and the values kept on this page go. */
export function findingsReset() {
  review?.reset();
}

/**
 * @param {{
 *   find: (indexes: number[], options: object) => Promise<Merged[]>,
 *   chosen: () => number[],
 *   title: (index: number) => string,
 *   options: () => any,
 * }} page `find` asks the export's worker; `chosen` gives the positions of the
 *   conversations the review covers; `title` names one; `options` is the page's core
 *   options (its `redact` is replaced as values are unticked).
 */
export function setUpFindings({ find, chosen, title, options }) {
  const box = $("redact-review");
  const button = $("review-findings", HTMLButtonElement);
  const status = $("findings-status");
  const found = $("findings");
  const list = $("findings-list");
  const counts = $("findings-counts");
  /** Values unticked on this page, and values the settings keep ticked again here. */
  const kept = new Set();
  const replaced = new Set();
  /** The settings' own kept values, which stay kept.
   * @type {string[] | null} */
  let stored = null;
  /** @type {import("./findings-list.js").Found[]} */
  let shown = [];
  let where = "";
  let run = 0;

  /** What this page's saves keep: the settings' kept values and the unticked ones. */
  const keeping = () => new Set([...(stored ?? []), ...kept].filter((v) => !replaced.has(v)));
  const apply = () => {
    const opts = options();
    stored ??= [...(opts.redact?.allow ?? [])];
    opts.redact = { ...opts.redact, allow: [...keeping()] };
  };
  const mark = () => {
    counts.textContent = markFindings(list, shown, keeping(), where);
  };

  button.addEventListener("click", async () => {
    const indexes = chosen();
    const mine = ++run;
    button.disabled = true;
    status.textContent = `Looking for what redaction replaces in ${count(indexes.length)}…`;
    try {
      const opts = options();
      stored ??= [...(opts.redact?.allow ?? [])];
      // Every value, the kept ones too, so that each can be ticked again.
      const all = await find(indexes, { ...opts, redact: { ...opts.redact, enabled: true, allow: [] } });
      if (mine !== run) return;
      // Grouped by kind, each in order of first appearance.
      const kinds = [...new Set(all.map((f) => f.kind))];
      shown = kinds.flatMap((k) => all.filter((f) => f.kind === k)).map((f) => ({ ...f, where: f.where.map(title) }));
      where = indexes.length === 1 ? `in “${title(indexes[0])}”` : `in these ${count(indexes.length)}`;
      listFindings(list, shown, { name: "findings_keep", cap: CAP });
      mark();
      found.hidden = false;
      status.textContent = "";
    } catch (caught) {
      const e = errorOf(caught);
      if (mine === run) status.textContent = e.kind === "cancelled" ? "" : e.message;
    } finally {
      if (mine === run) button.disabled = false;
    }
  });

  list.addEventListener("change", (e) => {
    const input = e.target;
    if (!(input instanceof HTMLInputElement) || input.name !== "findings_keep") return;
    if (input.checked) {
      kept.delete(input.value);
      replaced.add(input.value);
    } else {
      replaced.delete(input.value);
      kept.add(input.value);
    }
    apply();
    mark();
  });

  review = {
    opened() {
      box.hidden = options().redact?.enabled !== true;
    },
    reset() {
      run++;
      if (kept.size || replaced.size) {
        kept.clear();
        replaced.clear();
        apply();
      }
      shown = [];
      box.hidden = true;
      found.hidden = true;
      list.replaceChildren();
      delete list.dataset.key;
      status.textContent = "";
      button.disabled = false;
    },
  };
}

/** @param {number} n */
function count(n) {
  return `${new Intl.NumberFormat().format(n)} ${n === 1 ? "conversation" : "conversations"}`;
}
