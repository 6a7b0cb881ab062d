// The chat page of the stand-in, in the three DOM layouts of CHATGPT_FORMATS.md §7:
//
//   "2024"     article[data-testid="conversation-turn-N"] per message; h5/h6.sr-only;
//              [data-message-author-role][data-message-id][data-message-model-slug];
//              assistant body .markdown.prose, user body .whitespace-pre-wrap
//   "2026"     section[data-testid="conversation-turn-N"][data-turn-id][data-turn] per
//              message; h4.sr-only; a "Thought for …" button beside the assistant message
//   "2026-09"  div[data-turn-key=<user message id>] per prompt-and-answer; user text in
//              [data-user-message-bubble] .whitespace-pre-wrap; assistant marker
//              h4.sr-only[data-conversation-role="assistant"]; answer unit
//              [data-chatgpt-search-message-ids]; body
//              div[data-markdown-text-style="assistant-message"]; the thread scroller
//              div[data-app-action-timeline-scroll] is flex-direction: column-reverse
//              (scrollTop 0 at the bottom, negative upward) and the sidebar has a decoy
//              scroller [data-app-action-sidebar-scroll]
//
// Like the real page, it is virtualised: the turns travel as data, and a script keeps only
// some of them mounted, in one of three models (`state.virtual`, see VIRTUALISER): spacer
// placeholders around the turns in view (the default), a thread that grows when its top is
// reached, or a fixed window that evicts at one end what it mounts at the other. The page
// opens scrolled to the bottom. Reading the DOM once therefore sees only the last few turns;
// a reader has to scroll up and collect turns by id.

import { escapeHtml } from "./conversations.mjs";

const CSS = `
html, body { height: 100%; margin: 0; font: 16px/1.5 system-ui, sans-serif; }
.sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0,0,0,0); white-space: nowrap; border: 0; }
.flex { display: flex; } .flex-col { flex-direction: column; } .h-full { height: 100%; }
.min-h-0 { min-height: 0; } .flex-1 { flex: 1 1 0%; } .overflow-y-auto { overflow-y: auto; }
.overflow-hidden { overflow: hidden; } .relative { position: relative; } .w-full { width: 100%; }
.h-screen { height: 100vh; } .w-\\[260px\\] { width: 260px; flex-shrink: 0; }
.flex-col-reverse { flex-direction: column-reverse; }
.whitespace-pre-wrap { white-space: pre-wrap; }
.turn-pad { padding: 18px 24px; }
/* "grow" keeps every turn mounted: the browser skips laying out those out of view. */
.grow > * { content-visibility: auto; contain-intrinsic-size: auto 100px; }
.bubble { margin-left: auto; max-width: 70%; background: #f4f4f4; border-radius: 24px; padding: 10px 20px; }
pre { background: #f9f9f9; border-radius: 6px; overflow: auto; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 2px 6px; }
nav a { display: block; padding: 6px 12px; color: inherit; text-decoration: none; }
`;

// Runs in the page: keeps only some turns mounted, in one of three models (`data.model`):
//
//   "spacers"  the turns in view and at least `window` around the middle of the view are
//              mounted; two spacers keep the full scroll height (what ChatGPT did in 2024–26)
//   "grow"     the last `window` turns are mounted; reaching the top mounts `batch` older ones
//              above them, the scroll position anchored; nothing is unmounted, the thread grows
//   "window"   exactly `window` turns are mounted and no spacer: reaching the top mounts
//              `batch` older ones and unmounts as many at the bottom (and the reverse at the
//              bottom), the scroll position anchored, so the height never changes
//
// With `lateMs`, older turns arrive that long after the top is reached ("grow" and
// "window"). The first `unreachable` turns are never mounted, in any model.
const VIRTUALISER = `(() => {
  const data = JSON.parse(document.getElementById("thread-data").textContent);
  const scroller = document.getElementById("thread-scroller");
  const list = document.getElementById("thread-list");
  const reverse = data.reverse;
  const n = data.turns.length;
  const floor = Math.min(n - 1, data.unreachable || 0);
  const heights = data.turns.map((t) => t.estimate);
  const mounted = new Map();
  const top = document.createElement("div");
  const bottom = document.createElement("div");
  top.setAttribute("aria-hidden", "true");
  bottom.setAttribute("aria-hidden", "true");
  list.append(top, bottom);
  const template = document.createElement("template");
  scroller.style.overflowAnchor = "none";
  if (data.model === "grow") list.classList.add("grow");

  // Distance of the view's top from the content's top (the scrollTop of a normal scroller;
  // column-reverse counts from the bottom, 0 there and negative upward).
  function viewTop() {
    return reverse
      ? scroller.scrollHeight - scroller.clientHeight + scroller.scrollTop
      : scroller.scrollTop;
  }

  /** Mounts exactly the turns lo..hi (in order, between the spacers). */
  function mountRange(lo, hi) {
    for (const [i, el] of mounted) {
      if (i < lo || i > hi) { el.remove(); mounted.delete(i); }
    }
    let before = bottom;
    for (let i = hi; i >= lo; i--) {
      let el = mounted.get(i);
      if (!el) {
        template.innerHTML = data.turns[i].html;
        el = template.content.firstElementChild;
        mounted.set(i, el);
        list.insertBefore(el, before);
      }
      before = el;
    }
  }

  // --- "spacers" -------------------------------------------------------------------------
  let busy = false;
  function updateSpacers() {
    if (busy) return;
    busy = true;
    try {
      for (const [i, el] of mounted) {
        const h = el.getBoundingClientRect().height;
        if (h > 0) heights[i] = h;
      }
      const from = viewTop();
      const to = from + scroller.clientHeight;
      let acc = 0, first = -1, last = -1, middle = n - 1;
      for (let i = 0; i < n; i++) {
        const start = acc, end = acc + heights[i];
        if (end > from && start < to) { if (first < 0) first = i; last = i; }
        if (start <= (from + to) / 2 && end > (from + to) / 2) middle = i;
        acc = end;
      }
      if (first < 0) { first = middle; last = middle; }
      const half = Math.floor((data.window - 1) / 2);
      let lo = Math.min(first, middle - half), hi = Math.max(last, middle + (data.window - 1 - half));
      if (lo < 0) { hi = Math.min(n - 1, hi - lo); lo = 0; }
      if (hi > n - 1) { lo = Math.max(0, lo - (hi - (n - 1))); hi = n - 1; }
      mountRange(Math.max(lo, floor), Math.max(hi, floor));
      let above = 0, below = 0;
      for (let i = 0; i < lo; i++) above += heights[i];
      for (let i = hi + 1; i < n; i++) below += heights[i];
      top.style.height = above + "px";
      bottom.style.height = below + "px";
    } finally {
      busy = false;
    }
  }

  // --- "grow" and "window" -----------------------------------------------------------------
  const EDGE = 80;
  let lo = Math.max(floor, n - data.window), hi = n - 1, pending = false;

  /** Moves the mounted range to lo..hi keeping a turn in view where it is on screen. */
  function moveTo(newLo, newHi) {
    const anchorIndex = [...mounted.keys()].filter((i) => i >= newLo && i <= newHi)
      .map((i) => [i, mounted.get(i).getBoundingClientRect().top - scroller.getBoundingClientRect().top])
      .sort((a, b) => Math.abs(a[1]) - Math.abs(b[1]))[0];
    lo = newLo; hi = newHi;
    mountRange(lo, hi);
    if (data.model === "window") keepHeight();
    if (anchorIndex) {
      const [i, before] = anchorIndex;
      const after = mounted.get(i).getBoundingClientRect().top - scroller.getBoundingClientRect().top;
      scroller.scrollTop += after - before;
    }
  }

  // "window": the thread keeps one height whatever the turns mounted (a floor that only
  // ever rises, to the tallest window seen), so no reader can tell progress by the height.
  let floorHeight = 0;
  function keepHeight() {
    list.style.minHeight = "";
    floorHeight = Math.max(floorHeight, list.getBoundingClientRect().height);
    list.style.minHeight = floorHeight + "px";
  }

  function updateEdges() {
    if (pending) return;
    const fromTop = viewTop();
    const fromBottom = scroller.scrollHeight - scroller.clientHeight - fromTop;
    if (fromTop < EDGE && lo > floor) {
      const older = () => {
        pending = false;
        const newLo = Math.max(floor, lo - data.batch);
        moveTo(newLo, data.model === "window" ? Math.min(n - 1, newLo + data.window - 1) : hi);
        updateEdges();
      };
      pending = true;
      if (data.lateMs > 0) setTimeout(older, data.lateMs);
      else older();
    } else if (data.model === "window" && fromBottom < EDGE && hi < n - 1) {
      const newHi = Math.min(n - 1, hi + data.batch);
      moveTo(Math.max(floor, newHi - data.window + 1), newHi);
    }
  }

  const update = data.model === "spacers" ? updateSpacers : updateEdges;
  function toBottom() {
    scroller.scrollTop = reverse ? 0 : scroller.scrollHeight;
  }
  if (data.model === "spacers") {
    for (let i = 0; i < 6; i++) { update(); toBottom(); }
  } else {
    mountRange(lo, hi);
    if (data.model === "window") {
      // The tallest window of the thread is the height from the start.
      for (let i = n - 1; i - data.window + 1 >= floor; i -= data.window) {
        mountRange(i - data.window + 1, i);
        keepHeight();
      }
      mountRange(lo, hi);
    }
    toBottom();
  }
  scroller.addEventListener("scroll", update, { passive: true });
  window.addEventListener("resize", update);
  // For the tests: what is mounted now.
  window.__standIn = { mountedKeys: () => [...mounted.keys()].sort((a, b) => a - b).map((i) => data.turns[i].key), turns: n };
})();`;

/** Splits `script` into page units: one per message, or (2026-09) one per prompt+answers. */
function units(script, layout) {
  if (layout !== "2026-09") return script.map((m) => [m]);
  const out = [];
  for (const m of script) {
    if (m.role === "user" || out.length === 0) out.push([m]);
    else out[out.length - 1].push(m);
  }
  return out;
}

/** The assistant body HTML: the rendered `html`, or the text as escaped paragraphs. */
function body(m) {
  if (m.html) return m.html;
  return m.text
    .split(/\n{2,}/)
    .map((p) => `<p>${escapeHtml(p).replace(/\n/g, "<br>")}</p>`)
    .join("");
}

const ACTIONS =
  '<div class="flex"><button aria-label="Copy" data-testid="copy-turn-action-button"><svg width="24" height="24" aria-hidden="true"><path d="M0 0"></path></svg></button>' +
  '<button aria-label="Good response" data-testid="good-response-turn-action-button"><svg width="24" height="24" aria-hidden="true"></svg></button>' +
  '<button aria-label="Read aloud"><svg width="24" height="24" aria-hidden="true"></svg></button></div>';

function turn2024(m, n) {
  const head = m.role === "user" ? '<h5 class="sr-only">You said:</h5>' : '<h6 class="sr-only">ChatGPT said:</h6>';
  const inner =
    m.role === "user"
      ? `<div data-message-author-role="user" data-message-id="${m.id}" dir="auto" class="min-h-8 text-message flex w-full flex-col items-end gap-2 whitespace-normal break-words"><div class="flex w-full flex-col gap-1 empty:hidden items-end rtl:items-start"><div class="relative max-w-[70%] rounded-3xl bg-token-message-surface px-5 py-2.5 bubble"><div class="whitespace-pre-wrap">${escapeHtml(m.text)}</div></div></div></div>`
      : `<div data-message-author-role="assistant" data-message-id="${m.id}" data-message-model-slug="${escapeHtml(m.model ?? "gpt-4o")}" dir="auto" class="min-h-8 text-message flex w-full flex-col items-end gap-2 whitespace-normal break-words"><div class="flex w-full flex-col gap-1 empty:hidden first:pt-[3px]"><div class="markdown prose w-full break-words dark:prose-invert light">${body(m)}</div></div></div>${ACTIONS}`;
  return (
    `<article class="w-full scroll-mb-[var(--thread-trailing-height,150px)] text-token-text-primary" dir="auto" data-testid="conversation-turn-${n}" data-scroll-anchor="false">${head}` +
    `<div class="m-auto text-base turn-pad"><div class="mx-auto flex flex-1 gap-4 text-base md:max-w-3xl"><div class="group/conversation-turn relative flex w-full min-w-0 flex-col"><div class="flex-col gap-1 md:gap-3"><div class="flex max-w-full flex-col flex-grow">${inner}</div></div></div></div></div></article>`
  );
}

function turn2026(m, n) {
  const head = `<h4 class="sr-only">${m.role === "user" ? "You said:" : "ChatGPT said:"}</h4>`;
  const inner =
    m.role === "user"
      ? `<div data-message-author-role="user" data-message-id="${m.id}"><div><div class="bubble"><div class="whitespace-pre-wrap">${escapeHtml(m.text)}</div></div></div></div>`
      : `<button type="button"><span data-state="closed">Thought for 4s</span></button>` +
        `<div data-message-author-role="assistant" data-message-id="${m.id}" data-message-model-slug="${escapeHtml(m.model ?? "gpt-4o")}" data-turn-start-message="true"><div><div class="markdown prose dark:prose-invert w-full break-words light markdown-new-styling">${body(m)}</div></div></div>${ACTIONS}`;
  return (
    `<section class="text-token-text-primary w-full turn-pad" dir="auto" data-testid="conversation-turn-${n}" data-turn-id="${m.id}" data-turn="${m.role}" data-scroll-anchor="false">${head}` +
    `<div><div><div>${inner}</div></div></div><span class="sr-only"><br></span></section>`
  );
}

function turn2026Sep(unit) {
  const user = unit[0].role === "user" ? unit[0] : null;
  const answers = unit.filter((m) => m.role === "assistant");
  const key = (user ?? unit[0]).id;
  let html = `<div class="w-full turn-pad" data-turn-key="${key}">`;
  if (user) {
    html +=
      `<h4 class="sr-only" data-conversation-role="user">You said:</h4>` +
      `<div class="flex w-full flex-col items-end"><div class="bubble" data-user-message-bubble="true"><div class="whitespace-pre-wrap">${escapeHtml(user.text)}</div></div></div>`;
  }
  if (answers.length) {
    html +=
      `<h4 class="sr-only" data-conversation-role="assistant">ChatGPT said:</h4>` +
      `<div data-chatgpt-search-message-ids="${answers.map((a) => a.id).join(" ")}" class="flex flex-col">` +
      answers
        .map((a) => `<div data-markdown-text-style="assistant-message" class="text-message w-full break-words">${body(a)}</div>`)
        .join("") +
      `</div>${ACTIONS}`;
  }
  return html + "</div>";
}

function sidebar(current, layout) {
  const links = [
    `<a href="/c/${current.json.conversation_id ?? current.json.id}" aria-current="page">${escapeHtml(current.json.title ?? "")}</a>`,
  ];
  for (let i = 1; i <= 40; i++) {
    links.push(`<a href="/c/00000000-0000-4000-8000-${String(i).padStart(12, "0")}">Another chat ${i}</a>`);
  }
  const attr = layout === "2026-09" ? " data-app-action-sidebar-scroll" : "";
  return `<div class="w-[260px] h-screen overflow-y-auto"${attr}><nav aria-label="Chat history"><h2 class="sr-only">Chats</h2>${links.join("")}</nav></div>`;
}

/** The chat page for a conversation ({json, script}) in `state.layout`. */
export function chatPage(convo, state) {
  const { layout } = state;
  const script = convo.script;
  const turns = units(script, layout).map((unit, i) => {
    const m = unit[0];
    const html = layout === "2024" ? turn2024(m, i + 2) : layout === "2026" ? turn2026(m, i + 2) : turn2026Sep(unit);
    const estimate = unit.reduce((h, x) => h + (x.role === "user" ? 90 : 140), 0);
    return { key: layout === "2026-09" ? (unit.find((x) => x.role === "user") ?? m).id : m.id, html, estimate };
  });
  const reverse = layout === "2026-09";
  const virtual = state.virtual ?? "spacers";
  const data = JSON.stringify({
    turns, reverse, model: virtual, window: state.window, batch: state.batch ?? 8,
    lateMs: state.lateMs ?? 0, unreachable: state.unreachable ?? 0,
  }).replace(/</g, "\\u003c");
  const scrollerAttrs = reverse
    ? 'class="flex flex-col-reverse flex-1 min-h-0 overflow-y-auto" data-app-action-timeline-scroll=""'
    : 'class="flex-1 min-h-0 overflow-y-auto"';
  const title = `${escapeHtml(convo.json.title ?? "ChatGPT")} - ChatGPT`;
  return `<!DOCTYPE html>
<html lang="en-US" data-build="stand-in-${layout}">
<head>
<meta charset="utf-8">
<title>${title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta property="og:site_name" content="ChatGPT">
<style>${CSS}</style>
</head>
<body class="antialiased">
<div class="flex h-screen w-full overflow-hidden">
${sidebar(convo, layout)}
<div class="relative flex h-full flex-1 flex-col min-h-0 overflow-hidden">
<main class="relative flex h-full w-full flex-1 flex-col overflow-hidden min-h-0">
<div id="thread-scroller" role="presentation" ${scrollerAttrs}>
<div id="thread-list" class="flex flex-col text-sm"><h1 class="sr-only">${escapeHtml(convo.json.title ?? "")}</h1></div>
</div>
<form class="w-full" aria-label="Composer"><div id="prompt-textarea" contenteditable="true" class="ProseMirror"><p data-placeholder="Ask anything"></p></div><button data-testid="send-button" disabled>Send</button></form>
</main>
</div>
</div>
<script type="application/json" id="thread-data">${data}</script>
<script>${VIRTUALISER}</script>
</body>
</html>
`;
}

/** A ChatGPT page with no conversation (the home page, or a 404). */
export function homePage(heading = "What can I help with?") {
  return `<!DOCTYPE html>
<html lang="en-US"><head><meta charset="utf-8"><title>ChatGPT</title><style>${CSS}</style></head>
<body><main><h1>${escapeHtml(heading)}</h1><form aria-label="Composer"><div id="prompt-textarea" contenteditable="true"></div></form></main></body></html>
`;
}
