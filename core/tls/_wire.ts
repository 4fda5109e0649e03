/**
 * Reading and writing the TLS presentation language (RFC 8446 §3): big-endian integers and
 * vectors with 1-, 2- or 3-byte length prefixes. Every read is bounds-checked and a short input is
 * a decode_error, so a malformed message can never throw anything but a TlsError.
 */
import { fail } from "./errors.ts";

export class WireReader {
  private offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  u8(): number {
    return this.take(1)[0];
  }

  u16(): number {
    const b = this.take(2);
    return (b[0] << 8) | b[1];
  }

  u24(): number {
    const b = this.take(3);
    return (b[0] << 16) | (b[1] << 8) | b[2];
  }

  fixed(n: number): Uint8Array {
    return this.take(n);
  }

  /** A vector whose length prefix is `prefix` bytes (`<0..2^8-1>` is 1, `<0..2^16-1>` is 2, …). */
  vector(prefix: 1 | 2 | 3, min = 0): Uint8Array {
    const n = prefix === 1 ? this.u8() : prefix === 2 ? this.u16() : this.u24();
    if (n < min) fail("decode_error", `vector shorter than ${min} bytes`);
    return this.take(n);
  }

  rest(): Uint8Array {
    return this.take(this.remaining);
  }

  /** Every structure must be consumed exactly: trailing bytes are a decode_error. */
  end(what: string): void {
    if (this.remaining !== 0) fail("decode_error", `trailing bytes after ${what}`);
  }

  private take(n: number): Uint8Array {
    if (n > this.remaining) fail("decode_error", "message truncated");
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
}

export class WireWriter {
  private buf = new Uint8Array(256);
  private length = 0;

  u8(v: number): this {
    this.reserve(1)[0] = v;
    return this;
  }

  u16(v: number): this {
    const b = this.reserve(2);
    b[0] = v >>> 8;
    b[1] = v;
    return this;
  }

  u24(v: number): this {
    const b = this.reserve(3);
    b[0] = v >>> 16;
    b[1] = v >>> 8;
    b[2] = v;
    return this;
  }

  bytes(v: Uint8Array): this {
    this.reserve(v.length).set(v);
    return this;
  }

  vector(prefix: 1 | 2 | 3, v: Uint8Array): this {
    if (v.length >= 2 ** (8 * prefix)) throw new RangeError("vector too long for its length prefix");
    if (prefix === 1) this.u8(v.length);
    else if (prefix === 2) this.u16(v.length);
    else this.u24(v.length);
    return this.bytes(v);
  }

  /** Writes a length-prefixed vector whose body is built by `body`. */
  nested(prefix: 1 | 2 | 3, body: (w: WireWriter) => void): this {
    const inner = new WireWriter();
    body(inner);
    return this.vector(prefix, inner.finish());
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }

  private reserve(n: number): Uint8Array {
    if (this.length + n > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
    }
    const out = this.buf.subarray(this.length, this.length + n);
    this.length += n;
    return out;
  }
}
