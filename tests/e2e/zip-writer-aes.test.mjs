// The ZIP writer's encryption stage (extension/zip-writer.js with the wasm core's AesEntry,
// as built into extension/pkg by ./build.sh), run in Node against both sinks: whole and
// streamed entries, deflated and stored, each AES-256 (WinZip AE-2), checked by Debian's
// 7z with the right password (byte for byte) and a wrong one (nothing out). Also prints
// what the key derivation of a 10,000-entry archive costs (a figure, not a check).

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { nodeHandle, noise } from "./node-files.mjs";
import { openEncrypted } from "./sevenzip.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const PKG = path.join(ROOT, "extension", "pkg");
const { FileSink, ZipWriter } = await import(path.join(ROOT, "extension", "zip-writer.js"));
const core = await import(path.join(PKG, "chatkeep_save.js"));
await core.default({ module_or_path: readFileSync(path.join(PKG, "chatkeep_save_bg.wasm")) });
const { AesEntry } = core;

const PASSWORD = "quartz-5-ember-1-koala-8-denim";

let dir;
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "chatkeep-zip-aes-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Writes the same entries through `zip`; returns what each must hold. */
async function fill(zip) {
  const enc = new TextEncoder();
  const want = {};
  want["chat.md"] = enc.encode("# A secret\n\nünïcödé ✓ ".repeat(200));
  await zip.add("chat.md", want["chat.md"]);
  want["assets/x.png"] = noise(50_000, 1);
  await zip.add("assets/x.png", want["assets/x.png"]);
  want["tiny.txt"] = enc.encode("a");
  await zip.add("tiny.txt", "a");
  want["empty.txt"] = new Uint8Array(0);
  await zip.add("empty.txt", "");
  // Streamed: deflated in pieces of every size (many deflate blocks), and stored.
  const pieces = [10, 100_000, 1_500_000, 0, 1].map((n, i) => enc.encode(`{"id":${i},"text":"line of ${i}"},`.repeat(Math.ceil(n / 30)).slice(0, n)));
  const big = await zip.open("conversations.json");
  for (const p of pieces) await big.write(p);
  await big.close();
  want["conversations.json"] = Buffer.concat(pieces);
  const photo = await zip.open("photo.jpg");
  const shots = [noise(1000, 2), noise(70_000, 3)];
  for (const p of shots) await photo.write(p);
  await photo.close();
  want["photo.jpg"] = Buffer.concat(shots);
  await (await zip.open("nothing.json")).close();
  want["nothing.json"] = new Uint8Array(0);
  return want;
}

function check(zipFile, want, label) {
  const opened = path.join(dir, `${label}-opened`);
  const inside = openEncrypted(zipFile, PASSWORD, opened);
  assert.deepEqual(inside, Object.keys(want).sort());
  for (const [name, bytes] of Object.entries(want)) {
    assert.ok(Buffer.from(bytes).equals(readFileSync(path.join(opened, name))), `${label}: ${name} differs`);
  }
  const bytes = readFileSync(zipFile);
  assert.ok(!bytes.includes("A secret"), `${label}: plain text in the archive`);
}

test("BlobSink: every entry AES-256, opened by 7z with the password only, byte for byte", async () => {
  const zip = new ZipWriter({ encryption: { password: PASSWORD, AesEntry }, flushBytes: 64 * 1024 });
  const want = await fill(zip);
  const file = path.join(dir, "blob.zip");
  writeFileSync(file, Buffer.from(await (await zip.finish()).arrayBuffer()));
  check(file, want, "blob");
});

test("FileSink: the same, written into a file (as the backup is)", async () => {
  const file = path.join(dir, "file.zip");
  const zip = new ZipWriter({ level: 6, sink: new FileSink(nodeHandle(file)), encryption: { password: PASSWORD, AesEntry } });
  const want = await fill(zip);
  assert.equal(await zip.finish(), null);
  assert.equal(readFileSync(file).length, zip.size);
  check(file, want, "file");
});

test("a password the core refuses fails when the writer is made, before anything is written", () => {
  assert.throws(() => new ZipWriter({ encryption: { password: "short", AesEntry } }), /at least 8 characters/);
});

test("the cost of a salt and keys per entry (printed, for 10,000 entries), and 7z tests them all", async (t) => {
  // 1,000 entries keep the test short; the figure is scaled to a 10,000-entry backup.
  const n = 1000;
  const start = performance.now();
  const zip = new ZipWriter({ level: 0, encryption: { password: PASSWORD, AesEntry } });
  for (let i = 0; i < n; i++) await zip.add(`c/${i}.json`, `{"id":${i}}`);
  const blob = await zip.finish();
  const perEntry = (performance.now() - start) / n;
  t.diagnostic(`${n} encrypted entries: ${perEntry.toFixed(2)} ms an entry (nearly all of it PBKDF2's 1,000 rounds), so about ${((perEntry * 10_000) / 1000).toFixed(0)} s for a 10,000-entry backup`);
  const file = path.join(dir, "many.zip");
  writeFileSync(file, Buffer.from(await blob.arrayBuffer()));
  const tested = execFileSync("7z", ["t", `-p${PASSWORD}`, file], { encoding: "utf8" });
  assert.match(tested, /Everything is Ok/);
  assert.match(tested, new RegExp(`Files: ${n}\\b`));
});
