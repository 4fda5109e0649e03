/**
 * The SimpleX text encoding (`strEncode`/`strP` in `Simplex.Messaging.Encoding.String`), used in
 * URIs, store logs and the control port: bytes as padded base64url, numbers and times in decimal,
 * tuples separated by spaces, lists by commas, an absent Maybe as the empty string.
 */
import { decodeBase64Url, encodeBase64Url } from "./base64.ts";
import { ParseError, type ParseResult, type VersionRange } from "./binary.ts";

export const str = {
  bytes: (b: Uint8Array): string => encodeBase64Url(b),
  int: (n: number | bigint): string => {
    if (typeof n === "number" && !Number.isInteger(n)) throw new TypeError(`not an integer: ${n}`);
    return String(n);
  },
  bool: (b: boolean): string => (b ? "T" : "F"),
  maybe: <T>(v: T | undefined, enc: (v: T) => string): string => (v === undefined ? "" : enc(v)),
  list: <T>(items: readonly T[], enc: (v: T) => string): string => items.map(enc).join(","),
  tuple: (...parts: string[]): string => parts.join(" "),
  /** `iso8601Show` of a UTCTime: fractional seconds only when non-zero, trailing zeros trimmed. */
  utcTime: (d: Date): string => d.toISOString().replace(/\.0+Z$/, "Z").replace(/(\.\d*?)0+Z$/, "$1Z"),
  versionRange: (r: VersionRange): string => (r.min === r.max ? `${r.min}` : `${r.min}-${r.max}`),
};

const B64_CHAR = /[A-Za-z0-9_-]/;
const ISO_TIME = /^(\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?Z$/;

/** A cursor over text in the SimpleX string encoding; failures are ParseError with the offset. */
export class TextReader {
  #pos = 0;

  constructor(readonly input: string) {}

  get offset(): number {
    return this.#pos;
  }

  fail(message: string): never {
    throw new ParseError(message, this.#pos);
  }

  atEnd(): boolean {
    return this.#pos >= this.input.length;
  }

  peek(): string | undefined {
    return this.input[this.#pos];
  }

  end(): void {
    if (!this.atEnd()) this.fail("unexpected trailing text");
  }

  /** Characters up to (not including) the first of `stops`, or the end; may be empty. */
  takeUntil(stops: string): string {
    const start = this.#pos;
    while (this.#pos < this.input.length && !stops.includes(this.input[this.#pos])) this.#pos++;
    return this.input.slice(start, this.#pos);
  }

  /** A non-empty word up to a space or newline. */
  word(): string {
    const w = this.takeUntil(" \n");
    if (w === "") this.fail("expected a word");
    return w;
  }

  char(expected: string): void {
    if (this.input[this.#pos] !== expected) this.fail(`expected '${expected}'`);
    this.#pos++;
  }

  space(): void {
    this.char(" ");
  }

  literal(expected: string): void {
    if (!this.input.startsWith(expected, this.#pos)) this.fail(`expected "${expected}"`);
    this.#pos += expected.length;
  }

  /** Non-empty base64url, with or without `=` padding. */
  bytes(): Uint8Array {
    const start = this.#pos;
    while (this.#pos < this.input.length && B64_CHAR.test(this.input[this.#pos])) this.#pos++;
    if (this.#pos === start) this.fail("expected base64url");
    while (this.input[this.#pos] === "=") this.#pos++;
    try {
      return decodeBase64Url(this.input.slice(start, this.#pos));
    } catch (e) {
      this.#pos = start;
      return this.fail((e as Error).message);
    }
  }

  /** A non-negative decimal integer (as `A.decimal` parses it). */
  decimal(): number {
    const start = this.#pos;
    while (this.#pos < this.input.length && this.input[this.#pos] >= "0" && this.input[this.#pos] <= "9") {
      this.#pos++;
    }
    if (this.#pos === start) this.fail("expected a decimal number");
    const n = Number(this.input.slice(start, this.#pos));
    if (!Number.isSafeInteger(n)) this.fail("number out of range");
    return n;
  }

  bool(): boolean {
    const c = this.input[this.#pos];
    if (c !== "T" && c !== "F") this.fail("expected T or F");
    this.#pos++;
    return c === "T";
  }

  utcTime(): Date {
    const start = this.#pos;
    const m = ISO_TIME.exec(this.takeUntil(" \n"));
    const d = m
      ? new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${(m[7] ?? "").slice(0, 4)}Z`)
      : undefined;
    if (!d || Number.isNaN(d.getTime())) {
      this.#pos = start;
      this.fail("bad UTCTime");
    }
    return d;
  }

  versionRange(): VersionRange {
    const min = this.decimal();
    if (this.peek() !== "-") return { min, max: min };
    this.#pos++;
    const max = this.decimal();
    if (min > max) this.fail("version range with min > max");
    return { min, max };
  }

  /** Comma-separated items, each ending at ',', ' ', '\n' or the end (may be empty). */
  list<T>(parseItem: (item: TextReader) => T): T[] {
    const items: T[] = [];
    if (this.atEnd() || this.peek() === " " || this.peek() === "\n") return items;
    for (;;) {
      const start = this.#pos;
      const sub = new TextReader(this.takeUntil(", \n"));
      try {
        items.push(parseItem(sub));
        sub.end();
      } catch (e) {
        if (e instanceof ParseError) throw new ParseError(e.message, start + sub.offset);
        throw e;
      }
      if (this.peek() !== ",") return items;
      this.#pos++;
    }
  }

  nonEmptyList<T>(parseItem: (item: TextReader) => T): [T, ...T[]] {
    const items = this.list(parseItem);
    if (items.length === 0) this.fail("empty list");
    return items as [T, ...T[]];
  }

  /** Tries `parse`; on failure rewinds and gives undefined (attoparsec's `optional`). */
  optional<T>(parse: (r: TextReader) => T): T | undefined {
    const start = this.#pos;
    try {
      return parse(this);
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      this.#pos = start;
      return undefined;
    }
  }
}

export function decodeText<T>(input: string, parse: (r: TextReader) => T): ParseResult<T> {
  const r = new TextReader(input);
  try {
    const value = parse(r);
    r.end();
    return { ok: true, value };
  } catch (e) {
    if (e instanceof ParseError) return { ok: false, error: e };
    throw e;
  }
}
