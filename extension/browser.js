// The one place that touches the WebExtension API. Firefox has `browser` (promises);
// Chromium has `chrome` (promises in MV3). Everything else imports `api` from here.

/** The extension API of this browser. */
export const api = globalThis.browser ?? globalThis.chrome;

/** Whether this is Firefox (its background is an event page, not a service worker). */
export const isFirefox = typeof globalThis.browser !== "undefined" && typeof globalThis.browser.runtime?.getBrowserInfo === "function";

/** Reads settings: the core's options (snake_case keys) and the extension's own. */
export async function loadSettings() {
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
