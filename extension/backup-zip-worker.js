// Writes the whole-account backup's ZIP (see backup-zip.js), started by backupZipInWorker.
// A dedicated worker, because only dedicated workers may write a file of the origin private
// file system synchronously, which keeps memory flat however big the backup is; it also
// loads the wasm core when the backup asks for readable copies.
//
// Message in: {layout, options, level, password?} (the core's layout; the core's options for
// the readable copies; a password to encrypt the ZIP with, used here and kept nowhere). Messages out: {type: "progress", done, total}, then {type: "done",
// file} (a File on disk, or a Blob where there is no such file system) or {type: "failed",
// message}.

import init, { AesEntry, conversationAssets, indexFiles, NameSet } from "./pkg/chatkeep_export.js";
import { scratchZip, writeBackupZip } from "./backup-zip.js";
import { errorOf } from "./messages.js";

self.onmessage = async ({ data: { layout, options, level, password } }) => {
  /** @type {NameSet | null} */
  let names = null;
  try {
    /** @type {import("./backup-zip.js").Readable | undefined} */
    let readable;
    if (layout.readable) {
      await init();
      const set = new NameSet();
      names = set;
      const title = `chatkeep backup, ${layout.zipName.replace(/^chatkeep-backup-|\.zip$/g, "")}`;
      readable = {
        assetIds: (json) => conversationAssets(json),
        convert: (json, assets) => set.convertConversation(json, options, assets),
        index: (saved, failed) => indexFiles(title, saved, failed, options?.utc_offset_minutes ?? 0),
      };
    }
    if (password !== undefined) await init();
    const encryption = password === undefined ? undefined : { password, AesEntry };
    const { zip, finish } = await scratchZip("backup", level, encryption);
    let last = 0;
    await writeBackupZip(zip, layout, {
      readable,
      progress: (p) => {
        if (Date.now() - last < 250 && p.done < p.total) return;
        last = Date.now();
        postMessage({ type: "progress", ...p });
      },
    });
    postMessage({ type: "done", file: await finish() });
  } catch (caught) {
    const e = errorOf(caught);
    postMessage({ type: "failed", message: e?.message ?? String(e) });
  } finally {
    names?.free();
  }
};
