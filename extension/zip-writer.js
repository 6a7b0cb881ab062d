// A small streaming ZIP writer: text entries are DEFLATEd by the browser
// (CompressionStream("deflate-raw"), native in Chromium, Firefox and Node), files that are
// compressed already (images, archives, media) are STORED; ZIP64 records are written when
// an offset, a size or the number of entries needs them.
// Where the bytes go is the sink's business:
//   - BlobSink (the default) builds the archive as a list of Blobs (flushed every few
//     megabytes, so the browser can keep them out of the JavaScript heap), never as one
//     giant buffer; finish() returns the Blob;
//   - FileSink writes to a file of the origin private file system through a synchronous
//     access handle (dedicated workers only), so memory stays flat whatever the size;
//     finish() returns nothing and the file is read back with getFile();
//   - StreamSink writes to a FileSystemWritableFileStream (a file the user chose with
//     showSaveFilePicker), so memory stays flat and nothing is written twice.
//
// Compression is asynchronous, so adding is too. `await zip.add(…)` queues the entry: its
// compression starts at once (in this thread, or in other workers with a DeflatePool:
// deflate-pool.js), and entries reach the sink in the order they were added; the call
// resolves at once while less than `queueBytes` wait, else when the oldest are written, so
// memory stays bounded and the next entry can be prepared while others compress.
//
//   const zip = new ZipWriter();
//   await zip.add("notes/a.md", "# Hello");          // a string is written as UTF-8
//   await zip.add("assets/x.png", uint8Array);
//   const entry = await zip.open("big.json");        // an entry written piece by piece
//   await entry.write(piece); await entry.write(piece2); await entry.close();
//   const blob = await zip.finish();                 // application/zip
//
// Each entry's bytes go through stages: compression (deflate or none), encryption (when
// asked), then the sink. Names are stored as UTF-8 (general purpose flag bit 11). Works in
// pages and workers.
//
// Encrypted ZIPs: `new ZipWriter({encryption: {password, AesEntry}})` (AesEntry: the wasm
// core's class) encrypts every entry with AES-256, WinZip AE-2, which 7-Zip, WinRAR, Keka
// and most archive tools open: each entry is compressed as usual, then its bytes go through
// an AesEntry of its own (a fresh random salt, keys derived from the password), framed as
// method 99 with the 0x9901 extra field naming the real method, and CRC 0 (AE-2 relies on
// the entry's authentication code instead). The cipher is the core's; only the framing is here.

const encoder = new TextEncoder();

/**
 * Where the archive goes (BlobSink, FileSink, StreamSink): `write` appends, `reserve` keeps
 * room for a header known later and `fill` writes it there, `finish` ends the archive.
 * @typedef {{
 *   write(bytes: Uint8Array): void | Promise<void>,
 *   reserve(length: number): Mark,
 *   fill(mark: Mark, bytes: Uint8Array): void | Promise<void>,
 *   finish(type: string): Blob | null | Promise<Blob | null>,
 * }} Sink
 */
/** A FileSystemSyncAccessHandle (dedicated workers only: the DOM's types lack it), as far
 *  as FileSink uses it.
 *  @typedef {{write(bytes: Uint8Array, options: {at: number}): number, truncate(size: number): void,
 *    flush(): void, close(): void}} SyncAccessHandle */
/** Room kept by a sink's reserve(): a BlobSink's slot, or a position in the file.
 *  @typedef {{length: number, slot: number} | {length: number, at: number}} Mark */
/** The output of the compression stage: `data` deflated when `deflated`, else the bytes.
 *  @typedef {{crc: number, data: Uint8Array, deflated: boolean}} Packed */
/** An entry as written, for the central directory.
 *  @typedef {{nameBytes: Uint8Array, crc: number, size: number, csize: number, method: number,
 *    offset: number, time: number, day: number, aes: number | null}} Entry */

// Formats that are compressed already: deflating them again costs time and gains nothing.
const PACKED = /\.(png|jpe?g|gif|webp|avif|heic|zip|gz|bz2|xz|7z|mp3|m4a|aac|ogg|opus|mp4|m4v|mov|webm|pdf|docx|xlsx|pptx|woff2?)$/i;

/** Entries smaller than this are stored: deflating them gains a few bytes at most. */
const DEFLATE_MIN = 64;

// The compression stage: raw DEFLATE (ZIP's method 8) by the browser's CompressionStream.

/** `bytes` deflated whole. (Writing into the stream and reading it back costs about a
 *  fifth of going through a Blob and a Response for each entry, which adds up over
 *  thousands of small files.) */
/** @param {Uint8Array} bytes  @returns {Promise<Uint8Array>} */
export async function deflateWhole(bytes) {
  const cs = new CompressionStream("deflate-raw");
  const writer = cs.writable.getWriter();
  writer.write(/** @type {Uint8Array<ArrayBuffer>} */ (bytes)).catch(() => {});
  writer.close().catch(() => {});
  const reader = cs.readable.getReader();
  const parts = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    length += value.length;
  }
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * A deflate stream whose output goes to `out(bytes)` (awaited, one piece at a time):
 * `write(bytes)` resolves when the stream can take more (so the output never piles up in
 * memory), `close()` when everything has gone to `out`.
 * @param {(bytes: Uint8Array) => Promise<void>} out
 */
function deflateStream(out) {
  const cs = new CompressionStream("deflate-raw");
  const writer = cs.writable.getWriter();
  const reader = cs.readable.getReader();
  /** @type {any} */
  let failure = null;
  const pump = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      await out(value);
    }
  })().catch((e) => {
    // The sink failed: stop the stream, so that a write waiting for room fails too.
    failure = e;
    reader.cancel(e).catch(() => {});
    throw e;
  });
  pump.catch(() => {}); // reported by write() or close()
  return {
    /** @param {Uint8Array} bytes */
    async write(bytes) {
      if (failure) throw failure;
      await writer.ready.catch(() => pump);
      writer.write(/** @type {Uint8Array<ArrayBuffer>} */ (bytes)).catch(() => {}); // a failure shows in ready or close
    },
    async close() {
      if (failure) throw failure;
      await writer.close().catch(() => pump);
      await pump;
    },
  };
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** The CRC-32 (ISO-HDLC, as ZIP uses) of `bytes`, continuing from `crc` (0 to start).
 *  @param {Uint8Array} bytes  @param {number} [crc] */
export function crc32(bytes, crc = 0) {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

const U32_MAX = 0xffffffff;
const U16_MAX = 0xffff;

/** Date and time in MS-DOS format (local time, two-second resolution, 1980–2107).
 *  @param {Date} date */
function dosDateTime(date) {
  const year = Math.min(Math.max(date.getFullYear(), 1980), 2107);
  return {
    time: (date.getHours() << 11) | (date.getMinutes() << 5) | (date.getSeconds() >> 1),
    date: ((year - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate(),
  };
}

/** Little-endian writer over a fresh buffer of `size` bytes. */
class Bytes {
  /** @param {number} size */
  constructor(size) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
    this.at = 0;
  }
  /** @param {number} v */
  u8(v) { this.buf[this.at++] = v; return this; }
  /** @param {number} v */
  u16(v) { this.view.setUint16(this.at, v, true); this.at += 2; return this; }
  /** @param {number} v */
  u32(v) { this.view.setUint32(this.at, v >>> 0, true); this.at += 4; return this; }
  /** @param {number} v */
  u64(v) {
    // Exact up to 2^53, far beyond any archive a browser writes.
    this.view.setUint32(this.at, v % 0x100000000, true);
    this.view.setUint32(this.at + 4, Math.floor(v / 0x100000000), true);
    this.at += 8;
    return this;
  }
  /** @param {Uint8Array} b */
  bytes(b) { this.buf.set(b, this.at); this.at += b.length; return this; }
}

/** The archive as Blobs, in memory (or wherever the browser keeps Blobs). */
export class BlobSink {
  constructor(flushBytes = 8 * 1024 * 1024) {
    this.flushBytes = flushBytes;
    /** @type {(Blob | null)[]} */
    this.blobs = [];
    /** @type {Uint8Array[]} */
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** @param {Uint8Array} bytes */
  write(bytes) {
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    if (this.pendingBytes >= this.flushBytes) this.flush();
  }

  /** Keeps `length` bytes for later (`fill`): an entry's header, known after its data.
   *  @param {number} length */
  reserve(length) {
    this.flush();
    this.blobs.push(null);
    return { slot: this.blobs.length - 1, length };
  }

  /** @param {{slot: number, length: number}} mark  @param {Uint8Array} bytes */
  fill(mark, bytes) {
    if (bytes.length !== mark.length) throw new Error("ZipWriter: a header changed size");
    this.blobs[mark.slot] = new Blob([/** @type {Uint8Array<ArrayBuffer>} */ (bytes)]);
  }

  /** @param {string} type */
  finish(type) {
    this.flush();
    // Every slot reserved was filled by its entry's close().
    const blob = new Blob(/** @type {Blob[]} */ (this.blobs), { type });
    this.blobs = [];
    return blob;
  }

  flush() {
    if (this.pending.length) this.blobs.push(new Blob(/** @type {Uint8Array<ArrayBuffer>[]} */ (this.pending)));
    this.pending = [];
    this.pendingBytes = 0;
  }
}

/** The archive written into a file through a FileSystemSyncAccessHandle (from
 *  `fileHandle.createSyncAccessHandle()`, in a dedicated worker), from its start; the
 *  handle is flushed and closed by finish(). */
export class FileSink {
  /** @param {SyncAccessHandle} handle */
  constructor(handle) {
    this.handle = handle;
    this.at = 0;
    handle.truncate(0);
  }

  /** @param {Uint8Array} bytes */
  write(bytes) {
    this.put(bytes, this.at);
    this.at += bytes.length;
  }

  /** @param {number} length */
  reserve(length) {
    const mark = { at: this.at, length };
    this.at += length;
    return mark;
  }

  /** @param {{at: number, length: number}} mark  @param {Uint8Array} bytes */
  fill(mark, bytes) {
    if (bytes.length !== mark.length) throw new Error("ZipWriter: a header changed size");
    this.put(bytes, mark.at);
  }

  /** @param {Uint8Array} bytes  @param {number} at */
  put(bytes, at) {
    let done = 0;
    while (done < bytes.length) {
      const n = this.handle.write(done ? bytes.subarray(done) : bytes, { at: at + done });
      if (!(n > 0)) throw new Error("The browser's storage is full: the ZIP could not be written. Free some disk space, then try again.");
      done += n;
    }
  }

  /** @returns {null} */
  finish() {
    this.handle.truncate(this.at);
    this.handle.flush();
    this.handle.close();
    return null;
  }
}

/** The archive written into a FileSystemWritableFileStream (`fileHandle.createWritable()`,
 *  e.g. of a file chosen with showSaveFilePicker), gathered into pieces of about a
 *  megabyte; finish() closes the stream, which puts the file in place, and returns nothing. */
export class StreamSink {
  /** @param {FileSystemWritableFileStream} writable  @param {number} [flushBytes] */
  constructor(writable, flushBytes = 1024 * 1024) {
    this.writable = writable;
    this.flushBytes = flushBytes;
    this.at = 0; // where the pending bytes go
    /** @type {Uint8Array[]} */
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** @param {Uint8Array} bytes */
  write(bytes) {
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    if (this.pendingBytes >= this.flushBytes) return this.flush();
  }

  /** @param {number} length */
  reserve(length) {
    // The stream keeps its writes in order: the flush need not be awaited here (a failed
    // write fails the ones after it, and finish()).
    this.flush().catch(() => {});
    const mark = { at: this.at, length };
    this.at += length; // the gap reads as zeros until filled
    return mark;
  }

  /** @param {{at: number, length: number}} mark  @param {Uint8Array} bytes */
  fill(mark, bytes) {
    if (bytes.length !== mark.length) throw new Error("ZipWriter: a header changed size");
    return this.writable.write({ type: "write", position: mark.at, data: /** @type {Uint8Array<ArrayBuffer>} */ (bytes) });
  }

  async finish() {
    await this.flush();
    await this.writable.close();
    return null;
  }

  /** Writes the pending bytes where they go (positions are taken at once, in order). */
  flush() {
    if (!this.pendingBytes) return Promise.resolve();
    const data = new Blob(/** @type {Uint8Array<ArrayBuffer>[]} */ (this.pending));
    const at = this.at;
    this.at += this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    return this.writable.write({ type: "write", position: at, data });
  }
}

/** Bytes of the AE-2 extra field (0x9901). */
const AES_EXTRA = 11;

/** Method, version needed and flags of an entry as written: an encrypted one (`aes`: its
 *  real method) says method 99, version 5.1 and flag bit 0.
 *  @param {{method: number, aes: number | null}} entry  @param {number} version */
function framing({ method, aes }, version) {
  if (aes == null) return { method, version, flags: 0x0800 };
  return { method: 99, version: 51, flags: 0x0801 };
}

/** The AE-2 extra field of an encrypted entry: vendor version 2, "AE", AES-256, the real method.
 *  @param {Bytes} header  @param {number} aes */
function aesExtra(header, aes) {
  header.u16(0x9901).u16(7).u16(2).u16(0x4541).u8(3).u16(aes);
}

/** The local header of an entry (ZIP64 sizes when `zip64`).
 *  @param {Uint8Array} nameBytes  @param {Entry} entry  @param {boolean} zip64 */
function localHeader(nameBytes, entry, zip64) {
  const { crc, size, csize, time, day, aes } = entry;
  const f = framing(entry, zip64 ? 45 : 20);
  const extra = (zip64 ? 20 : 0) + (aes == null ? 0 : AES_EXTRA);
  const header = new Bytes(30 + nameBytes.length + extra)
    .u32(0x04034b50)
    .u16(f.version) // version needed
    .u16(f.flags) // UTF-8 names (and encrypted)
    .u16(f.method)
    .u16(time)
    .u16(day)
    .u32(crc)
    .u32(zip64 ? U32_MAX : csize)
    .u32(zip64 ? U32_MAX : size)
    .u16(nameBytes.length)
    .u16(extra)
    .bytes(nameBytes);
  if (zip64) header.u16(0x0001).u16(16).u64(size).u64(csize);
  if (aes != null) aesExtra(header, aes);
  return header.buf;
}

/** The compression stage in this thread: `{crc, data, deflated}` for `bytes` (`data` the
 *  deflated bytes when smaller, else `bytes`).
 *  @param {Uint8Array} bytes  @returns {Promise<Packed>} */
export async function compressHere(bytes) {
  const crc = crc32(bytes);
  const packed = await deflateWhole(bytes);
  return packed.length < bytes.length ? { crc, data: packed, deflated: true } : { crc, data: bytes, deflated: false };
}

export class ZipWriter {
  /**
   * @param {{flushBytes?: number, level?: number, sink?: Sink,
   *   compress?: (bytes: Uint8Array) => Promise<{crc: number, data: Uint8Array, deflated: boolean}>,
   *   queueBytes?: number,
   *   encryption?: {password: string, AesEntry: typeof import("./pkg/chatkeep_save.js").AesEntry}}} [opts]
   *   how many bytes a BlobSink gathers before making a Blob; 0 stores everything, any
   *   other level deflates (the browser's deflate has one level, its default); where the
   *   bytes go (a BlobSink by default); the compression stage (in this thread by default;
   *   a DeflatePool's `compress` spreads it over workers, and may take `bytes` over); how
   *   many bytes of added entries may wait for it; a password to encrypt every entry with
   *   (and the wasm core's AesEntry, which checks it).
   */
  constructor({ flushBytes = 8 * 1024 * 1024, level = 6, sink, compress = compressHere, queueBytes = 16 * 1024 * 1024, encryption } = {}) {
    /** @type {Sink} */
    this.sink = sink ?? new BlobSink(flushBytes);
    this.encryption = encryption ?? null;
    // A password the core refuses (too short) fails here, before anything is written.
    if (this.encryption) this.cipher()?.free();
    this.level = level;
    this.compress = compress;
    this.queueBytes = queueBytes;
    this.offset = 0;
    /** @type {Entry[]} */
    this.entries = [];
    this.names = new Set();
    this.finished = false;
    /** @type {string | null} */
    this.opened = null;
    /** Entries added and not written yet, oldest first.
     *  @type {{size: number, written: Promise<void>}[]} */
    this.queue = [];
    this.queued = 0;
    /** @type {Promise<void>} */
    this.tail = Promise.resolve();
    /** @type {any} */
    this.failure = null;
  }

  /** Bytes written so far (the archive's size if it were finished now, minus the directory). */
  get size() {
    return this.offset;
  }

  /** Number of entries written. */
  get count() {
    return this.entries.length;
  }

  /** Whether an entry of this name was added.
   *  @param {string} name */
  has(name) {
    return this.names.has(name);
  }

  /** A fresh AES entry cipher (its own random salt), when the archive is encrypted. */
  cipher() {
    if (!this.encryption) return null;
    const { password, AesEntry } = this.encryption;
    return new AesEntry(password, crypto.getRandomValues(new Uint8Array(16)));
  }

  /** Refuses to add `name` when it cannot be added now.
   *  @param {string} name */
  check(name) {
    if (this.failure) throw this.failure;
    if (this.finished) throw new Error("ZipWriter: add() after finish()");
    if (this.opened) throw new Error(`ZipWriter: ${name} added while ${this.opened} is open`);
    if (this.names.has(name)) throw new Error(`ZipWriter: duplicate entry ${name}`);
  }

  /** Resolves when every entry added has been written (rejects if one could not be). */
  async drain() {
    while (this.queue.length) await this.queue[0].written;
    if (this.failure) throw this.failure;
  }

  /**
   * Adds a file. `data` is a string (written as UTF-8) or bytes (Uint8Array or ArrayBuffer;
   * with a DeflatePool, bytes may be taken over: don't use them afterwards). Names use "/"
   * between folders; a name already added is refused. Resolves once the entry is queued
   * and the queue is under its limit (see above); a failure to write shows at a later
   * call, or at finish().
   * @param {string} name  @param {string | Uint8Array | ArrayBuffer} data  @param {Date} [date]
   */
  async add(name, data, date = new Date()) {
    this.check(name);
    this.names.add(name);
    const bytes = typeof data === "string" ? encoder.encode(data) : data instanceof Uint8Array ? data : new Uint8Array(data);
    const size = bytes.length;
    // Compression stage: started now (perhaps in another thread).
    const packing = this.level > 0 && size > DEFLATE_MIN && !PACKED.test(name) ? this.compress(bytes) : null;
    const crc = packing ? 0 : crc32(bytes);
    packing?.catch(() => {}); // reported when the entry is written
    const { time, date: day } = dosDateTime(date);
    const nameBytes = encoder.encode(name);
    // Sink stage: in the order entries were added.
    const written = this.tail.then(async () => {
      if (this.failure) return;
      const packed = packing ? await packing : { crc, data: bytes, deflated: false };
      let stored = packed.data;
      const method = packed.deflated ? 8 : 0;
      // Encryption stage.
      /** @type {number | null} */
      let aes = null;
      const cipher = this.cipher();
      if (cipher) {
        try {
          const head = cipher.header();
          const body = cipher.update(stored);
          const code = cipher.finish();
          stored = new Uint8Array(head.length + body.length + code.length);
          stored.set(head);
          stored.set(body, head.length);
          stored.set(code, head.length + body.length);
        } finally {
          cipher.free();
        }
        aes = method;
      }
      const entry = { nameBytes, crc: aes == null ? packed.crc : 0, size, csize: stored.length, method, offset: this.offset, time, day, aes };
      await this.push(localHeader(nameBytes, entry, size >= U32_MAX || entry.csize >= U32_MAX || entry.offset >= U32_MAX));
      await this.push(stored);
      this.entries.push(entry);
    });
    /** @type {{size: number, written: Promise<void>}} */
    const item = { size, written };
    this.queue.push(item);
    this.queued += size;
    this.tail = written.then(
      () => this.dequeue(item),
      (e) => {
        this.failure ??= e;
        this.dequeue(item);
      },
    );
    item.written = this.tail;
    while (this.queued > this.queueBytes && this.queue.length) await this.queue[0].written;
    if (this.failure) throw this.failure;
  }

  /** @param {{size: number, written: Promise<void>}} item */
  dequeue(item) {
    this.queue.splice(this.queue.indexOf(item), 1);
    this.queued -= item.size;
  }

  /** Adds `name`, or `_name` (in the same folder) when a file of that name was added
   *  already (a conversation called "index" keeps its name; the index gives way).
   *  Resolves with the name given.
   *  @param {string} name  @param {string | Uint8Array | ArrayBuffer} data */
  async addFree(name, data) {
    const slash = name.lastIndexOf("/") + 1;
    let free = name;
    while (this.names.has(free)) free = `${free.slice(0, slash)}_${free.slice(slash)}`;
    await this.add(free, data);
    return free;
  }

  /**
   * Opens an entry whose bytes are given piece by piece (`await write(bytes)`, then `await
   * close()`), so that it is never whole in memory; nothing else can be added until it is
   * closed. Deflated (in this thread) unless the level is 0 or the name is of a compressed
   * format. Its header is written when it closes (an entry of 4 GiB or more is refused:
   * split it). Resolves once the entries added before it are written.
   * @param {string} name  @param {Date} [date]
   * @returns {Promise<{write: (data: string | Uint8Array) => Promise<void>, close: () => Promise<void>}>}
   */
  async open(name, date = new Date()) {
    this.check(name);
    this.opened = name;
    try {
      await this.drain();
    } catch (e) {
      this.opened = null;
      throw e;
    }
    const nameBytes = encoder.encode(name);
    const { time, date: day } = dosDateTime(date);
    const method = this.level > 0 && !PACKED.test(name) ? 8 : 0;
    const cipher = this.cipher();
    /** @type {Entry} */
    const entry = { nameBytes, crc: 0, size: 0, csize: 0, method, offset: this.offset, time, day, aes: cipher ? method : null };
    const headerLength = 30 + nameBytes.length + (cipher ? AES_EXTRA : 0);
    const mark = this.sink.reserve(headerLength);
    this.offset += headerLength;
    // Sink stage.
    /** @param {Uint8Array} bytes */
    const put = async (bytes) => {
      entry.csize += bytes.length;
      await this.push(bytes);
    };
    if (cipher) await put(cipher.header());
    // Encryption stage.
    /** @param {Uint8Array} bytes */
    const out = async (bytes) => {
      if (bytes.length) await put(cipher ? cipher.update(bytes) : bytes);
    };
    // Compression stage.
    const deflate = method === 8 ? deflateStream(out) : null;
    const isOpen = () => {
      if (this.opened !== name) throw new Error(`ZipWriter: ${name} is closed`);
    };
    return {
      write: async (data) => {
        isOpen();
        const bytes = typeof data === "string" ? encoder.encode(data) : data;
        if (!cipher) entry.crc = crc32(bytes, entry.crc); // AE-2: no CRC
        entry.size += bytes.length;
        if (deflate) await deflate.write(bytes);
        else await out(bytes);
      },
      close: async () => {
        isOpen();
        if (deflate) await deflate.close();
        if (cipher) {
          await put(cipher.finish());
          cipher.free();
        }
        if (entry.size >= U32_MAX || entry.csize >= U32_MAX) {
          throw new Error(`ZipWriter: ${name} is 4 GiB or more; write it in parts`);
        }
        await this.sink.fill(mark, localHeader(nameBytes, entry, false));
        this.opened = null;
        this.entries.push(entry);
        this.names.add(name);
      },
    };
  }

  /** Writes the central directory and resolves with the archive (a Blob with the default
   *  sink; nothing with a FileSink or StreamSink). The writer is then spent. */
  /** @returns {Promise<Blob | null>} */
  async finish(type = "application/zip") {
    if (this.finished) throw new Error("ZipWriter: finish() twice");
    if (this.opened) throw new Error(`ZipWriter: finish() while ${this.opened} is open`);
    this.finished = true;
    await this.drain();
    const cdStart = this.offset;
    for (const e of this.entries) {
      const big = [];
      const wide = e.size >= U32_MAX || e.csize >= U32_MAX;
      if (wide) big.push(e.size, e.csize); // uncompressed, compressed
      if (e.offset >= U32_MAX) big.push(e.offset);
      const extraLen = (big.length ? 4 + 8 * big.length : 0) + (e.aes == null ? 0 : AES_EXTRA);
      const f = framing(e, big.length ? 45 : 20);
      const rec = new Bytes(46 + e.nameBytes.length + extraLen)
        .u32(0x02014b50)
        .u16((3 << 8) | (e.aes == null ? 45 : 51)) // made by: Unix, 4.5 (5.1: AES)
        .u16(f.version)
        .u16(f.flags)
        .u16(f.method)
        .u16(e.time)
        .u16(e.day)
        .u32(e.crc)
        .u32(wide ? U32_MAX : e.csize)
        .u32(wide ? U32_MAX : e.size)
        .u16(e.nameBytes.length)
        .u16(extraLen)
        .u16(0) // comment
        .u16(0) // disk
        .u16(0) // internal attributes
        .u32((0o100644 << 16) >>> 0) // external: a regular file, rw-r--r--
        .u32(e.offset >= U32_MAX ? U32_MAX : e.offset)
        .bytes(e.nameBytes);
      if (big.length) {
        rec.u16(0x0001).u16(8 * big.length);
        for (const v of big) rec.u64(v);
      }
      if (e.aes != null) aesExtra(rec, e.aes);
      await this.push(rec.buf);
    }
    const cdSize = this.offset - cdStart;
    const count = this.entries.length;
    const zip64 = count >= U16_MAX || cdStart >= U32_MAX || cdSize >= U32_MAX;
    if (zip64) {
      const eocd64At = this.offset;
      await this.push(
        new Bytes(56)
          .u32(0x06064b50)
          .u64(44) // size of the rest of this record
          .u16((3 << 8) | 45)
          .u16(45)
          .u32(0)
          .u32(0)
          .u64(count)
          .u64(count)
          .u64(cdSize)
          .u64(cdStart).buf,
      );
      await this.push(new Bytes(20).u32(0x07064b50).u32(0).u64(eocd64At).u32(1).buf);
    }
    await this.push(
      new Bytes(22)
        .u32(0x06054b50)
        .u16(0)
        .u16(0)
        .u16(Math.min(count, U16_MAX))
        .u16(Math.min(count, U16_MAX))
        .u32(Math.min(cdSize, U32_MAX))
        .u32(Math.min(cdStart, U32_MAX))
        .u16(0).buf,
    );
    this.entries = [];
    return this.sink.finish(type);
  }

  /** Hands `bytes` to the sink (a promise when the sink's writes are asynchronous).
   *  @param {Uint8Array} bytes */
  push(bytes) {
    this.offset += bytes.length;
    return this.sink.write(bytes);
  }
}
