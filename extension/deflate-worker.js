// A worker of the DeflatePool (deflate-pool.js): message in {id, bytes}; message out {id,
// crc, data, deflated} (the deflated bytes when smaller, else the bytes given back), or
// {id, error}.

import { compressHere } from "./zip-writer.js";
import { errorOf } from "./messages.js";

self.onmessage = async ({ data: { id, bytes } }) => {
  try {
    const { crc, data, deflated } = await compressHere(bytes);
    const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
    postMessage({ id, crc, data, deflated }, { transfer: whole ? [data.buffer] : [] });
  } catch (caught) {
    const e = errorOf(caught);
    postMessage({ id, error: String(e?.message ?? e) });
  }
};
