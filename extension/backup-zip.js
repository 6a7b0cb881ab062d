// Writes the kept backup as one ZIP laid out like ChatGPT's official export, following the
// core's layout (Backup.layout): each conversations part is a JSON array of the kept
// conversations joined byte for byte, each file under its entry name, then the manifest.
// Runs where Blobs can be made into URLs: Firefox's background page, Chromium's offscreen
// document, extension pages.

import { getMany } from "./backup-store.js";
import { ZipWriter } from "./zip-writer.js";

/** Conversations read from the database at a time. */
const BATCH = 200;
const OPEN = new Uint8Array([0x5b]); // [
const COMMA = new Uint8Array([0x2c]);
const CLOSE = new Uint8Array([0x5d, 0x0a]); // ]\n

/**
 * The backup ZIP as a Blob. `layout` is the core's `{parts, files, manifestName, manifest}`;
 * `level` the deflate level (0 stores: for opening the backup in the export page at once).
 * Fails if a conversation or file the layout names is not in the database.
 */
export async function backupZip(layout, { level = 6 } = {}) {
  const zip = new ZipWriter({ level });
  for (const part of layout.parts) {
    const pieces = [OPEN];
    for (let i = 0; i < part.ids.length; i += BATCH) {
      const ids = part.ids.slice(i, i + BATCH);
      const rows = await getMany("conversations", ids);
      rows.forEach((bytes, j) => {
        if (!bytes) throw new Error(`The backup's conversation ${ids[j]} is missing from the browser's storage. Run the backup again to fetch it.`);
        if (pieces.length > 1) pieces.push(COMMA);
        pieces.push(bytes);
      });
    }
    pieces.push(CLOSE);
    const joined = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of pieces) {
      joined.set(p, at);
      at += p.length;
    }
    zip.add(part.name, joined);
  }
  for (let i = 0; i < layout.files.length; i += BATCH) {
    const batch = layout.files.slice(i, i + BATCH);
    const rows = await getMany("files", batch.map((f) => f.id));
    rows.forEach((bytes, j) => {
      if (bytes) zip.add(batch[j].name, bytes);
    });
  }
  zip.add(layout.manifestName, layout.manifest);
  return zip.finish();
}
