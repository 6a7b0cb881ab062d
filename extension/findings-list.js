// The list of redaction findings, one checkbox a value, shared by the options page's
// Privacy preview (the sample conversation) and the export page (the conversations chosen):
// what the core's `redactionFindings` found, ticked when it is replaced, unticked when it
// is kept as it is (the caller puts unticked values in `redact.allow`). The export page's
// findings also say which conversations each value is in. A long list shows the first
// values of each kind and says how many more there are: thousands of findings stay quick.

/**
 * One value found: the core's finding (`kind`, `value`, `count`), and on the export page
 * `where` (the titles of the first conversations it is in) and `in` (how many it is in).
 * @typedef {{kind: string, value: string, count: number, where?: string[], in?: number}} Found
 */

/**
 * Fills `list` (a <ul>) with a checkbox for each of `findings` (named `name`, with ids from
 * the list's own), at most `cap` of each kind, then a line saying how many more of that
 * kind are not listed (those are replaced, unless kept already). Built again only when the
 * findings change. Call `markFindings` after it.
 * @param {HTMLElement} list  @param {Found[]} findings
 * @param {{name: string, cap?: number}} how
 */
export function listFindings(list, findings, { name, cap = Infinity }) {
  const key = `${cap}\u0002${findings.map((f) => `${f.kind}\u0000${f.value}\u0000${f.in ?? ""}`).join("\u0001")}`;
  if (list.dataset.key === key) return;
  list.dataset.key = key;
  const shown = new Map();
  const more = new Map();
  const items = [];
  findings.forEach((f, i) => {
    const n = shown.get(f.kind) ?? 0;
    if (n >= cap) {
      more.set(f.kind, (more.get(f.kind) ?? 0) + 1);
      return;
    }
    shown.set(f.kind, n + 1);
    const item = document.createElement("li");
    const input = document.createElement("input");
    input.type = "checkbox";
    input.name = name;
    input.id = `${list.id}-${i}`;
    input.value = f.value;
    input.dataset.kind = f.kind;
    const label = document.createElement("label");
    label.htmlFor = input.id;
    const value = document.createElement("code");
    value.textContent = f.value;
    const what = document.createElement("span");
    what.className = "label-desc";
    label.append(value, " ", what);
    if (f.where?.length) {
      const where = document.createElement("span");
      where.className = "finding-where";
      const rest = (f.in ?? f.where.length) - f.where.length;
      where.textContent = `in ${f.where.map((t) => `“${t}”`).join(", ")}${rest > 0 ? ` and ${rest} more` : ""}`;
      label.append(" · ", where);
    }
    item.append(input, label);
    items.push(item);
  });
  for (const [kind, n] of more) {
    const item = document.createElement("li");
    item.className = "findings-more";
    item.textContent = `and ${n} more ${kind} ${n === 1 ? "value" : "values"}, not listed: replaced unless kept in the settings`;
    items.push(item);
  }
  list.replaceChildren(...items);
}

/**
 * Ticks the listed values that are replaced (not in `kept`) and says so beside each;
 * returns the line of counts: what is replaced, per kind, `where` ("in the sample"), and
 * how many values are kept.
 * @param {HTMLElement} list  @param {Found[]} findings  @param {Set<string>} kept
 * @param {string} where
 */
export function markFindings(list, findings, kept, where) {
  const byValue = new Map(findings.map((f) => [`${f.kind}\u0000${f.value}`, f]));
  for (const input of list.querySelectorAll("input[type=checkbox]")) {
    if (!(input instanceof HTMLInputElement)) continue;
    input.checked = !kept.has(input.value);
    const f = byValue.get(`${input.dataset.kind}\u0000${input.value}`);
    // listFindings puts each box's label, with its description, right after it.
    const what = input.nextElementSibling?.querySelector(".label-desc");
    if (!what) throw new Error(`The list of values found does not match its findings (${input.value}): reload the page.`);
    what.textContent = input.checked ? `${f?.kind}, replaced ${f?.count}×` : `${f?.kind}, kept`;
  }
  if (!findings.length) return `Nothing to replace ${where}.`;
  /** @type {Map<string, number>} */
  const perKind = new Map();
  let keptCount = 0;
  for (const f of findings) {
    if (kept.has(f.value)) keptCount++;
    else perKind.set(f.kind, (perKind.get(f.kind) ?? 0) + 1);
  }
  const replaced = [...perKind].map(([k, n]) => `${n} ${k}`).join(", ") || "nothing";
  return `Replaced ${where}: ${replaced}${keptCount ? `; ${keptCount} kept` : ""}.`;
}
