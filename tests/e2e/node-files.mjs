// What the ZIP writer's Node tests (zip-writer.test.mjs, zip-writer-aes.test.mjs) share: a
// file of Node's in the shape of the browser's sync access handle, and bytes that do not
// deflate.

import { closeSync, fsyncSync, ftruncateSync, openSync, readSync, writeSync } from "node:fs";

/** A FileSystemSyncAccessHandle over a file of Node's (write at, read at, truncate, flush,
 *  close). */
export function nodeHandle(file) {
  const fd = openSync(file, "w+");
  return {
    write: (bytes, { at }) => writeSync(fd, bytes, 0, bytes.length, at),
    read: (bytes, { at }) => readSync(fd, bytes, 0, bytes.length, at),
    truncate: (n) => ftruncateSync(fd, n),
    flush: () => fsyncSync(fd),
    close: () => closeSync(fd),
  };
}

/** `n` pseudo-random bytes from `seed` (xorshift): they do not deflate. */
export function noise(n, seed) {
  const b = new Uint8Array(n);
  let x = seed * 2654435761 >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}
