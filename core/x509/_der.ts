/**
 * A small, strict DER (X.690 §10) reader and writer: single-byte tags, definite minimal lengths,
 * no trailing bytes. Every read is bounds-checked, so malformed input is an X509Error, never a
 * RangeError or a silent misread.
 */
import { concatBytes, utf8 } from "../encoding/bytes.ts";
import { X509Error } from "./errors.ts";

export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  TELETEX_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** `[n]` context-specific tag; constructed for EXPLICIT tagging and for IMPLICIT SEQUENCEs. */
export function contextTag(n: number, constructed: boolean): number {
  return 0x80 | (constructed ? 0x20 : 0) | n;
}

/** One TLV: its tag, its contents, and the whole encoding (for hashing and signing). */
export interface DerNode {
  readonly tag: number;
  readonly value: Uint8Array;
  readonly encoded: Uint8Array;
}

/** Reads the TLVs of one constructed value (or of a whole document) in order. */
export class DerReader {
  readonly #bytes: Uint8Array;
  readonly #what: string;
  #pos = 0;

  constructor(bytes: Uint8Array, what: string) {
    this.#bytes = bytes;
    this.#what = what;
  }

  get done(): boolean {
    return this.#pos >= this.#bytes.length;
  }

  peekTag(): number | undefined {
    return this.done ? undefined : this.#bytes[this.#pos];
  }

  read(): DerNode {
    const b = this.#bytes;
    const start = this.#pos;
    if (start >= b.length) throw new X509Error("MALFORMED_DER", `${this.#what}: unexpected end of input`);
    const tag = b[start];
    if ((tag & 0x1f) === 0x1f) throw new X509Error("MALFORMED_DER", `${this.#what}: multi-byte tag`);
    let pos = start + 1;
    if (pos >= b.length) throw new X509Error("MALFORMED_DER", `${this.#what}: missing length`);
    let length = b[pos++];
    if (length === 0x80) throw new X509Error("MALFORMED_DER", `${this.#what}: indefinite length`);
    if (length > 0x80) {
      const n = length & 0x7f;
      if (n > 4 || pos + n > b.length) throw new X509Error("MALFORMED_DER", `${this.#what}: bad length`);
      if (b[pos] === 0) throw new X509Error("MALFORMED_DER", `${this.#what}: non-minimal length`);
      length = 0;
      for (let i = 0; i < n; i++) length = length * 256 + b[pos++];
      if (length < 0x80) throw new X509Error("MALFORMED_DER", `${this.#what}: non-minimal length`);
    }
    if (length > b.length - pos) throw new X509Error("MALFORMED_DER", `${this.#what}: truncated`);
    this.#pos = pos + length;
    return { tag, value: b.subarray(pos, pos + length), encoded: b.subarray(start, pos + length) };
  }

  expect(tag: number, what: string): DerNode {
    const node = this.read();
    if (node.tag !== tag) {
      throw new X509Error("UNEXPECTED_TAG", `${what}: expected tag 0x${hex(tag)}, got 0x${hex(node.tag)}`);
    }
    return node;
  }

  /** Reads the next TLV only if it has this tag (OPTIONAL and DEFAULT fields). */
  optional(tag: number): DerNode | undefined {
    return this.peekTag() === tag ? this.read() : undefined;
  }

  finish(): void {
    if (!this.done) throw new X509Error("TRAILING_DATA", `${this.#what}: unexpected trailing data`);
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(2, "0");
}

/** Parses exactly one TLV of the given tag that spans all of `bytes`. */
export function readSingle(bytes: Uint8Array, tag: number, what: string): DerNode {
  const r = new DerReader(bytes, what);
  const node = r.expect(tag, what);
  r.finish();
  return node;
}

/** The children of a constructed node. */
export function children(node: DerNode, what: string): DerReader {
  return new DerReader(node.value, what);
}

/** INTEGER contents as big-endian two's complement bytes, checked for minimal encoding. */
export function decodeInteger(node: DerNode, what: string): Uint8Array {
  const v = node.value;
  if (v.length === 0) throw new X509Error("MALFORMED_DER", `${what}: empty INTEGER`);
  if (v.length > 1 && ((v[0] === 0 && v[1] < 0x80) || (v[0] === 0xff && v[1] >= 0x80))) {
    throw new X509Error("MALFORMED_DER", `${what}: non-minimal INTEGER`);
  }
  return v;
}

/** A small non-negative INTEGER (versions, path lengths). */
export function decodeSmallInteger(node: DerNode, what: string): number {
  const v = decodeInteger(node, what);
  if (v[0] >= 0x80 || v.length > 4) throw new X509Error("BAD_VALUE", `${what}: out of range`);
  let n = 0;
  for (const b of v) n = n * 256 + b;
  return n;
}

export function decodeBoolean(node: DerNode, what: string): boolean {
  const v = node.value;
  if (v.length !== 1 || (v[0] !== 0 && v[0] !== 0xff)) {
    throw new X509Error("MALFORMED_DER", `${what}: BOOLEAN must be 00 or ff`);
  }
  return v[0] === 0xff;
}

export interface BitString {
  readonly unusedBits: number;
  readonly bytes: Uint8Array;
}

export function decodeBitString(node: DerNode, what: string): BitString {
  const v = node.value;
  if (v.length === 0 || v[0] > 7 || (v.length === 1 && v[0] !== 0)) {
    throw new X509Error("MALFORMED_DER", `${what}: bad BIT STRING`);
  }
  const unusedBits = v[0];
  if (unusedBits > 0 && (v[v.length - 1] & ((1 << unusedBits) - 1)) !== 0) {
    throw new X509Error("MALFORMED_DER", `${what}: non-zero unused bits`);
  }
  return { unusedBits, bytes: v.subarray(1) };
}

/** OBJECT IDENTIFIER as dotted decimal; arcs beyond 2^53 are rejected rather than rounded. */
export function decodeOid(node: DerNode, what: string): string {
  const v = node.value;
  if (v.length === 0 || (v[v.length - 1] & 0x80) !== 0) {
    throw new X509Error("MALFORMED_DER", `${what}: bad OID`);
  }
  const arcs: number[] = [];
  let n = 0;
  let first = true;
  for (let i = 0; i < v.length; i++) {
    if (n === 0 && v[i] === 0x80) throw new X509Error("MALFORMED_DER", `${what}: non-minimal OID arc`);
    n = n * 128 + (v[i] & 0x7f);
    if (n > Number.MAX_SAFE_INTEGER) throw new X509Error("MALFORMED_DER", `${what}: OID arc too large`);
    if ((v[i] & 0x80) === 0) {
      if (first) {
        const top = n < 40 ? 0 : n < 80 ? 1 : 2;
        arcs.push(top, n - 40 * top);
        first = false;
      } else {
        arcs.push(n);
      }
      n = 0;
    }
  }
  return arcs.join(".");
}

/** Character strings that may carry a name attribute (RFC 5280 §4.1.2.4 DirectoryString, plus IA5). */
export function decodeString(node: DerNode, what: string): string {
  const v = node.value;
  switch (node.tag) {
    case Tag.UTF8_STRING:
      try {
        return utf8.decode(v);
      } catch {
        throw new X509Error("BAD_VALUE", `${what}: invalid UTF-8`);
      }
    case Tag.PRINTABLE_STRING:
    case Tag.IA5_STRING:
    case Tag.TELETEX_STRING: // T.61 is treated as Latin-1, as OpenSSL prints it
      return codePoints(v, 1, what);
    case Tag.BMP_STRING:
      return codePoints(v, 2, what);
    case Tag.UNIVERSAL_STRING:
      return codePoints(v, 4, what);
    default:
      throw new X509Error("UNEXPECTED_TAG", `${what}: not a string type (0x${hex(node.tag)})`);
  }
}

/** Big-endian fixed-width code points; a loop, since spreading a large value would overflow the stack. */
function codePoints(v: Uint8Array, width: 1 | 2 | 4, what: string): string {
  if (v.length % width !== 0) throw new X509Error("BAD_VALUE", `${what}: bad string length`);
  let s = "";
  for (let i = 0; i < v.length; i += width) {
    let c = 0;
    for (let j = 0; j < width; j++) c = c * 256 + v[i + j];
    if (c > 0x10ffff || (c >= 0xd800 && c < 0xe000)) {
      throw new X509Error("BAD_VALUE", `${what}: bad code point`);
    }
    s += String.fromCodePoint(c);
  }
  return s;
}

/** UTCTime `YYMMDDHHMMSSZ` or GeneralizedTime `YYYYMMDDHHMMSSZ`, the only forms RFC 5280 §4.1.2.5 allows. */
export function decodeTime(node: DerNode, what: string): Date {
  if (node.value.length !== 13 && node.value.length !== 15) {
    throw new X509Error("BAD_TIME", `${what}: not a UTCTime/GeneralizedTime of the RFC 5280 form`);
  }
  const s = codePoints(node.value, 1, what);
  let year: number, rest: string;
  if (node.tag === Tag.UTC_TIME && /^\d{12}Z$/.test(s)) {
    const yy = Number(s.slice(0, 2));
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
    rest = s.slice(2);
  } else if (node.tag === Tag.GENERALIZED_TIME && /^\d{14}Z$/.test(s)) {
    year = Number(s.slice(0, 4));
    rest = s.slice(4);
  } else {
    throw new X509Error("BAD_TIME", `${what}: not a UTCTime/GeneralizedTime of the RFC 5280 form`);
  }
  const [month, day, hour, minute, second] = [0, 2, 4, 6, 8].map((i) => Number(rest.slice(i, i + 2)));
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  if (
    date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || date.getUTCHours() !== hour ||
    date.getUTCMinutes() !== minute || date.getUTCSeconds() !== second
  ) {
    throw new X509Error("BAD_TIME", `${what}: no such date`);
  }
  return date;
}

// ---- writer ----

function encodeLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let m = n; m > 0; m = Math.floor(m / 256)) bytes.unshift(m & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

export function encodeTlv(tag: number, ...contents: Uint8Array[]): Uint8Array {
  const value = concatBytes(...contents);
  return concatBytes(Uint8Array.of(tag), encodeLength(value.length), value);
}

export const encodeSequence = (...items: Uint8Array[]): Uint8Array => encodeTlv(Tag.SEQUENCE, ...items);
export const encodeSet = (...items: Uint8Array[]): Uint8Array => encodeTlv(Tag.SET, ...items);
export const encodeOctetString = (bytes: Uint8Array): Uint8Array => encodeTlv(Tag.OCTET_STRING, bytes);
export const encodeUtf8String = (s: string): Uint8Array => encodeTlv(Tag.UTF8_STRING, utf8.encode(s));
export const encodeExplicit = (n: number, inner: Uint8Array): Uint8Array =>
  encodeTlv(contextTag(n, true), inner);

export function encodeBoolean(b: boolean): Uint8Array {
  return Uint8Array.of(Tag.BOOLEAN, 1, b ? 0xff : 0);
}

/** INTEGER from an unsigned big-endian magnitude (or a small number), minimally encoded. */
export function encodeUnsignedInteger(magnitude: Uint8Array | number): Uint8Array {
  let m = typeof magnitude === "number" ? numberBytes(magnitude) : magnitude;
  let i = 0;
  while (i < m.length - 1 && m[i] === 0) i++;
  m = m.subarray(i);
  if (m.length === 0) m = Uint8Array.of(0);
  return encodeTlv(Tag.INTEGER, m[0] >= 0x80 ? Uint8Array.of(0) : new Uint8Array(), m);
}

function numberBytes(n: number): Uint8Array {
  const bytes: number[] = [];
  for (let m = n; m > 0; m = Math.floor(m / 256)) bytes.unshift(m & 0xff);
  return Uint8Array.from(bytes);
}

/** BIT STRING of whole bytes (keys, signatures). */
export function encodeBitString(bytes: Uint8Array): Uint8Array {
  return encodeTlv(Tag.BIT_STRING, Uint8Array.of(0), bytes);
}

/** Named-bit BIT STRING (X.690 §11.2.2: trailing zero bits dropped), bit 0 first. */
export function encodeNamedBits(bits: readonly number[]): Uint8Array {
  const top = Math.max(-1, ...bits);
  const bytes = new Uint8Array(Math.floor(top / 8) + 1);
  for (const b of bits) bytes[b >> 3] |= 0x80 >> (b & 7);
  const unused = top < 0 ? 0 : 7 - (top & 7);
  return encodeTlv(Tag.BIT_STRING, Uint8Array.of(unused), top < 0 ? new Uint8Array() : bytes);
}

export function encodeOid(dotted: string): Uint8Array {
  const arcs = dotted.split(".").map(Number);
  const out: number[] = [];
  const first = [arcs[0] * 40 + arcs[1], ...arcs.slice(2)];
  for (const arc of first) {
    const groups: number[] = [arc & 0x7f];
    for (let m = Math.floor(arc / 128); m > 0; m = Math.floor(m / 128)) groups.unshift(0x80 | (m & 0x7f));
    out.push(...groups);
  }
  return encodeTlv(Tag.OID, Uint8Array.from(out));
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050 (the 999999-day certificates). */
export function encodeTime(date: Date): Uint8Array {
  const y = date.getUTCFullYear();
  if (y < 0 || y > 9999) throw new X509Error("BAD_TIME", "certificate time out of range");
  const two = (n: number) => String(n).padStart(2, "0");
  const tail = two(date.getUTCMonth() + 1) + two(date.getUTCDate()) + two(date.getUTCHours()) +
    two(date.getUTCMinutes()) + two(date.getUTCSeconds()) + "Z";
  return y >= 1950 && y < 2050
    ? encodeTlv(Tag.UTC_TIME, utf8.encode(two(y % 100) + tail))
    : encodeTlv(Tag.GENERALIZED_TIME, utf8.encode(String(y).padStart(4, "0") + tail));
}
