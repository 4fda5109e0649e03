/**
 * The XSalsa20 keystream as simplexmq's `Crypto.xSalsa20`/`sbInit_` runs it (xftp.md §2.5):
 * `k1 = HSalsa20(key, 0^16)`, `k2 = HSalsa20(k1, nonce[0:16])`, keystream = Salsa20(k2, nonce[16:24]).
 * That is standard XSalsa20 under the key `HSalsa20(key, 0^16)`, which is why a raw X25519 secret
 * gives NaCl `crypto_box` and a 32-byte symmetric key gives `crypto_secretbox(HSalsa20(key, 0^16))`.
 *
 * The rounds run on the active backend (_backend.ts: libsodium, or WebAssembly four blocks at a
 * time in SIMD lanes); _xsalsa20_js.ts is the earlier pure-JS version, kept as a cross-check.
 *
 * Internal: callers use box.ts and secret_stream.ts.
 */
import { type SalsaPolyBackend, salsaPolyBackend } from "./_backend.ts";

const BLOCK = 64;
const ZERO_INPUT = new Uint8Array(16);

/** HSalsa20(key32, input16) → 32-byte subkey. */
export function hsalsa20(key: Uint8Array, input: Uint8Array): Uint8Array {
  if (key.length !== 32) throw new RangeError("HSalsa20 key must be 32 bytes");
  if (input.length !== 16) throw new RangeError("HSalsa20 input must be 16 bytes");
  return salsaPolyBackend().hsalsa(key, input);
}

/**
 * A position in the keystream that XORs any run of bytes, carrying the unused tail of the last
 * 64-byte block over to the next call. Its key, nonce and counter live here, not in the module.
 */
export class XSalsa20Keystream {
  readonly #backend: SalsaPolyBackend = salsaPolyBackend();
  readonly #key: Uint8Array; // k2
  readonly #nonce: Uint8Array; // nonce[16:24]
  #counter = 0;
  readonly #block = new Uint8Array(BLOCK);
  #used = BLOCK; // bytes of #block already consumed

  constructor(key: Uint8Array, nonce: Uint8Array) {
    if (nonce.length !== 24) throw new RangeError("XSalsa20 nonce must be 24 bytes");
    const k1 = hsalsa20(key, ZERO_INPUT);
    this.#key = hsalsa20(k1, nonce.subarray(0, 16));
    k1.fill(0);
    this.#nonce = nonce.slice(16, 24);
  }

  /** XORs the keystream into `buf` in place; any alignment is fine. */
  xorInPlace(buf: Uint8Array): void {
    this.xor(buf, buf);
  }

  /**
   * Writes `input` XOR the keystream to `output`: as long as `input`, and either `input` itself
   * or not overlapping it (one pass over memory instead of a copy and an in-place pass).
   */
  xor(input: Uint8Array, output: Uint8Array): void {
    const [start, end, counter] = this.#edges(input, output);
    if (end > start) {
      this.#backend.salsa20Xor(
        this.#key,
        this.#nonce,
        input.subarray(start, end),
        output.subarray(start, end),
        counter,
      );
    }
  }

  /**
   * `xor`, with the whole blocks on a thread of Deno's blocking pool where the backend can (a long
   * run need not hold up the calling thread). The position moves on at once, so the next call may
   * follow before this one resolves; `input` and `output` must stay untouched until it does.
   */
  async xorOffThread(input: Uint8Array, output: Uint8Array): Promise<void> {
    const [start, end, counter] = this.#edges(input, output);
    if (end === start) return;
    const args = [this.#key, this.#nonce, input.subarray(start, end), output.subarray(start, end)] as const;
    if (this.#backend.salsa20XorOffThread) await this.#backend.salsa20XorOffThread(...args, counter);
    else this.#backend.salsa20Xor(...args, counter);
  }

  /**
   * Moves the position past the run: XORs the bytes before its first and after its last whole
   * block here, and returns where the whole blocks start and end, and the counter of the first,
   * for the caller to XOR.
   */
  #edges(input: Uint8Array, output: Uint8Array): [start: number, end: number, counter: number] {
    const len = input.length;
    if (output.length !== len) throw new RangeError("keystream output must be as long as the input");
    let i = 0;
    while (this.#used < BLOCK && i < len) output[i] = input[i++] ^ this.#block[this.#used++];
    const start = i;
    const end = len - ((len - start) % BLOCK);
    const counter = this.#counter;
    this.#counter += (end - start) / BLOCK;
    if (end < len) {
      this.#block.fill(0);
      this.#backend.salsa20Xor(this.#key, this.#nonce, this.#block, this.#block, this.#counter++);
      this.#used = 0;
      for (i = end; i < len;) output[i] = input[i++] ^ this.#block[this.#used++];
    }
    return [start, end, counter];
  }

  /** Takes the next `n` keystream bytes (the Poly1305 key is the first 32). */
  take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    this.xorInPlace(out);
    return out;
  }

  destroy(): void {
    this.#key.fill(0);
    this.#block.fill(0);
  }
}
