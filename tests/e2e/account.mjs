// A generated ChatGPT account for the "back up the whole account" tests: ordinary chats,
// archived chats and project chats, every tenth with an uploaded image, in the shapes of
// CHATGPT_FORMATS.md §2 and §5. Deterministic: the same options give the same ids, titles,
// times and file bytes. server.mjs serves it (startServer({account}) or server.setAccount()).
//
//   const account = makeAccount();              // 700 ordinary, 100 archived, 120 + 80 in projects
//   account.conversations.get(id).text          // what GET /backend-api/conversation/<id> answers
//   account.list("ordinary")                    // ids, newest first (what the list routes page through)
//   account.touch(id); account.archive(id); account.remove(id); account.add({kind: "project"});
//
// Mutations change the same objects the server reads, so the next request sees them.

import { deflateSync } from "node:zlib";
import { systemNode } from "./conversations.mjs";

/** 2024-01-01T00:00:00Z and 2026-11-01T00:00:00Z in microseconds: the generated update
 *  times lie between them. */
const SPAN_START_US = Date.UTC(2024, 0, 1) * 1000;
const SPAN_END_US = Date.UTC(2026, 10, 1) * 1000;
const DAY_US = 86400 * 1e6;

const TITLES = [
  "Trip to Lisbon in May",
  "Sourdough starter troubleshooting",
  "Rust lifetimes: borrowed value does not live long enough",
  "Tax return checklist",
  "Birthday poem for Mia",
  "Fixing a leaky kitchen tap",
  "SQL window functions explained",
  "Marathon training, week 6",
  "Cover letter draft",
  "Explain quantum tunnelling simply",
  "New chat",
  "김치찌개 레시피",
  "서울 여행 일정 (3박 4일)",
  "한국어 존댓말 질문",
  "🌱 Tomato seedlings leggy",
  "🚀 Launch checklist",
  "🎂 Cake ideas for 40 people",
  "Café au lait ratios",
  "日本語の敬語について",
  "Ünïcödé normalisation (NFC vs NFD)",
  "What is 1/2 + 1/3?",
  'Quotes "and" colons: a test',
  "C:\\temp paths on Windows",
  "Résumé review ✍️",
  "Dockerfile multi-stage build",
  "Why is the sky blue?",
  "Meal plan — vegetarian, 1 week",
  "Regex for ISO dates",
];

/** The one title with markup in it (escaped by every good exporter). */
export const SCRIPT_TITLE = '<script>alert("title")</script> in a title';

const MODELS = ["gpt-4o", "gpt-5", "auto", "o3-mini-high", "gpt-4o-mini"];

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** mulberry32: a small seeded PRNG, floats in [0, 1). */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An ISO 8601 string with microseconds, like the list endpoints: "2025-03-20T06:06:41.123456Z". */
export function isoFromMicros(us) {
  const ms = Math.floor(us / 1000);
  const frac = String(us - Math.floor(us / 1e6) * 1e6).padStart(6, "0");
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, `.${frac}Z`);
}

// ---------------------------------------------------------------------------------------
// PNG files: a small solid-colour image per file id, with the id in a tEXt chunk.
// ---------------------------------------------------------------------------------------

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** FNV-1a of a string, for the per-file colour and size. */
function hash(s) {
  let h = 0x811c9dc5;
  for (const ch of Buffer.from(s, "utf8")) h = Math.imul(h ^ ch, 0x01000193) >>> 0;
  return h;
}

/** The width and height of a file id's image (small, so the PNGs stay a few hundred bytes). */
export function fileSize(fileId) {
  const h = hash(fileId);
  return { width: 8 + (h % 57), height: 6 + ((h >>> 8) % 43) };
}

/** A valid PNG that differs for every file id: a solid colour derived from the id, and the
 *  id itself in a tEXt chunk ("chatkeep-file"). */
export function pngFor(fileId) {
  const { width, height } = fileSize(fileId);
  const h = hash(`colour:${fileId}`);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const row = Buffer.alloc(1 + width * 3);
  for (let x = 0; x < width; x++) row.set([h & 0xff, (h >>> 8) & 0xff, (h >>> 16) & 0xff], 1 + 3 * x);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    pngChunk("tEXt", Buffer.from(`chatkeep-file\0${fileId}`, "latin1")),
    pngChunk("IDAT", deflateSync(raw)),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

// ---------------------------------------------------------------------------------------
// The account
// ---------------------------------------------------------------------------------------

/**
 * Makes a deterministic account.
 * @param {{ordinary?: number, archived?: number, projects?: {name: string, count: number}[],
 *   imageEvery?: number, seed?: number}} [options] how many chats of each kind; every
 *   `imageEvery`-th chat (in creation order) has a user message with an uploaded image
 *   (0: none).
 */
const WORDS = "the a of to and in is it that for on with as this you be are can by or an from your at which more when use not but if one each will how time data file page so new than".split(" ");

export function makeAccount({
  ordinary = 700,
  archived = 100,
  projects = [{ name: "Research", count: 120 }, { name: "Garden", count: 80 }],
  imageEvery = 10,
  seed = 1,
  answerBytes = 0,
} = {}) {
  const rand = prng(seed);
  const hex = (n) => {
    let s = "";
    while (s.length < n) s += Math.floor(rand() * 0x100000000).toString(16).padStart(8, "0");
    return s.slice(0, n);
  };
  const alnum = (n) => Array.from({ length: n }, () => ALNUM[Math.floor(rand() * ALNUM.length)]).join("");
  const uuid = () => {
    const h = hex(32);
    const variant = "89ab"[Math.floor(rand() * 4)];
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  };

  /** @type {Map<string, {json: object, text: string, script: object[]}>} */
  const conversations = new Map();
  /** Per conversation: {kind, projectId, index, updateUs, createUs}. */
  const meta = new Map();
  /** Uploaded files by file id: {conversationId, name, mimeType, width, height, size, pointer}. */
  const files = new Map();
  const projectList = projects.map((p) => ({ id: `g-p-${hex(32)}`, name: p.name, ids: [] }));
  let created = 0;
  let images = 0;
  let latestUs = 0;
  let version = 0;

  /** About `n` bytes of paragraphs of words (none when 0): answers of a realistic size. */
  function prose(n) {
    let out = "";
    while (out.length < n) {
      const words = Array.from({ length: 60 }, () => WORDS[Math.floor(rand() * WORDS.length)]);
      out += `\n\n${words.join(" ")}.`;
    }
    return out;
  }

  /** A hidden system message, a user message (with an image part when asked) and an
   *  assistant answer, under the root. */
  function build(id, { title, kind, project, createUs, updateUs, index, model }) {
    const rootId = "client-created-root";
    const systemId = uuid();
    const userId = uuid();
    const assistantId = uuid();
    const createTime = createUs / 1e6;
    const question = `Conversation ${index + 1}: ${title}?`;
    let userContent = { content_type: "text", parts: [question] };
    const userMeta = { request_id: hex(16), message_source: null, timestamp_: "absolute", message_type: null };
    if (imageEvery > 0 && (index + 1) % imageEvery === 0) {
      const newer = images % 2 === 1;
      images += 1;
      const fileId = newer ? `file_${hex(32)}` : `file-${alnum(22)}`;
      const pointer = newer ? `sediment://${fileId}` : `file-service://${fileId}`;
      const { width, height } = fileSize(fileId);
      const size = pngFor(fileId).length;
      const name = `${fileId}-photo.png`;
      files.set(fileId, { conversationId: id, name, mimeType: "image/png", width, height, size, pointer });
      userContent = {
        content_type: "multimodal_text",
        parts: [
          {
            content_type: "image_asset_pointer",
            asset_pointer: pointer,
            size_bytes: size,
            width,
            height,
            fovea: null,
            metadata: {
              dalle: null,
              gizmo: null,
              generation: null,
              container_pixel_height: null,
              container_pixel_width: null,
              emu_omit_glimpse_image: null,
              emu_patches_override: null,
              lpe_keep_patch_ijhw: null,
              lpe_delta_encoding_channel: null,
              sanitized: true,
              asset_pointer_link: null,
              watermarked_asset_pointer: null,
              is_no_auth_placeholder: null,
            },
          },
          `${question} What is in this photo?`,
        ],
      };
      userMeta.attachments = [{ id: fileId, size, name, mime_type: "image/png", width, height }];
    }
    const answer =
      `Answer to conversation ${index + 1} (${id.slice(0, 8)}).\n\n` +
      `- a point about *${title}*\n- another point\n\n\`\`\`\nid = "${id}"\n\`\`\`` +
      prose(answerBytes);
    const mapping = {
      [rootId]: { id: rootId, message: null, parent: null, children: [systemId] },
      [systemId]: systemNode(systemId, rootId, [userId]),
      [userId]: {
        id: userId,
        message: {
          id: userId,
          author: { role: "user", name: null, metadata: {} },
          create_time: createTime + 1.25,
          update_time: null,
          content: userContent,
          status: "finished_successfully",
          end_turn: null,
          weight: 1.0,
          metadata: userMeta,
          recipient: "all",
          channel: null,
        },
        parent: systemId,
        children: [assistantId],
      },
      [assistantId]: {
        id: assistantId,
        message: assistantMessage(assistantId, userId, answer, createTime + 5.5, model),
        parent: userId,
        children: [],
      },
    };
    const json = {
      title,
      create_time: createTime,
      update_time: updateUs / 1e6,
      mapping,
      moderation_results: [],
      current_node: assistantId,
      plugin_ids: null,
      conversation_id: id,
      conversation_template_id: null,
      gizmo_id: kind === "project" ? project.id : null,
      gizmo_type: kind === "project" ? "snorlax" : null,
      is_archived: kind === "archived",
      is_starred: null,
      safe_urls: [],
      blocked_urls: [],
      default_model_slug: model,
      conversation_origin: null,
      is_read_only: null,
      voice: null,
      async_status: null,
      disabled_tool_ids: [],
      is_do_not_remember: false,
      memory_scope: kind === "project" ? "project_enabled" : "global_enabled",
      context_scopes: null,
      sugar_item_id: null,
      sugar_item_visible: false,
      pinned_time: null,
      is_study_mode: false,
      owner: null,
      id,
    };
    const script = [
      { id: userId, role: "user", text: `${question}${userContent.parts.length > 1 ? " What is in this photo?" : ""}` },
      { id: assistantId, role: "assistant", text: answer, model },
    ];
    return { json, text: JSON.stringify(json), script };
  }

  function assistantMessage(id, parentId, text, time, model) {
    return {
      id,
      author: { role: "assistant", name: null, metadata: {} },
      create_time: time,
      update_time: null,
      content: { content_type: "text", parts: [text] },
      status: "finished_successfully",
      end_turn: true,
      weight: 1.0,
      metadata: {
        finish_details: { type: "stop", stop_tokens: [200002] },
        is_complete: true,
        citations: [],
        content_references: [],
        message_type: "next",
        model_slug: model,
        default_model_slug: "auto",
        parent_id: parentId,
        request_id: hex(16),
        timestamp_: "absolute",
      },
      recipient: "all",
      channel: "final",
    };
  }

  /** Creates one conversation and registers it. */
  function create({ kind, project = null, updateUs, title }) {
    const id = uuid();
    const index = created++;
    // Created up to 90 days before the last update, never before the span starts.
    const room = Math.max(0, Math.min(90 * DAY_US, updateUs - SPAN_START_US - 10e6));
    const createUs = updateUs - 10e6 - Math.floor(rand() * room);
    const model = MODELS[Math.floor(rand() * MODELS.length)];
    conversations.set(id, build(id, { title, kind, project, createUs, updateUs, index, model }));
    meta.set(id, { kind, projectId: project?.id ?? null, index, updateUs, createUs });
    if (project) project.ids.push(id);
    latestUs = Math.max(latestUs, updateUs);
    return id;
  }

  function pickTitle(i, n) {
    if (i === Math.floor(n / 2)) return SCRIPT_TITLE;
    const base = TITLES[Math.floor(rand() * TITLES.length)];
    return rand() < 0.15 ? `${base} (part ${2 + Math.floor(rand() * 3)})` : base;
  }

  // Kinds shuffled, then given distinct update times in increasing order: slot i of n is
  // somewhere in the i-th n-th of the span.
  const kinds = [
    ...Array(ordinary).fill(["ordinary", null]),
    ...Array(archived).fill(["archived", null]),
    ...projectList.flatMap((p, k) => Array(projects[k].count).fill(["project", p])),
  ];
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j], kinds[i]];
  }
  const n = kinds.length;
  const slot = (SPAN_END_US - SPAN_START_US) / Math.max(n, 1);
  kinds.forEach(([kind, project], i) => {
    const updateUs = Math.floor(SPAN_START_US + i * slot + rand() * slot * 0.9);
    create({ kind, project, updateUs, title: pickTitle(i, n) });
  });

  /** "Now" in microseconds, later than every update time so far. */
  function now() {
    latestUs = Math.max(Date.now() * 1000, latestUs + 1000) + Math.floor(rand() * 1000);
    return latestUs;
  }

  function must(id) {
    const c = conversations.get(id);
    if (!c) throw new Error(`account: no conversation ${id}`);
    return c;
  }

  function projectById(idOrName) {
    const p = projectList.find((x) => x.id === idOrName || x.name === idOrName);
    if (!p) throw new Error(`account: no project ${idOrName}`);
    return p;
  }

  const sorted = new Map();

  const account = {
    seed,
    /** @type {Map<string, {json: object, text: string, script: object[]}>} every chat, any kind */
    conversations,
    /** [{id: "g-p-…", name, ids}] (ids in creation order; list order comes from list()) */
    projects: projectList,
    /** Uploaded files by file id: {conversationId, name, mimeType, width, height, size, pointer}. */
    files,
    /** Bumped on every mutation. */
    get version() {
      return version;
    },
    /** "ordinary" | "archived" | "project", or undefined for an unknown or removed id. */
    kind: (id) => meta.get(id)?.kind,
    /** The project id of a project chat, else null. */
    projectOf: (id) => meta.get(id)?.projectId ?? null,
    /** Every live conversation id (any kind), in creation order. */
    ids: () => [...conversations.keys()],
    /**
     * The ids of one list, newest update first (ties cannot happen: update times are
     * distinct): "ordinary" (the main list), "archived", or "project" with a project id.
     * `order` "created" sorts by create_time instead.
     */
    list(kind, projectId = null, order = "updated") {
      const key = `${kind}/${projectId}/${order}`;
      const cached = sorted.get(key);
      if (cached && cached.version === version) return cached.ids;
      const field = order === "created" ? "createUs" : "updateUs";
      const ids = [...meta.entries()]
        .filter(([, m]) => m.kind === kind && (kind !== "project" || m.projectId === projectId))
        .sort((a, b) => b[1][field] - a[1][field])
        .map(([id]) => id);
      sorted.set(key, { version, ids });
      return ids;
    },
    /** The list endpoints' item for a conversation (ISO times with microseconds). */
    item(id) {
      const m = meta.get(id);
      const json = must(id).json;
      return {
        id,
        title: json.title,
        create_time: isoFromMicros(m.createUs),
        update_time: isoFromMicros(m.updateUs),
        mapping: null,
        current_node: null,
        conversation_template_id: null,
        gizmo_id: m.projectId,
        is_archived: m.kind === "archived",
        is_starred: null,
        workspace_id: null,
        async_status: null,
        safe_urls: [],
        blocked_urls: [],
        conversation_origin: null,
        snippet: null,
      };
    },
    /** The update time of a conversation as the list shows it. */
    updateIso: (id) => isoFromMicros(meta.get(id).updateUs),
    /** The file ids a conversation's messages point to. */
    fileIds: (id) => [...files.entries()].filter(([, f]) => f.conversationId === id).map(([f]) => f),
    /** Unique, deterministic PNG bytes for a file id. */
    fileBytes: (fileId) => pngFor(fileId),
    /** Appends a user message and an answer on the current branch and makes the chat the
     *  newest (update_time "now", later than every other). */
    touch(id) {
      const c = must(id);
      const m = meta.get(id);
      const us = now();
      const t = us / 1e6;
      const json = c.json;
      const userId = uuid();
      const assistantId = uuid();
      const k = (Object.keys(json.mapping).length - 4) / 2 + 1;
      const question = `Follow-up ${k} to conversation ${m.index + 1}`;
      const answer = `Follow-up answer ${k} (${id.slice(0, 8)}).`;
      const parent = json.current_node;
      json.mapping[parent].children.push(userId);
      json.mapping[userId] = {
        id: userId,
        message: {
          id: userId,
          author: { role: "user", name: null, metadata: {} },
          create_time: t - 4,
          update_time: null,
          content: { content_type: "text", parts: [question] },
          status: "finished_successfully",
          end_turn: null,
          weight: 1.0,
          metadata: { request_id: hex(16), timestamp_: "absolute" },
          recipient: "all",
          channel: null,
        },
        parent,
        children: [assistantId],
      };
      json.mapping[assistantId] = {
        id: assistantId,
        message: assistantMessage(assistantId, userId, answer, t - 1, json.default_model_slug),
        parent: userId,
        children: [],
      };
      json.current_node = assistantId;
      json.update_time = t;
      m.updateUs = us;
      c.script.push({ id: userId, role: "user", text: question }, { id: assistantId, role: "assistant", text: answer, model: json.default_model_slug });
      c.text = JSON.stringify(json);
      version += 1;
      return account;
    },
    /** Moves an ordinary chat to the archived list (update_time unchanged). */
    archive(id) {
      const c = must(id);
      const m = meta.get(id);
      if (m.kind !== "ordinary") throw new Error(`account: ${id} is ${m.kind}, not ordinary`);
      m.kind = "archived";
      c.json.is_archived = true;
      c.text = JSON.stringify(c.json);
      version += 1;
      return account;
    },
    /** Deletes a chat: no list and no conversation request finds it any more (its files
     *  are still served, as ChatGPT's are for a while). */
    remove(id) {
      must(id);
      const m = meta.get(id);
      if (m.projectId) {
        const p = projectById(m.projectId);
        p.ids.splice(p.ids.indexOf(id), 1);
      }
      conversations.delete(id);
      meta.delete(id);
      version += 1;
      return account;
    },
    /**
     * Adds a new chat, the newest of all; returns its id.
     * @param {{kind?: "ordinary" | "archived" | "project", project?: string, title?: string}} [options]
     *   `project` is a project's id or name (default: the first project)
     */
    add({ kind = "ordinary", project, title } = {}) {
      if (!["ordinary", "archived", "project"].includes(kind)) throw new Error(`account: unknown kind ${kind}`);
      const p = kind === "project" ? projectById(project ?? projectList[0]?.id) : null;
      const id = create({ kind, project: p, updateUs: now(), title: title ?? `Added chat ${created + 1}` });
      version += 1;
      return id;
    },
  };
  return account;
}
