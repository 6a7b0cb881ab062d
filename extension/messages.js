// Messages between the parts of the extension. Every message is `{type, ...}`; every reply
// is `{ok: true, result}` or `{ok: false, error: {kind, message}}`.

export const Msg = Object.freeze({
  /** popup/options/tests → background: `{type, tabId?, options?}` → `{files, reader, warnings}`.
   *  `tabId` defaults to the active tab; `options` is a partial core options object plus the
   *  extension's `save_as` and `reader` ('auto' | 'api' | 'dom'). */
  SAVE: "chatkeep/save",
  /** popup → background: `{type, tabId?}` → `{text}`: the open chat as Markdown. */
  COPY_MARKDOWN: "chatkeep/copy-markdown",
  /** any page → background: `{type}` → `{chatgpt: bool, url}` about the active tab. */
  TAB_STATUS: "chatkeep/tab-status",
});

/** Sends a message and unwraps the reply: resolves with `result`, rejects with an Error
 *  carrying `kind`. */
export async function request(api, message) {
  const reply = await api.runtime.sendMessage(message);
  if (reply?.ok) return reply.result;
  const e = new Error(reply?.error?.message ?? "chatkeep did not answer. Reload the extension and try again.");
  e.kind = reply?.error?.kind ?? "internal";
  throw e;
}
