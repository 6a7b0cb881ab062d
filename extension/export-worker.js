// The export page's worker: reads ChatGPT's "Export data" file (the ZIP, or its
// conversations.json) with the wasm core, never holding the whole file. Listing reads a
// ZIP with the core's own reader (synchronously); saving reads it asynchronously, so that
// the ZIP written can keep pace: the browser inflates the conversations
// (DecompressionStream) and the core splits, checks (size, CRC-32) and converts them (the
// core's reader is the fallback there: old exports whose conversations are in chat.html).
//
// Two roles, one script (export.js starts one worker per role):
//   - the index worker lives as long as the file is open: it reads every conversation once
//     (summaries for the list, search text kept in the core while it fits a budget, and
//     where to find each conversation again), then answers searches and converts single
//     conversations;
//   - a job worker runs one long job (saving several conversations, or a search that has to
//     re-read the file) and is terminated to cancel it.
//
// Messages in: {type: "open", file}, {type: "backup-file", id} (the local backup as a
// File), {type: "search", id, query}, {type: "convert", id,
// index, options}, {type: "findings", id, indexes, options} (what redaction finds in those
// conversations), {type: "save", file, indexes|null, options, title, summaries, target}
// (target: a FileSystemFileHandle the user chose, or null for a ZIP of the private file
// system), {type: "scan", file, query}. Messages out: {type: "progress", ...}, {type: "rows", rows}, {type: "opened", ...},
// {type: "result", id, ...}, {type: "failed", id?, error: {kind, message}}.

import init, { AesEntry, Backup, convertExportConversation, exportConversationIndex, indexFiles, isZip, JsonStream, mergeOptions, NameSet, redactionFindings, Search, ZipStream } from "./pkg/chatkeep_export.js";
import { getMeta } from "./backup-store.js";
import { scratchZip, writeBackupZip } from "./backup-zip.js";
import { compressHere, StreamSink, ZipWriter } from "./zip-writer.js";
import { DeflatePool } from "./deflate-pool.js";
import { readBytes, zipReader } from "./file-read.js";
import { errorOf } from "./messages.js";

/** @typedef {import("./export-state.js").FailedConversation} FailedConversation */
/** @typedef {import("./export-state.js").ErrorInfo} ErrorInfo */
/** @typedef {import("./pkg/chatkeep_export.js").ZipFeed} ZipFeed */

/**
 * How far a read of the file is (bytesTotal: what the progress counts against; fileBytes:
 * bytes read from the ZIP on disk, where known).
 * @typedef {{bytesRead: number, bytesTotal: number, conversations: number, fileBytes?: number}} ReadProgress
 */

/**
 * A conversation's list entry from the core's index: its summary (with its place in a bare
 * conversations.json), or why it could not be read.
 * @typedef {object} IndexEntry
 * @property {Record<string, any>} [summary]
 * @property {any} [error] the core's error (kind, message, the title when it could be read)
 * @property {number} [offset]
 * @property {number} [length]
 */

/**
 * A conversation converted for saving (file contents as bytes), why it failed, or neither
 * (one left out); `index` is its position in the file.
 * @typedef {object} ConvertedItem
 * @property {number} index
 * @property {{title: string, files: {fileName: string, bytes: Uint8Array}[], assets: {path: string, bytes: Uint8Array}[]}} [converted]
 * @property {any} [error]
 */

/**
 * Called for each item read; false stops the read.
 * @template T
 * @typedef {(item: T, progress: ReadProgress) => unknown} Each
 */

const ready = init();

/** Search text is kept in the core (once, lowercased, with what its case needs) while its
 *  total stays under this many bytes; past it, searches re-read the file (slower, but
 *  memory stays bounded: the core reserves the budget up front and frees it when it is
 *  passed). 64 MB holds the text of about 190 MB of conversations.json. */
const TEXT_BUDGET = 64 * 1024 * 1024;
/** Conversations of a ZIP are kept as their JSON's bytes (for instant preview) under this
 *  budget. JSON crosses the wasm boundary as bytes, never decoded in JavaScript. */
const JSON_BUDGET = 128 * 1024 * 1024;
/** How much of a bare conversations.json is read at a time. */
const JSON_CHUNK = 4 * 1024 * 1024;
/** Inflated bytes are gathered into pieces of this size before crossing into the core. */
const INFLATED_PIECE = 1024 * 1024;

/**
 * Reads a bare conversations.json in chunks and calls `each(item, progress)` for every
 * conversation, in order, until it returns false. `push(stream, bytes)` feeds a JsonStream
 * and returns the items of the conversations completed (their JSON with `push`, their list
 * entries with `pushIndex`, their files with `pushConvert`: see the wasm docs).
 * @param {File} file
 * @param {(stream: JsonStream, bytes: Uint8Array) => any[]} push
 * @param {Each<any>} each
 */
async function streamJsonFile(file, push, each) {
  const stream = new JsonStream();
  let count = 0;
  let at = 0;
  for await (const bytes of fileChunks(file)) {
    at += bytes.length;
    for (const item of push(stream, bytes)) {
      count++;
      const progress = { bytesRead: at, bytesTotal: file.size, conversations: count };
      if ((await each(item, progress)) === false) return;
    }
    if (stream.done) return;
  }
  stream.finish();
}

/**
 * The bytes of `file`, in order, in pieces of up to JSON_CHUNK, each valid until the next
 * is asked for. Read into one buffer, reused, where the browser's file stream allows it
 * (a BYOB reader): a fresh buffer per piece is garbage the worker's heap collects late,
 * which grew the browser by hundreds of megabytes over a 1 GB file.
 * @param {File} file
 * @returns {AsyncGenerator<Uint8Array>}
 */
async function* fileChunks(file) {
  let reader = null;
  try {
    reader = file.stream().getReader({ mode: "byob" });
  } catch {
    // Not a byte stream here: a fresh buffer per piece.
  }
  if (!reader) {
    for (let at = 0; at < file.size; at += JSON_CHUNK) yield readBytes(file, at, JSON_CHUNK);
    return;
  }
  try {
    let buffer = new ArrayBuffer(JSON_CHUNK);
    for (;;) {
      const { done, value } = await reader.read(new Uint8Array(buffer, 0, JSON_CHUNK));
      if (done) return;
      yield value;
      buffer = value.buffer;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

/**
 * Reads the conversation entries of a ZIP's `feed` (a ZipFeed): each entry's data from
 * `file`, inflated by the browser, handed to `push(feed, bytes)` in pieces of about a
 * megabyte; `push` returns the items completed (see ZipFeed.pushConvert), and
 * `each(item, progress)` is awaited for each, until it returns false. Each entry's size
 * and checksum are checked by the core at its end.
 * @param {File} file
 * @param {ZipFeed} feed
 * @param {number} total
 * @param {(feed: ZipFeed, bytes: Uint8Array) => any[]} push
 * @param {Each<any>} each
 */
async function streamZipFeed(file, feed, total, push, each) {
  let read = 0;
  let count = 0;
  // One buffer, reused: the core copies what it is given.
  const piece = new Uint8Array(INFLATED_PIECE);
  let filled = 0;
  const deliver = async () => {
    read += filled;
    const items = push(feed, piece.subarray(0, filled));
    filled = 0;
    for (const item of items) {
      count++;
      if ((await each(item, { bytesRead: read, bytesTotal: total, conversations: count, fileBytes: 0 })) === false) return false;
    }
    return true;
  };
  for (const entry of feed.entries) {
    let stream = file.slice(entry.start, entry.start + entry.compressedSize).stream();
    if (entry.deflated) stream = stream.pipeThrough(new DecompressionStream("deflate-raw"));
    const reader = stream.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        let at = 0;
        while (at < value.length) {
          const n = Math.min(value.length - at, INFLATED_PIECE - filled);
          piece.set(value.subarray(at, at + n), filled);
          filled += n;
          at += n;
          if (filled === INFLATED_PIECE && !(await deliver())) return;
        }
      }
    } catch (caught) {
      const e = errorOf(caught);
      if (e?.kind) throw e; // the core's, or the page's
      // The browser could not inflate the data: the ZIP is damaged.
      throw Object.assign(new Error(`The ZIP file is damaged or incomplete (${entry.name} could not be inflated after ${count} conversation(s): ${e?.message ?? e}). Download the export again.`), { kind: "zip" });
    } finally {
      reader.cancel().catch(() => {});
    }
    if (filled && !(await deliver())) return;
    feed.endEntry();
  }
}

/** An opened export: a ZIP (two ZipStreams: one streams, one fetches images) or a bare
 *  conversations.json. */
class Source {
  /** @param {File} file */
  constructor(file) {
    this.file = file;
    this.zip = isZip(readBytes(file, 0, 4));
    this.stats = { bytes: 0 };
    /** @type {ZipStream | undefined} the ZIP's reader (none for a bare conversations.json) */
    this.stream = undefined;
    /** @type {ZipStream | undefined} */
    this.fetcher = undefined;
    if (this.zip) {
      this.stream = new ZipStream(file.size, zipReader(file, this.stats));
      this.fetcher = new ZipStream(file.size, zipReader(file, { bytes: 0 }));
    }
  }

  /** A ZipFeed over the conversation entries, for the browser to inflate them (null when
   *  the core must read them itself). A new feed for each read. */
  feed() {
    if (!this.stream || typeof DecompressionStream !== "function") return null;
    return this.stream.jsonFeed() ?? null;
  }

  /** Total bytes the progress counts against. */
  get total() {
    return this.stream ? this.stream.jsonBytes : this.file.size;
  }

  /**
   * Calls `each(json, progress)` for every conversation (synchronously, by the core).
   * @param {Each<Uint8Array>} each
   */
  forEach(each) {
    if (this.stream) {
      this.stream.forEachJson((/** @type {Uint8Array} */ json, /** @type {ReadProgress} */ progress) => {
        progress.fileBytes = this.stats.bytes;
        return each(json, progress);
      });
    } else {
      streamJsonFile(this.file, (stream, bytes) => stream.push(bytes), each);
    }
  }

  /** Calls `each({summary} | {error}, json | null, progress)` for every conversation, its
   *  text going to `search` (a Search): a ZIP's conversations come with their JSON; those
   *  of a bare conversations.json with `offset` and `length` instead (their JSON stays in
   *  the core).
   * @param {Search} search
   * @param {(entry: IndexEntry, json: Uint8Array | null, progress: ReadProgress) => unknown} each
   */
  async forEachIndexed(search, each) {
    if (this.zip) {
      let index = 0;
      /** @type {Each<Uint8Array>} */
      const indexed = (json, progress) => {
        /** @type {IndexEntry} */
        let entry;
        try {
          entry = exportConversationIndex(json, index, search);
        } catch (error) {
          entry = { error };
        }
        index++;
        return each(entry, json, progress);
      };
      // Listing reads with the core's own inflater: DecompressionStream feeding the core
      // the inflated bytes was slower in Chromium (inflate + split of the real export:
      // 2.2 s against 1.6 s; of 100 MB: 3.2 s against 2.4 s; medians of 5, #17).
      this.forEach(indexed);
    } else {
      await streamJsonFile(this.file, (stream, bytes) => stream.pushIndex(bytes, search), (/** @type {IndexEntry} */ entry, progress) => each(entry, null, progress));
    }
  }

  /** Converts the conversations at `wanted` (sorted positions, a Uint32Array; all when
   *  null) for saving, their files named uniquely among `names`, and calls `each(item,
   *  progress)` for every conversation until it returns false: `item` is `{index,
   *  converted}` (file contents as bytes), `{index, error}` (the error has the `title` when
   *  it could be read), or `{index}` for one left out. The conversations' JSON stays in
   *  the core.
   * @param {any} options the core's options
   * @param {NameSet} names
   * @param {Uint32Array | null} wanted
   * @param {Each<ConvertedItem>} each
   */
  async forEachConverted(options, names, wanted, each) {
    const feed = this.feed();
    if (feed) {
      try {
        // A feed exists only for a ZIP, which has a stream.
        const stream = /** @type {ZipStream} */ (this.stream);
        await streamZipFeed(this.file, feed, this.total, (f, bytes) => f.pushConvert(bytes, stream, options, names, wanted), each);
      } finally {
        feed.free();
      }
    } else if (this.stream) {
      // The core reads the ZIP synchronously: its items are kept until it is done (only
      // for exports the browser cannot inflate itself, such as the old chat.html ones).
      /** @type {[ConvertedItem, ReadProgress][]} */
      const items = [];
      let chosen = 0;
      this.stream.forEachConverted(options, names, wanted, (/** @type {ConvertedItem} */ item, /** @type {ReadProgress} */ progress) => {
        items.push([item, { ...progress, fileBytes: this.stats.bytes }]);
        if (item.converted || item.error) chosen++;
        return !(wanted && chosen >= wanted.length);
      });
      for (const [item, progress] of items) if ((await each(item, progress)) === false) return;
    } else {
      await streamJsonFile(this.file, (stream, bytes) => stream.pushConvert(bytes, options, names, wanted), each);
    }
  }

  /** Converts one conversation's JSON (with the export's images, for a ZIP), to show it or
   *  save it alone.
   * @param {Uint8Array} json
   * @param {any} options the core's options
   */
  convert(json, options) {
    const names = new NameSet();
    try {
      return this.fetcher ? this.fetcher.convert(json, options, names) : convertExportConversation(json, options, names);
    } finally {
      names.free();
    }
  }
}

/** The core's options from the page's (the stored settings): keys of another version,
 *  which the core would refuse, are dropped by the core's merge.
 * @param {Record<string, any> | undefined} options */
function coreOptions(options) {
  return mergeOptions(options ?? null, null);
}

/**
 * @param {any} e an Error, the core's error or anything thrown
 * @returns {ErrorInfo}
 */
function errorInfo(e) {
  return { kind: e?.kind ?? "internal", message: String(e?.message ?? e) };
}

/** A conversation that could not be read, as the list and the saved index name it: by its
 *  title when the core could read that, else by its position.
 * @param {number} index
 * @param {any} error
 * @returns {FailedConversation} */
function failedConversation(index, error) {
  return { index, title: error.title ?? `Conversation ${index + 1}`, ...errorInfo(error) };
}

/**
 * Posts progress at most every 100 ms (and always when `force`).
 * @param {string} phase
 * @returns {(p: Record<string, any>, force?: boolean) => void}
 */
function progressPoster(phase) {
  let last = 0;
  return (p, force = false) => {
    const now = performance.now();
    if (!force && now - last < 100) return;
    last = now;
    postMessage({ type: "progress", phase, ...p });
  };
}

// ---------------------------------------------------------------------------------------
// The index worker
// ---------------------------------------------------------------------------------------

/** @type {Source | null} */
let source = null;
/** The search texts (in the core), while they fit TEXT_BUDGET. @type {Search | null} */
let search = null;
/** Per conversation (by position in the file): its JSON's bytes (ZIP) or place (JSON). */
/** @type {Uint8Array[]} */
let jsons = [];
/** @type {{offset: number, length: number}[]} */
let places = [];

/**
 * The export this worker opened.
 * @returns {Source}
 */
function openSource() {
  if (!source) throw Object.assign(new Error("chatkeep's reader has no file open. Open the file again."), { kind: "internal" });
  return source;
}

/**
 * Reads the whole file once: posts the list's rows as they come, then "opened".
 * @param {File} file
 */
async function open(file) {
  await ready;
  const started = performance.now();
  source = new Source(file);
  const total = source.total;
  const post = progressPoster("open");
  post({ conversations: 0, bytesRead: 0, bytesTotal: total, fileSize: file.size }, true);
  /** @type {Record<string, any>[]} */
  let rows = [];
  let lastRows = performance.now();
  /** @type {FailedConversation[]} */
  const errors = [];
  search?.free();
  // Given the file's size, the core keeps nothing when the text cannot fit the budget,
  // rather than reserving it first (a wasm memory keeps its peak).
  search = new Search(TEXT_BUDGET, total);
  let jsonBytes = 0;
  let jsonComplete = true;
  let index = 0;
  await source.forEachIndexed(search, (entry, json, progress) => {
    const i = index++;
    if (entry.length !== undefined && entry.offset !== undefined) places[i] = { offset: entry.offset, length: entry.length };
    if (json !== null && jsonComplete) {
      if (jsonBytes + json.length <= JSON_BUDGET) {
        jsons[i] = json;
        jsonBytes += json.length;
      } else {
        jsonComplete = false;
      }
    }
    if (entry.error) {
      errors.push(failedConversation(i, entry.error));
    } else {
      rows.push({ index: i, ...entry.summary });
    }
    const now = performance.now();
    if (now - lastRows > 250) {
      postMessage({ type: "rows", rows });
      rows = [];
      lastRows = now;
    }
    post({ conversations: index, bytesRead: progress.bytesRead, bytesTotal: progress.bytesTotal ?? total, fileSize: file.size });
  });
  postMessage({ type: "rows", rows });
  postMessage({
    type: "opened",
    kind: source.zip ? "zip" : "json",
    accountTerms: accountTerms(),
    count: index,
    errors,
    searchInMemory: search.complete,
    textBytes: search.bytes,
    jsonBytes,
    // The wasm heap's size (it never shrinks): what the benchmark reports beside the RSS.
    wasmBytes: (await ready).memory.buffer.byteLength,
    seconds: (performance.now() - started) / 1000,
  });
}

/** The account's own name and e-mail from the export's user.json, to offer as redaction
 *  terms (none for a bare conversations.json, or when user.json is missing or damaged). */
function accountTerms() {
  try {
    return source?.fetcher ? source.fetcher.accountTerms() : [];
  } catch {
    return [];
  }
}

/** A conversation's JSON, by position: from memory, from its place in the file, or by
 *  reading the file again up to it.
 * @param {number} index
 * @returns {Uint8Array} */
function jsonAt(index) {
  if (jsons[index] !== undefined) return jsons[index];
  const src = openSource();
  const place = places[index];
  if (place) {
    const bytes = readBytes(src.file, place.offset, place.length);
    if (bytes[0] === 0x7b && bytes[bytes.length - 1] === 0x7d) return bytes; // { … }
  }
  /** @type {Uint8Array | null} */
  let found = null;
  let i = 0;
  const post = progressPoster("find");
  const fresh = src.zip ? new Source(src.file) : src;
  fresh.forEach((json, progress) => {
    post({ conversations: i, bytesRead: progress.bytesRead, bytesTotal: progress.bytesTotal ?? fresh.total });
    if (i++ === index) {
      found = json;
      return false;
    }
    return true;
  });
  if (found === null) throw Object.assign(new Error("This conversation is no longer in the file. Open the file again."), { kind: "not_found" });
  return found;
}

/** How many conversations each merged finding names (the count of all is kept apart). */
const WHERE_NAMED = 3;

/**
 * What redaction finds (the core's `redactionFindings`) in the conversations at `indexes`
 * (positions in the file), merged across them: one entry a kind and value, its count over
 * all of them, `where` (the positions of the first conversations it is in) and `in` (how
 * many it is in), in order of first appearance. `options.redact.allow` should be empty to
 * see every value. Conversations that cannot be read are left out (the list names them).
 * @param {number[]} indexes
 * @param {object} options the core's options
 * @returns {import("./export-findings.js").Merged[]}
 */
function findingsIn(indexes, options) {
  /** @type {Map<string, import("./export-findings.js").Merged>} */
  const merged = new Map();
  const decoder = new TextDecoder();
  const post = progressPoster("findings");
  let done = 0;
  for (const index of indexes) {
    let found = [];
    try {
      const json = jsonAt(index);
      found = redactionFindings(typeof json === "string" ? json : decoder.decode(json), options);
    } catch {
      // Listed among the errors when the file was opened; saving says so again.
    }
    for (const f of found) {
      const key = `${f.kind}\u0000${f.value}`;
      const m = merged.get(key);
      if (!m) {
        merged.set(key, { kind: f.kind, value: f.value, count: f.count, where: [index], in: 1 });
      } else {
        m.count += f.count;
        m.in += 1;
        if (m.where.length < WHERE_NAMED) m.where.push(index);
      }
    }
    post({ done: ++done, goal: indexes.length });
  }
  return [...merged.values()];
}

/** `{indexes, snippets}` of the conversations that match `query` (both null when it has
 *  nothing to look for), from the texts kept in the core.
 * @param {string} query */
function find(query) {
  return search?.find(query) ?? { indexes: null, snippets: null };
}

// ---------------------------------------------------------------------------------------
// Jobs (in a worker of their own, terminated to cancel)
// ---------------------------------------------------------------------------------------

/**
 * Reads the whole file again and searches every conversation's text as it comes.
 * @param {File} file
 * @param {string} query
 */
async function scan(file, query) {
  await ready;
  const src = new Source(file);
  const scanning = Search.scanning(query);
  const post = progressPoster("search");
  let i = 0;
  try {
    // A conversation that cannot be read is listed among the errors already.
    await src.forEachIndexed(scanning, (_entry, _json, progress) => {
      i++;
      post({ conversations: i, matches: scanning.found, bytesRead: progress.bytesRead, bytesTotal: progress.bytesTotal ?? src.total });
    });
    return scanning.hits() ?? { indexes: null, snippets: null };
  } finally {
    scanning.free();
  }
}

/**
 * The ZIP a save writes, and `finish()`, which resolves with what to download (null when
 * it went straight into the file the user chose): into `target` (a FileSystemFileHandle,
 * from showSaveFilePicker) when given, else into the private file system (read back as a
 * File on disk), else in memory. Memory stays flat but for the last. `compress`: the
 * writer's compression stage; `encryption`: {password, AesEntry} to encrypt every entry.
 * @param {FileSystemFileHandle | null} target
 * @param {(bytes: Uint8Array) => Promise<{crc: number, data: Uint8Array, deflated: boolean}>} compress
 * @param {{password: string, AesEntry: typeof AesEntry} | undefined} encryption
 * @returns {Promise<{zip: ZipWriter, finish: () => Promise<Blob | null>}>}
 */
async function saveZip(target, compress, encryption) {
  if (target) {
    const zip = new ZipWriter({ sink: new StreamSink(await target.createWritable()), compress, encryption });
    return { zip, finish: async () => (await zip.finish(), null) };
  }
  return scratchZip("save", 6, encryption, compress);
}

/**
 * Reads the file again and writes the chosen conversations (`indexes`, positions in the
 * file; null for all) into a ZIP: their files, the Markdown's images under assets/, and
 * index.md + index.html. Conversations that fail are listed, the others saved.
 * @param {File} file
 * @param {number[] | null} indexes
 * @param {any} options the core's options
 * @param {string} title the index's title
 * @param {Record<number, {create_time?: number | null, messages?: number}> | undefined} summaries
 *   what the list knows of each conversation, for the index
 * @param {string | undefined} password
 * @param {FileSystemFileHandle | null} target
 */
async function save(file, indexes, options, title, summaries, password, target) {
  await ready;
  const src = new Source(file);
  const wanted = indexes ? Uint32Array.from(new Set(indexes)).sort() : null;
  const goal = wanted ? wanted.length : null;
  // Encrypted when a password came with the job (it lives as long as this worker).
  const encryption = password === undefined ? undefined : { password, AesEntry };
  // Conversion here, deflate in other workers where there are cores for them.
  const pool = DeflatePool.forThisMachine();
  const { zip, finish } = await saveZip(target, pool?.compress ?? compressHere, encryption);
  // Unique names as the CLI gives them ("Title (2).md").
  const names = new NameSet();
  /** @type {{title: string, files: string[], create_time?: number | null, messages?: number}[]} */
  const saved = [];
  /** @type {FailedConversation[]} */
  const errors = [];
  const post = progressPoster("save");
  let done = 0;
  await src.forEachConverted(options, names, wanted, async (item, progress) => {
    const { index, converted: c, error } = item;
    if (c) {
      done++;
      for (const f of c.files) await zip.add(f.fileName, f.bytes);
      for (const a of c.assets) if (!zip.has(a.path)) await zip.add(a.path, a.bytes);
      const summary = summaries?.[index] ?? {};
      saved.push({ title: c.title, files: c.files.map((f) => f.fileName), create_time: summary.create_time, messages: summary.messages });
    } else if (error) {
      done++;
      errors.push(failedConversation(index, error));
    }
    post({
      conversations: done,
      goal,
      bytesRead: progress.bytesRead,
      bytesTotal: progress.bytesTotal ?? src.total,
      zipBytes: zip.size,
    });
    return !(goal !== null && done >= goal);
  });
  saved.sort((a, b) => (b.create_time ?? 0) - (a.create_time ?? 0));
  const index = indexFiles(title, saved, errors, options.utc_offset_minutes ?? 0);
  await zip.addFree("index.md", index.md);
  await zip.addFree("index.html", index.html);
  names.free();
  const blob = await finish();
  pool?.close();
  return { blob, bytes: zip.size, saved: saved.length, errors, entries: zip.count };
}

// ---------------------------------------------------------------------------------------

self.onmessage = async ({ data: msg }) => {
  try {
    await ready;
    switch (msg.type) {
      case "open":
        await open(msg.file);
        break;
      case "backup-file": {
        // The whole-account backup kept in this browser, as the ZIP it downloads (stored,
        // not deflated: it is only read), so it opens like any export.
        const state = await getMeta("state");
        if (!state) throw Object.assign(new Error("There is no backup in this browser yet. Back up your account first (chatkeep's menu → Back up everything…)."), { kind: "empty" });
        // Written to disk (the private file system) where the browser allows, so a big
        // backup does not sit in memory; without the readable copies, which the page makes.
        const layout = { ...Backup.fromJson(state).layout(Date.now(), undefined, undefined), readable: null };
        const { zip, finish } = await scratchZip("open", 0);
        await writeBackupZip(zip, layout);
        // A ZIP of the private file system, or one in memory: a File or a Blob, never null.
        const blob = /** @type {Blob} */ (await finish());
        postMessage({ type: "result", id: msg.id, file: new File([blob], "Your chatkeep backup.zip", { type: "application/zip" }) });
        break;
      }
      case "search":
        postMessage({ type: "result", id: msg.id, ...find(msg.query) });
        break;
      case "convert": {
        await ready;
        const json = jsonAt(msg.index);
        const c = openSource().convert(json, coreOptions(msg.options));
        postMessage({ type: "result", id: msg.id, converted: c });
        break;
      }
      case "findings":
        postMessage({ type: "result", id: msg.id, findings: findingsIn(msg.indexes, coreOptions(msg.options)) });
        break;
      case "scan":
        postMessage({ type: "result", id: msg.id, ...(await scan(msg.file, msg.query)) });
        break;
      case "save":
        postMessage({ type: "result", id: msg.id, ...(await save(msg.file, msg.indexes, coreOptions(msg.options), msg.title, msg.summaries, msg.password, msg.target ?? null)) });
        break;
      default:
        throw new Error(`unknown message ${msg.type}`);
    }
  } catch (e) {
    postMessage({ type: "failed", id: msg.id ?? null, op: msg.type, error: errorInfo(e) });
  }
};
