// The conversations the stand-in serves: the API golden cases of tests/fixtures/api, a
// "DOM tour" whose page markup covers what §7 of CHATGPT_FORMATS.md describes (KaTeX, code
// blocks of three generations, tables, citation pills, literal user text), and a generated
// conversation of 2,000 messages. Everything is deterministic: same input, same bytes.
//
// A conversation is {json, text?, script}: `json` is what GET /backend-api/conversation/<id>
// returns (as `text` when given, else serialised compactly like the real API); `script` lists the visible messages in order, each {id, role, text, html?,
// model?}, from which pages.mjs renders the chat page (`html` is the assistant's rendered
// body; without it the text is shown as escaped paragraphs).

import { readFileSync } from "node:fs";

const FIXTURES = new URL("../fixtures/api/", import.meta.url);

/** The API fixture cases the e2e tests save (tests/fixtures/api/<case>/input.json). The API
 *  answers with the file's bytes as they are (`text`), so the extension's output can be
 *  compared with the core's expected files for the same input. */
export function fixture(name) {
  const text = readFileSync(new URL(`${name}/input.json`, FIXTURES), "utf8");
  const json = JSON.parse(text);
  return { json, text, script: scriptFromJson(json) };
}

/** The visible main-line messages of an API conversation, for its page: user and
 *  assistant text messages with recipient "all", from the root to current_node. */
function scriptFromJson(json) {
  const mapping = json.mapping ?? {};
  const chain = [];
  const seen = new Set();
  let id = json.current_node in mapping ? json.current_node : null;
  while (id && mapping[id] && !seen.has(id)) {
    seen.add(id);
    chain.push(mapping[id]);
    id = mapping[id].parent;
  }
  chain.reverse();
  const script = [];
  for (const node of chain) {
    const m = node.message;
    if (!m || !m.author || !["user", "assistant"].includes(m.author.role)) continue;
    if (m.recipient && m.recipient !== "all") continue;
    if (m.metadata?.is_visually_hidden_from_conversation) continue;
    const parts = m.content?.parts;
    if (!Array.isArray(parts)) continue;
    const text = parts.filter((p) => typeof p === "string").join("\n");
    if (!text.trim()) continue;
    script.push({ id: m.id, role: m.author.role, text, model: m.metadata?.model_slug ?? null });
  }
  return script;
}

/** The hidden system message every conversation opens with, as a mapping node. */
export function systemNode(id, parent, children) {
  return {
    id,
    message: {
      id,
      author: { role: "system", name: null, metadata: {} },
      create_time: null,
      update_time: null,
      content: { content_type: "text", parts: [""] },
      status: "finished_successfully",
      end_turn: true,
      weight: 0.0,
      metadata: { is_visually_hidden_from_conversation: true },
      recipient: "all",
      channel: null,
    },
    parent,
    children,
  };
}

/**
 * An API conversation object from a script: one linear chain under a hidden system message,
 * messages one minute apart from `start` (epoch seconds).
 */
export function buildConversation({ id, title, start, model = "gpt-4o", script }) {
  const rootId = "client-created-root";
  const systemId = `${id.slice(0, 8)}-system`;
  const mapping = {
    [rootId]: { id: rootId, message: null, parent: null, children: [systemId] },
    [systemId]: systemNode(systemId, rootId, []),
  };
  let parent = systemId;
  script.forEach((s, i) => {
    mapping[parent].children.push(s.id);
    mapping[s.id] = {
      id: s.id,
      message: {
        id: s.id,
        author: { role: s.role, name: null, metadata: {} },
        create_time: start + 60 * i + 0.25,
        update_time: null,
        content: { content_type: "text", parts: [s.text] },
        status: "finished_successfully",
        end_turn: s.role === "assistant" ? true : null,
        weight: 1.0,
        metadata:
          s.role === "assistant"
            ? { model_slug: s.model ?? model, default_model_slug: "auto", parent_id: parent }
            : {},
        recipient: "all",
        channel: s.role === "assistant" ? "final" : null,
      },
      parent,
      children: [],
    };
    parent = s.id;
  });
  return {
    json: {
      title,
      create_time: start,
      update_time: start + 60 * script.length,
      mapping,
      moderation_results: [],
      current_node: parent,
      plugin_ids: null,
      conversation_id: id,
      conversation_template_id: null,
      gizmo_id: null,
      gizmo_type: null,
      is_archived: false,
      is_starred: null,
      safe_urls: [],
      blocked_urls: [],
      default_model_slug: model,
      conversation_origin: null,
      voice: null,
      memory_scope: "global_enabled",
      is_study_mode: false,
      pinned_time: null,
      owner: null,
      id,
    },
    script,
  };
}

// ---------------------------------------------------------------------------------------
// Markup helpers: what ChatGPT's renderer produces for each piece (CHATGPT_FORMATS.md §7).
// ---------------------------------------------------------------------------------------

export function escapeHtml(s) {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

/** The text of KaTeX's aria-hidden visual copy of a formula, as this stand-in renders it:
 *  the TeX without commands, braces, scripts and spaces (so it is easy to spot if a reader
 *  takes it for content). */
export function katexVisual(tex) {
  return tex.replace(/\\[a-z]+|[{}^_\s]/g, "");
}

/** KaTeX output: MathML with the TeX annotation, beside the aria-hidden visual copy. */
function katex(tex, display) {
  const inner =
    `<span class="katex-mathml"><math xmlns="http://www.w3.org/1998/Math/MathML"${display ? ' display="block"' : ""}>` +
    `<semantics><mrow><mi>…</mi></mrow><annotation encoding="application/x-tex">${escapeHtml(tex)}</annotation></semantics></math></span>` +
    `<span class="katex-html" aria-hidden="true"><span class="base"><span class="strut" style="height: 0.6944em;"></span>` +
    `<span class="mord mathnormal">${escapeHtml(katexVisual(tex))}</span></span></span>`;
  const span = `<span class="katex">${inner}</span>`;
  return display ? `<span class="katex-display">${span}</span>` : span;
}

/** A 2024 code block: pre → header div with the language → code.hljs.language-xxx. */
function codeBlock2024(lang, code) {
  return (
    `<pre class="!overflow-visible"><div class="contain-inline-size rounded-md border-[0.5px] border-token-border-medium relative bg-token-sidebar-surface-primary dark:bg-gray-950">` +
    `<div class="flex items-center text-token-text-secondary px-4 py-2 text-xs font-sans justify-between rounded-t-md h-9 bg-token-sidebar-surface-primary dark:bg-token-main-surface-secondary select-none">${lang}</div>` +
    `<div class="sticky top-9 md:top-[5.75rem]"><div class="absolute bottom-0 right-2 flex h-9 items-center"><div class="flex items-center rounded bg-token-sidebar-surface-primary px-2 font-sans text-xs text-token-text-secondary dark:bg-token-main-surface-secondary"><span class="" data-state="closed"><button class="flex gap-1 items-center select-none py-1"><svg width="24" height="24" viewBox="0 0 24 24" fill="none" class="icon-sm"><path d="M7 5" fill="currentColor"></path></svg>Copy code</button></span></div></div></div>` +
    `<div class="overflow-y-auto p-4" dir="ltr"><code class="!whitespace-pre hljs language-${lang}">${highlight(code)}</code></div></div></pre>`
  );
}

/** Wraps some words in hljs spans the way highlight.js does (text content unchanged). */
function highlight(code) {
  return escapeHtml(code).replace(/\b(def|return|for|in|import|const|let|function)\b/g, '<span class="hljs-keyword">$1</span>');
}

/** A 2025–2026 CodeMirror block: no <code>, the language as header text, lines split by <br>. */
function codeBlockCodeMirror(lang, code) {
  const lines = code.split("\n").map((l) => (l ? `<span>${escapeHtml(l)}</span>` : "")).join("<br>");
  return (
    `<pre class="overflow-visible! px-0!" data-start="1" data-end="2"><div class="relative w-full mt-4 mb-1"><div class="border border-token-border-light rounded-3xl"><div class="h-full w-full overflow-clip rounded-3xl">` +
    `<div class="sticky z-2 select-none top-0"><div class="flex w-full items-center justify-between py-1.5 ps-4 pe-1.5 font-sans bg-token-bg-elevated-secondary">` +
    `<div class="flex max-w-[75%] min-w-0 cursor-default items-center text-sm font-medium text-token-text-primary"><svg xmlns="http://www.w3.org/2000/svg" width="20" height="20" aria-hidden="true"><use href="/cdn/assets/sprites.svg#icon" fill="currentColor"></use></svg>${lang}</div>` +
    `<div class="flex flex-row items-center gap-0.5"><button aria-label="Copy"><svg xmlns="http://www.w3.org/2000/svg" width="20" height="20" aria-hidden="true"></svg></button><button aria-label="Run code" type="button"><div class="flex w-full items-center justify-center gap-1.5">Run</div></button></div></div></div>` +
    `<div class="w-full overflow-x-hidden overflow-y-auto"><div class="relative z-0 flex max-w-full"><div id="code-block-viewer" dir="ltr" class="cm-editor"><div class="cm-scroller"><div class="cm-content cm-readonly">${lines}</div></div></div></div></div>` +
    `</div></div></div></pre>`
  );
}

function citationPill(url, label, more) {
  return (
    `<span data-state="closed"><span data-testid="webpage-citation-pill"><a href="${escapeHtml(url)}" target="_blank" rel="noopener">` +
    `<span><span><span><span><img alt=""></span><span>${escapeHtml(label)}</span></span>${more ? `<span>${more}</span>` : ""}</span></span></a></span></span>`
  );
}

// ---------------------------------------------------------------------------------------
// The DOM tour: 12 turns (24 messages), more than the page keeps mounted.
// ---------------------------------------------------------------------------------------

export const DOM_TOUR_ID = "6a1f0c3e-2d4b-4e8f-9a71-0c5d3b2e1f40";

const PY = "def roots(a, b, c):\n    d = (b * b - 4 * a * c) ** 0.5\n    return (-b + d) / (2 * a), (-b - d) / (2 * a)";
const JS = "function roots(a, b, c) {\n  const d = Math.sqrt(b * b - 4 * a * c);\n\n  return [(-b + d) / (2 * a), (-b - d) / (2 * a)];\n}";

const TOUR = [
  {
    user: "How do I solve a quadratic equation? Show the formula.",
    md:
      "For $ax^2 + bx + c = 0$ with $a \\neq 0$, the roots are\n\n$$\nx = \\frac{-b \\pm \\sqrt{b^2 - 4ac}}{2a}\n$$\n\nThe part under the root, $b^2 - 4ac$, is the **discriminant**.",
    html:
      `<p>For ${katex("ax^2 + bx + c = 0", false)} with ${katex("a \\neq 0", false)}, the roots are</p>` +
      katex("x = \\frac{-b \\pm \\sqrt{b^2 - 4ac}}{2a}", true) +
      `<p>The part under the root, ${katex("b^2 - 4ac", false)}, is the <strong>discriminant</strong>.</p>`,
  },
  {
    user: "Write it in Python.",
    md: "```python\n" + PY + "\n```\n\nIt returns both roots as a tuple.",
    html: codeBlock2024("python", PY) + "<p>It returns both roots as a tuple.</p>",
  },
  {
    user: "And in JavaScript, please.",
    md: "Here it is:\n\n```javascript\n" + JS + "\n```",
    html: "<p>Here it is:</p>" + codeBlockCodeMirror("javascript", JS),
  },
  {
    user: "Compare the ways to solve it in a table.",
    md:
      "| Method | Works when | Effort |\n| --- | --- | --- |\n| Factoring | roots are nice | low |\n| Completing the square | always | medium |\n| Formula | always | low |",
    html:
      "<table><thead><tr><th>Method</th><th>Works when</th><th>Effort</th></tr></thead><tbody>" +
      "<tr><td>Factoring</td><td>roots are nice</td><td>low</td></tr>" +
      "<tr><td>Completing the square</td><td>always</td><td>medium</td></tr>" +
      "<tr><td>Formula</td><td>always</td><td>low</td></tr></tbody></table>",
  },
  {
    user: "Who first wrote down the general formula? Cite a source.",
    md:
      "Brahmagupta described a rule for one root in 628 CE, and Simon Stevin gave the general solution in 1594. ([Wikipedia](https://en.wikipedia.org/wiki/Quadratic_formula?utm_source=chatgpt.com))",
    html:
      "<p>Brahmagupta described a rule for one root in 628 CE, and Simon Stevin gave the general solution in 1594. " +
      citationPill("https://en.wikipedia.org/wiki/Quadratic_formula?utm_source=chatgpt.com", "Wikipedia", "+1") +
      "</p>",
  },
  {
    user: "Is 2 < 3 && 5 > 4?\nKeep <b>this</b> and *these stars* literal.\n\n  Indented line.",
    md: "Yes: both comparisons are true, so the whole expression is `true`.",
    html: "<p>Yes: both comparisons are true, so the whole expression is <code>true</code>.</p>",
  },
  {
    user: "Give me a checklist for checking my answer.",
    md:
      "### Checklist\n\n1. Substitute each root back.\n2. Check the sign of the discriminant:\n   - positive: two real roots\n   - zero: one root\n3. Compare with a graph.\n\n> A quick sketch catches most sign errors.",
    html:
      "<h3>Checklist</h3><ol><li><p>Substitute each root back.</p></li><li><p>Check the sign of the discriminant:</p><ul><li><p>positive: two real roots</p></li><li><p>zero: one root</p></li></ul></li><li><p>Compare with a graph.</p></li></ol>" +
      "<blockquote><p>A quick sketch catches most sign errors.</p></blockquote>",
  },
  {
    user: "What about complex roots?",
    md: "When $b^2 - 4ac < 0$ the roots are $\\frac{-b}{2a} \\pm i\\frac{\\sqrt{4ac - b^2}}{2a}$.",
    html: `<p>When ${katex("b^2 - 4ac < 0", false)} the roots are ${katex("\\frac{-b}{2a} \\pm i\\frac{\\sqrt{4ac - b^2}}{2a}", false)}.</p>`,
  },
  {
    user: "Solve x² − 5x + 6 = 0.",
    md: "It factors as $(x - 2)(x - 3) = 0$, so $x = 2$ or $x = 3$.",
    html: `<p>It factors as ${katex("(x - 2)(x - 3) = 0", false)}, so ${katex("x = 2", false)} or ${katex("x = 3", false)}.</p>`,
  },
  {
    user: "Thanks! One more: a link to practise.",
    md: "Try [Khan Academy's quadratic exercises](https://www.khanacademy.org/math/algebra/x2f8bb11595b61c86:quadratic-functions-equations).",
    html: '<p>Try <a href="https://www.khanacademy.org/math/algebra/x2f8bb11595b61c86:quadratic-functions-equations" target="_blank" rel="noopener">Khan Academy\'s quadratic exercises</a>.</p>',
  },
  {
    user: "Summarise in one line.",
    md: "*Quadratics:* factor if you can, use the formula if you can't, and check with the discriminant.",
    html: "<p><em>Quadratics:</em> factor if you can, use the formula if you can't, and check with the discriminant.</p>",
  },
  {
    user: "Last question — what is this turn's number?",
    md: "This is turn **12** of 12.",
    html: "<p>This is turn <strong>12</strong> of 12.</p>",
  },
];

/** Deterministic UUID-shaped ids from a prefix and a number. */
function uuid(prefix, n) {
  const hex = n.toString(16).padStart(12, "0");
  return `${prefix}-0000-4000-8000-${hex}`;
}

export function domTour() {
  const script = [];
  TOUR.forEach((t, i) => {
    script.push({ id: uuid("d0d0d0d0", 2 * i + 1), role: "user", text: t.user });
    script.push({ id: uuid("d0d0d0d0", 2 * i + 2), role: "assistant", text: t.md, html: t.html, model: "gpt-5" });
  });
  return buildConversation({
    id: DOM_TOUR_ID,
    title: "Quadratic equations, a tour",
    start: 1758017400, // 2025-09-16T10:10:00Z
    model: "gpt-5",
    script,
  });
}

// ---------------------------------------------------------------------------------------
// The long conversation: 2,000 messages (1,000 prompts and answers), generated.
// ---------------------------------------------------------------------------------------

export const LONG_ID = "10001000-aaaa-4bbb-8ccc-000000002000";
export const LONG_MESSAGES = 2000;

export function longConversation(count = LONG_MESSAGES) {
  const script = [];
  for (let n = 1; n <= count / 2; n++) {
    script.push({ id: uuid("10001000", 2 * n - 1), role: "user", text: `Question ${n}: what is ${n} squared?` });
    let md = `Answer ${n}: ${n} squared is **${n * n}**.`;
    let html = `<p>Answer ${n}: ${n} squared is <strong>${n * n}</strong>.</p>`;
    if (n % 10 === 0) {
      md += `\n\n\`\`\`python\nprint(${n} ** 2)  # ${n * n}\n\`\`\``;
      html += codeBlock2024("python", `print(${n} ** 2)  # ${n * n}`);
    } else if (n % 10 === 5) {
      md += `\n\nIn symbols: $${n}^2 = ${n * n}$.`;
      html += `<p>In symbols: ${katex(`${n}^2 = ${n * n}`, false)}.</p>`;
    }
    script.push({ id: uuid("10001000", 2 * n), role: "assistant", text: md, html, model: "gpt-4o" });
  }
  return buildConversation({
    id: LONG_ID,
    title: "Two thousand messages",
    start: 1735689600, // 2025-01-01T00:00:00Z
    script,
  });
}

// ---------------------------------------------------------------------------------------
// The page reader's threads: the long conversation's prompts and answers, plain (no code or
// formula, so that 2,000 of them render and scroll quickly), at any length.
// ---------------------------------------------------------------------------------------

/** The id of the plain thread of `count` messages. */
export function threadId(count) {
  return `30003000-aaaa-4bbb-8ccc-${String(count).padStart(12, "0")}`;
}

/** `count` messages, "Question n: what is n squared?" / "Answer n: n squared is **n²**."
 *  (the texts checkLongMarkdown looks for); every seventh answer has a second paragraph, so
 *  the turns are not all one height. */
export function plainThread(count) {
  const script = [];
  for (let n = 1; n <= count / 2; n++) {
    script.push({ id: uuid("30003000", 2 * n - 1), role: "user", text: `Question ${n}: what is ${n} squared?` });
    let md = `Answer ${n}: ${n} squared is **${n * n}**.`;
    let html = `<p>Answer ${n}: ${n} squared is <strong>${n * n}</strong>.</p>`;
    if (n % 7 === 0) {
      md += `\n\nAnd ${n} cubed is ${n * n * n}.`;
      html += `<p>And ${n} cubed is ${n * n * n}.</p>`;
    }
    script.push({ id: uuid("30003000", 2 * n), role: "assistant", text: md, html, model: "gpt-4o" });
  }
  return buildConversation({
    id: threadId(count),
    title: `A thread of ${count} messages`,
    start: 1735689600, // 2025-01-01T00:00:00Z
    script,
  });
}
