// The ZIP writer's compression stage spread over workers (deflate-worker.js), so that a
// save converts conversations in one thread while others deflate what it converted:
//
//   const pool = DeflatePool.forThisMachine();   // null on a single core
//   const zip = new ZipWriter({ compress: pool?.compress ?? compressHere });
//   …
//   pool?.close();
//
// The bytes given are taken over (moved to the worker, not copied) when they are the whole
// of their buffer.

export class DeflatePool {
  /** A pool of `size` workers.
   *  @param {number} size */
  constructor(size) {
    /** @type {Worker[]} */
    this.workers = [];
    /** @type {Map<number, {resolve: (r: {crc: number, data: Uint8Array, deflated: boolean}) => void, reject: (e: Error) => void}>} */
    this.calls = new Map();
    this.nextId = 0;
    this.turn = 0;
    for (let i = 0; i < size; i++) {
      const worker = new Worker(new URL("./deflate-worker.js", import.meta.url), { type: "module" });
      worker.onmessage = ({ data }) => {
        const call = this.calls.get(data.id);
        if (!call) return;
        this.calls.delete(data.id);
        if (data.error) call.reject(new Error(data.error));
        else call.resolve({ crc: data.crc, data: data.data, deflated: data.deflated });
      };
      worker.onerror = (event) => this.fail(new Error(event.message || "the deflate worker stopped"));
      this.workers.push(worker);
    }
    /** @param {Uint8Array} bytes */
    this.compress = (bytes) => this.deflate(bytes);
  }

  /** A pool using the cores this machine has beside the calling thread's (at most two
   *  workers), or null when it has only one. */
  static forThisMachine() {
    const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
    return cores > 1 ? new DeflatePool(Math.min(2, cores - 1)) : null;
  }

  /** `{crc, data, deflated}` of `bytes`, as compressHere (zip-writer.js) gives them.
   *  @param {Uint8Array} bytes
   *  @returns {Promise<{crc: number, data: Uint8Array, deflated: boolean}>} */
  deflate(bytes) {
    const id = this.nextId++;
    const worker = this.workers[this.turn++ % this.workers.length];
    const whole = bytes.buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    return new Promise((resolve, reject) => {
      this.calls.set(id, { resolve, reject });
      worker.postMessage({ id, bytes }, whole ? [bytes.buffer] : []);
    });
  }

  /** @param {Error} error */
  fail(error) {
    for (const call of this.calls.values()) call.reject(error);
    this.calls.clear();
  }

  close() {
    for (const w of this.workers) w.terminate();
    this.fail(new Error("the deflate pool was closed"));
  }
}
