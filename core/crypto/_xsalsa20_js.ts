/**
 * The XSalsa20 keystream as simplexmq's `Crypto.xSalsa20`/`sbInit_` runs it (xftp.md §2.5):
 * `k1 = HSalsa20(key, 0^16)`, `k2 = HSalsa20(k1, nonce[0:16])`, keystream = Salsa20(k2, nonce[16:24]).
 * That is standard XSalsa20 under the key `HSalsa20(key, 0^16)`, which is why a raw X25519 secret
 * gives NaCl `crypto_box` and a 32-byte symmetric key gives `crypto_secretbox(HSalsa20(key, 0^16))`.
 *
 * The pure-JS keystream (@noble/ciphers' Salsa20 core) the secret box used before the WebAssembly
 * one (_xsalsa20.ts); kept as the reference that salsa_poly_test.ts and bench/crypto.ts compare it with.
 */
import { hsalsa, salsa20 } from "@noble/ciphers/salsa.js";

const BLOCK = 64;
const ZERO_BLOCK = new Uint8Array(BLOCK);
// "expand 32-byte k", as the host-endian words noble's core reads (every Deno target is little-endian).
const SIGMA = new Uint32Array(new TextEncoder().encode("expand 32-byte k").buffer);

/** HSalsa20(key32, input16) → 32-byte subkey. */
export function hsalsa20(key: Uint8Array, input: Uint8Array): Uint8Array {
  if (key.length !== 32) throw new RangeError("HSalsa20 key must be 32 bytes");
  if (input.length !== 16) throw new RangeError("HSalsa20 input must be 16 bytes");
  const k = words(key, 8);
  const out = new Uint32Array(8);
  hsalsa(SIGMA, k, words(input, 4), out);
  k.fill(0);
  return new Uint8Array(out.buffer);
}

function words(bytes: Uint8Array, n: number): Uint32Array {
  const w = new Uint32Array(n);
  new Uint8Array(w.buffer).set(bytes);
  return w;
}

/**
 * A position in the keystream that XORs any run of bytes, carrying the unused tail of the last
 * 64-byte block over to the next call.
 */
export class XSalsa20Keystream {
  readonly #key: Uint8Array; // k2
  readonly #nonce: Uint8Array; // nonce[16:24]
  #counter = 0;
  readonly #block = new Uint8Array(BLOCK);
  #used = BLOCK; // bytes of #block already consumed

  constructor(key: Uint8Array, nonce: Uint8Array) {
    if (nonce.length !== 24) throw new RangeError("XSalsa20 nonce must be 24 bytes");
    const k1 = hsalsa20(key, ZERO_BLOCK.subarray(0, 16));
    this.#key = hsalsa20(k1, nonce.subarray(0, 16));
    k1.fill(0);
    this.#nonce = nonce.slice(16, 24);
  }

  /**
   * XORs the keystream into `buf` in place. Whole blocks go through noble's word-wise path, which
   * needs them 4-byte aligned: see `alignedCopy`.
   */
  xorInPlace(buf: Uint8Array): void {
    const len = buf.length;
    let i = 0;
    while (this.#used < BLOCK && i < len) buf[i++] ^= this.#block[this.#used++];
    const whole = len - i - ((len - i) % BLOCK);
    if (whole > 0) {
      const run = buf.subarray(i, i + whole);
      salsa20(this.#key, this.#nonce, run, run, this.#counter);
      this.#counter += whole / BLOCK;
      i += whole;
    }
    if (i < len) {
      salsa20(this.#key, this.#nonce, ZERO_BLOCK, this.#block, this.#counter++);
      this.#used = 0;
      while (i < len) buf[i++] ^= this.#block[this.#used++];
    }
  }

  /** Bytes that `xorInPlace` will take from the carried-over block before reaching a block boundary. */
  get carried(): number {
    return BLOCK - this.#used;
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

/**
 * A copy of `data` placed so that its byte at `offset` is 4-byte aligned, so `xorInPlace` can use
 * the fast path whatever the caller's chunk boundaries are.
 */
export function alignedCopy(data: Uint8Array, offset: number): Uint8Array {
  const shift = (4 - (offset % 4)) % 4;
  const buf = new Uint8Array(data.length + shift).subarray(shift);
  buf.set(data);
  return buf;
}
