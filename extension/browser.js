// The one place that touches the WebExtension API and its differences between browsers.
// Firefox has `browser` (promises); Chromium has `chrome` (promises in MV3). Everything else
// imports `api` from here; a download's blob URL is made here too (Firefox's background has
// a DOM, Chromium's service worker needs its offscreen document).

import { KindError } from "./messages.js";

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

/** Stores settings (either part may be omitted).
 *  @param {{options?: Record<string, any>, extension?: Record<string, any>}} settings */
export async function saveSettings({ options, extension }) {
  /** @type {{options?: Record<string, any>, extension?: Record<string, any>}} */
  const patch = {};
  if (options !== undefined) patch.options = options;
  if (extension !== undefined) patch.extension = extension;
  await api.storage.sync.set(patch);
}

/** A URL the downloads API can fetch: a blob URL where the background has a DOM (Firefox),
 *  else a blob URL made by the offscreen document (Chromium's worker has no createObjectURL). */
/** @param {Blob} blob  @returns {Promise<string>} */
export async function objectUrl(blob) {
  if (typeof URL.createObjectURL === "function") return URL.createObjectURL(blob);
  await ensureOffscreen();
  const reply = await api.runtime.sendMessage({ type: "chatkeep/offscreen-url", target: "offscreen", blob: await blobToBase64(blob), mime: blob.type });
  if (!reply?.url) throw new KindError("internal", "chatkeep could not prepare the download. Reload the extension and try again.");
  return reply.url;
}

/** @param {Blob} blob */
async function blobToBase64(blob) {
  const buf = new Uint8Array(await blob.arrayBuffer());
  let bin = "";
  for (let i = 0; i < buf.length; i += 0x8000) bin += String.fromCharCode(...buf.subarray(i, i + 0x8000));
  return btoa(bin);
}

/** @type {Promise<void> | undefined} */
let offscreenReady;
/** Chromium: the offscreen document (offscreen.js), created once, for what its service
 *  worker cannot do (blob URLs, the backup's ZIP). */
export function ensureOffscreen() {
  offscreenReady ??= (async () => {
    const existing = await api.runtime.getContexts?.({ contextTypes: ["OFFSCREEN_DOCUMENT"] });
    if (existing?.length) return;
    await api.offscreen.createDocument({ url: "offscreen.html", reasons: ["BLOBS"], justification: "Create blob URLs for downloads of saved chats." });
  })().catch((e) => {
    offscreenReady = undefined;
    throw e;
  });
  return offscreenReady;
}
