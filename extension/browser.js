// The one place that touches the WebExtension API. Firefox has `browser` (promises);
// Chromium has `chrome` (promises in MV3). Everything else imports `api` from here.

/** The extension API of this browser (typed as Chromium's: Firefox's `browser` has the same
 *  promise-based shape for everything chatkeep calls).
 *  @type {typeof chrome} */
export const api = globalThis.browser ?? globalThis.chrome;

/** Whether this is Firefox (its background is an event page, not a service worker). */
export const isFirefox = typeof globalThis.browser !== "undefined" && typeof /** @type {any} */ (globalThis.browser).runtime?.getBrowserInfo === "function";

/**
 * The stored settings: the core's options as stored (snake_case keys, merged with the
 * defaults by the core) and the extension's own.
 * @typedef {{options: Record<string, any>, extension: {save_as: boolean, time_zone?: string} & Record<string, any>}} Settings
 */

/** Reads settings: the core's options (snake_case keys) and the extension's own.
 *  @returns {Promise<Settings>} */
export async function loadSettings() {
  /** @type {{options?: Record<string, any>, extension?: Record<string, any>}} */
  const { options = {}, extension = {} } = await api.storage.sync.get(["options", "extension"]);
  return { options, extension: { save_as: false, ...extension } };
}

/** Stores settings (either part may be omitted). */
export async function saveSettings({ options, extension }) {
  const patch = {};
  if (options !== undefined) patch.options = options;
  if (extension !== undefined) patch.extension = extension;
  await api.storage.sync.set(patch);
}
