// Chromium only: its service worker cannot make blob URLs, so this hidden page makes them
// for downloads (reason "BLOBS"). Each URL is revoked after a minute.
import { api } from "./browser.js";

api.runtime.onMessage.addListener((message, _sender, sendResponse) => {
  if (message?.target !== "offscreen" || message.type !== "chatkeep/offscreen-url") return false;
  const bin = atob(message.blob);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const url = URL.createObjectURL(new Blob([bytes], { type: message.mime }));
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  sendResponse({ url });
  return false;
});
