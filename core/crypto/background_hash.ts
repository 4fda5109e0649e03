/**
 * An incremental digest computed on a worker thread, for streams long enough that hashing on the
 * thread that also encrypts would halve its pace: the XFTP file digest (SHA-512 of the whole
 * encrypted file, xftp.md §4.1) costs as much as the encryption itself. Bytes are copied into
 * SLOTS batches of 1 MiB in memory shared with the worker, each handed over and back by index:
 * nothing is allocated per batch, and a worker that falls behind slows the caller down instead of
 * queueing the stream.
 *
 * The worker runs node:crypto, as hash.ts does, from a source text of its own (no module file to
 * resolve, so it works from a `deno compile` binary too). Where workers are not available, the
 * digest is computed in the calling thread.
 */
import { createHasher, type HashAlgorithm } from "./hash.ts";

const BATCH = 1 << 20;
const SLOTS = 4;

// the first message carries the algorithm and the shared slots; then [slot, length] is hashed and
// the slot handed back, and null asks for the digest
const WORKER_SOURCE = `
import { createHash } from "node:crypto";
let hash, shared;
self.onmessage = ({ data }) => {
  if (data === null) self.postMessage({ digest: new Uint8Array(hash.digest()) });
  else if (Array.isArray(data)) {
    hash.update(new Uint8Array(shared, data[0] * ${BATCH}, data[1]));
    self.postMessage(data[0]);
  } else ({ hash, shared } = { hash: createHash(data.algorithm), shared: data.shared });
};
`;

let workerUrl: string | undefined;

export interface BackgroundHasher {
  /** Hashes `bytes` (copied: the caller may reuse them at once); await it, for back-pressure. */
  update(bytes: Uint8Array): Promise<void> | void;
  /** The digest of everything given; ends the hasher. */
  digest(): Promise<Uint8Array>;
  /** Ends the hasher without a digest (on an error path); idempotent. */
  close(): void;
}

/** A hasher on its own worker thread; `close` or `digest` must end it, or the worker keeps running. */
export function createBackgroundHasher(algorithm: HashAlgorithm): BackgroundHasher {
  let worker: Worker;
  try {
    workerUrl ??= URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
    worker = new Worker(workerUrl, { type: "module" });
  } catch {
    return inThread(algorithm);
  }
  return new WorkerHasher(worker, algorithm);
}

class WorkerHasher implements BackgroundHasher {
  readonly #worker: Worker;
  readonly #shared = new SharedArrayBuffer(BATCH * SLOTS);
  readonly #free: number[] = [];
  readonly #digest: Promise<Uint8Array>;
  #slot = 0;
  #batch: Uint8Array;
  #filled = 0;
  #returned: (() => void) | undefined;
  #failure: Error | undefined;
  #closed = false;

  constructor(worker: Worker, algorithm: HashAlgorithm) {
    this.#worker = worker;
    for (let slot = 1; slot < SLOTS; slot++) this.#free.push(slot);
    this.#batch = new Uint8Array(this.#shared, 0, BATCH);
    this.#digest = new Promise((resolve, reject) => {
      worker.onmessage = (e: MessageEvent<number | { digest: Uint8Array }>) => {
        if (typeof e.data !== "number") return resolve(e.data.digest);
        this.#free.push(e.data);
        this.#wake();
      };
      worker.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        reject(this.#failure = new Error(`digest worker failed: ${e.message}`));
        this.#wake();
      };
    });
    this.#digest.catch(() => {});
    worker.postMessage({ algorithm, shared: this.#shared });
  }

  async update(bytes: Uint8Array): Promise<void> {
    for (let off = 0; off < bytes.length;) {
      this.#check();
      const take = Math.min(BATCH - this.#filled, bytes.length - off);
      this.#batch.set(bytes.subarray(off, off + take), this.#filled);
      this.#filled += take;
      off += take;
      if (this.#filled === BATCH) await this.#send();
    }
  }

  async digest(): Promise<Uint8Array> {
    try {
      this.#check();
      if (this.#filled > 0) await this.#send();
      this.#worker.postMessage(null); // answered after every batch before it
      return await this.#digest;
    } finally {
      this.close();
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#worker.terminate();
    this.#wake();
  }

  /** Hands the filled slot to the worker and takes a free one, waiting for the worker if need be. */
  async #send(): Promise<void> {
    this.#worker.postMessage([this.#slot, this.#filled]);
    while (this.#free.length === 0) {
      await new Promise<void>((resolve) => (this.#returned = resolve));
      this.#check();
    }
    this.#slot = this.#free.shift()!;
    this.#batch = new Uint8Array(this.#shared, this.#slot * BATCH, BATCH);
    this.#filled = 0;
  }

  #wake(): void {
    const wake = this.#returned;
    this.#returned = undefined;
    wake?.();
  }

  #check(): void {
    if (this.#failure) throw this.#failure;
    if (this.#closed) throw new Error("background hasher already ended");
  }
}

function inThread(algorithm: HashAlgorithm): BackgroundHasher {
  const h = createHasher(algorithm);
  return {
    update(bytes) {
      h.update(bytes);
    },
    digest: () => Promise.resolve(h.digest()),
    close() {},
  };
}
