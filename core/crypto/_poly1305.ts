/**
 * Poly1305 (RFC 8439 §2.5) in WebAssembly (wasm/salsa_poly.ts: 26-bit limbs, u64 products).
 * The accumulator lives in this object and is handed to the module on each call, so instances
 * are independent. _poly1305_js.ts is the previous float64 version; poly1305_test.ts
 * cross-checks this one with noble.
 *
 * Internal: used by the secret box; one instance per message.
 */
import { polyBlocks, polyFinish, polyInit } from "./_salsa_poly.ts";

export class Poly1305 {
  readonly #state: Uint8Array;
  readonly #buffer = new Uint8Array(16);
  #buffered = 0;
  #finished = false;

  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new RangeError("Poly1305 key must be 32 bytes");
    this.#state = polyInit(key);
  }

  update(data: Uint8Array): this {
    if (this.#finished) throw new Error("Poly1305 already finished");
    let off = 0;
    const len = data.length;
    if (this.#buffered > 0) {
      const take = Math.min(16 - this.#buffered, len);
      this.#buffer.set(data.subarray(0, take), this.#buffered);
      this.#buffered += take;
      off = take;
      if (this.#buffered < 16) return this;
      polyBlocks(this.#state, this.#buffer, 1);
      this.#buffered = 0;
    }
    const whole = len - ((len - off) % 16);
    if (whole > off) polyBlocks(this.#state, data.subarray(off, whole), 1);
    if (whole < len) {
      this.#buffer.set(data.subarray(whole));
      this.#buffered = len - whole;
    }
    return this;
  }

  digest(): Uint8Array {
    if (this.#finished) throw new Error("Poly1305 already finished");
    this.#finished = true;
    if (this.#buffered > 0) {
      // a last partial block: its bytes, then 0x01, then zeros, and no 2^128 bit (RFC 8439 §2.5.1)
      this.#buffer[this.#buffered] = 1;
      this.#buffer.fill(0, this.#buffered + 1);
      polyBlocks(this.#state, this.#buffer, 0);
    }
    const tag = polyFinish(this.#state);
    this.#buffer.fill(0);
    this.#state.fill(0);
    return tag;
  }
}
