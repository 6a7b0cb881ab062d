// The extension's ZIP writer (extension/zip-writer.js), run in Node against its two sinks,
// its archives checked by Debian's 7z (`7z t`, then every entry extracted and compared):
// whole entries, entries written piece by piece (deflated and stored), an empty archive,
// and ZIP64 by entry count (65,536 entries).

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync, ftruncateSync, fsyncSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const { FileSink, ZipWriter, crc32 } = await import(path.join(ROOT, "extension", "zip-writer.js"));

let dir;
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "chatkeep-zip-writer-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A FileSystemSyncAccessHandle over a file of Node's (write at, truncate, flush, close). */
function nodeHandle(file) {
  const fd = openSync(file, "w+");
  return {
    write: (bytes, { at }) => writeSync(fd, bytes, 0, bytes.length, at),
    read: (bytes, { at }) => readSync(fd, bytes, 0, bytes.length, at),
    truncate: (n) => ftruncateSync(fd, n),
    flush: () => fsyncSync(fd),
    close: () => closeSync(fd),
  };
}

/** Checks `file` with `7z t`, extracts it and returns {name: Buffer}. */
function sevenZip(file) {
  const tested = execFileSync("7z", ["t", file], { encoding: "utf8" });
  assert.match(tested, /Everything is Ok/);
  const out = path.join(dir, `x-${path.basename(file)}`);
  execFileSync("7z", ["x", "-y", `-o${out}`, file], { encoding: "utf8" });
  return out;
}

/** Text that deflates (JSON-like) of about `n` bytes, different for each `seed`. */
function text(n, seed) {
  let s = "";
  for (let i = 0; s.length < n; i++) s += `{"id":"${seed}-${i}","text":"line ${i * 7919 % 1000} of ${seed} — ünïcödé ✓"},`;
  return s.slice(0, n);
}

/** Pseudo-random bytes that do not deflate. */
function noise(n, seed) {
  const b = new Uint8Array(n);
  let x = seed * 2654435761 >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

/** The same entries written through `zip`: whole ones and streamed ones. Returns what each
 *  entry must hold. */
function fill(zip) {
  const want = {};
  const enc = new TextEncoder();
  want["a.md"] = enc.encode("# Hello\n\nchatkeep ✓\n");
  zip.add("a.md", "# Hello\n\nchatkeep ✓\n");
  want["images/x.png"] = noise(70_000, 1);
  zip.add("images/x.png", want["images/x.png"]);
  want["empty.txt"] = new Uint8Array(0);
  zip.add("empty.txt", "");
  // Streamed and deflated, in pieces of every size (one of 3 MB, past fflate's block).
  const pieces = [text(10, 1), text(100_000, 2), text(3_000_000, 3), "", text(1, 4)].map((s) => enc.encode(s));
  const big = zip.open("conversations.json");
  for (const p of pieces) big.write(p);
  big.close();
  want["conversations.json"] = Buffer.concat(pieces);
  // Streamed, stored (a compressed format's name).
  const photo = [noise(1000, 5), noise(200_000, 6)];
  const stored = zip.open("photo.jpg");
  for (const p of photo) stored.write(p);
  stored.close();
  want["photo.jpg"] = Buffer.concat(photo);
  // Streamed with nothing written.
  zip.open("nothing.json").close();
  want["nothing.json"] = new Uint8Array(0);
  zip.add("chatkeep-backup.json", '{"schema":"chatkeep.backup/1"}');
  want["chatkeep-backup.json"] = enc.encode('{"schema":"chatkeep.backup/1"}');
  return want;
}

function compare(out, want) {
  for (const [name, bytes] of Object.entries(want)) {
    const got = readFileSync(path.join(out, name));
    assert.equal(got.length, bytes.length, `${name}: size`);
    assert.ok(Buffer.from(bytes).equals(got), `${name}: bytes`);
  }
}

for (const level of [6, 0]) {
  test(`BlobSink, level ${level}: whole and streamed entries pass 7z t and extract byte for byte`, async () => {
    const zip = new ZipWriter({ level, flushBytes: 64 * 1024 });
    const want = fill(zip);
    const blob = zip.finish();
    const file = path.join(dir, `blob-${level}.zip`);
    writeFileSync(file, Buffer.from(await blob.arrayBuffer()));
    compare(sevenZip(file), want);
    if (level === 6) {
      // The streamed JSON was deflated: the archive is much smaller than its contents.
      assert.ok(blob.size < 1_000_000, `deflated archive of ${blob.size} bytes`);
    }
  });

  test(`FileSink, level ${level}: the same archive written into a file`, () => {
    const file = path.join(dir, `file-${level}.zip`);
    const zip = new ZipWriter({ level, sink: new FileSink(nodeHandle(file)) });
    const want = fill(zip);
    assert.equal(zip.finish(), null);
    compare(sevenZip(file), want);
    assert.equal(readFileSync(file).length, zip.size);
  });
}

test("FileSink over an existing longer file: the archive is truncated to its size", () => {
  const file = path.join(dir, "reused.zip");
  writeFileSync(file, Buffer.alloc(5_000_000, 7));
  const zip = new ZipWriter({ sink: new FileSink(nodeHandle(file)) });
  zip.add("a.txt", "a");
  zip.finish();
  assert.equal(readFileSync(file).length, zip.size);
  sevenZip(file);
});

test("refusals: an entry added while another is open, a duplicate, finish while open", () => {
  const zip = new ZipWriter();
  const e = zip.open("a.json");
  assert.throws(() => zip.add("b.txt", "b"), /while a\.json is open/);
  assert.throws(() => zip.finish(), /while a\.json is open/);
  e.write("[]");
  e.close();
  assert.throws(() => e.write("x"), /closed/);
  assert.throws(() => zip.add("a.json", "x"), /duplicate/);
  assert.throws(() => zip.open("a.json"), /duplicate/);
});

test("an empty archive passes 7z t", async () => {
  const file = path.join(dir, "empty.zip");
  writeFileSync(file, Buffer.from(await new ZipWriter().finish().arrayBuffer()));
  sevenZip(file);
});

test("ZIP64 by entry count: 65,536 entries pass 7z t with the right count", () => {
  const file = path.join(dir, "many.zip");
  const zip = new ZipWriter({ level: 0, sink: new FileSink(nodeHandle(file)) });
  const n = 65_536;
  for (let i = 0; i < n; i++) zip.add(`f/${i}.txt`, `${i}`);
  zip.finish();
  const listed = execFileSync("7z", ["l", "-slt", file], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  assert.equal((listed.match(/^Path = f\//gm) ?? []).length, n);
  assert.match(execFileSync("7z", ["t", file], { encoding: "utf8" }), /Everything is Ok/);
});

test("crc32 continues across pieces", () => {
  const enc = new TextEncoder();
  assert.equal(crc32(enc.encode("123456789")), 0xcbf43926);
  assert.equal(crc32(enc.encode("56789"), crc32(enc.encode("1234"))), 0xcbf43926);
});


test("addFree gives way to a name already added, in its folder", () => {
  const zip = new ZipWriter();
  zip.add("readable/index.md", "a conversation called index");
  assert.equal(zip.addFree("readable/index.md", "the index"), "readable/_index.md");
  assert.equal(zip.addFree("index.html", "x"), "index.html");
});
