// Reading a user's file in a worker, synchronously (FileReaderSync: workers only), as the
// core's ZipStream needs: used by the export page's worker and the backup's seed worker.

/** Window of the ZIP reader's cache (the ZIP reader makes many small reads). */
const ZIP_WINDOW = 1024 * 1024;

// (A worker-only API: the DOM's types, which the checker uses, do not have it.)
const reader = new (/** @type {any} */ (globalThis).FileReaderSync)();

/** Bytes `[offset, offset + length)` of `file`.
 *  @param {Blob} file  @param {number} offset  @param {number} length
 *  @returns {Uint8Array} */
export function readBytes(file, offset, length) {
  return new Uint8Array(reader.readAsArrayBuffer(file.slice(offset, offset + length)));
}

/** A read(offset, length) function for ZipStream, with a few cached windows, and a count
 *  of bytes read from disk.
 *  @param {Blob} file  @param {{bytes: number}} stats
 *  @returns {(offset: number, length: number) => Uint8Array} */
export function zipReader(file, stats) {
  /** @type {{start: number, bytes: Uint8Array}[]} */
  const windows = []; // most recent first
  return (offset, length) => {
    for (const w of windows) {
      if (offset >= w.start && offset + length <= w.start + w.bytes.length) {
        return w.bytes.subarray(offset - w.start, offset - w.start + length);
      }
    }
    if (length >= ZIP_WINDOW) {
      stats.bytes += length;
      return readBytes(file, offset, length);
    }
    const bytes = readBytes(file, offset, Math.min(ZIP_WINDOW, file.size - offset));
    stats.bytes += bytes.length;
    windows.unshift({ start: offset, bytes });
    if (windows.length > 4) windows.pop();
    return bytes.subarray(0, length);
  };
}
