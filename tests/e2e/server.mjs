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
//   GET  /backend-api/estuary/content?id=… → a tiny PNG
//   GET  /c/<id>, /g/<gizmo>/c/<id>        → the chat page in layout `layout` (virtualised)
//   GET  /share/<id>                       → the real February 2026 share page
//   GET  /                                 → a ChatGPT home page with no conversation
//   GET  /__login, /__logout               → sets or removes that cookie (HttpOnly, Secure,
//                                            SameSite=Lax, like the real one)
//   POST /__control {…}                    → the same as server.set({…}); GET /__control → state
//
// Every request is recorded in server.requests ({method, path, authorization, cookie, time}).

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
};

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
 * @param {{conversations?: Map<string, {json: object, text?: string, script: object[]}>}} [init]
 *   conversations by id: `json` is what the API returns (`text`, when given, is sent as is),
 *   `script` the page's turns with their rendered HTML (see conversations.mjs).
 */
export async function startServer({ conversations = new Map() } = {}) {
  const state = { ...DEFAULT_STATE };
  const requests = [];
  const shareHtml = readFileSync(SHARE_PAGE);
  // The API answers with the JSON text, serialised once per conversation (the long one is
  // several MB).
  const jsonText = new Map();
  const apiText = (id) => {
    if (!jsonText.has(id)) {
      const c = conversations.get(id);
      jsonText.set(id, c.text ?? JSON.stringify(c.json));
    }
    return jsonText.get(id);
  };
  let rateLimited = 0;

  async function handle(req, res) {
    const url = new URL(req.url, "https://chatgpt.com");
    const p = url.pathname;
    requests.push({
      method: req.method,
      path: p + url.search,
      authorization: req.headers.authorization ?? null,
      cookie: req.headers.cookie ?? null,
      time: Date.now(),
    });

    if (p === "/__control") {
      if (req.method === "POST") Object.assign(state, JSON.parse((await readBody(req)) || "{}"));
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
      if (req.headers.authorization !== `Bearer ${TOKEN}` || !conversations.has(id)) {
        return sendJson(res, 404, { detail: { code: "conversation_inaccessible" } });
      }
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
      const text = apiText(id);
      res.writeHead(200, {
        "content-type": "application/json; charset=utf-8",
        "content-length": Buffer.byteLength(text),
        "cache-control": "no-store",
      });
      return res.end(text);
    }

    if ((m = p.match(/^\/backend-api\/files\/download\/([^/]+)$/))) {
      if (req.headers.authorization !== `Bearer ${TOKEN}`) {
        return sendJson(res, 404, { detail: { code: "file_not_found" } });
      }
      const id = decodeURIComponent(m[1]);
      return sendJson(res, 200, {
        status: "success",
        download_url: `https://chatgpt.com/backend-api/estuary/content?id=${encodeURIComponent(id)}&sig=x`,
        file_name: `${id}.png`,
        mime_type: "image/png",
        creation_time: "2025-01-01T00:00:00.000000+00:00",
      });
    }

    if (p === "/backend-api/estuary/content") {
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
      const convo = conversations.get(id);
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
    /** Changes the modes (see DEFAULT_STATE); set() with no argument restores the defaults. */
    set(changes) {
      if (!changes) {
        Object.assign(state, DEFAULT_STATE);
        rateLimited = 0;
      } else {
        Object.assign(state, changes);
        if ("api" in changes) rateLimited = 0;
      }
    },
    /** Resets the modes and forgets the recorded requests. */
    reset() {
      this.set();
      requests.length = 0;
    },
    url: (p = "/") => `https://chatgpt.com${p}`,
    /** Conversation API requests recorded so far. */
    apiRequests: () => requests.filter((r) => r.path.startsWith("/backend-api/conversation/")),
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
