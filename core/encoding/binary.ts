/**
 * The SimpleX binary encoding (`Simplex.Messaging.Encoding`, smp.md §0): big-endian integers,
 * `short` (u8-length) and `large` (u16-length) byte strings, `'0'`/`'1'` Maybe tags, `'T'`/`'F'`
 * booleans, u8-counted lists, and space-separated ASCII tags.
 *
 * A `Reader` never reads past its input: every shortfall is a `ParseError` carrying the offset,
 * and `decode` turns it into a value so that protocol code can answer with its own error.
 */

export class ParseError extends Error {
  override name = "ParseError";
  constructor(message: string, readonly offset: number) {
    super(`${message} at byte ${offset}`);
  }
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: ParseError };

export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

const SPACE = 0x20;

export class Reader {
  #pos: number;

  constructor(readonly input: Uint8Array, offset = 0) {
    this.#pos = offset;
  }

  get offset(): number {
    return this.#pos;
  }

  get remaining(): number {
    return this.input.length - this.#pos;
  }

  fail(message: string): never {
    throw new ParseError(message, this.#pos);
  }

  #need(n: number, what: string): void {
    if (n > this.input.length - this.#pos) {
      this.fail(`truncated ${what}: need ${n} bytes, have ${this.remaining}`);
    }
  }

  byte(): number {
    this.#need(1, "byte");
    return this.input[this.#pos++];
  }

  peekByte(): number | undefined {
    return this.input[this.#pos];
  }

  /** Exactly `n` bytes, as a view into the input (copy it to keep it past the input's lifetime). */
  bytes(n: number): Uint8Array {
    this.#need(n, "bytes");
    const out = this.input.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }

  word16(): number {
    this.#need(2, "Word16");
    const p = this.#pos;
    this.#pos += 2;
    return (this.input[p] << 8) | this.input[p + 1];
  }

  word32(): number {
    this.#need(4, "Word32");
    const p = this.#pos;
    this.#pos += 4;
    return ((this.input[p] << 24) | (this.input[p + 1] << 16) | (this.input[p + 2] << 8) |
      this.input[p + 3]) >>> 0;
  }

  /** Int64 as two Word32, high first (signed). */
  int64(): bigint {
    const hi = this.word32();
    const lo = this.word32();
    return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
  }

  /** SystemTime: whole seconds since the epoch as Int64. */
  systemTime(): number {
    const seconds = this.int64();
    if (seconds > BigInt(Number.MAX_SAFE_INTEGER) || seconds < BigInt(Number.MIN_SAFE_INTEGER)) {
      this.fail("time out of range");
    }
    return Number(seconds);
  }

  bool(): boolean {
    const c = this.byte();
    if (c === 0x54) return true; // 'T'
    if (c === 0x46) return false; // 'F'
    return this.fail("bad Bool tag");
  }

  maybe<T>(parse: (r: Reader) => T): T | undefined {
    const c = this.byte();
    if (c === 0x30) return undefined; // '0'
    if (c === 0x31) return parse(this); // '1'
    return this.fail("bad Maybe tag");
  }

  shortBytes(): Uint8Array {
    return this.bytes(this.byte());
  }

  largeBytes(): Uint8Array {
    return this.bytes(this.word16());
  }

  /** The rest of the input. */
  tail(): Uint8Array {
    return this.bytes(this.remaining);
  }

  list<T>(parse: (r: Reader) => T): T[] {
    const n = this.byte();
    const items: T[] = [];
    for (let i = 0; i < n; i++) items.push(parse(this));
    return items;
  }

  nonEmpty<T>(parse: (r: Reader) => T): [T, ...T[]] {
    const items = this.list(parse);
    if (items.length === 0) this.fail("empty NonEmpty list");
    return items as [T, ...T[]];
  }

  versionRange(): VersionRange {
    const min = this.word16();
    const max = this.word16();
    if (min > max) this.fail("version range with min > max");
    return { min, max };
  }

  /** An ASCII tag: the bytes up to the next space or the end of input (the space is not consumed). */
  tag(): string {
    const start = this.#pos;
    let end = start;
    while (end < this.input.length && this.input[end] !== SPACE) end++;
    if (end === start) this.fail("empty tag");
    this.#pos = end;
    return String.fromCharCode(...this.input.subarray(start, end));
  }

  space(): void {
    if (this.byte() !== SPACE) {
      this.#pos--;
      this.fail("expected space");
    }
  }

  /** Consumes `expected` or fails. */
  literal(expected: Uint8Array | string): void {
    const bytes = typeof expected === "string" ? asciiBytes(expected) : expected;
    this.#need(bytes.length, "literal");
    for (let i = 0; i < bytes.length; i++) {
      if (this.input[this.#pos + i] !== bytes[i]) this.fail("unexpected bytes");
    }
    this.#pos += bytes.length;
  }

  atEnd(): boolean {
    return this.#pos === this.input.length;
  }

  /** Runs `parse`; on a ParseError rewinds and gives undefined (attoparsec's `optional`). */
  optional<T>(parse: (r: Reader) => T): T | undefined {
    const start = this.#pos;
    try {
      return parse(this);
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      this.#pos = start;
      return undefined;
    }
  }

  end(): void {
    if (!this.atEnd()) this.fail(`${this.remaining} unexpected trailing bytes`);
  }
}

/**
 * Runs a parser over the whole input. Trailing bytes are an error unless `allowTrailing`
 * (upstream ignores them in a few places, e.g. the handshake).
 */
export function decode<T>(
  input: Uint8Array,
  parse: (r: Reader) => T,
  options: { allowTrailing?: boolean } = {},
): ParseResult<T> {
  const r = new Reader(input);
  try {
    const value = parse(r);
    if (!options.allowTrailing) r.end();
    return { ok: true, value };
  } catch (e) {
    if (e instanceof ParseError) return { ok: false, error: e };
    throw e;
  }
}

export class EncodeError extends Error {
  override name = "EncodeError";
}

/** Appends encodings into a growing buffer; `finish()` returns exactly the bytes written. */
export class Writer {
  #buf: Uint8Array;
  #len = 0;

  constructor(capacity = 256) {
    this.#buf = new Uint8Array(capacity);
  }

  get length(): number {
    return this.#len;
  }

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < this.#len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  byte(b: number): this {
    if (!Number.isInteger(b) || b < 0 || b > 255) throw new EncodeError(`byte out of range: ${b}`);
    this.#reserve(1);
    this.#buf[this.#len++] = b;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.#reserve(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
    return this;
  }

  word16(n: number): this {
    if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new EncodeError(`Word16 out of range: ${n}`);
    this.#reserve(2);
    this.#buf[this.#len++] = n >>> 8;
    this.#buf[this.#len++] = n & 0xff;
    return this;
  }

  word32(n: number): this {
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new EncodeError(`Word32 out of range: ${n}`);
    this.#reserve(4);
    this.#buf[this.#len++] = n >>> 24;
    this.#buf[this.#len++] = (n >>> 16) & 0xff;
    this.#buf[this.#len++] = (n >>> 8) & 0xff;
    this.#buf[this.#len++] = n & 0xff;
    return this;
  }

  int64(n: bigint | number): this {
    const v = BigInt(n);
    if (v !== BigInt.asIntN(64, v)) throw new EncodeError(`Int64 out of range: ${n}`);
    const u = BigInt.asUintN(64, v);
    return this.word32(Number(u >> 32n)).word32(Number(u & 0xffffffffn));
  }

  systemTime(seconds: number): this {
    if (!Number.isSafeInteger(seconds)) throw new EncodeError("SystemTime must be whole seconds");
    return this.int64(seconds);
  }

  bool(b: boolean): this {
    return this.byte(b ? 0x54 : 0x46);
  }

  maybe<T>(value: T | undefined, encode: (w: Writer, v: T) => void): this {
    if (value === undefined) return this.byte(0x30);
    this.byte(0x31);
    encode(this, value);
    return this;
  }

  /** u8 length + bytes. Upstream would silently wrap past 255; we refuse. */
  shortBytes(b: Uint8Array): this {
    if (b.length > 255) throw new EncodeError(`short byte string of ${b.length} bytes (max 255)`);
    return this.byte(b.length).bytes(b);
  }

  largeBytes(b: Uint8Array): this {
    if (b.length > 0xffff) throw new EncodeError(`large byte string of ${b.length} bytes (max 65535)`);
    return this.word16(b.length).bytes(b);
  }

  list<T>(items: readonly T[], encode: (w: Writer, v: T) => void): this {
    if (items.length > 255) throw new EncodeError(`list of ${items.length} items (max 255)`);
    this.byte(items.length);
    for (const item of items) encode(this, item);
    return this;
  }

  nonEmpty<T>(items: readonly T[], encode: (w: Writer, v: T) => void): this {
    if (items.length === 0) throw new EncodeError("empty NonEmpty list");
    return this.list(items, encode);
  }

  versionRange(range: VersionRange): this {
    if (range.min > range.max) throw new EncodeError("version range with min > max");
    return this.word16(range.min).word16(range.max);
  }

  /** An ASCII tag or literal, e.g. a command name. */
  ascii(s: string): this {
    return this.bytes(asciiBytes(s));
  }

  space(): this {
    return this.byte(SPACE);
  }

  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

/** Encodes with a fresh Writer. */
export function encode(write: (w: Writer) => void): Uint8Array {
  const w = new Writer();
  write(w);
  return w.finish();
}

function asciiBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 127) throw new EncodeError("non-ASCII character in tag");
    out[i] = c;
  }
  return out;
}
