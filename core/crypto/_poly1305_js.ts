/**
 * Poly1305 (RFC 8439 §2.5) in radix 2^22 over float64, about 2-3x faster than @noble/ciphers'
 * 16-bit-limb version in V8, which makes it the faster half of the secret box instead of the slower.
 *
 * Why it is exact: h is kept in six limbs below 2^23 and r in six limbs below 2^22, and since
 * 2^132 ≡ 20 (mod 2^130 − 5) the wrapped terms use s = 20·r < 2^26.4. Every product is below 2^49.4
 * and every column sum of six below 2^52, inside the 53-bit integer range of a double, so `*`, `+`
 * and the power-of-two carries never round.
 *
 * The pure-JS Poly1305 the secret box used before the WebAssembly one (_poly1305.ts); kept as the
 * reference that salsa_poly_test.ts and bench/crypto.ts compare it with.
 */

const LIMB = 4194304; // 2^22
const INV_LIMB = 1 / LIMB;
const MASK = 0x3fffff;
const P = (1n << 130n) - 5n;
const MASK128 = (1n << 128n) - 1n;

export class Poly1305 {
  readonly #r: Float64Array; // r0..r5, then s1..s5 = 20·r1..20·r5 at [7..11]
  readonly #pad: bigint; // s, the second key half
  #h0 = 0;
  #h1 = 0;
  #h2 = 0;
  #h3 = 0;
  #h4 = 0;
  #h5 = 0;
  readonly #buffer = new Uint8Array(16);
  readonly #bufferView = new DataView(this.#buffer.buffer);
  #buffered = 0;
  #finished = false;

  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new RangeError("Poly1305 key must be 32 bytes");
    const k = new DataView(key.buffer, key.byteOffset, 32);
    const w0 = k.getUint32(0, true) & 0x0fffffff;
    const w1 = k.getUint32(4, true) & 0x0ffffffc;
    const w2 = k.getUint32(8, true) & 0x0ffffffc;
    const w3 = k.getUint32(12, true) & 0x0ffffffc;
    const r = new Float64Array(12);
    r[0] = w0 & MASK;
    r[1] = (w0 >>> 22) | ((w1 & 0xfff) << 10);
    r[2] = (w1 >>> 12) | ((w2 & 3) << 20);
    r[3] = (w2 >>> 2) & MASK;
    r[4] = (w2 >>> 24) | ((w3 & 0x3fff) << 8);
    r[5] = w3 >>> 14;
    for (let i = 1; i < 6; i++) r[6 + i] = 20 * r[i];
    this.#r = r;
    let pad = 0n;
    for (let i = 31; i >= 16; i--) pad = (pad << 8n) | BigInt(key[i]);
    this.#pad = pad;
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
      this.#blocks(this.#bufferView, 0, 16, 1);
      this.#buffered = 0;
    }
    const whole = len - ((len - off) % 16);
    if (whole > off) this.#blocks(new DataView(data.buffer, data.byteOffset, len), off, whole, 1);
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
      this.#blocks(this.#bufferView, 0, 16, 0);
    }
    let h = 0n;
    for (const limb of [this.#h5, this.#h4, this.#h3, this.#h2, this.#h1, this.#h0]) {
      h = (h << 22n) + BigInt(limb);
    }
    let tag = ((h % P) + this.#pad) & MASK128;
    const out = new Uint8Array(16);
    for (let i = 0; i < 16; i++, tag >>= 8n) out[i] = Number(tag & 0xffn);
    this.#buffer.fill(0);
    this.#r.fill(0);
    return out;
  }

  /** h = (h + m)·r for each 16-byte block of `view` in [off, end); `hibit` is the 2^128 bit. */
  #blocks(view: DataView, off: number, end: number, hibit: number): void {
    const r = this.#r;
    const r0 = r[0], r1 = r[1], r2 = r[2], r3 = r[3], r4 = r[4], r5 = r[5];
    const s1 = r[7], s2 = r[8], s3 = r[9], s4 = r[10], s5 = r[11];
    const top = hibit << 18; // bit 128 is bit 18 of limb 5 (bits 110..131)
    let h0 = this.#h0, h1 = this.#h1, h2 = this.#h2, h3 = this.#h3, h4 = this.#h4, h5 = this.#h5;
    for (; off < end; off += 16) {
      const w0 = view.getUint32(off, true);
      const w1 = view.getUint32(off + 4, true);
      const w2 = view.getUint32(off + 8, true);
      const w3 = view.getUint32(off + 12, true);
      h0 += w0 & MASK;
      h1 += (w0 >>> 22) | ((w1 & 0xfff) << 10);
      h2 += (w1 >>> 12) | ((w2 & 3) << 20);
      h3 += (w2 >>> 2) & MASK;
      h4 += (w2 >>> 24) | ((w3 & 0x3fff) << 8);
      h5 += (w3 >>> 14) | top;

      let d0 = h0 * r0 + h1 * s5 + h2 * s4 + h3 * s3 + h4 * s2 + h5 * s1;
      let d1 = h0 * r1 + h1 * r0 + h2 * s5 + h3 * s4 + h4 * s3 + h5 * s2;
      let d2 = h0 * r2 + h1 * r1 + h2 * r0 + h3 * s5 + h4 * s4 + h5 * s3;
      let d3 = h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0 + h4 * s5 + h5 * s4;
      let d4 = h0 * r4 + h1 * r3 + h2 * r2 + h3 * r1 + h4 * r0 + h5 * s5;
      let d5 = h0 * r5 + h1 * r4 + h2 * r3 + h3 * r2 + h4 * r1 + h5 * r0;

      let c = Math.floor(d0 * INV_LIMB);
      h0 = d0 - c * LIMB;
      d1 += c;
      c = Math.floor(d1 * INV_LIMB);
      h1 = d1 - c * LIMB;
      d2 += c;
      c = Math.floor(d2 * INV_LIMB);
      h2 = d2 - c * LIMB;
      d3 += c;
      c = Math.floor(d3 * INV_LIMB);
      h3 = d3 - c * LIMB;
      d4 += c;
      c = Math.floor(d4 * INV_LIMB);
      h4 = d4 - c * LIMB;
      d5 += c;
      c = Math.floor(d5 * INV_LIMB);
      h5 = d5 - c * LIMB;
      d0 = h0 + 20 * c; // 2^132 ≡ 20
      c = Math.floor(d0 * INV_LIMB);
      h0 = d0 - c * LIMB;
      h1 += c;
    }
    this.#h0 = h0;
    this.#h1 = h1;
    this.#h2 = h2;
    this.#h3 = h3;
    this.#h4 = h4;
    this.#h5 = h5;
  }
}
