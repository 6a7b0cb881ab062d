// Encrypted ZIPs the extension writes, checked with Debian's 7z (p7zip-full): every entry
// AES-256, nothing extracted with a wrong password, everything with the right one.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { listFiles } from "./harness.mjs";

function sevenZip(args) {
  // -p always: 7z must never wait for a password on standard input.
  return spawnSync("7z", args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] });
}

/**
 * Checks the encrypted ZIP `zip`: every entry is listed as AES-256 encrypted; `7z t` and
 * `7z x` with a wrong password fail and leave no byte of any file; with `password` the test
 * passes. Extracts it into `into` and returns its files (sorted paths).
 */
export function openEncrypted(zip, password, into) {
  const listing = sevenZip(["l", "-slt", "-pnot-the-password", zip]);
  assert.equal(listing.status, 0, `7z l: ${listing.stdout}${listing.stderr}`);
  // The archive's own block, a line of dashes, then one block an entry.
  const entries = listing.stdout.split(/^-{10}$/m)[1].split(/\n(?=Path = )/).slice(1).filter((e) => !/^Folder = \+$/m.test(e));
  assert.ok(entries.length > 0, "the ZIP lists no file");
  for (const e of entries) {
    const name = /^Path = (.*)$/m.exec(e)?.[1];
    assert.match(e, /^Encrypted = \+$/m, `${name} is not encrypted`);
    assert.match(e, /^Method = AES-256/m, `${name} is not AES-256`);
  }

  const wrongDir = `${into}-wrong-password`;
  mkdirSync(wrongDir, { recursive: true });
  const tested = sevenZip(["t", "-pnot-the-password", zip]);
  assert.notEqual(tested.status, 0, "7z t passed with a wrong password");
  const wrong = sevenZip(["x", "-y", "-pnot-the-password", `-o${wrongDir}`, zip]);
  assert.notEqual(wrong.status, 0, "7z x succeeded with a wrong password");
  for (const f of listFiles(wrongDir)) {
    assert.equal(statSync(path.join(wrongDir, f)).size, 0, `${f}: bytes came out with a wrong password`);
  }

  const right = sevenZip(["t", `-p${password}`, zip]);
  assert.equal(right.status, 0, `7z t with the password: ${right.stdout}${right.stderr}`);
  assert.match(right.stdout, /Everything is Ok/);
  const x = sevenZip(["x", "-y", `-p${password}`, `-o${into}`, zip]);
  assert.equal(x.status, 0, `7z x with the password: ${x.stdout}${x.stderr}`);
  return listFiles(into);
}

/** Asserts that `names` (paths under both) hold the same bytes in `dirA` and `dirB`. */
export function assertSameFiles(dirA, dirB, names) {
  for (const name of names) {
    const a = readFileSync(path.join(dirA, name));
    const b = readFileSync(path.join(dirB, name));
    assert.ok(a.equals(b), `${name} differs between ${dirA} and ${dirB}`);
  }
}
