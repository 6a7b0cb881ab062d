// The backup's seed worker: reads an official export ZIP (or an earlier chatkeep backup)
// with the core, which hands over every conversation newer than the backup's copy, or
// missing from it, with the images the ZIP holds. The items go to the page, which keeps
// them (the core runs synchronously here, and IndexedDB writes are asynchronous).
//
// In: {file, state} (state: the backup's saved state, or null). Out: {type: "item", item}
// ({keep: "conversation", id, title, bytes} | {keep: "file", id, entry, bytes}, the bytes
// transferred), {type: "progress", bytesRead, bytesTotal, conversations}, {type: "done",
// stats, state}, {type: "failed", error: {kind, message}}.

import init, { Backup, isZip, ZipStream } from "./pkg/chatkeep_export.js";
import { readBytes, zipReader } from "./file-read.js";
import { errorOf, KindError } from "./messages.js";

const ready = init();

self.onmessage = async ({ data: { file, state } }) => {
  try {
    await ready;
    if (!isZip(readBytes(file, 0, 4))) {
      throw new KindError("not_an_export", "This is not a ZIP file. Choose the ZIP from ChatGPT's “Export data” e-mail, or a chatkeep backup ZIP.");
    }
    const backup = state ? Backup.fromJson(state) : new Backup(null);
    const zip = new ZipStream(file.size, zipReader(file, { bytes: 0 }));
    let shown = 0;
    const stats = backup.seedZip(zip, (/** @type {{bytes: Uint8Array}} */ item, /** @type {object} */ progress) => {
      self.postMessage({ type: "item", item }, { transfer: [item.bytes.buffer] });
      const now = Date.now();
      if (now - shown > 200) {
        shown = now;
        self.postMessage({ type: "progress", ...progress });
      }
    });
    self.postMessage({ type: "done", stats, state: backup.toJson() });
  } catch (caught) {
    const e = errorOf(caught);
    self.postMessage({ type: "failed", error: { kind: e?.kind ?? "internal", message: e?.message ?? String(e) } });
  }
};
