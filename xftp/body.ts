/**
 * An HTTP/2 request body read the way XFTP reads it (xftp.md §1.2): the first 16384 bytes as the
 * block ("head"), buffered across DATA frames, then the rest as a stream of chunks (FPUT).
 */
import type { Readable } from "node:stream";

export class RequestBody {
  readonly #chunks: AsyncIterator<Uint8Array>;
  #pending: Uint8Array | undefined;
  #ended = false;

  constructor(stream: Readable) {
    this.#chunks = stream[Symbol.asyncIterator]();
  }

  /** The next chunk of the body, or null at its end. */
  async next(): Promise<Uint8Array | null> {
    if (this.#pending) {
      const p = this.#pending;
      this.#pending = undefined;
      return p;
    }
    if (this.#ended) return null;
    const r = await this.#chunks.next();
    if (r.done) {
      this.#ended = true;
      return null;
    }
    const c = r.value as Uint8Array;
    return new Uint8Array(c.buffer, c.byteOffset, c.byteLength);
  }

  /** Exactly `n` bytes, or fewer when the body ends first. */
  async head(n: number): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const c = await this.next();
      if (c === null) return out.slice(0, filled);
      const take = Math.min(c.length, n - filled);
      out.set(c.subarray(0, take), filled);
      filled += take;
      if (take < c.length) this.#pending = c.subarray(take);
    }
    return out;
  }

  /** Reads and drops the rest of the body; resolves to its length. */
  async drain(): Promise<number> {
    let n = 0;
    for (let c = await this.next(); c !== null; c = await this.next()) n += c.length;
    return n;
  }
}
