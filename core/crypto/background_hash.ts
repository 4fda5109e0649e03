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
import { type BackgroundDigest, libcrypto } from "./_libcrypto.ts";

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
  /**
   * Hashes `bytes` where they lie when the hashing thread can read them (libcrypto), else as
   * `update` does: the caller leaves them unchanged until this resolves, and saves a copy.
   */
  updateHeld(bytes: Uint8Array): Promise<void>;
  /** The digest of everything given; ends the hasher. */
  digest(): Promise<Uint8Array>;
  /** Ends the hasher without a digest (on an error path); idempotent. */
  close(): void;
}

/**
 * A hasher off the calling thread: in libcrypto on Deno's blocking thread pool where it loads,
 * else on a worker; `close` or `digest` must end it, or the worker keeps running.
 */
export function createBackgroundHasher(algorithm: HashAlgorithm): BackgroundHasher {
  const native = libcrypto();
  if (native && (algorithm === "sha256" || algorithm === "sha512")) {
    return new NativeHasher(native.backgroundDigest(algorithm));
  }
  let worker: Worker;
  try {
    workerUrl ??= URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
    worker = new Worker(workerUrl, { type: "module" });
  } catch {
    return inThread(algorithm);
  }
  return new WorkerHasher(worker, algorithm);
}

/**
 * Copies the stream into SLOTS batches of BATCH bytes and hands each full one over by index;
 * the caller waits only when every slot is still being hashed.
 */
abstract class SlotHasher implements BackgroundHasher {
  readonly #slots: Uint8Array[];
  readonly #free: number[] = [];
  #slot = 0;
  #filled = 0;
  #returned: (() => void) | undefined;
  #failure: unknown;
  #closed = false;

  constructor(memory: ArrayBufferLike) {
    this.#slots = Array.from({ length: SLOTS }, (_, slot) => new Uint8Array(memory, slot * BATCH, BATCH));
    for (let slot = 1; slot < SLOTS; slot++) this.#free.push(slot);
  }

  /** Starts hashing the first `length` bytes of `slot`; `slotReturned` follows when it was. */
  protected abstract hand(slot: number, batch: Uint8Array): void;
  /** The digest once every handed batch was hashed. */
  protected abstract result(): Promise<Uint8Array>;
  /** Releases the thread or context. */
  protected abstract end(): void;

  async update(bytes: Uint8Array): Promise<void> {
    for (let off = 0; off < bytes.length;) {
      this.#check();
      const take = Math.min(BATCH - this.#filled, bytes.length - off);
      this.#slots[this.#slot].set(bytes.subarray(off, off + take), this.#filled);
      this.#filled += take;
      off += take;
      if (this.#filled === BATCH) await this.#next();
    }
  }

  async updateHeld(bytes: Uint8Array): Promise<void> {
    await this.update(bytes);
  }

  /** Hands over the slot being filled, if anything is in it, so that what follows can be hashed directly. */
  protected async handPartial(): Promise<void> {
    this.#check();
    if (this.#filled > 0) await this.#next();
  }

  async digest(): Promise<Uint8Array> {
    try {
      this.#check();
      if (this.#filled > 0) this.hand(this.#slot, this.#slots[this.#slot].subarray(0, this.#filled));
      return await this.result();
    } finally {
      this.close();
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.end();
    this.#wake();
  }

  protected slotReturned(slot: number): void {
    this.#free.push(slot);
    this.#wake();
  }

  protected failed(error: unknown): void {
    this.#failure ??= error;
    this.#wake();
  }

  /** Hands the filled slot over and takes a free one, waiting for one if need be. */
  async #next(): Promise<void> {
    this.hand(this.#slot, this.#slots[this.#slot].subarray(0, this.#filled));
    while (this.#free.length === 0) {
      await new Promise<void>((resolve) => (this.#returned = resolve));
      this.#check();
    }
    this.#slot = this.#free.shift()!;
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

/** node:crypto on a worker, the slots in memory shared with it. */
class WorkerHasher extends SlotHasher {
  readonly #worker: Worker;
  readonly #digest: Promise<Uint8Array>;

  constructor(worker: Worker, algorithm: HashAlgorithm) {
    const shared = new SharedArrayBuffer(BATCH * SLOTS);
    super(shared);
    this.#worker = worker;
    this.#digest = new Promise((resolve, reject) => {
      worker.onmessage = (e: MessageEvent<number | { digest: Uint8Array }>) => {
        if (typeof e.data === "number") this.slotReturned(e.data);
        else resolve(e.data.digest);
      };
      worker.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        const error = new Error(`digest worker failed: ${e.message}`);
        reject(error);
        this.failed(error);
      };
    });
    this.#digest.catch(() => {});
    worker.postMessage({ algorithm, shared });
  }

  protected hand(slot: number, batch: Uint8Array): void {
    this.#worker.postMessage([slot, batch.length]);
  }

  protected result(): Promise<Uint8Array> {
    this.#worker.postMessage(null); // answered after every batch before it
    return this.#digest;
  }

  protected end(): void {
    this.#worker.terminate();
  }
}

/** libcrypto on Deno's blocking thread pool: each batch hashed where it lies, no worker to start. */
class NativeHasher extends SlotHasher {
  readonly #digest: BackgroundDigest;

  constructor(digest: BackgroundDigest) {
    super(new ArrayBuffer(BATCH * SLOTS));
    this.#digest = digest;
  }

  protected hand(slot: number, batch: Uint8Array): void {
    this.#digest.update(batch).then(() => this.slotReturned(slot), (e) => this.failed(e));
  }

  override async updateHeld(bytes: Uint8Array): Promise<void> {
    await this.handPartial();
    await this.#digest.update(bytes); // after the batches handed before it
  }

  protected result(): Promise<Uint8Array> {
    return this.#digest.digest();
  }

  protected end(): void {
    this.#digest.close();
  }
}

/**
 * The digest of `bytes`, which must stay unchanged until it resolves: on Deno's blocking thread
 * pool where libcrypto loads, so that the caller goes on meanwhile (an XFTP chunk's SHA-256 is
 * checked while the next chunk arrives); else here.
 */
export async function digestOffThread(algorithm: HashAlgorithm, bytes: Uint8Array): Promise<Uint8Array> {
  const native = libcrypto();
  if (!native || (algorithm !== "sha256" && algorithm !== "sha512")) {
    return createHasher(algorithm).update(bytes).digest();
  }
  const digest = native.backgroundDigest(algorithm);
  try {
    await digest.update(bytes);
    return await digest.digest();
  } finally {
    digest.close();
  }
}

/**
 * A digest fed with `updateHeld` only, for a stream of large pieces that the caller keeps
 * unchanged until each update resolves: in libcrypto on Deno's blocking thread pool where it
 * loads (nothing is copied, and no memory is set aside), else here.
 */
export function createHeldHasher(
  algorithm: HashAlgorithm,
): Pick<BackgroundHasher, "updateHeld" | "digest" | "close"> {
  const native = libcrypto();
  if (!native || (algorithm !== "sha256" && algorithm !== "sha512")) return inThread(algorithm);
  const digest = native.backgroundDigest(algorithm);
  return {
    updateHeld: (bytes) => digest.update(bytes),
    digest: () => digest.digest(),
    close: () => digest.close(),
  };
}

function inThread(algorithm: HashAlgorithm): BackgroundHasher {
  const h = createHasher(algorithm);
  return {
    update(bytes) {
      h.update(bytes);
    },
    updateHeld(bytes) {
      h.update(bytes);
      return Promise.resolve();
    },
    digest: () => Promise.resolve(h.digest()),
    close() {},
  };
}
