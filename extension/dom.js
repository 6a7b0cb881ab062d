// The pages' one way to find their own elements, typed for the checker (tsconfig.json):
//   $("search", HTMLInputElement).value
// An element the page's markup lacks, or of another kind than the script expects, fails here
// by name instead of as "cannot read properties of null" somewhere later.

/**
 * The element with id `id` of this page's own markup, checked to be a `type` (any
 * HTMLElement when not given).
 * @template {HTMLElement} [T=HTMLElement]
 * @param {string} id
 * @param {new (...args: any[]) => T} [type]
 * @returns {T}
 */
export function $(id, type) {
  const element = document.getElementById(id);
  const want = type ?? HTMLElement;
  if (!(element instanceof want)) {
    throw new Error(`This chatkeep page has no ${want.name} #${id}: its files do not match. Reinstall the extension.`);
  }
  return /** @type {T} */ (element);
}

/**
 * The `<input>` elements of `root` that match `selector` (checkboxes and radios of a group).
 * @param {ParentNode} root
 * @param {string} selector
 * @returns {HTMLInputElement[]}
 */
export function inputs(root, selector) {
  return [...root.querySelectorAll(selector)].filter((e) => e instanceof HTMLInputElement);
}
