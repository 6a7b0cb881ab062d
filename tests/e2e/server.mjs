// The stand-in for chatgpt.com: an HTTPS server on 127.0.0.1 that answers the requests the
// extension makes (CHATGPT_FORMATS.md §5–7) with test data, plus a plain HTTP CONNECT proxy
// for Firefox (which cannot map a host name to another port).
//
//   const server = await startServer();       // random free ports, fresh self-signed cert
//   server.set({ api: "down", layout: "2026-09" });
//   server.url("/c/<id>")                      // "https://chatgpt.com/c/<id>"
//   await server.close();
//
// Browsers reach it as https://chatgpt.com/… (and chat.openai.com): Chromium through
// --host-resolver-rules (server.chromiumArgs()), Firefox through the proxy
// (server.firefoxPrefs()). Both must accept the self-signed certificate.
//
// Routes:
//   GET  /api/auth/session                 → {accessToken, expires, user} with the cookie
//                                            __Secure-next-auth.session-token=ok, else {}
//   GET  /backend-api/conversation/<id>    → the conversation, only with "Authorization:
//                                            Bearer test-token" (else 404
//                                            conversation_inaccessible); mode `api`:
//                                            "ok" | "down" (500) | "429" (Retry-After: 1)
//   GET  /backend-api/files/download/<id>  → {status: "success", download_url, file_name: "<id>.png", mime_type}
//                                            (an account's file: "<id>-photo.png")
//   GET  /backend-api/estuary/content?id=… → a tiny PNG (an account's file: account.fileBytes(id));
//                                            mode estuaryAuth "bearer": 403 without the token
//   GET  /c/<id>, /g/<gizmo>/c/<id>        → the chat page in layout `layout` (virtualised)
//   GET  /share/<id>                       → the real February 2026 share page
//   GET  /                                 → a ChatGPT home page with no conversation
//   GET  /__login, /__logout               → sets or removes that cookie (HttpOnly, Secure,
//                                            SameSite=Lax, like the real one)
//   POST /__control {…}                    → the same as server.set({…}); GET /__control → state
//
// With a generated account attached (startServer({account}) or server.setAccount(), see
// account.mjs), its chats are served by the conversation route and page, and:
//   GET  /backend-api/conversations?offset&limit&order=updated[&is_archived=true]
//                                          → {items, total, limit, offset, has_missing_conversations}
//                                            (total is one too many while pages remain; limit
//                                            > 100 → 422; no bearer → 401)
//   GET  /backend-api/gizmos/snorlax/sidebar?cursor=
//                                          → {items: [{gizmo: {gizmo, files}, conversations}], cursor}
//                                            (2 projects a page; a full page has a cursor)
//   GET  /backend-api/gizmos/<g-p-id>/conversations?cursor=0
//                                          → {items, cursor} (50 a page, cursor null at the end)
// Modes for these: `quota` (a token bucket over conversation GETs, then 429), `faults`
// (per conversation: "500", "cut", "malformed", "reset", "404", "429", "slow:<ms>", consumed
// one a request), `listFaults` (per list kind) and `fileFaults` (per file id).
//
// Every request is recorded in server.requests ({method, path, authorization, cookie, time,
// status (once answered; null when the connection was dropped), fault (when one was used)}).

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { chatPage, homePage } from "./pages.mjs";

export const HOSTS = ["chatgpt.com", "chat.openai.com"];
export const TOKEN = "test-token";
export const SESSION_COOKIE = "__Secure-next-auth.session-token";

const SHARE_PAGE = new URL("../../../shared/fixtures/share/chatgpt-share-2026-02.html", import.meta.url);

// A valid 1×1 PNG (red pixel), the body of every estuary download.
export const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==",
  "base64",
);

const DEFAULT_STATE = {
  /** "ok" | "down" (HTTP 500) | "429" (HTTP 429, Retry-After: 1). */
  api: "ok",
  /** With api "429": how many conversation requests get a 429 before the API answers
   *  again (Infinity: every one). */
  rateLimitCount: Infinity,
  /** The chat page layout: "2024" (article turns), "2026" (section turns) or "2026-09"
   *  (div[data-turn-key] turns in a column-reverse scroller). */
  layout: "2024",
  /** How many turns the page keeps mounted around the scroll position. */
  window: 5,
  /** How the chat page virtualises its thread (pages.mjs): "spacers" (placeholders keep the
   *  full height), "grow" (older turns mounted on reaching the top), "window" (a fixed window
   *  that evicts at one end what it mounts at the other; the height never changes). */
  virtual: "spacers",
  /** "grow" and "window": how many turns reaching an end mounts. */
  batch: 8,
  /** "grow" and "window": how long older turns take to arrive once the top is reached (ms). */
  lateMs: 0,
  /** How many of the first turns the page never mounts (a thread that cannot load them). */
  unreachable: 0,
  /** null, or a token bucket over conversation GETs (/backend-api/conversation/<id>):
   *  {burst, perMs, retryAfter}: `burst` tokens at the start (and when set), one more every
   *  `perMs` ms up to `burst`; with none left → 429 {detail: "Too many requests"} with
   *  `Retry-After: <retryAfter>` (seconds as a string, may be fractional; null: no header).
   *  Checked after the bearer, the id (an unknown or removed chat costs nothing) and `api`,
   *  before `faults` (a 429 consumes no fault). */
  quota: null,
  /** Faults by conversation id: {[id]: ["500" | "cut" | "malformed" | "reset" | "404" |
   *  "429" | "slow:<ms>", …]}; each request for that conversation consumes the next one,
   *  then it is answered normally (see FAULTS). */
  faults: {},
  /** The same for list pages, by kind: "conversations" (the main list), "archived",
   *  "sidebar" (the projects), "project" (a project's chats). */
  listFaults: {},
  /** The same for file downloads (/backend-api/estuary/content), by file id. */
  fileFaults: {},
  /** "none": estuary content needs no token; "bearer": without "Authorization: Bearer
   *  test-token" it answers 403 (the client must retry with it). */
  estuaryAuth: "none",
};

/** What each fault does to an answer (`status`, `body`, `type`) that was about to be sent. */
const FAULTS = {
  "500": "HTTP 500 with a JSON error",
  "cut": "the full content-length announced, half the body written, then the socket destroyed",
  "malformed": "HTTP 200, the body without its last 10 bytes (with a matching content-length)",
  "reset": "the socket destroyed without an answer",
  "404": "the route's 404 (conversation_inaccessible for a conversation)",
  "429": "HTTP 429 with the quota's Retry-After (or 1)",
  "slow:<ms>": "waits, then answers normally",
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A fault map with fresh lists (they are consumed as requests arrive). */
function copyFaults(faults) {
  return Object.fromEntries(Object.entries(faults ?? {}).map(([k, v]) => [k, [...v]]));
}

/** List cursors: opaque strings ("<kind>:<offset>" in base64url); "", "0" or none is the
 *  first page; undefined when the cursor is not one of ours. */
function encodeCursor(kind, offset) {
  return Buffer.from(`${kind}:${offset}`).toString("base64url");
}

function decodeCursor(kind, cursor) {
  if (cursor === null || cursor === "" || cursor === "0") return 0;
  const m = Buffer.from(cursor, "base64url").toString("latin1").match(/^([a-z]+):(\d+)$/);
  return m && m[1] === kind ? Number(m[2]) : undefined;
}

/** An integer query parameter: `fallback` when absent, undefined when not an integer. */
function intParam(url, name, fallback) {
  const v = url.searchParams.get(name);
  if (v === null || v === "") return fallback;
  return /^-?\d+$/.test(v) ? Number(v) : undefined;
}

/** FastAPI's 422 for a query parameter, as the real API answers. */
function unprocessable(res, name, msg) {
  return sendJson(res, 422, { detail: [{ loc: ["query", name], msg, type: "value_error" }] });
}

/** The sidebar's gizmo object for a project (what the real one carries, trimmed). */
function projectGizmo(project) {
  const slug = project.name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
  const time = "2024-01-01T00:00:00.000000+00:00";
  return {
    id: project.id,
    organization_id: "org-standin",
    short_url: `${project.id}-${slug}`,
    author: { user_id: "user-test", display_name: "Test User", link_to: null, selected_display: "name", is_verified: false },
    voice: null,
    workspace_id: null,
    model: null,
    instructions: "",
    settings: null,
    display: {
      name: project.name,
      description: "",
      prompt_starters: [],
      profile_picture_url: null,
      categories: [],
      emoji: null,
      theme: null,
    },
    share_recipient: "private",
    created_at: time,
    updated_at: time,
    last_interacted_at: time,
    num_interactions: null,
    tags: ["interactions_disabled"],
    version: null,
    live_version: null,
    training_disabled: null,
    allowed_sharing_recipients: ["private"],
    review_info: null,
    appeal_info: null,
    vanity_metrics: { num_conversations: null, num_conversations_str: null, created_ago_str: null, review_stats: null },
    workspace_approval_date: null,
    workspace_approved: null,
    sharing: null,
    current_user_permission: { can_read: true, can_view_config: true, can_write: true, can_delete: true, can_export: true, can_share: true },
    gizmo_type: "snorlax",
    context_stuffing_budget: null,
    conversation_starters: [],
  };
}

/** A self-signed certificate for chatgpt.com and chat.openai.com, made with openssl in a
 *  temporary folder that is removed at once. */
function makeCertificate() {
  const dir = mkdtempSync(path.join(os.tmpdir(), "chatkeep-cert-"));
  try {
    const key = path.join(dir, "key.pem");
    const cert = path.join(dir, "cert.pem");
    execFileSync(
      "openssl",
      [
        "req", "-x509", "-newkey", "rsa:2048", "-nodes",
        "-keyout", key, "-out", cert,
        "-subj", "/CN=chatgpt.com",
        "-addext", `subjectAltName=${HOSTS.map((h) => `DNS:${h}`).join(",")}`,
        "-days", "2",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    return { key: readFileSync(key), cert: readFileSync(cert) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function sendJson(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
    ...headers,
  });
  res.end(text);
}

function sendHtml(res, status, html) {
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "content-length": Buffer.byteLength(html),
    "cache-control": "no-store",
  });
  res.end(html);
}

function cookies(req) {
  const out = {};
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/**
 * Starts the stand-in.
 * @param {{conversations?: Map<string, {json: object, text?: string, script: object[]}>,
 *   account?: ReturnType<import("./account.mjs").makeAccount> | null}} [init]
 *   conversations by id: `json` is what the API returns (`text`, when given, is sent as is),
 *   `script` the page's turns with their rendered HTML (see conversations.mjs); `account`: a
 *   generated account whose chats, lists and files are served too (server.setAccount()
 *   changes it).
 */
export async function startServer({ conversations = new Map(), account = null } = {}) {
  const state = { ...DEFAULT_STATE, faults: {}, listFaults: {}, fileFaults: {} };
  const requests = [];
  /** The quota's bucket: tokens left and when the last one was refilled. */
  const bucket = { tokens: 0, last: 0 };
  /** A fixture or generated conversation, or undefined. The account's are read at every
   *  request, so its mutations show at once. */
  const lookup = (id) => conversations.get(id) ?? account?.conversations.get(id);
  const shareHtml = readFileSync(SHARE_PAGE);
  // The API answers with the JSON text, serialised once per conversation (the long one is
  // several MB).
  const jsonText = new Map();
  const apiText = (id) => {
    if (!conversations.has(id)) return account.conversations.get(id).text;
    if (!jsonText.has(id)) {
      const c = conversations.get(id);
      jsonText.set(id, c.text ?? JSON.stringify(c.json));
    }
    return jsonText.get(id);
  };
  let rateLimited = 0;

  /** Applies server.set()'s changes (or the defaults). */
  function applyChanges(changes) {
    if (!changes) {
      Object.assign(state, DEFAULT_STATE, { faults: {}, listFaults: {}, fileFaults: {} });
      rateLimited = 0;
      return;
    }
    Object.assign(state, changes);
    if ("api" in changes) rateLimited = 0;
    for (const k of ["faults", "listFaults", "fileFaults"]) if (k in changes) state[k] = copyFaults(changes[k]);
    if ("quota" in changes) {
      state.quota = changes.quota ? { burst: 200, perMs: 60000, retryAfter: "1", ...changes.quota } : null;
      bucket.tokens = state.quota?.burst ?? 0;
      bucket.last = Date.now();
    }
  }

  /** Takes one token from the quota's bucket; false when it is empty. */
  function takeToken() {
    const q = state.quota;
    if (!q) return true;
    const now = Date.now();
    const refill = Math.floor((now - bucket.last) / q.perMs);
    if (refill > 0) {
      bucket.tokens = Math.min(q.burst, bucket.tokens + refill);
      bucket.last += refill * q.perMs;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return true;
    }
    return false;
  }

  function tooMany(res) {
    const after = state.quota ? state.quota.retryAfter : "1";
    return sendJson(res, 429, { detail: "Too many requests" }, after === null || after === undefined ? {} : { "retry-after": String(after) });
  }

  /** The next fault of `map[key]` (consumed), or null. */
  function takeFault(map, key, record) {
    const list = map?.[key];
    if (!list?.length) return null;
    record.fault = list.shift();
    return record.fault;
  }

  /**
   * Sends an answer, or what `fault` makes of it (see FAULTS).
   * @param {{status?: number, body: string | Buffer, type?: string, headers?: object,
   *   notFound: () => void}} answer
   */
  async function answer(req, res, fault, { status = 200, body, type = "application/json; charset=utf-8", headers = {}, notFound }) {
    const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body, "utf8");
    const head = { "content-type": type, "cache-control": "no-store", ...headers };
    if (fault?.startsWith("slow:")) {
      await sleep(Number(fault.slice(5)) || 0);
      fault = null;
    }
    switch (fault) {
      case null:
      case undefined:
        res.writeHead(status, { ...head, "content-length": bytes.length });
        return res.end(bytes);
      case "500":
        return sendJson(res, 500, { detail: "Something went wrong. (stand-in fault)" });
      case "404":
        return notFound();
      case "429":
        return tooMany(res);
      case "malformed": {
        const cut = bytes.subarray(0, Math.max(0, bytes.length - 10));
        res.writeHead(200, { ...head, "content-length": cut.length });
        return res.end(cut);
      }
      case "cut":
        res.writeHead(status, { ...head, "content-length": bytes.length });
        res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => {
          setTimeout(() => res.socket?.destroy(), 20);
        });
        return;
      case "reset":
        req.socket.destroy();
        return;
      default:
        throw new Error(`stand-in: unknown fault ${JSON.stringify(fault)} (known: ${Object.keys(FAULTS).join(", ")})`);
    }
  }

  /** One page of a list, through listFaults[kind]. */
  function sendList(req, res, kind, record, body) {
    return answer(req, res, takeFault(state.listFaults, kind, record), {
      body: JSON.stringify(body),
      notFound: () => sendJson(res, 404, { detail: "Not Found" }),
    });
  }

  async function handle(req, res) {
    const url = new URL(req.url, "https://chatgpt.com");
    const p = url.pathname;
    const record = {
      method: req.method,
      path: p + url.search,
      authorization: req.headers.authorization ?? null,
      cookie: req.headers.cookie ?? null,
      time: Date.now(),
      status: null,
    };
    requests.push(record);
    res.on("finish", () => {
      record.status = res.statusCode;
    });
    const authorized = req.headers.authorization === `Bearer ${TOKEN}`;

    if (p === "/__control") {
      if (req.method === "POST") applyChanges(JSON.parse((await readBody(req)) || "{}"));
      return sendJson(res, 200, state);
    }

    // Log in and out as the real site's cookie is set: HttpOnly, Secure, SameSite=Lax.
    if (p === "/__login" || p === "/__logout") {
      const value = p === "/__login" ? "ok; Max-Age=86400" : "; Max-Age=0";
      return sendJson(res, 200, { loggedIn: p === "/__login" }, {
        "set-cookie": `${SESSION_COOKIE}=${value}; Path=/; Secure; HttpOnly; SameSite=Lax`,
      });
    }

    if (p === "/api/auth/session") {
      if (cookies(req)[SESSION_COOKIE] !== "ok") return sendJson(res, 200, {});
      return sendJson(res, 200, {
        user: { id: "user-test", name: "Test User", email: "test@example.invalid", image: null },
        expires: "2099-01-01T00:00:00.000Z",
        accessToken: TOKEN,
        authProvider: "auth0",
      });
    }

    let m;
    if ((m = p.match(/^\/backend-api\/conversation\/([^/]+)$/)) && req.method === "GET") {
      const id = decodeURIComponent(m[1]);
      const inaccessible = () => sendJson(res, 404, { detail: { code: "conversation_inaccessible" } });
      if (!authorized || !lookup(id)) return inaccessible();
      if (state.api === "down") {
        return sendJson(res, 500, { detail: "Something went wrong. (stand-in: api down)" });
      }
      if (state.api === "429" && rateLimited < state.rateLimitCount) {
        rateLimited += 1;
        return sendJson(
          res,
          429,
          { detail: "Too many requests in 1 hour. Try again later." },
          { "retry-after": "1" },
        );
      }
      if (!takeToken()) return tooMany(res);
      return answer(req, res, takeFault(state.faults, id, record), { body: apiText(id), notFound: inaccessible });
    }

    if (account && req.method === "GET" && p === "/backend-api/conversations") {
      if (!authorized) return sendJson(res, 401, { detail: "Unauthorized" });
      const offset = intParam(url, "offset", 0);
      const limit = intParam(url, "limit", 28);
      const order = url.searchParams.get("order") ?? "updated";
      if (offset === undefined || offset < 0) return unprocessable(res, "offset", "ensure this value is greater than or equal to 0");
      if (limit === undefined || limit < 1) return unprocessable(res, "limit", "ensure this value is greater than 0");
      if (limit > 100) return unprocessable(res, "limit", "ensure this value is less than or equal to 100");
      if (order !== "updated" && order !== "created") return unprocessable(res, "order", "value is not a valid enumeration member; permitted: 'created', 'updated'");
      const archived = url.searchParams.get("is_archived") === "true";
      const ids = account.list(archived ? "archived" : "ordinary", null, order);
      const more = offset + limit < ids.length;
      return sendList(req, res, archived ? "archived" : "conversations", record, {
        items: ids.slice(offset, offset + limit).map((id) => account.item(id)),
        total: ids.length + (more ? 1 : 0),
        limit,
        offset,
        has_missing_conversations: false,
      });
    }

    if (account && req.method === "GET" && p === "/backend-api/gizmos/snorlax/sidebar") {
      if (!authorized) return sendJson(res, 401, { detail: "Unauthorized" });
      const start = decodeCursor("s", url.searchParams.get("cursor"));
      const per = intParam(url, "conversations_per_gizmo", 0);
      if (start === undefined) return sendJson(res, 400, { detail: "Invalid cursor" });
      if (per === undefined || per < 0) return unprocessable(res, "conversations_per_gizmo", "ensure this value is greater than or equal to 0");
      const page = account.projects.slice(start, start + 2);
      return sendList(req, res, "sidebar", record, {
        items: page.map((project) => {
          const ids = account.list("project", project.id);
          return {
            gizmo: { gizmo: projectGizmo(project), files: [] },
            conversations: {
              items: ids.slice(0, per).map((id) => account.item(id)),
              cursor: per > 0 && per < ids.length ? encodeCursor("p", per) : null,
            },
          };
        }),
        // A full page always has a cursor, so with two projects the second page is empty.
        cursor: page.length === 2 ? encodeCursor("s", start + 2) : null,
      });
    }

    if (account && req.method === "GET" && (m = p.match(/^\/backend-api\/gizmos\/([^/]+)\/conversations$/))) {
      if (!authorized) return sendJson(res, 401, { detail: "Unauthorized" });
      const project = account.projects.find((x) => x.id === decodeURIComponent(m[1]));
      if (!project) return sendJson(res, 404, { detail: "Gizmo not found" });
      const start = decodeCursor("p", url.searchParams.get("cursor"));
      if (start === undefined) return sendJson(res, 400, { detail: "Invalid cursor" });
      const ids = account.list("project", project.id);
      return sendList(req, res, "project", record, {
        items: ids.slice(start, start + 50).map((id) => account.item(id)),
        cursor: start + 50 < ids.length ? encodeCursor("p", start + 50) : null,
      });
    }

    if ((m = p.match(/^\/backend-api\/files\/download\/([^/]+)$/))) {
      if (!authorized) {
        return sendJson(res, 404, { detail: { code: "file_not_found" } });
      }
      const id = decodeURIComponent(m[1]);
      return sendJson(res, 200, {
        status: "success",
        download_url: `https://chatgpt.com/backend-api/estuary/content?id=${encodeURIComponent(id)}&sig=x`,
        file_name: account?.files.get(id)?.name ?? `${id}.png`,
        mime_type: "image/png",
        creation_time: "2025-01-01T00:00:00.000000+00:00",
      });
    }

    if (p === "/backend-api/estuary/content") {
      if (state.estuaryAuth === "bearer" && !authorized) return sendJson(res, 403, { detail: "Forbidden" });
      const id = url.searchParams.get("id") ?? "";
      if (account?.files.has(id)) {
        return answer(req, res, takeFault(state.fileFaults, id, record), {
          body: account.fileBytes(id),
          type: "image/png",
          notFound: () => sendJson(res, 404, { detail: "File not found" }),
        });
      }
      res.writeHead(200, { "content-type": "image/png", "content-length": PNG.length });
      return res.end(PNG);
    }

    if (p.startsWith("/backend-api/accounts/check")) {
      return sendJson(res, 200, { accounts: {}, account_ordering: [] });
    }

    if (p.startsWith("/backend-api/")) {
      return sendJson(res, 404, { detail: "Not Found" });
    }

    if ((m = p.match(/^(?:\/g\/[^/]+)?\/c\/([^/]+)\/?$/))) {
      const id = decodeURIComponent(m[1]);
      const convo = lookup(id);
      if (!convo) return sendHtml(res, 404, homePage("Conversation not found"));
      return sendHtml(res, 200, chatPage(convo, state));
    }

    if (/^\/share\/(?:e\/)?[^/]+\/?$/.test(p)) {
      res.writeHead(200, {
        "content-type": "text/html; charset=utf-8",
        "content-length": shareHtml.length,
      });
      return res.end(shareHtml);
    }

    if (p === "/" || p === "") return sendHtml(res, 200, homePage());
    if (p === "/favicon.ico") {
      res.writeHead(204);
      return res.end();
    }
    return sendHtml(res, 404, homePage("Not found"));
  }

  const server = https.createServer(makeCertificate(), (req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent) sendJson(res, 500, { detail: String(e) });
      else res.destroy();
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = server.address().port;

  // Firefox: an HTTP proxy that only tunnels CONNECT chatgpt.com:443 (and chat.openai.com)
  // to the stand-in and refuses everything else, so nothing leaves the machine.
  const proxy = http.createServer((req, res) => {
    res.writeHead(403, { "content-type": "text/plain" });
    res.end("chatkeep e2e proxy: only CONNECT to the stand-in\n");
  });
  proxy.on("connect", (req, socket, head) => {
    const [host, p] = req.url.split(":");
    if (!HOSTS.includes(host) || p !== "443") {
      socket.end("HTTP/1.1 403 Forbidden\r\n\r\n");
      return;
    }
    const upstream = net.connect(port, "127.0.0.1", () => {
      socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on("error", () => socket.destroy());
    socket.on("error", () => upstream.destroy());
  });
  const sockets = new Set();
  for (const s of [server, proxy]) {
    s.on("connection", (c) => {
      sockets.add(c);
      c.on("close", () => sockets.delete(c));
    });
  }
  await new Promise((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const proxyPort = proxy.address().port;

  return {
    port,
    proxyPort,
    state,
    requests,
    /** The generated account served (account.mjs), or null. */
    get account() {
      return account;
    },
    /** Serves a generated account (null: none); its lists, chats and files. */
    setAccount(next) {
      account = next ?? null;
    },
    /** Changes the modes (see DEFAULT_STATE); set() with no argument restores the defaults.
     *  Setting `quota` refills its bucket; fault lists are copied (and consumed there). */
    set(changes) {
      applyChanges(changes);
    },
    /** Resets the modes and forgets the recorded requests. */
    reset() {
      this.set();
      requests.length = 0;
    },
    url: (p = "/") => `https://chatgpt.com${p}`,
    /** Conversation API requests recorded so far. */
    apiRequests: () => requests.filter((r) => r.path.startsWith("/backend-api/conversation/")),
    /** GETs of /backend-api/conversation/<id> recorded so far. */
    conversationRequests: () =>
      requests.filter((r) => r.method === "GET" && r.path.startsWith("/backend-api/conversation/")),
    /** List page requests: /backend-api/conversations, the projects sidebar, a project's chats. */
    listRequests: () =>
      requests.filter((r) => /^\/backend-api\/(?:conversations(?:\?|$)|gizmos\/[^/?]+\/(?:sidebar|conversations)(?:\?|$))/.test(r.path)),
    /** File requests: /backend-api/files/download/<id> and /backend-api/estuary/content. */
    fileRequests: () =>
      requests.filter((r) => r.path.startsWith("/backend-api/files/download/") || r.path.startsWith("/backend-api/estuary/content")),
    chromiumArgs: () => [
      `--host-resolver-rules=${HOSTS.map((h) => `MAP ${h} 127.0.0.1:${port}`).join(",")},MAP * ~NOTFOUND`,
      "--ignore-certificate-errors",
    ],
    firefoxPrefs: () => ({
      "network.proxy.type": 1,
      "network.proxy.ssl": "127.0.0.1",
      "network.proxy.ssl_port": proxyPort,
      "network.proxy.http": "127.0.0.1",
      "network.proxy.http_port": proxyPort,
      "network.proxy.no_proxies_on": "",
      "network.proxy.allow_hijacking_localhost": false,
      "network.proxy.share_proxy_settings": false,
    }),
    async close() {
      for (const c of sockets) c.destroy();
      await Promise.all([
        new Promise((r) => server.close(r)),
        new Promise((r) => proxy.close(r)),
      ]);
    },
  };
}
