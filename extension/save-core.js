// The lean wasm module (chatkeep_save) for pages that need it only now and then (the popup,
// the export page's password dialog and one-conversation encrypted ZIP): loaded once, when
// first asked for.

/** @type {Promise<typeof import("./pkg/chatkeep_save.js")> | undefined} */
let loaded;

/** The initialised module. */
export function saveCore() {
  loaded ??= import("./pkg/chatkeep_save.js").then(async (core) => {
    await core.default();
    return core;
  });
  return loaded;
}
