// Chromium only: its service worker cannot make blob URLs, so this hidden page makes them
// for downloads (reason "BLOBS"), and writes the backup ZIP. Each URL is revoked after a
// minute (a backup ZIP's after ten).
import { api } from "./browser.js";
import { backupZipInWorker } from "./backup-zip.js";
import { Msg } from "./messages.js";

api.runtime.onMessage.addListener((message, _sender, sendResponse) => {
  if (message?.target === "offscreen" && message.type === "chatkeep/offscreen-backup-zip") {
    // The whole-account backup's ZIP, written by a worker from the backup's database (same
    // origin) into a file on disk.
    /** @param {{done: number, total: number}} p */
    const progress = ({ done, total }) => {
      api.runtime.sendMessage({ type: Msg.OFFSCREEN_PROGRESS, done, total }).catch(() => {});
    };
    backupZipInWorker(message.layout, { options: message.options, progress, password: message.password }).then(
      (blob) => {
        const url = URL.createObjectURL(blob);
        setTimeout(() => URL.revokeObjectURL(url), 10 * 60_000);
        sendResponse({ url });
      },
      (e) => sendResponse({ error: e?.message ?? String(e) }),
    );
    return true;
  }
  if (message?.target !== "offscreen" || message.type !== "chatkeep/offscreen-url") return false;
  const bin = atob(message.blob);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const url = URL.createObjectURL(new Blob([bytes], { type: message.mime }));
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  sendResponse({ url });
  return false;
});
