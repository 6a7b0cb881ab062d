// Where the whole-account backup keeps its data: the extension's IndexedDB. Conversations
// are kept byte for byte as ChatGPT sent them, files as fetched, and the core's state
// beside them, written in the same transaction, so what the state says is kept always is.
// Used by the background (the run), the offscreen document (Chromium: writing the ZIP)
// and any extension page that reads the backup.

const DB_NAME = "chatkeep-backup";
const DB_VERSION = 1;
/** Stores: `meta` (key → value: "state" is the core's state JSON, "info" the shell's),
 *  `conversations` ({id, bytes}), `files` ({id, bytes, mime}). */
const STORES = ["meta", "conversations", "files"];

/** Resolves an IDBRequest. */
function done(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** Resolves when a transaction commits. */
function committed(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = tx.onerror = () => reject(tx.error ?? new Error("the backup database refused the write"));
  });
}

let opening;
/** The database, opened once per context. */
export function openStore() {
  opening ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, DB_VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains("meta")) db.createObjectStore("meta");
      if (!db.objectStoreNames.contains("conversations")) db.createObjectStore("conversations", { keyPath: "id" });
      if (!db.objectStoreNames.contains("files")) db.createObjectStore("files", { keyPath: "id" });
    };
    req.onsuccess = () => {
      const db = req.result;
      // Another context deleting the database asks us to let go.
      db.onversionchange = () => {
        db.close();
        opening = undefined;
      };
      resolve(db);
    };
    req.onerror = () => {
      opening = undefined;
      reject(req.error);
    };
    req.onblocked = () => reject(new Error("the backup database is busy in another chatkeep page: close it and try again"));
  });
  return opening;
}

/** Reads a `meta` value (undefined when absent). */
export async function getMeta(key) {
  const db = await openStore();
  return done(db.transaction("meta").objectStore("meta").get(key));
}

/** Writes `meta` values: `{key: value}`. */
export async function putMeta(values) {
  const db = await openStore();
  const tx = db.transaction("meta", "readwrite");
  for (const [k, v] of Object.entries(values)) tx.objectStore("meta").put(v, k);
  return committed(tx);
}

/**
 * Keeps what the core said to keep (`outcome`: {keep: "conversation", id} or {keep: "file",
 * id, entry, mime}) with `bytes`, and the core's `state` when given, in one transaction.
 * (The state need not be written every time: see `unknownTo`.)
 */
export async function commit(state, outcome, bytes) {
  const db = await openStore();
  const tx = db.transaction(STORES, "readwrite");
  if (state !== null) tx.objectStore("meta").put(state, "state");
  if (outcome?.keep === "conversation") tx.objectStore("conversations").put({ id: outcome.id, bytes });
  if (outcome?.keep === "file") tx.objectStore("files").put({ id: outcome.id, bytes, entry: outcome.entry ?? null, mime: outcome.mime ?? null });
  return committed(tx);
}

/**
 * What the database keeps that a state read back from it does not know (kept after that
 * state was last written): `{conversations: [bytes], files: [{id, entry}]}`, to hand back to
 * the core (`seed`, `seedFile`). `known` is the core's Backup.
 */
export async function unknownTo(known) {
  const db = await openStore();
  const tx = db.transaction(["conversations", "files"]);
  const [conversationIds, fileIds] = await Promise.all([
    done(tx.objectStore("conversations").getAllKeys()),
    done(tx.objectStore("files").getAllKeys()),
  ]);
  const newConversations = conversationIds.filter((id) => !known.hasConversation(id));
  const newFiles = fileIds.filter((id) => !known.hasFile(id));
  const read = db.transaction(["conversations", "files"]);
  const [conversations, files] = await Promise.all([
    Promise.all(newConversations.map((id) => done(read.objectStore("conversations").get(id)))),
    Promise.all(newFiles.map((id) => done(read.objectStore("files").get(id)))),
  ]);
  return {
    conversations: conversations.filter(Boolean).map((r) => r.bytes),
    files: files.filter(Boolean).map((r) => ({ id: r.id, entry: r.entry ?? null })),
  };
}

/** Keeps items handed over by seeding (`{keep: "conversation"|"file", id, bytes}`), in one
 *  transaction. */
export async function keepMany(items) {
  const db = await openStore();
  const tx = db.transaction(["conversations", "files"], "readwrite");
  for (const item of items) {
    if (item.keep === "conversation") tx.objectStore("conversations").put({ id: item.id, bytes: item.bytes });
    if (item.keep === "file") tx.objectStore("files").put({ id: item.id, bytes: item.bytes, entry: item.entry ?? null, mime: null });
  }
  return committed(tx);
}

/** The kept bytes of these conversations (or files), in the order asked; a missing one is
 *  `undefined`. One transaction for the lot. */
export async function getMany(store, ids) {
  const db = await openStore();
  const tx = db.transaction(store);
  const s = tx.objectStore(store);
  const rows = await Promise.all(ids.map((id) => done(s.get(id))));
  return rows.map((r) => r?.bytes);
}

/** Deletes everything the backup keeps. */
export async function clearStore() {
  const db = await openStore();
  const tx = db.transaction(STORES, "readwrite");
  for (const name of STORES) tx.objectStore(name).clear();
  return committed(tx);
}
