// The note chatkeep shows on the ChatGPT page: the progress of a page capture, then what a
// save wrote (or why it could not). Injected into the tab's isolated world by the background
// (scripting.executeScript, files: ["page-note.js"]), it defines one function:
//
//   __chatkeepNote({state, text, title, labels, warnings, detail, downloadId})
//     state     "progress" | "done" | "error" | "cancelled"
//     text      the first line ("Reading the page… 340 of about 2,000 messages", "Saved")
//     title     the chat's title, shown once (done)
//     labels    the formats written, short ("MD", "HTML", "JSON"; done)
//     warnings  sentences the user must see (an incomplete read), shown highlighted
//     detail    one more plain sentence, smaller
//     downloadId a saved file: "Show in folder" asks the background to show it
//
// One note at a time (a new one replaces the last). A progress note stays while the capture
// runs (Esc is the capture's to handle); any other note stays until its close button, Esc,
// or the page moving to another address. Light or dark after the page (ChatGPT's `dark`
// class) or the system. An open shadow root keeps the page's styles out.

(() => {
  const page = /** @type {import("./messages.js").PageGlobals} */ (globalThis);
  if (page.__chatkeepNote) return;

  const HOST_ID = "chatkeep-note";
  const CSS = `
:host { all: initial; position: fixed; right: 16px; bottom: 16px; z-index: 2147483647; }
.note { box-sizing: border-box; max-width: min(28rem, calc(100vw - 32px)); display: flex; gap: 10px;
  align-items: flex-start; padding: 12px 14px; border-radius: 12px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif;
  color: #1f2328; background: #ffffff; border: 1px solid #d0d7de; border-left: 4px solid #1a7f37;
  box-shadow: 0 6px 24px rgba(0, 0, 0, .18); }
.note.progress { border-left-color: #0969da; }
.note.error, .note.cancelled { border-left-color: #cf222e; }
.body { flex: 1 1 auto; min-width: 0; }
.line { margin: 0; font-weight: 600; }
.labels { font-weight: 600; white-space: nowrap; color: #1a7f37; }
.title { margin: 2px 0 0; overflow-wrap: anywhere; }
.warning { margin: 6px 0 0; padding: 6px 8px; border-radius: 6px; background: #fff8c5; color: #4d2d00; }
.detail, .hint { margin: 4px 0 0; color: #57606a; font-size: 13px; }
kbd { font: 12px/1 ui-monospace, monospace; padding: 1px 4px; border: 1px solid currentColor; border-radius: 4px; }
button { border: 0; background: transparent; color: inherit; cursor: pointer; }
.close { flex: none; margin: -4px -6px 0 0; width: 28px; height: 28px; border-radius: 6px; font: 20px/1 system-ui, sans-serif; }
.link { margin: 6px 0 0; padding: 0; font: inherit; font-size: 13px; color: #0969da; text-decoration: underline; }
.dark .link { color: #58a6ff; }
.close:hover { background: rgba(127, 127, 127, .18); }
button:focus-visible { outline: 2px solid #0969da; outline-offset: 1px; }
.dark .note { color: #e6edf3; background: #161b22; border-color: #30363d; border-left-color: #3fb950; box-shadow: 0 6px 24px rgba(0, 0, 0, .6); }
.dark .note.progress { border-left-color: #58a6ff; }
.dark .note.error, .dark .note.cancelled { border-left-color: #f85149; }
.dark .labels { color: #3fb950; }
.dark .warning { background: #3b2e00; color: #f8e3a1; }
.dark .detail, .dark .hint { color: #8b949e; }
.dark button:focus-visible { outline-color: #58a6ff; }
`;

  /** @type {(() => void) | null} */
  let cleanup = null;

  function isDark() {
    const cls = document.documentElement.classList;
    if (cls.contains("dark")) return true;
    if (cls.contains("light")) return false;
    return globalThis.matchMedia?.("(prefers-color-scheme: dark)").matches ?? false;
  }

  /**
   * @template {keyof HTMLElementTagNameMap} K
   * @param {K} tag  @param {string | null} [className]  @param {string} [text]
   * @returns {HTMLElementTagNameMap[K]}
   */
  function el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function remove() {
    cleanup?.();
    cleanup = null;
    document.getElementById(HOST_ID)?.remove();
  }

  page.__chatkeepNote = (spec) => {
    remove();
    if (!spec) return;
    const { state = "done", text = "", title, labels, warnings = [], detail, downloadId } = spec;
    const host = el("div");
    host.id = HOST_ID;
    const root = host.attachShadow({ mode: "open" });
    const style = el("style", null, CSS);
    const theme = el("div", isDark() ? "dark" : "light");
    const note = el("div", `note ${state}`);
    note.setAttribute("role", state === "error" || state === "cancelled" ? "alert" : "status");
    const body = el("div", "body");
    const line = el("p", "line", text);
    if (labels?.length) {
      line.append(" ", el("span", "labels", labels.join(" · ")));
    }
    body.append(line);
    if (title) body.append(el("p", "title", title));
    for (const w of warnings) body.append(el("p", "warning", w));
    if (detail) body.append(el("p", "detail", detail));
    if (typeof downloadId === "number" && typeof globalThis.chrome?.runtime?.sendMessage === "function") {
      const show = el("button", "link", "Show in folder");
      show.type = "button";
      show.addEventListener("click", () => {
        // "chatkeep/show-download": Msg.SHOW_DOWNLOAD in messages.js.
        Promise.resolve(chrome.runtime.sendMessage({ type: "chatkeep/show-download", downloadId })).catch(() => {});
      });
      body.append(show);
    }
    if (state === "progress") {
      const hint = el("p", "hint");
      hint.append("Press ", el("kbd", null, "Esc"), " to stop.");
      body.append(hint);
    }
    note.append(body);
    if (state !== "progress") {
      const close = el("button", "close", "×");
      close.type = "button";
      close.title = "Close";
      close.setAttribute("aria-label", "Close the chatkeep note");
      close.addEventListener("click", remove);
      note.append(close);
      // Dismissed with Esc, or gone once the page shows another address (ChatGPT moves
      // between chats without loading a page).
      const url = location.href;
      /** @param {KeyboardEvent} e */
      const onKey = (e) => {
        if (e.key === "Escape") remove();
      };
      const timer = setInterval(() => {
        if (location.href !== url || !host.isConnected) remove();
      }, 500);
      addEventListener("keydown", onKey, true);
      addEventListener("pagehide", remove);
      cleanup = () => {
        clearInterval(timer);
        removeEventListener("keydown", onKey, true);
        removeEventListener("pagehide", remove);
      };
    }
    theme.append(note);
    root.append(style, theme);
    document.documentElement.append(host);
  };
})();
