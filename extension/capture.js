// The capture script: injected into a ChatGPT tab only when a save needs the rendered page
// (the API failed, or the page is a share page). It reads, never changes, the conversation:
// ChatGPT mounts only a few turns at a time, so it scrolls the thread from the first turn to
// the last, collects every turn by its id, and puts the scroll position back.
//
// It defines two functions on the isolated world's global object, called by the background
// through scripting.executeScript:
//   __chatkeepCapture() → {url, title, root}   root: the turns as a {t, a, c} element tree
//   __chatkeepPageHtml() → the page's HTML (share pages carry the conversation in a script)

(() => {
  if (globalThis.__chatkeepCapture) return;

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

  /** The turn elements mounted now, outermost only, in document order. */
  function mountedTurns() {
    for (const selector of TURN) {
      const all = [...document.querySelectorAll(selector)];
      const outer = all.filter((el) => !all.some((other) => other !== el && other.contains(el)));
      if (outer.length) return outer;
    }
    return [];
  }

  /** A stable key for a turn. */
  function keyOf(el, i) {
    return (
      el.getAttribute("data-turn-key") ||
      el.getAttribute("data-turn-id") ||
      el.getAttribute("data-testid") ||
      el.querySelector("[data-message-id]")?.getAttribute("data-message-id") ||
      el.getAttribute("data-message-id") ||
      `${i}:${(el.textContent || "").slice(0, 80)}`
    );
  }

  /** Element → {t, a, c}; text nodes as strings. Iterative (no recursion limit). */
  function serialize(root, budget) {
    const out = { t: root.localName, a: attrs(root), c: [] };
    const stack = [[root, out]];
    while (stack.length) {
      const [el, node] = stack.pop();
      for (const child of el.childNodes) {
        if (budget.left-- <= 0) return out;
        if (child.nodeType === Node.TEXT_NODE) {
          node.c.push(child.data);
        } else if (child.nodeType === Node.ELEMENT_NODE && !SKIP.has(child.nodeName)) {
          const n = { t: child.localName, a: attrs(child), c: [] };
          node.c.push(n);
          stack.push([child, n]);
        }
      }
    }
    return out;
  }

  function attrs(el) {
    const a = {};
    for (const { name, value } of el.attributes) {
      if (name === "style" || name.startsWith("on")) continue;
      a[name] = value;
    }
    return a;
  }

  /** The element that scrolls the thread. */
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

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  /** Waits until the DOM has been quiet for `quiet` ms (at most `max` ms). */
  function settle(quiet = 60, max = 600) {
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
        resolve();
      }
    });
  }

  globalThis.__chatkeepPageHtml = () => document.documentElement.outerHTML;

  globalThis.__chatkeepCapture = async () => {
    const first = mountedTurns();
    if (!first.length) return { url: location.href, title: document.title, root: { t: "main", a: {}, c: [] } };
    const box = scroller(first);
    const reversed = getComputedStyle(box).flexDirection === "column-reverse";
    const saved = box.scrollTop;
    const order = []; // keys, chronological
    const seen = new Map(); // key → serialized turn
    const budget = { left: MAX_NODES };

    /** Collects the mounted turns; returns whether the window overlapped what was already
     *  collected (if not, turns between the two windows may have been skipped). */
    const collect = () => {
      const turns = mountedTurns();
      const keys = turns.map((el, i) => keyOf(el, i));
      const overlap = order.length === 0 || keys.some((k) => order.includes(k));
      // Index in `order` of the last known key in this window; a window with no known key
      // lies below everything collected (the walk goes down), so it goes at the end.
      let prev = overlap ? -1 : order.length - 1;
      turns.forEach((el, i) => {
        const key = keys[i];
        const at = order.indexOf(key);
        if (at >= 0) {
          prev = at;
          seen.set(key, serialize(el, { left: budget.left })); // newest rendering wins
          return;
        }
        order.splice(prev + 1, 0, key);
        prev += 1;
        seen.set(key, serialize(el, budget));
      });
      return overlap || turns.length === 0;
    };

    // The top of the thread: scrollTop 0 normally, the most negative value in column-reverse.
    const top = () => (reversed ? -(box.scrollHeight - box.clientHeight) : 0);
    const atBottom = () => (reversed ? box.scrollTop >= -1 : box.scrollTop + box.clientHeight >= box.scrollHeight - 1);

    try {
      // Go to the first turn; older turns may load as we arrive, so repeat until stable.
      for (let i = 0, last = NaN; i < 50; i++) {
        box.scrollTop = top();
        await settle();
        if (box.scrollHeight === last) break;
        last = box.scrollHeight;
      }
      // Walk down one screen (less a margin) at a time, collecting. A window that shares no
      // turn with what was collected means the page re-rendered too slowly and turns may have
      // been skipped: step back half the way and look again.
      const step = Math.max(100, Math.floor(box.clientHeight * 0.8));
      for (let guard = 0; guard < 100_000; guard++) {
        collect();
        if (atBottom()) break;
        const before = box.scrollTop;
        box.scrollTop = before + step;
        await settle();
        for (let back = step; !collect() && back > 40; ) {
          back = Math.floor(back / 2);
          box.scrollTop = before + back;
          await settle(120, 1200);
        }
        if (box.scrollTop === before) {
          await sleep(150);
          if (box.scrollTop === before) break;
        }
      }
      collect();
    } finally {
      box.scrollTop = saved;
    }
    return {
      url: location.href,
      title: document.title,
      root: { t: "main", a: {}, c: order.map((k) => seen.get(k)) },
    };
  };
})();
