// Reading a user's file in a worker, synchronously (FileReaderSync: workers only), as the
// core's ZipStream needs: used by the export page's worker and the backup's seed worker.

/** Window of the ZIP reader's cache (the ZIP reader makes many small reads). */
const ZIP_WINDOW = 1024 * 1024;

// (A worker-only API: the DOM's types, which the checker uses, do not have it.)
const reader = new (/** @type {any} */ (globalThis).FileReaderSync)();

/** Bytes `[offset, offset + length)` of `file`. */
export function readBytes(file, offset, length) {
  return new Uint8Array(reader.readAsArrayBuffer(file.slice(offset, offset + length)));
}

/** A read(offset, length) function for ZipStream, with a few cached windows, and a count
 *  of bytes read from disk. */
export function zipReader(file, stats) {
  const windows = []; // most recent first: {start, bytes}
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
