// chatkeep's background script: a Chromium service worker, a Firefox event page (the
// build adapts manifest.json for each). For now it only loads the wasm core and exposes
// it for the console; the save flow comes later.

import init, { convertConversation, version } from "./pkg/chatkeep_wasm.js";

// Service workers forbid top-level await, so callers wait on this promise instead.
// init() fetches chatkeep_wasm_bg.wasm next to chatkeep_wasm.js (needs 'wasm-unsafe-eval').
const ready = init();

globalThis.chatkeep = {
  ready,
  /** chatkeep's version. */
  version: async () => {
    await ready;
    return version();
  },
  /**
   * Converts one conversation's JSON; rejects with an Error carrying a stable `kind`.
   * @returns {Promise<{id: string, title: string, warnings: string[],
   *   files: {fileName: string, mime: string, text: string}[]}>}
   */
  convert: async (json, options) => {
    await ready;
    return convertConversation(json, options);
  },
};
