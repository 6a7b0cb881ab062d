// The capture script: injected into a ChatGPT tab only when a save needs the rendered page
// (the API failed, or the page is a share page). It reads, never changes, the conversation.
//
// ChatGPT mounts only some turns at a time, and how has changed more than once: spacers that
// keep the full height around the turns in view, a thread that grows when its top is reached
// (older turns may take a second or two to arrive), a fixed window that mounts older turns
// at the top while unmounting newer ones with the scroll position anchored (the height never
// changes). So nothing here relies on the height: the reader walks the thread a screen at a
// time, down to the end and then up to the start, collects every turn by its stable key
// (`data-turn-key`, `data-turn-id`, `data-message-id`, `data-testid="conversation-turn-N"`),
// and stops at the top only once no new turn has appeared for a while. Each window must
// share a turn with what was collected (else it steps back for the turns in between);
// numbered turns must be contiguous (else it walks the thread again). What it could not
// prove it saw is reported with the result (`capture`), for the core to put in the file.
//
// It defines two functions on the isolated world's global object, called by the background
// through scripting.executeScript:
//   __chatkeepCapture() → {url, title, root, capture: {top_reached, gaps}} | {cancelled: true}
//                         root: the turns as a {t, a, c} element tree
//   __chatkeepPageHtml() → the page's HTML (share pages carry the conversation in a script)
// It shows its progress with page-note.js's __chatkeepNote when that is loaded; Esc cancels.

(() => {
  const world = /** @type {import("./messages.js").PageGlobals} */ (globalThis);
  if (world.__chatkeepCapture) return;

  /** An element as the core reads it: tag, attributes, children (text as strings).
   *  @typedef {{t: string, a: Record<string, string>, c: (Tree | string)[]}} Tree */
  /** A turn collected: its tree, its text's length (to notice a later rendering), its
   *  number (`conversation-turn-N`) and how many messages it shows.
   *  @typedef {{node: Tree, size: number, number: number | null, messages: number}} Turn */

  const TURN = [
    "[data-turn-key]",
    'article[data-testid^="conversation-turn-"]',
    'section[data-testid^="conversation-turn-"]',
    "article[data-turn-id]",
    "[data-message-author-role]",
    "main .group",
  ];
  const SKIP = new Set(["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "SVG", "svg", "CANVAS", "IFRAME", "BUTTON", "TEXTAREA", "INPUT"]);
  const MAX_NODES = 2_000_000;
  /** How long the top of the thread is watched for older turns arriving late. */
  const LATE_MS = 3000;
  /** How long a whole capture may take before it gives up (and says what it missed). */
  const MAX_MS = 15 * 60_000;

  /** The turn elements mounted now, outermost only, in document order. */
  function mountedTurns() {
    for (const selector of TURN) {
      const all = document.querySelectorAll(selector);
      if (!all.length) continue;
      return [...all].filter((el) => !el.parentElement?.closest(selector));
    }
    return [];
  }

  /** A turn's stable key: an id the page gives it, else its text.
   *  @param {Element} el  @returns {string} */
  function keyOf(el) {
    return (
      el.getAttribute("data-turn-key") ||
      el.getAttribute("data-turn-id") ||
      el.getAttribute("data-message-id") ||
      el.querySelector("[data-message-id]")?.getAttribute("data-message-id") ||
      el.getAttribute("data-testid") ||
      `text:${(el.textContent || "").trim().slice(0, 200)}`
    );
  }

  /** The turn's number in `data-testid="conversation-turn-N"`, or null.
   *  @param {Element} el */
  function numberOf(el) {
    const m = /^conversation-turn-(\d+)$/.exec(el.getAttribute("data-testid") || "");
    return m ? Number(m[1]) : null;
  }

  /** How many messages a turn shows (a September 2026 turn holds a prompt and its answers). */
  /** @param {Element} el */
  function messagesIn(el) {
    if (!el.hasAttribute("data-turn-key")) return 1;
    const prompt = el.querySelector("[data-user-message-bubble]") ? 1 : 0;
    const ids = el.querySelector("[data-chatgpt-search-message-ids]")?.getAttribute("data-chatgpt-search-message-ids");
    const answers = ids ? ids.split(/\s+/).filter(Boolean).length : 0;
    return Math.max(1, prompt + answers);
  }

  /** Element → {t, a, c}; text nodes as strings. Iterative (no recursion limit).
   *  @param {Element} root  @param {{left: number}} budget  @returns {Tree} */
  function serialize(root, budget) {
    /** @type {Tree} */
    const out = { t: root.localName, a: attrs(root), c: [] };
    /** @type {[Element, Tree][]} */
    const stack = [[root, out]];
    for (let top = stack.pop(); top; top = stack.pop()) {
      const [el, node] = top;
      for (const child of el.childNodes) {
        if (budget.left-- <= 0) return out;
        if (child.nodeType === Node.TEXT_NODE) {
          node.c.push(/** @type {Text} */ (child).data);
        } else if (child.nodeType === Node.ELEMENT_NODE && !SKIP.has(child.nodeName)) {
          const element = /** @type {Element} */ (child);
          /** @type {Tree} */
          const n = { t: element.localName, a: attrs(element), c: [] };
          node.c.push(n);
          stack.push([element, n]);
        }
      }
    }
    return out;
  }

  /** @param {Element} el */
  function attrs(el) {
    /** @type {Record<string, string>} */
    const a = {};
    for (const { name, value } of el.attributes) {
      if (name === "style" || name.startsWith("on")) continue;
      a[name] = value;
    }
    return a;
  }

  /** The element that scrolls the thread.
   *  @param {Element[]} turns  @returns {Element} */
  function scroller(turns) {
    const marked = document.querySelector("[data-app-action-timeline-scroll]");
    if (marked) return marked;
    let el = turns[0]?.parentElement;
    while (el && el !== document.body) {
      const style = getComputedStyle(el);
      if (/(auto|scroll)/.test(style.overflowY) && el.scrollHeight > el.clientHeight + 4) return el;
      el = el.parentElement;
    }
    return document.scrollingElement || document.documentElement;
  }

  /** @param {number} ms */
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  /** The next frame (the page's scroll handlers have run by then), or 100 ms in a tab that
   *  paints none. A page that renders later still is waited for by `settle`. */
  function frames() {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, 100);
      requestAnimationFrame(() => {
        clearTimeout(timer);
        resolve(undefined);
      });
    });
  }

  /** Waits until the DOM has been quiet for `quiet` ms (at most `max` ms).
   *  @param {number} quiet  @param {number} max */
  function settle(quiet, max) {
    return new Promise((resolve) => {
      let timer = setTimeout(done, quiet);
      const hard = setTimeout(done, max);
      const obs = new MutationObserver(() => {
        clearTimeout(timer);
        timer = setTimeout(done, quiet);
      });
      obs.observe(document.body, { childList: true, subtree: true });
      function done() {
        clearTimeout(timer);
        clearTimeout(hard);
        obs.disconnect();
        resolve(undefined);
      }
    });
  }

  /** @param {number} n */
  const number = (n) => n.toLocaleString("en-US");
  /** @param {import("./messages.js").NoteSpec | null} spec */
  const note = (spec) => world.__chatkeepNote?.(spec);

  world.__chatkeepPageHtml = () => document.documentElement.outerHTML;

  world.__chatkeepCapture = async () => {
    const first = mountedTurns();
    if (!first.length) return { url: location.href, title: document.title, root: { t: "main", a: {}, c: [] } };
    const box = scroller(first);
    const reversed = getComputedStyle(box).flexDirection === "column-reverse";
    const started = Date.now();

    // Positions are distances of the view's top from the thread's top, whatever the
    // scroller counts (column-reverse counts from the bottom: 0 there, negative upward).
    const maxPos = () => Math.max(0, box.scrollHeight - box.clientHeight);
    const pos = () => (reversed ? box.scrollTop + maxPos() : box.scrollTop);
    /** @param {number} p */
    const setPos = (p) => {
      const q = Math.min(maxPos(), Math.max(0, p));
      box.scrollTop = reversed ? q - maxPos() : q;
    };
    const atTop = () => pos() <= 1;
    const atBottom = () => pos() >= maxPos() - 1;
    const wasAtBottom = atBottom();
    const savedPos = pos();

    // --- What was collected ---------------------------------------------------------------
    /** @type {string[]} keys, oldest first */
    const order = [];
    /** @type {Map<string, Turn>} */
    const turns = new Map();
    /** The turn of a key in `order` (every one is in `turns`). @param {string} key */
    const turnOf = (key) => {
      const turn = turns.get(key);
      if (!turn) throw new Error(`chatkeep lost track of a turn of the page (${key}). Try the save again.`);
      return turn;
    };
    const budget = { left: MAX_NODES };
    let messages = 0;
    let gaps = 0;
    let maxNumber = 0;

    /** Adds the mounted turns. Returns {fresh: new turns, overlap: whether the window shares a
     *  turn with what was collected (or adjoins it by number)}. A window that does not is
     *  not added unless `force` says at which end it goes ("top" or "bottom").
     *  @param {"top" | "bottom"} [force] */
    function collect(force) {
      const els = mountedTurns();
      const keys = els.map(keyOf);
      const known = keys.map((k) => turns.has(k));
      let overlap = order.length === 0 || known.includes(true);
      if (!overlap) {
        // Numbered turns adjoin when the window ends right above or starts right below.
        const numbers = els.map(numberOf);
        const have = new Set(order.map((k) => turnOf(k).number));
        overlap = !have.has(null) && numbers.some((n) => n !== null && (have.has(n - 1) || have.has(n + 1)));
      }
      if (!overlap && !force) return { fresh: 0, overlap };
      // New keys go after the last known key before them in the window, or before the first
      // known one; with none known, at the `force` end (numbered turns are sorted at the end).
      /** @type {string[]} */
      const lead = [];
      /** @type {Map<string, string[]>} a known key → the new keys right after it */
      const after = new Map();
      let bucket = lead;
      let fresh = 0;
      const view = box.getBoundingClientRect();
      els.forEach((el, i) => {
        const key = keys[i];
        const entry = turns.get(key);
        if (known[i]) {
          let next = after.get(key);
          if (!next) {
            next = [];
            after.set(key, next);
          }
          bucket = next;
          // A turn in view seen again: keep its newest rendering (formulas, code render late).
          const r = el.getBoundingClientRect();
          if (entry && r.bottom > view.top && r.top < view.bottom) {
            const size = (el.textContent || "").length;
            if (size !== entry.size) Object.assign(entry, { node: serialize(el, { left: Math.max(0, budget.left) }), size });
          }
          return;
        }
        if (entry) return; // the same key twice in one window (turns keyed by their text)
        const number = numberOf(el);
        if (number !== null) maxNumber = Math.max(maxNumber, number);
        const count = messagesIn(el);
        turns.set(key, { node: serialize(el, budget), size: (el.textContent || "").length, number, messages: count });
        bucket.push(key);
        messages += count;
        fresh += 1;
      });
      if (fresh) {
        const firstKnown = keys[known.indexOf(true)];
        if (firstKnown === undefined) {
          order.splice(force === "bottom" ? order.length : 0, 0, ...lead);
        } else {
          const merged = [];
          for (const k of order) {
            if (k === firstKnown) merged.push(...lead);
            merged.push(k);
            const next = after.get(k);
            if (next?.length) merged.push(...next);
          }
          order.splice(0, order.length, ...merged);
        }
        progress();
      }
      return { fresh, overlap: true };
    }

    let shown = 0;
    /** @param {boolean} [force] */
    function progress(force) {
      if (!force && Date.now() - shown < 250) return;
      shown = Date.now();
      // ChatGPT numbers turns from 2 (turn 1 is the hidden system message).
      const about = maxNumber > 1 ? `${number(messages)} of about ${number(Math.max(messages, maxNumber - 1))} messages` : `${number(messages)} messages so far`;
      note({ state: "progress", text: `Reading the page… ${about}` });
    }

    // --- Esc cancels ------------------------------------------------------------------------
    let cancelled = false;
    /** @param {KeyboardEvent} e */
    const onKey = (e) => {
      if (e.key === "Escape") {
        cancelled = true;
        e.stopImmediatePropagation();
        e.preventDefault();
      }
    };
    addEventListener("keydown", onKey, true);
    const stop = () => cancelled || Date.now() - started > MAX_MS;

    /** Whether a new turn appears, or the thread moves or grows, within `ms`.
     *  @param {number} ms */
    async function changes(ms) {
      const height = box.scrollHeight;
      const top = pos();
      for (const end = Date.now() + ms; Date.now() < end && !cancelled; ) {
        await sleep(50);
        if (box.scrollHeight !== height || Math.abs(pos() - top) > 1) return true;
        if (mountedTurns().some((el) => !turns.has(keyOf(el)))) return true;
      }
      return false;
    }

    /** Walks one way ("up" or "down") to the end of the thread, collecting. Each step puts
     *  the outermost turn mounted that way inside the next view, so consecutive windows
     *  share a turn; if one does not (the page jumped), the step is halved until it does,
     *  and a gap that stays is counted. Returns whether the end was reached.
     *  @param {"up" | "down"} way  @param {number} step */
    async function walk(way, step) {
      const up = way === "up";
      let idle = 0;
      for (;;) {
        // A hidden tab paints nothing and ChatGPT loads no older turns in it: wait until it is
        // shown again (the note says what is going on when the user comes back).
        while (document.hidden && !stop()) await sleep(250);
        if (stop()) return false;
        const atEnd = up ? atTop() : atBottom();
        if (atEnd) {
          // Older turns may still arrive (the page loads them on reaching the top), newer
          // ones rarely: be patient up, brief down. A first turn numbered 2 or less needs no wait.
          const numbered = order.map((k) => turnOf(k).number).filter((n) => n !== null);
          const firstShown = numbered.length > 0 && Math.min(...numbered) <= 2;
          const late = up && !firstShown ? LATE_MS : 300;
          if (!(await changes(late))) return !cancelled;
          await frames();
          // A page that keeps changing without showing new turns (an answer still being
          // written) does not hold the reader for long.
          let r = collect();
          if (!r.overlap) {
            gaps += 1;
            r = collect(up ? "top" : "bottom");
          }
          if (r.fresh > 0) idle = 0;
          else if ((up ? atTop() : atBottom()) && ++idle >= 3) return !cancelled;
          continue;
        }
        const before = pos();
        const els = mountedTurns();
        const edge = up ? els[0] : els[els.length - 1];
        const view = box.getBoundingClientRect();
        let target;
        if (edge) {
          const r = edge.getBoundingClientRect();
          // The edge turn ends up inside the next view, a little off its far side.
          target = up ? before + (r.top - view.top) - box.clientHeight * 0.6 : before + (r.bottom - view.top) - box.clientHeight * 0.4;
        }
        if (target === undefined || (up ? target > before - step / 4 : target < before + step / 4)) {
          target = up ? before - step : before + step;
        }
        setPos(target);
        await frames();
        let r = collect();
        for (let tries = 0; !r.overlap && tries < 6; tries++) {
          // The window skipped turns: look between the last good place and this one.
          setPos((before + pos()) / 2);
          await frames();
          await settle(60, 600);
          r = collect();
        }
        if (!r.overlap) {
          gaps += 1;
          collect(up ? "top" : "bottom");
        } else if (r.fresh === 0) {
          // Nothing new: the page may render a little later.
          await settle(80, 500);
          collect();
        }
        if (r.fresh === 0 && Math.abs(pos() - before) < 1 && !(up ? atTop() : atBottom())) {
          // The thread did not move: let it settle once, then step on from where it is.
          await sleep(150);
          if (Math.abs(pos() - before) < 1) setPos(up ? before - step : before + step);
        }
      }
    }

    let topReached = false;
    try {
      progress(true);
      collect("bottom");
      const step = Math.max(100, Math.floor(box.clientHeight * 0.8));
      // Newer turns below the view first, then everything above it.
      await walk("down", step);
      topReached = await walk("up", step);
      // Numbered turns missing in between: walk the whole thread again, smaller steps.
      const missing = () => {
        const ns = order.map((k) => turnOf(k).number).filter((n) => n !== null);
        return ns.length === order.length && ns.length > 0 && Math.max(...ns) - Math.min(...ns) + 1 > ns.length;
      };
      if (missing() && !stop()) {
        await walk("down", Math.max(60, Math.floor(step / 3)));
        if (!missing()) gaps = 0;
      }
    } finally {
      removeEventListener("keydown", onKey, true);
      note(null); // the save's own note follows (or none, for a copy)
      setPos(wasAtBottom ? maxPos() : savedPos);
    }
    if (cancelled) return { cancelled: true };
    // With every turn numbered, the numbers give the order.
    if (order.every((k) => turnOf(k).number !== null)) order.sort((a, b) => (turnOf(a).number ?? 0) - (turnOf(b).number ?? 0));
    return {
      url: location.href,
      title: document.title,
      root: { t: "main", a: {}, c: order.map((k) => turnOf(k).node) },
      capture: { top_reached: topReached, gaps },
    };
  };
})();
