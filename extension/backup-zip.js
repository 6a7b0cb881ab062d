// Writes the kept backup as one ZIP laid out like ChatGPT's official export, following the
// core's layout (Backup.layout): each conversations part is a JSON array of the kept
// conversations joined byte for byte (written piece by piece, never whole in memory), each
// file under its entry name, the readable copies with their index when the layout names a
// folder for them, then the manifest.
//
// The ZIP is written by a dedicated worker (backup-zip-worker.js) into a file of the
// origin private file system, so memory stays flat whatever the backup's size; the File it
// hands back is read from disk by the download. `backupZipInWorker` starts that worker
// from a page (Chromium's offscreen document, Firefox's background page); the export
// page's worker calls `writeBackupZip` itself.

import { getMany, getRows } from "./backup-store.js";
import { FileSink, ZipWriter } from "./zip-writer.js";
import { errorOf } from "./messages.js";

/** Conversations read from the database at a time. */
const BATCH = 200;
const OPEN = new Uint8Array([0x5b]); // [
const COMMA = new Uint8Array([0x2c]);
const CLOSE = new Uint8Array([0x5d, 0x0a]); // ]\n
/** The folder of the origin private file system that holds the ZIPs written. */
const SCRATCH = "chatkeep-zips";
/** A ZIP older than this is deleted when the next one is written (its download is over). */
const SCRATCH_MAX_AGE_MS = 60 * 60_000;
const decoder = new TextDecoder();

/**
 * Writes the backup ZIP of `layout` (the core's `{parts, files, manifestName, manifest,
 * readable}`) into `zip` (a ZipWriter). `readable`, needed when the layout names a folder
 * for readable copies, converts: `{convert(json, assets) → converted, index(saved, failed)
 * → {md, html}}` (the wasm core's NameSet.convertConversation and indexFiles).
 * `progress({done, total})` is told after every batch of conversations. Fails if a
 * conversation the layout names is not in the database (a missing file is left out: the
 * manifest lists what failed).
 */
/**
 * How the readable copies are written (the wasm core's conversationAssets,
 * NameSet.convertConversation and indexFiles).
 * @typedef {{
 *   assetIds: (json: string) => string[],
 *   convert: (json: string, assets: Record<string, {name: string | null, mime: string | null, bytes: Uint8Array}>) => any,
 *   index: (saved: object[], failed: {title: string, message: string}[]) => {md: string, html: string},
 * }} Readable
 */
/** @param {import("./zip-writer.js").ZipWriter} zip  @param {any} layout
 *  @param {{readable?: Readable, progress?: (p: {done: number, total: number}) => void}} [how] */
export async function writeBackupZip(zip, layout, { readable, progress } = {}) {
  const total = layout.parts.reduce((/** @type {number} */ n, /** @type {{ids: string[]}} */ p) => n + p.ids.length, 0) * (layout.readable ? 2 : 1);
  let done = 0;
  const missing = (/** @type {string} */ id) => new Error(`The backup's conversation ${id} is missing from the browser's storage. Run the backup again to fetch it.`);
  for (const part of layout.parts) {
    const entry = await zip.open(part.name);
    await entry.write(OPEN);
    let first = true;
    for (let i = 0; i < part.ids.length; i += BATCH) {
      const ids = part.ids.slice(i, i + BATCH);
      const rows = await getMany("conversations", ids);
      for (let j = 0; j < rows.length; j++) {
        const row = rows[j];
        if (!row) throw missing(ids[j]);
        if (!first) await entry.write(COMMA);
        await entry.write(row);
        first = false;
      }
      done += ids.length;
      progress?.({ done, total });
    }
    await entry.write(CLOSE);
    await entry.close();
  }
  for (let i = 0; i < layout.files.length; i += BATCH) {
    const batch = layout.files.slice(i, i + BATCH);
    const rows = await getMany("files", batch.map((/** @type {{id: string}} */ f) => f.id));
    for (let j = 0; j < rows.length; j++) {
      const row = rows[j];
      if (row) await zip.add(batch[j].name, row);
    }
  }
  if (layout.readable) {
    if (!readable) throw new Error("The backup asks for readable copies, but nothing was given to write them.");
    /** @type {{title: string, files: string[], create_time?: number, messages: number}[]} */
    const saved = [];
    /** @type {{title: string, message: string}[]} */
    const failed = [];
    const folder = layout.readable;
    /** @type {Map<string, string>} */
    const entries = new Map(layout.files.map((/** @type {{id: string, name: string}} */ f) => [f.id, f.name]));
    // Newest first in the index, as the export page's saves list them.
    for (const part of layout.parts) {
      for (let i = 0; i < part.ids.length; i += BATCH) {
        const ids = part.ids.slice(i, i + BATCH);
        const rows = await getMany("conversations", ids);
        for (let j = 0; j < rows.length; j++) {
          if (!rows[j]) throw missing(ids[j]);
          const json = decoder.decode(rows[j]);
          let c;
          try {
            c = readable.convert(json, await assetsOf(readable.assetIds(json), entries));
          } catch (caught) {
            const e = errorOf(caught);
            failed.push({ title: titleOf(json) ?? ids[j], message: e?.message ?? String(e) });
            continue;
          }
          for (const f of c.files) await zip.add(`${folder}/${f.fileName}`, f.bytes);
          for (const a of c.assets) if (!zip.has(`${folder}/${a.path}`)) await zip.add(`${folder}/${a.path}`, a.bytes);
          saved.push({ title: c.title, files: c.files.map((/** @type {{fileName: string}} */ f) => f.fileName), create_time: c.create_time ?? undefined, messages: c.messages });
        }
        done += ids.length;
        progress?.({ done, total });
      }
    }
    saved.sort((a, b) => (b.create_time ?? 0) - (a.create_time ?? 0));
    const index = readable.index(saved, failed);
    await zip.addFree(`${folder}/index.md`, index.md);
    await zip.addFree(`${folder}/index.html`, index.html);
  }
  await zip.add(layout.manifestName, layout.manifest);
}

/** The kept files of these ids, as the core's convertConversation takes them: `{id:
 *  {name, mime, bytes}}` (the name without the `<id>-` the ZIP's entry adds).
 *  @param {string[]} ids  @param {Map<string, string>} entries */
async function assetsOf(ids, entries) {
  /** @type {Record<string, {name: string | null, mime: string | null, bytes: Uint8Array}>} */
  const assets = {};
  if (!ids?.length) return assets;
  const rows = await getRows("files", ids);
  rows.forEach((row, i) => {
    if (!row?.bytes) return;
    const id = ids[i];
    const entry = row.entry ?? entries.get(id) ?? null;
    const name = entry?.startsWith(`${id}-`) ? entry.slice(id.length + 1) : entry;
    assets[id] = { name, mime: row.mime ?? null, bytes: row.bytes };
  });
  return assets;
}

/** The title of a conversation's JSON, for naming one that could not be converted.
 *  @param {string} json */
function titleOf(json) {
  try {
    const t = JSON.parse(json)?.title;
    return typeof t === "string" && t ? t : null;
  } catch {
    return null;
  }
}

/**
 * A ZipWriter for a ZIP to hand on, and `finish()`, which finishes it and resolves with the
 * archive: written into a new file of the origin private file system (dedicated workers
 * only; older files are deleted first) and read back as a File, or, where the browser
 * offers no such file system, built as a Blob. `encryption` ({password, AesEntry}, see
 * ZipWriter) encrypts every entry; `compress`: the writer's compression stage
 * (zip-writer.js), in this thread when not given.
 * @param {string} prefix  @param {number} level
 * @param {NonNullable<ConstructorParameters<typeof ZipWriter>[0]>["encryption"]} [encryption]
 * @param {NonNullable<ConstructorParameters<typeof ZipWriter>[0]>["compress"]} [compress]
 */
export async function scratchZip(prefix, level, encryption = undefined, compress = undefined) {
  let dir;
  try {
    dir = await (await navigator.storage.getDirectory()).getDirectoryHandle(SCRATCH, { create: true });
  } catch {
    const zip = new ZipWriter({ level, encryption, compress });
    return { zip, finish: async () => zip.finish() };
  }
  const now = Date.now();
  for await (const [name] of dir.entries()) {
    const at = Number(/-(\d+)\.zip$/.exec(name)?.[1]);
    if (!(now - at < SCRATCH_MAX_AGE_MS)) await dir.removeEntry(name).catch(() => {});
  }
  // (createSyncAccessHandle is for dedicated workers: the DOM's types lack it.)
  const handle = /** @type {FileSystemFileHandle & {createSyncAccessHandle(): Promise<import("./zip-writer.js").SyncAccessHandle>}} */ (
    await dir.getFileHandle(`${prefix}-${now}.zip`, { create: true })
  );
  const access = await handle.createSyncAccessHandle();
  let zip;
  try {
    zip = new ZipWriter({ level, sink: new FileSink(access), encryption, compress });
  } catch (e) {
    access.close();
    throw e;
  }
  return {
    zip,
    finish: async () => {
      await zip.finish();
      return handle.getFile();
    },
  };
}

/** Deletes the ZIPs written (with the backup's data). */
export async function clearScratch() {
  try {
    await (await navigator.storage.getDirectory()).removeEntry(SCRATCH, { recursive: true });
  } catch {
    // None written, or no such file system.
  }
}

/**
 * The backup ZIP of `layout` as a File (or a Blob where the browser offers no private file
 * system), written by backup-zip-worker.js. `options` are the core's options for the
 * readable copies (when the layout asks for them); `progress({done, total})` is told as it
 * goes; `password`, when given, encrypts the ZIP (it goes to the worker in its one message
 * and is kept nowhere). For pages (the worker is a dedicated one).
 */
/** @param {any} layout
 *  @param {{options?: object, progress?: (p: {done: number, total: number}) => void, level?: number, password?: string}} [how] */
export function backupZipInWorker(layout, { options, progress, level = 6, password } = {}) {
  const worker = new Worker(new URL("./backup-zip-worker.js", import.meta.url), { type: "module" });
  return new Promise((resolve, reject) => {
    worker.onmessage = ({ data }) => {
      if (data.type === "progress") {
        progress?.(data);
        return;
      }
      worker.terminate();
      if (data.type === "done") resolve(data.file);
      else reject(new Error(data.message ?? "the ZIP could not be written"));
    };
    worker.onerror = (event) => {
      worker.terminate();
      reject(new Error(event.message || "the ZIP writer stopped"));
    };
    worker.postMessage({ layout, options, level, password });
  });
}
