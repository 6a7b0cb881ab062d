// The generated account (account.mjs) and the stand-in's account routes, quota and faults
// (server.mjs), checked over HTTPS with node's own client: no browser, a few seconds.
//
//   node --test tests/e2e/standin-account.test.mjs

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import https from "node:https";
import { after, before, beforeEach, describe, it } from "node:test";
import { isoFromMicros, makeAccount, SCRIPT_TITLE } from "./account.mjs";
import { fixture } from "./conversations.mjs";
import { PNG, startServer, TOKEN } from "./server.mjs";

const AUTH = `Bearer ${TOKEN}`;

/** The keys of a list item, in the real API's order. */
const ITEM_KEYS = [
  "id", "title", "create_time", "update_time", "mapping", "current_node", "conversation_template_id",
  "gizmo_id", "is_archived", "is_starred", "workspace_id", "async_status", "safe_urls", "blocked_urls",
  "conversation_origin", "snippet",
];

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

describe("the stand-in account", () => {
  let server;
  let account;
  const agent = new https.Agent({ keepAlive: true, maxSockets: 8, rejectUnauthorized: false });

  /**
   * GET https://chatgpt.com<path> from the stand-in. Never rejects: a dropped connection
   * gives {error} (with the status, headers and partial body when they came).
   */
  function get(path, { auth = AUTH, headers = {} } = {}) {
    return new Promise((resolve) => {
      const started = Date.now();
      const out = { status: null, headers: {}, body: Buffer.alloc(0), error: null, ms: 0 };
      const done = () => {
        out.ms = Date.now() - started;
        resolve(out);
      };
      const req = https.request(
        {
          host: "127.0.0.1",
          port: server.port,
          servername: "chatgpt.com",
          path,
          method: "GET",
          agent,
          headers: { host: "chatgpt.com", ...(auth ? { authorization: auth } : {}), ...headers },
        },
        (res) => {
          out.status = res.statusCode;
          out.headers = res.headers;
          const chunks = [];
          res.on("data", (c) => chunks.push(c));
          res.on("end", () => {
            out.body = Buffer.concat(chunks);
            if (!res.complete) out.error = out.error ?? new Error("incomplete");
            done();
          });
          res.on("error", (e) => {
            out.body = Buffer.concat(chunks);
            out.error = e;
            done();
          });
          res.on("aborted", () => {
            out.error = out.error ?? new Error("aborted");
          });
        },
      );
      req.on("error", (e) => {
        out.error = e;
        if (out.status === null) done();
      });
      req.end();
    });
  }

  async function getJson(path, options) {
    const r = await get(path, options);
    assert.equal(r.error, null, `${path}: ${r.error}`);
    return { ...r, json: JSON.parse(r.body.toString("utf8")) };
  }

  /** Every id of the main list (or the archived one), paging by `limit` until a short page. */
  async function pageList(archived, limit = 100) {
    const ids = [];
    const pages = [];
    for (let offset = 0; ; offset += limit) {
      const r = await getJson(`/backend-api/conversations?offset=${offset}&limit=${limit}&order=updated${archived ? "&is_archived=true" : ""}`);
      assert.equal(r.status, 200);
      pages.push(r.json);
      ids.push(...r.json.items.map((i) => i.id));
      if (r.json.items.length < limit) break;
    }
    return { ids, pages };
  }

  /** The projects of the sidebar, following its cursor. */
  async function pageSidebar() {
    const projects = [];
    let cursor = "";
    let pages = 0;
    do {
      const r = await getJson(`/backend-api/gizmos/snorlax/sidebar?owned_only=true&conversations_per_gizmo=0&cursor=${encodeURIComponent(cursor)}`);
      assert.equal(r.status, 200);
      pages += 1;
      for (const item of r.json.items) {
        assert.deepEqual(item.conversations, { items: [], cursor: null });
        assert.deepEqual(item.gizmo.files, []);
        projects.push(item.gizmo.gizmo);
      }
      cursor = r.json.cursor;
    } while (cursor !== null);
    return { projects, pages };
  }

  /** A project's chats, following the cursor. */
  async function pageProject(gizmoId) {
    const ids = [];
    const pages = [];
    let cursor = "0";
    while (cursor !== null) {
      const r = await getJson(`/backend-api/gizmos/${gizmoId}/conversations?cursor=${encodeURIComponent(cursor)}`);
      assert.equal(r.status, 200);
      pages.push(r.json);
      ids.push(...r.json.items.map((i) => i.id));
      cursor = r.json.cursor;
    }
    return { ids, pages };
  }

  const conversationPath = (id) => `/backend-api/conversation/${id}`;

  before(async () => {
    account = makeAccount();
    const basic = fixture("basic-markdown");
    server = await startServer({ conversations: new Map([[basic.json.conversation_id ?? basic.json.id, basic]]), account });
  });

  after(async () => {
    agent.destroy();
    await server?.close();
  });

  beforeEach(() => {
    server.reset();
    if (server.account !== account) server.setAccount(account);
  });

  describe("the generated account", () => {
    it("is deterministic, with the asked numbers of each kind", () => {
      const again = makeAccount();
      assert.deepEqual(again.ids(), account.ids());
      for (const id of account.ids().slice(0, 50)) {
        assert.equal(again.conversations.get(id).text, account.conversations.get(id).text);
      }
      assert.notDeepEqual(makeAccount({ seed: 2 }).ids().slice(0, 5), account.ids().slice(0, 5));
      assert.equal(account.conversations.size, 1000);
      const count = (k) => account.ids().filter((id) => account.kind(id) === k).length;
      assert.deepEqual([count("ordinary"), count("archived"), count("project")], [700, 100, 200]);
      assert.deepEqual(account.projects.map((p) => [p.name, p.ids.length]), [["Research", 120], ["Garden", 80]]);
      for (const p of account.projects) assert.match(p.id, /^g-p-[0-9a-f]{32}$/);
      const small = makeAccount({ ordinary: 5, archived: 2, projects: [{ name: "A", count: 3 }], imageEvery: 0 });
      assert.equal(small.conversations.size, 10);
      assert.equal(small.files.size, 0);
    });

    it("has conversations in the API's shape, with distinct times over 2024–2026", () => {
      const updates = new Set();
      for (const [id, c] of account.conversations) {
        const j = c.json;
        assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        assert.equal(j.id, id);
        assert.equal(j.conversation_id, id);
        assert.equal(c.text, JSON.stringify(j));
        assert.ok(j.create_time <= j.update_time);
        assert.ok(j.update_time >= Date.UTC(2024, 0, 1) / 1000 && j.update_time < Date.UTC(2027, 0, 1) / 1000);
        updates.add(j.update_time);
        assert.equal(account.updateIso(id), isoFromMicros(Math.round(j.update_time * 1e6)));
        const root = j.mapping["client-created-root"];
        assert.equal(root.message, null);
        const system = j.mapping[root.children[0]];
        assert.equal(system.message.author.role, "system");
        assert.equal(system.message.metadata.is_visually_hidden_from_conversation, true);
        const user = j.mapping[system.children[0]];
        assert.equal(user.message.author.role, "user");
        const assistant = j.mapping[user.children[0]];
        assert.equal(assistant.message.author.role, "assistant");
        assert.equal(j.current_node, assistant.id);
        assert.equal(typeof j.default_model_slug, "string");
        const kind = account.kind(id);
        assert.equal(j.is_archived, kind === "archived");
        assert.equal(j.gizmo_id, kind === "project" ? account.projectOf(id) : null);
      }
      assert.equal(updates.size, account.conversations.size, "update times are distinct");
      const titles = [...account.conversations.values()].map((c) => c.json.title);
      assert.equal(titles.filter((t) => t.includes("<script>")).length, 1);
      assert.ok(titles.includes(SCRIPT_TITLE));
      assert.ok(titles.some((t) => /[\uac00-\ud7a3]/.test(t)), "a Korean title");
      assert.ok(titles.some((t) => /\p{Extended_Pictographic}/u.test(t)), "an emoji title");
      assert.ok(new Set(titles).size > 50, "titles vary");
    });

    it("puts an uploaded image in every tenth conversation, in both pointer forms", () => {
      const ids = account.ids();
      let older = 0;
      let newer = 0;
      ids.forEach((id, i) => {
        const j = account.conversations.get(id).json;
        const user = Object.values(j.mapping).find((n) => n.message?.author.role === "user").message;
        if ((i + 1) % 10 !== 0) {
          assert.equal(user.content.content_type, "text");
          assert.deepEqual(account.fileIds(id), []);
          return;
        }
        assert.equal(user.content.content_type, "multimodal_text");
        const part = user.content.parts[0];
        assert.equal(part.content_type, "image_asset_pointer");
        const [fileId] = account.fileIds(id);
        const file = account.files.get(fileId);
        if (part.asset_pointer.startsWith("file-service://")) {
          older += 1;
          assert.match(part.asset_pointer, /^file-service:\/\/file-[A-Za-z0-9]{22}$/);
        } else {
          newer += 1;
          assert.match(part.asset_pointer, /^sediment:\/\/file_[0-9a-f]{32}$/);
        }
        assert.ok(part.asset_pointer.endsWith(`//${fileId}`));
        assert.equal(part.size_bytes, account.fileBytes(fileId).length);
        assert.equal(part.size_bytes, file.size);
        assert.deepEqual([part.width, part.height], [file.width, file.height]);
        assert.equal(typeof user.content.parts[1], "string");
        assert.equal(user.metadata.attachments[0].id, fileId);
      });
      assert.deepEqual([older, newer], [50, 50]);
    });

    it("gives each file its own valid PNG", () => {
      const digests = new Set();
      for (const fileId of account.files.keys()) {
        const bytes = account.fileBytes(fileId);
        assert.deepEqual(bytes.subarray(0, 8), PNG.subarray(0, 8), "PNG signature");
        assert.equal(bytes.readUInt32BE(16), account.files.get(fileId).width);
        assert.equal(bytes.readUInt32BE(20), account.files.get(fileId).height);
        assert.ok(bytes.includes(Buffer.from(fileId)));
        assert.deepEqual(account.fileBytes(fileId), bytes, "deterministic");
        digests.add(createHash("sha256").update(bytes).digest("hex"));
      }
      assert.equal(digests.size, account.files.size);
    });
  });

  describe("lists", () => {
    it("paging the three lists reaches every conversation exactly once", async () => {
      const ordinary = await pageList(false);
      const archived = await pageList(true);
      const { projects, pages: sidebarPages } = await pageSidebar();
      assert.equal(sidebarPages, 2, "two projects a page: a full first page, then an empty one");
      assert.deepEqual(projects.map((g) => [g.id, g.display.name, g.display.description]), account.projects.map((p) => [p.id, p.name, ""]));
      const inProjects = [];
      for (const g of projects) {
        const { ids, pages } = await pageProject(g.id);
        assert.ok(pages.every((p, i) => p.items.length === (i < pages.length - 1 ? 50 : p.items.length)));
        assert.ok(pages.every((p) => p.items.every((item) => item.gizmo_id === g.id && item.is_archived === false)));
        assert.deepEqual(ids, account.list("project", g.id));
        inProjects.push(...ids);
      }
      assert.equal(ordinary.ids.length, 700);
      assert.equal(archived.ids.length, 100);
      assert.equal(inProjects.length, 200);
      const all = [...ordinary.ids, ...archived.ids, ...inProjects];
      assert.equal(new Set(all).size, all.length, "no conversation twice");
      assert.deepEqual(new Set(all), new Set(account.ids()));
      assert.ok(ordinary.ids.every((id) => account.kind(id) === "ordinary"));
      assert.ok(archived.ids.every((id) => account.kind(id) === "archived"));
      for (const { pages } of [ordinary, archived]) {
        const items = pages.flatMap((p) => p.items);
        for (let i = 1; i < items.length; i++) assert.ok(items[i - 1].update_time > items[i].update_time, "newest first");
        for (const item of items) {
          assert.deepEqual(Object.keys(item), ITEM_KEYS);
          assert.match(item.update_time, ISO);
          assert.match(item.create_time, ISO);
          assert.equal(item.mapping, null);
          assert.equal(item.gizmo_id, null);
          const json = account.conversations.get(item.id).json;
          assert.equal(item.title, json.title);
          assert.equal(item.update_time, isoFromMicros(Math.round(json.update_time * 1e6)));
          assert.equal(item.is_archived, json.is_archived);
        }
        assert.ok(pages.every((p) => p.has_missing_conversations === false));
      }
    });

    it("total is one too many while pages remain, exact on the last", async () => {
      const { pages } = await pageList(false, 64);
      assert.deepEqual(pages.map((p) => p.total), [...Array(10).fill(701), 700]);
      assert.deepEqual(pages.map((p) => p.items.length), [...Array(10).fill(64), 60]);
      assert.deepEqual(pages.map((p) => [p.offset, p.limit]), pages.map((_, i) => [64 * i, 64]));
      const full = await pageList(false, 100);
      assert.deepEqual(full.pages.map((p) => p.total), [...Array(6).fill(701), 700, 700]);
      assert.equal(full.pages.at(-1).items.length, 0);
      const archived = await getJson("/backend-api/conversations?offset=0&limit=100&order=updated&is_archived=true");
      assert.equal(archived.json.total, 100);
    });

    it("refuses a limit above 100, and every list without the token", async () => {
      const r = await getJson("/backend-api/conversations?offset=0&limit=101&order=updated");
      assert.equal(r.status, 422);
      assert.equal((await get("/backend-api/conversations?offset=0&limit=100")).status, 200);
      for (const path of [
        "/backend-api/conversations?offset=0&limit=100&order=updated",
        "/backend-api/gizmos/snorlax/sidebar?owned_only=true&conversations_per_gizmo=0&cursor=",
        `/backend-api/gizmos/${account.projects[0].id}/conversations?cursor=0`,
      ]) {
        const no = await getJson(path, { auth: null });
        assert.equal(no.status, 401, path);
        assert.deepEqual(no.json, { detail: "Unauthorized" });
      }
      assert.equal((await get(conversationPath(account.ids()[0]), { auth: null })).status, 404);
      assert.equal((await get(`/backend-api/gizmos/g-p-${"0".repeat(32)}/conversations?cursor=0`)).status, 404);
      assert.equal((await get("/backend-api/gizmos/snorlax/sidebar?cursor=bogus")).status, 400);
    });

    it("serves the account's conversations and pages, and the fixtures as before", async () => {
      const id = account.list("project", account.projects[1].id)[0];
      const r = await get(conversationPath(id));
      assert.equal(r.status, 200);
      assert.equal(r.body.toString("utf8"), account.conversations.get(id).text);
      assert.equal(Number(r.headers["content-length"]), Buffer.byteLength(account.conversations.get(id).text));
      const basic = fixture("basic-markdown");
      const f = await get(conversationPath(basic.json.conversation_id ?? basic.json.id));
      assert.equal(f.body.toString("utf8"), basic.text);
      const page = await get(`/g/${account.projects[1].id}/c/${id}`);
      assert.equal(page.status, 200);
      assert.match(page.body.toString("utf8"), /thread-data/);
      assert.equal((await get(conversationPath("00000000-0000-4000-8000-000000000000"))).status, 404);
    });
  });

  describe("quota", () => {
    it("answers 429 with Retry-After once the bucket is empty, and refills", async () => {
      const ids = account.ids();
      server.set({ quota: { burst: 5, perMs: 60000, retryAfter: "0.2" } });
      const statuses = [];
      for (const id of ids.slice(0, 7)) {
        const r = await get(conversationPath(id));
        statuses.push(r.status);
        if (r.status === 429) {
          assert.equal(r.headers["retry-after"], "0.2");
          assert.deepEqual(JSON.parse(r.body), { detail: "Too many requests" });
        }
      }
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
      assert.deepEqual(server.conversationRequests().map((r) => r.status), statuses);

      // Tokens come back at t0 + k × perMs exactly (the stand-in runs in this process).
      const perMs = 250;
      const t0 = Date.now();
      server.set({ quota: { burst: 2, perMs, retryAfter: null } });
      const until = (ms) => new Promise((r) => setTimeout(r, Math.max(0, t0 + ms - Date.now())));
      assert.equal((await get(conversationPath(ids[0]))).status, 200);
      assert.equal((await get(conversationPath(ids[1]))).status, 200);
      const limited = await get(conversationPath(ids[2]));
      if (Date.now() - t0 < perMs - 10) {
        assert.equal(limited.status, 429);
        assert.equal(limited.headers["retry-after"], undefined, "retryAfter null: no header");
      }
      await until(perMs + 10);
      assert.equal((await get(conversationPath(ids[2]))).status, 200, "one token refilled");
      const again = await get(conversationPath(ids[3]));
      if (Date.now() - t0 < 2 * perMs - 10) assert.equal(again.status, 429);
      await until(5 * perMs + 10);
      const burst = [];
      for (const id of ids.slice(3, 6)) burst.push((await get(conversationPath(id))).status);
      if (Date.now() - t0 < 6 * perMs - 10) assert.deepEqual(burst, [200, 200, 429], "refilled up to burst only");

      server.set();
      for (const id of ids.slice(0, 10)) assert.equal((await get(conversationPath(id))).status, 200);
      assert.equal(server.state.quota, null);
    });

    it("counts only conversation GETs", async () => {
      server.set({ quota: { burst: 1, perMs: 60000, retryAfter: "1" } });
      for (let i = 0; i < 3; i++) assert.equal((await get("/backend-api/conversations?offset=0&limit=10")).status, 200);
      const [fileId] = account.files.keys();
      assert.equal((await get(`/backend-api/estuary/content?id=${fileId}&sig=x`)).status, 200);
      assert.equal((await get(conversationPath(account.ids()[0]))).status, 200);
      assert.equal((await get(conversationPath(account.ids()[1]))).status, 429);
    });
  });

  describe("faults", () => {
    it("each fault once, then the normal answer", async () => {
      const id = account.ids()[3];
      const text = account.conversations.get(id).text;
      const length = Buffer.byteLength(text);
      server.set({ faults: { [id]: ["500", "cut", "malformed", "reset", "404", "429", "slow:150"] } });

      const e500 = await get(conversationPath(id));
      assert.equal(e500.status, 500);
      JSON.parse(e500.body);

      const cut = await get(conversationPath(id));
      assert.equal(cut.status, 200);
      assert.equal(Number(cut.headers["content-length"]), length);
      assert.ok(cut.error, "the connection drops");
      assert.equal(cut.body.length, Math.floor(length / 2), "half the body came");

      const malformed = await get(conversationPath(id));
      assert.equal(malformed.status, 200);
      assert.equal(malformed.error, null);
      assert.equal(malformed.body.length, length - 10);
      assert.equal(Number(malformed.headers["content-length"]), length - 10);
      assert.throws(() => JSON.parse(malformed.body));

      const reset = await get(conversationPath(id));
      assert.equal(reset.status, null);
      assert.ok(reset.error);

      const e404 = await getJson(conversationPath(id));
      assert.equal(e404.status, 404);
      assert.deepEqual(e404.json, { detail: { code: "conversation_inaccessible" } });

      const e429 = await get(conversationPath(id));
      assert.equal(e429.status, 429);

      const slow = await get(conversationPath(id));
      assert.equal(slow.status, 200);
      assert.ok(slow.ms >= 140, `waited ${slow.ms} ms`);
      assert.equal(slow.body.toString("utf8"), text);

      const ok = await get(conversationPath(id));
      assert.equal(ok.status, 200);
      assert.equal(ok.body.toString("utf8"), text);
      assert.deepEqual(server.state.faults[id], []);
      assert.deepEqual(
        server.conversationRequests().map((r) => [r.status, r.fault ?? null]),
        [[500, "500"], [null, "cut"], [200, "malformed"], [null, "reset"], [404, "404"], [429, "429"], [200, "slow:150"], [200, null]],
      );
      // Other conversations are untouched.
      assert.equal((await get(conversationPath(account.ids()[4]))).status, 200);
    });

    it("list pages fault by kind", async () => {
      const gizmo = account.projects[0].id;
      server.set({ listFaults: { conversations: ["500"], archived: ["cut"], sidebar: ["malformed"], project: ["reset", "404"] } });
      assert.equal((await get("/backend-api/conversations?offset=0&limit=100")).status, 500);
      assert.equal((await get("/backend-api/conversations?offset=0&limit=100")).status, 200);
      const cut = await get("/backend-api/conversations?offset=0&limit=100&is_archived=true");
      assert.ok(cut.error);
      assert.equal((await get("/backend-api/conversations?offset=0&limit=100&is_archived=true")).status, 200);
      const bad = await get("/backend-api/gizmos/snorlax/sidebar?cursor=");
      assert.equal(bad.status, 200);
      assert.throws(() => JSON.parse(bad.body));
      assert.equal((await get("/backend-api/gizmos/snorlax/sidebar?cursor=")).status, 200);
      const reset = await get(`/backend-api/gizmos/${gizmo}/conversations?cursor=0`);
      assert.equal(reset.status, null);
      assert.equal((await get(`/backend-api/gizmos/${gizmo}/conversations?cursor=0`)).status, 404);
      assert.equal((await get(`/backend-api/gizmos/${gizmo}/conversations?cursor=0`)).status, 200);
      assert.equal(server.listRequests().length, 9);
      assert.equal(server.conversationRequests().length, 0);
    });

    it("file downloads fault by file id; an unknown fault is a 500 that says so", async () => {
      const [fileId] = account.files.keys();
      server.set({ fileFaults: { [fileId]: ["cut"] }, faults: { [account.ids()[0]]: ["explode"] } });
      const cut = await get(`/backend-api/estuary/content?id=${fileId}&sig=x`);
      assert.ok(cut.error);
      const ok = await get(`/backend-api/estuary/content?id=${fileId}&sig=x`);
      assert.deepEqual(ok.body, account.fileBytes(fileId));
      const unknown = await get(conversationPath(account.ids()[0]));
      assert.equal(unknown.status, 500);
      assert.match(unknown.body.toString(), /unknown fault/);
    });
  });

  describe("files", () => {
    it("serves every file of the account byte for byte, named like the original", async () => {
      const seen = new Set();
      for (const [fileId, file] of account.files) {
        const meta = await getJson(`/backend-api/files/download/${fileId}?inline=false`);
        assert.equal(meta.status, 200);
        assert.equal(meta.json.status, "success");
        assert.equal(meta.json.file_name, `${fileId}-photo.png`);
        assert.equal(meta.json.file_name, file.name);
        assert.equal(meta.json.mime_type, "image/png");
        const url = new URL(meta.json.download_url);
        assert.equal(url.host, "chatgpt.com");
        const body = await get(url.pathname + url.search, { auth: null });
        assert.equal(body.status, 200);
        assert.equal(body.headers["content-type"], "image/png");
        assert.deepEqual(body.body, account.fileBytes(fileId));
        seen.add(body.body.toString("base64"));
      }
      assert.equal(seen.size, account.files.size);
      assert.equal(server.fileRequests().length, 2 * account.files.size);
      // Ids that are not the account's: as before.
      const other = await getJson("/backend-api/files/download/file-USERIMG1");
      assert.equal(other.json.file_name, "file-USERIMG1.png");
      assert.deepEqual((await get("/backend-api/estuary/content?id=file-USERIMG1&sig=x")).body, PNG);
    });

    it("estuaryAuth 'bearer' refuses content without the token", async () => {
      const [fileId] = account.files.keys();
      const path = `/backend-api/estuary/content?id=${fileId}&sig=x`;
      server.set({ estuaryAuth: "bearer" });
      assert.equal((await get(path, { auth: null })).status, 403);
      const withToken = await get(path);
      assert.equal(withToken.status, 200);
      assert.deepEqual(withToken.body, account.fileBytes(fileId));
      server.set();
      assert.equal((await get(path, { auth: null })).status, 200);
    });
  });

  describe("mutations", () => {
    it("touch, archive, remove and add show in the lists and the conversation route at once", async () => {
      const acct = makeAccount({ ordinary: 30, archived: 5, projects: [{ name: "Research", count: 12 }, { name: "Garden", count: 4 }], seed: 7 });
      server.setAccount(acct);
      const first = async (archived = false) =>
        (await getJson(`/backend-api/conversations?offset=0&limit=100&order=updated${archived ? "&is_archived=true" : ""}`)).json;

      // touch: the oldest ordinary chat becomes the newest, with two more messages.
      const before = await first();
      const oldest = before.items.at(-1);
      const newestBefore = before.items[0].update_time;
      acct.touch(oldest.id);
      const after1 = await first();
      assert.equal(after1.items[0].id, oldest.id);
      assert.ok(after1.items[0].update_time > newestBefore);
      assert.equal(after1.items.length, 30);
      const touched = JSON.parse((await get(conversationPath(oldest.id))).body);
      assert.equal(Object.keys(touched.mapping).length, 6);
      assert.equal(touched.mapping[touched.current_node].message.author.role, "assistant");
      assert.equal(isoFromMicros(Math.round(touched.update_time * 1e6)), after1.items[0].update_time);
      const maxOther = Math.max(...[...acct.conversations.values()].filter((c) => c.json.id !== oldest.id).map((c) => c.json.update_time));
      assert.ok(touched.update_time > maxOther);

      // archive: from the main list to the archived one.
      const victim = after1.items[3].id;
      acct.archive(victim);
      assert.ok(!(await first()).items.some((i) => i.id === victim));
      const archived = await first(true);
      assert.equal(archived.items.length, 6);
      assert.ok(archived.items.some((i) => i.id === victim && i.is_archived));
      assert.equal(JSON.parse((await get(conversationPath(victim))).body).is_archived, true);
      assert.throws(() => acct.archive(victim));

      // remove: gone from the lists and the conversation route.
      const gone = acct.list("project", acct.projects[0].id)[2];
      acct.remove(gone);
      const research = (await getJson(`/backend-api/gizmos/${acct.projects[0].id}/conversations?cursor=0`)).json;
      assert.equal(research.items.length, 11);
      assert.ok(!research.items.some((i) => i.id === gone));
      assert.equal((await get(conversationPath(gone))).status, 404);
      assert.equal(acct.kind(gone), undefined);

      // add: the newest of its list.
      const added = acct.add({ kind: "project", project: "Garden" });
      const garden = (await getJson(`/backend-api/gizmos/${acct.projects[1].id}/conversations?cursor=0`)).json;
      assert.equal(garden.items[0].id, added);
      assert.equal(garden.items.length, 5);
      const addedOrdinary = acct.add();
      const main = await first();
      assert.equal(main.items[0].id, addedOrdinary);
      assert.equal(main.items.length, 30);
      assert.equal((await get(conversationPath(added))).status, 200);
      assert.equal(JSON.parse((await get(conversationPath(added))).body).gizmo_id, acct.projects[1].id);
    });
  });
});
