// Where the whole-account backup keeps its data: the extension's IndexedDB. Conversations
// are kept byte for byte as ChatGPT sent them, files as fetched, and the core's state
// beside them, written in the same transaction, so what the state says is kept always is.
// Used by the background (the run), the offscreen document (Chromium: writing the ZIP)
// and any extension page that reads the backup.

const DB_NAME = "chatkeep-backup";
const DB_VERSION = 2;
/** Stores: `meta` (key → value: "state" is the core's state JSON, "stateAt" when it was
 *  written, "info" the shell's), `conversations` ({id, bytes, at}), `files` ({id, bytes,
 *  entry, mime, at}); `at` (indexed) orders every write, so what was kept after the state
 *  was last written can be found without reading the rest. */
const STORES = ["meta", "conversations", "files"];

/** A kept record: a conversation's (`{id, bytes, at}`) or a file's (with `entry` and `mime`).
 *  @typedef {{id: string, bytes: Uint8Array, entry?: string | null, mime?: string | null, at: number}} Row */
/** What the core says to keep: a conversation or a file (its ZIP entry name and type).
 *  @typedef {{keep: "conversation" | "file", id: string, entry?: string | null, mime?: string | null}} Keep */

/** Resolves an IDBRequest.
 *  @template T  @param {IDBRequest<T>} req  @returns {Promise<T>} */
function done(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** Resolves when a transaction commits.
 *  @param {IDBTransaction} tx  @returns {Promise<void>} */
function committed(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve(undefined);
    tx.onabort = tx.onerror = () => reject(tx.error ?? new Error("the backup database refused the write"));
  });
}

/** @type {Promise<IDBDatabase> | undefined} */
let opening;
/** The database, opened once per context. */
export function openStore() {
  opening ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, DB_VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains("meta")) db.createObjectStore("meta");
      for (const name of ["conversations", "files"]) {
        // An upgrade always runs in its versionchange transaction.
        const upgrade = /** @type {IDBTransaction} */ (req.transaction);
        const store = db.objectStoreNames.contains(name) ? upgrade.objectStore(name) : db.createObjectStore(name, { keyPath: "id" });
        if (!store.indexNames.contains("at")) store.createIndex("at", "at");
      }
    };
    req.onsuccess = () => {
      const db = req.result;
      // Another context deleting the database asks us to let go.
      db.onversionchange = () => {
        db.close();
        opening = undefined;
      };
      largestStamp(db).then(
        (at) => {
          lastStamp = Math.max(lastStamp, at);
          resolve(db);
        },
        reject,
      );
    };
    req.onerror = () => {
      opening = undefined;
      reject(req.error);
    };
    req.onblocked = () => reject(new Error("the backup database is busy in another chatkeep page: close it and try again"));
  });
  return opening;
}

let lastStamp = 0;
/** A number larger than every one handed out before, in this context and in any other
 *  (it starts from the largest in the database when the database is opened, so a clock set
 *  back cannot make a later write look older than the state). */
function stamp() {
  lastStamp = Math.max(Date.now(), lastStamp + 0.001);
  return lastStamp;
}

/** The largest stamp in the database (the state's, or a kept item's).
 *  @param {IDBDatabase} db  @returns {Promise<number>} */
async function largestStamp(db) {
  const tx = db.transaction(STORES);
  /** @param {string} name  @returns {Promise<number>} */
  const last = (name) =>
    new Promise((resolve, reject) => {
      const req = tx.objectStore(name).index("at").openKeyCursor(null, "prev");
      req.onsuccess = () => resolve(Number(req.result?.key ?? 0));
      req.onerror = () => reject(req.error);
    });
  const [stateAt, c, f] = await Promise.all([done(tx.objectStore("meta").get("stateAt")), last("conversations"), last("files")]);
  return Math.max(Number(stateAt) || 0, c, f);
}

/** Reads a `meta` value (undefined when absent).
 *  @param {string} key  @returns {Promise<any>} */
export async function getMeta(key) {
  const db = await openStore();
  return done(db.transaction("meta").objectStore("meta").get(key));
}

/** Writes `meta` values: `{key: value}`.
 *  @param {Record<string, unknown>} values */
export async function putMeta(values) {
  const db = await openStore();
  const tx = db.transaction("meta", "readwrite");
  for (const [k, v] of Object.entries(values)) tx.objectStore("meta").put(v, k);
  return committed(tx);
}

/**
 * Keeps what the core said to keep (`outcome`: {keep: "conversation", id} or {keep: "file",
 * id, entry, mime}) with `bytes`, and the core's `state` when given, in one transaction.
 * (The state need not be written every time: see `keptSinceState`.)
 * @param {string | null} state  @param {Keep | null | undefined} outcome  @param {Uint8Array} [bytes]
 */
export async function commit(state, outcome, bytes) {
  const db = await openStore();
  const tx = db.transaction(STORES, "readwrite");
  const at = stamp();
  if (state !== null) {
    tx.objectStore("meta").put(state, "state");
    tx.objectStore("meta").put(at, "stateAt");
  }
  if (outcome?.keep === "conversation") tx.objectStore("conversations").put({ id: outcome.id, bytes, at });
  if (outcome?.keep === "file") tx.objectStore("files").put({ id: outcome.id, bytes, entry: outcome.entry ?? null, mime: outcome.mime ?? null, at });
  return committed(tx);
}

/** Writes the core's state (with its time, see `keptSinceState`) and, optionally, `info`.
 *  @param {string} state  @param {unknown} [info] */
export async function putState(state, info) {
  /** @type {Record<string, unknown>} */
  const values = { state, stateAt: stamp() };
  if (info !== undefined) values.info = info;
  return putMeta(values);
}

/**
 * What was kept after the state was last written (new conversations and files, and newer
 * copies of kept ones), to hand back to the core when the state is read again: calls
 * `conversation(bytes)` for each such conversation, one at a time (there may be thousands
 * after an interrupted seed: they are never all in memory), then `file({id, entry})` for
 * each file. The callbacks must be synchronous (the read is one transaction).
 * @param {(bytes: Uint8Array) => void} conversation
 * @param {(file: {id: string, entry: string | null}) => void} file
 */
export async function keptSinceState(conversation, file) {
  const db = await openStore();
  const stateAt = (await done(db.transaction("meta").objectStore("meta").get("stateAt"))) ?? 0;
  const tx = db.transaction(["conversations", "files"]);
  const after = IDBKeyRange.lowerBound(stateAt, true);
  /** @param {string} name  @param {(row: Row) => void} fn  @returns {Promise<void>} */
  const each = (name, fn) =>
    new Promise((resolve, reject) => {
      const req = tx.objectStore(name).index("at").openCursor(after);
      req.onsuccess = () => {
        const cursor = req.result;
        if (!cursor) return resolve(undefined);
        fn(cursor.value);
        cursor.continue();
      };
      req.onerror = () => reject(req.error);
    });
  // Both read at once (the transaction must not wait on the first); the files, small
  // records once their bytes are dropped, are handed back after the conversations.
  /** @type {{id: string, entry: string | null}[]} */
  const files = [];
  await Promise.all([each("conversations", (r) => conversation(r.bytes)), each("files", (r) => files.push({ id: r.id, entry: r.entry ?? null }))]);
  for (const f of files) file(f);
}

/** Keeps items handed over by seeding (`{keep: "conversation"|"file", id, bytes}`), in one
 *  transaction.
 *  @param {(Keep & {bytes: Uint8Array})[]} items */
export async function keepMany(items) {
  const db = await openStore();
  const tx = db.transaction(["conversations", "files"], "readwrite");
  for (const item of items) {
    const at = stamp();
    if (item.keep === "conversation") tx.objectStore("conversations").put({ id: item.id, bytes: item.bytes, at });
    if (item.keep === "file") tx.objectStore("files").put({ id: item.id, bytes: item.bytes, entry: item.entry ?? null, mime: null, at });
  }
  return committed(tx);
}

/** The kept records of these conversations (or files: `{id, bytes, entry, mime, at}`), in
 *  the order asked; a missing one is `undefined`. One transaction for the lot.
 *  @param {"conversations" | "files"} store  @param {string[]} ids
 *  @returns {Promise<(Row | undefined)[]>} */
export async function getRows(store, ids) {
  const db = await openStore();
  const s = db.transaction(store).objectStore(store);
  return Promise.all(ids.map((id) => done(s.get(id))));
}

/** The kept bytes of these conversations (or files), as `getRows`.
 *  @param {"conversations" | "files"} store  @param {string[]} ids */
export async function getMany(store, ids) {
  return (await getRows(store, ids)).map((r) => r?.bytes);
}

/** Deletes everything the backup keeps. */
export async function clearStore() {
  const db = await openStore();
  const tx = db.transaction(STORES, "readwrite");
  for (const name of STORES) tx.objectStore(name).clear();
  return committed(tx);
}
