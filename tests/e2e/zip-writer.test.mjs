// The extension's ZIP writer (extension/zip-writer.js), run in Node (whose CompressionStream
// deflates, as the browsers' do) against its three sinks,
// its archives checked by Debian's 7z (`7z t`, then every entry extracted and compared):
// whole entries, entries written piece by piece (deflated and stored), an empty archive,
// and ZIP64 by entry count (65,536 entries).

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { nodeHandle, noise } from "./node-files.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const { FileSink, StreamSink, ZipWriter, crc32 } = await import(path.join(ROOT, "extension", "zip-writer.js"));

let dir;
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "chatkeep-zip-writer-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A FileSystemWritableFileStream over a file of Node's (positioned writes of bytes or
 *  Blobs, close), counting its writes. */
function nodeWritable(file) {
  const fd = openSync(file, "w+");
  const stream = {
    writes: 0,
    closed: false,
    async write({ type, position, data }) {
      assert.equal(type, "write");
      assert.ok(!stream.closed, "write after close");
      const bytes = data instanceof Blob ? new Uint8Array(await data.arrayBuffer()) : data;
      writeSync(fd, bytes, 0, bytes.length, position);
      stream.writes++;
    },
    async close() {
      stream.closed = true;
      closeSync(fd);
    },
  };
  return stream;
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

/** The same entries written through `zip`: whole ones and streamed ones. Returns what each
 *  entry must hold. */
async function fill(zip) {
  const want = {};
  const enc = new TextEncoder();
  want["a.md"] = enc.encode("# Hello\n\nchatkeep ✓\n");
  await zip.add("a.md", "# Hello\n\nchatkeep ✓\n");
  want["images/x.png"] = noise(70_000, 1);
  await zip.add("images/x.png", want["images/x.png"]);
  want["empty.txt"] = new Uint8Array(0);
  await zip.add("empty.txt", "");
  // Streamed and deflated, in pieces of every size (one of 3 MB, many deflate blocks).
  const pieces = [text(10, 1), text(100_000, 2), text(3_000_000, 3), "", text(1, 4)].map((s) => enc.encode(s));
  const big = await zip.open("conversations.json");
  for (const p of pieces) await big.write(p);
  await big.close();
  want["conversations.json"] = Buffer.concat(pieces);
  // Streamed, stored (a compressed format's name).
  const photo = [noise(1000, 5), noise(200_000, 6)];
  const stored = await zip.open("photo.jpg");
  for (const p of photo) await stored.write(p);
  await stored.close();
  want["photo.jpg"] = Buffer.concat(photo);
  // Streamed with nothing written.
  await (await zip.open("nothing.json")).close();
  want["nothing.json"] = new Uint8Array(0);
  await zip.add("chatkeep-backup.json", '{"schema":"chatkeep.backup/1"}');
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
    const want = await fill(zip);
    const blob = await zip.finish();
    const file = path.join(dir, `blob-${level}.zip`);
    writeFileSync(file, Buffer.from(await blob.arrayBuffer()));
    compare(sevenZip(file), want);
    if (level === 6) {
      // The streamed JSON was deflated: the archive is much smaller than its contents.
      assert.ok(blob.size < 1_000_000, `deflated archive of ${blob.size} bytes`);
    }
  });

  test(`FileSink, level ${level}: the same archive written into a file`, async () => {
    const file = path.join(dir, `file-${level}.zip`);
    const zip = new ZipWriter({ level, sink: new FileSink(nodeHandle(file)) });
    const want = await fill(zip);
    assert.equal(await zip.finish(), null);
    compare(sevenZip(file), want);
    assert.equal(readFileSync(file).length, zip.size);
  });

  test(`StreamSink, level ${level}: the same archive written into a writable file stream`, async () => {
    const file = path.join(dir, `stream-${level}.zip`);
    const writable = nodeWritable(file);
    const zip = new ZipWriter({ level, sink: new StreamSink(writable, 256 * 1024) });
    const want = await fill(zip);
    assert.equal(await zip.finish(), null);
    assert.ok(writable.closed, "the stream is closed");
    compare(sevenZip(file), want);
    assert.equal(readFileSync(file).length, zip.size);
    // Gathered into pieces: far fewer writes than entries' pieces and headers.
    assert.ok(writable.writes < 40, `${writable.writes} writes`);
  });
}

test("FileSink over an existing longer file: the archive is truncated to its size", async () => {
  const file = path.join(dir, "reused.zip");
  writeFileSync(file, Buffer.alloc(5_000_000, 7));
  const zip = new ZipWriter({ sink: new FileSink(nodeHandle(file)) });
  await zip.add("a.txt", "a");
  await zip.finish();
  assert.equal(readFileSync(file).length, zip.size);
  sevenZip(file);
});

test("refusals: an entry added while another is open, a duplicate, finish while open", async () => {
  const zip = new ZipWriter();
  const e = await zip.open("a.json");
  await assert.rejects(zip.add("b.txt", "b"), /while a\.json is open/);
  await assert.rejects(zip.finish(), /while a\.json is open/);
  await e.write("[]");
  await e.close();
  await assert.rejects(e.write("x"), /closed/);
  await assert.rejects(zip.add("a.json", "x"), /duplicate/);
  await assert.rejects(zip.open("a.json"), /duplicate/);
});

test("queued entries: written in the order added, whatever order their compression ends in; the queue waits past its limit", async () => {
  // A compression stage that finishes the first entries last.
  let delay = 40;
  const started = [];
  const compress = async (bytes) => {
    started.push(bytes.length);
    await new Promise((r) => setTimeout(r, (delay = Math.max(0, delay - 10))));
    return { crc: crc32(bytes), data: bytes, deflated: false };
  };
  const file = path.join(dir, "queued.zip");
  const zip = new ZipWriter({ sink: new FileSink(nodeHandle(file)), compress, queueBytes: 2500 });
  const want = {};
  for (let i = 0; i < 8; i++) {
    const name = `q/${i}.md`;
    want[name] = new TextEncoder().encode(text(1000 + i, i));
    await zip.add(name, want[name]);
    // Never more than the limit waiting, plus the entry just added.
    assert.ok(zip.queued <= 2500 + 1007, `${zip.queued} bytes queued`);
  }
  assert.equal(zip.has("q/7.md"), true);
  const e = await zip.open("last.json"); // waits for every queued entry
  assert.equal(zip.count, 8);
  await e.write("[]");
  await e.close();
  want["last.json"] = new TextEncoder().encode("[]");
  await zip.finish();
  const listed = execFileSync("7z", ["l", "-slt", file], { encoding: "utf8" });
  assert.deepEqual([...listed.matchAll(/^Path = (q\/\d\.md|last\.json)$/gm)].map((m) => m[1]), Object.keys(want));
  compare(sevenZip(file), want);
});

test("a sink that fails under queued entries fails a later add or finish, not a hang", async () => {
  let writes = 0;
  const sink = {
    write() {
      if (++writes > 5) throw new Error("disk full");
    },
    reserve: (length) => ({ length }),
    fill() {},
    finish() {},
  };
  const zip = new ZipWriter({ sink });
  await assert.rejects(async () => {
    for (let i = 0; i < 20; i++) await zip.add(`f${i}.md`, text(2000, i));
    await zip.finish();
  }, /disk full/);
});

test("a sink that fails mid-entry fails the write or close, not a hang", async () => {
  let writes = 0;
  const sink = {
    write() {
      if (++writes > 3) throw new Error("disk full");
    },
    reserve: (length) => ({ length }),
    fill() {},
    finish() {},
  };
  const zip = new ZipWriter({ sink });
  const e = await zip.open("big.json");
  await assert.rejects(async () => {
    for (let i = 0; i < 50; i++) await e.write(noise(256 * 1024, i));
    await e.close();
  }, /disk full/);
});

test("an empty archive passes 7z t", async () => {
  const file = path.join(dir, "empty.zip");
  writeFileSync(file, Buffer.from(await (await new ZipWriter().finish()).arrayBuffer()));
  sevenZip(file);
});

test("ZIP64 by entry count: 65,536 entries pass 7z t with the right count", async () => {
  const file = path.join(dir, "many.zip");
  const zip = new ZipWriter({ level: 0, sink: new FileSink(nodeHandle(file)) });
  const n = 65_536;
  for (let i = 0; i < n; i++) await zip.add(`f/${i}.txt`, `${i}`);
  await zip.finish();
  const listed = execFileSync("7z", ["l", "-slt", file], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  assert.equal((listed.match(/^Path = f\//gm) ?? []).length, n);
  assert.match(execFileSync("7z", ["t", file], { encoding: "utf8" }), /Everything is Ok/);
});

test("crc32 continues across pieces", () => {
  const enc = new TextEncoder();
  assert.equal(crc32(enc.encode("123456789")), 0xcbf43926);
  assert.equal(crc32(enc.encode("56789"), crc32(enc.encode("1234"))), 0xcbf43926);
});


test("addFree gives way to a name already added, in its folder", async () => {
  const zip = new ZipWriter();
  await zip.add("readable/index.md", "a conversation called index");
  assert.equal(await zip.addFree("readable/index.md", "the index"), "readable/_index.md");
  assert.equal(await zip.addFree("index.html", "x"), "index.html");
});

/** `chatkeep list PATH` from whichever CLI build exists (null when none is built). */
function cliList(p) {
  const bin = ["release", "debug"].map((b) => path.join(ROOT, "target", b, "chatkeep")).find((b) => existsSync(b));
  return bin ? execFileSync(bin, ["list", p], { maxBuffer: 1 << 26 }).toString("utf8") : null;
}

test("the core's own ZIP reader reads an export written by the writer as it reads the files", { skip: !cliList(path.join(ROOT, "tests/fixtures/export/array-with-broken/input.json")) && "the chatkeep CLI is not built" }, async () => {
  // A conversations.json of a few megabytes (many deflate blocks), streamed in odd pieces,
  // beside a split export's files added whole: the CLI lists the ZIP as it lists the files.
  const base = JSON.parse(readFileSync(path.join(ROOT, "tests/fixtures/export/array-with-broken/input.json"), "utf8"));
  const many = [];
  for (let i = 0; many.length < 2000; i++) {
    for (const c of base) many.push({ ...c, id: `${c.id.slice(0, 24)}${String(i).padStart(12, "0")}`, title: `${c.title} ${i}` });
  }
  const json = new TextEncoder().encode(JSON.stringify(many, null, 1));
  const jsonFile = path.join(dir, "many.json");
  writeFileSync(jsonFile, json);
  const file = path.join(dir, "export.zip");
  const zip = new ZipWriter({ sink: new FileSink(nodeHandle(file)) });
  const entry = await zip.open("conversations.json");
  for (let at = 0, n = 1; at < json.length; at += n, n = (n * 7 + 3) % 300_000 || 1) await entry.write(json.subarray(at, at + n));
  await entry.close();
  await zip.finish();
  assert.ok(json.length > 2_000_000, `${json.length} bytes of JSON`);
  sevenZip(file);
  assert.equal(cliList(file), cliList(jsonFile));

  const split = path.join(ROOT, "tests/fixtures/export/zip-split/input");
  const splitZip = path.join(dir, "split.zip");
  const z2 = new ZipWriter({ sink: new FileSink(nodeHandle(splitZip)) });
  const walk = async (rel) => {
    for (const name of readdirSync(path.join(split, rel)).sort()) {
      const p = path.join(split, rel, name);
      if (statSync(p).isDirectory()) await walk(path.join(rel, name));
      else await z2.add(path.join(rel, name).split(path.sep).join("/"), readFileSync(p));
    }
  };
  await walk("");
  await z2.finish();
  const listed = cliList(splitZip);
  assert.equal(listed, cliList(split));
  assert.match(listed, /\t/);
});
