/**
 * HPACK (RFC 7541): the header compression of HTTP/2. The decoder is complete (static and dynamic
 * tables, Huffman strings, table size updates); the encoder writes literals without indexing,
 * which every peer must accept and which keeps no state.
 */
import { Http2Error, Http2ErrorCode } from "./errors.ts";

export type HeaderField = readonly [name: string, value: string];

/** RFC 7541 Appendix A; entry i is index i + 1. */
const STATIC_TABLE: readonly HeaderField[] = [
  [":authority", ""],
  [":method", "GET"],
  [":method", "POST"],
  [":path", "/"],
  [":path", "/index.html"],
  [":scheme", "http"],
  [":scheme", "https"],
  [":status", "200"],
  [":status", "204"],
  [":status", "206"],
  [":status", "304"],
  [":status", "400"],
  [":status", "404"],
  [":status", "500"],
  ...[
    "accept-charset",
    "accept-encoding",
    "accept-language",
    "accept-ranges",
    "accept",
    "access-control-allow-origin",
    "age",
    "allow",
    "authorization",
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "content-length",
    "content-location",
    "content-range",
    "content-type",
    "cookie",
    "date",
    "etag",
    "expect",
    "expires",
    "from",
    "host",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-range",
    "if-unmodified-since",
    "last-modified",
    "link",
    "location",
    "max-forwards",
    "proxy-authenticate",
    "proxy-authorization",
    "range",
    "referer",
    "refresh",
    "retry-after",
    "server",
    "set-cookie",
    "strict-transport-security",
    "transfer-encoding",
    "user-agent",
    "vary",
    "via",
    "www-authenticate",
  ].map((name): HeaderField => [name, name === "accept-encoding" ? "gzip, deflate" : ""]),
];

/**
 * The Huffman code (RFC 7541 Appendix B) is canonical: codes of one length are consecutive in
 * symbol order, and each length starts where the shorter ones ended. So the code lengths alone
 * define it. One letter per symbol 0-256 (256 is EOS): 'a' is 5 bits, 'b' 6, and so on.
 */
const HUFFMAN_LENGTHS = "isxxxxxxxtzxxzxxxxxxxxzxxxxxxxxxbffhibdgffdgdbbbaaabbbbbbbcdkbhfibcccccccccccccccc" +
  "ccccccdcdioijbkabababbbaccbbbabcbaabccccckgjixprpprrrsrssssststtrstssssqrsrsstrqprrssqsrrtqrssqqrq" +
  "srssprrrsrrsvvporsruvvvwwvtuoqvwwvwtqqvvxwwwptpqrqqsrruuttvsvwvvwwwwwxwwwwwvz";
const EOS = 256;

/** The code lengths by symbol. */
export function huffmanLengths(): number[] {
  return [...HUFFMAN_LENGTHS].map((c) => c.charCodeAt(0) - 97 + 5);
}

/** The canonical codes, by symbol. */
export function huffmanCodes(): number[] {
  const lengths = huffmanLengths();
  const order = lengths.map((_, s) => s).sort((a, b) => lengths[a] - lengths[b] || a - b);
  const codes = new Array<number>(lengths.length);
  let code = 0;
  let length = lengths[order[0]];
  for (const [i, s] of order.entries()) {
    if (i > 0) code = (code + 1) * 2 ** (lengths[s] - length);
    length = lengths[s];
    codes[s] = code;
  }
  return codes;
}

/**
 * The decoding tree: node n's children are at 2n (bit 0) and 2n + 1 (bit 1); a positive entry is
 * the next node, a negative one -(symbol + 1), zero a missing branch.
 */
const huffmanTree = (() => {
  const lengths = huffmanLengths();
  const codes = huffmanCodes();
  const tree = new Int32Array(2 * 2 * lengths.length);
  let nodes = 1;
  for (let s = 0; s < lengths.length; s++) {
    let node = 0;
    for (let bit = lengths[s] - 1; bit >= 0; bit--) {
      const slot = 2 * node + (Math.floor(codes[s] / 2 ** bit) & 1);
      if (bit === 0) tree[slot] = -(s + 1);
      else node = tree[slot] > 0 ? tree[slot] : (tree[slot] = nodes++);
    }
  }
  return tree;
})();

function compressionError(message: string): Http2Error {
  return new Http2Error(Http2ErrorCode.COMPRESSION_ERROR, `HPACK: ${message}`);
}

/** Decodes a Huffman string (RFC 7541 §5.2): EOS inside, or padding that is not 1s or longer than 7 bits, is an error. */
export function huffmanDecode(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(bytes.length * 8 / 5));
  let n = 0;
  let node = 0;
  let depth = 0;
  let onlyOnes = true;
  for (const byte of bytes) {
    for (let bit = 7; bit >= 0; bit--) {
      const b = (byte >> bit) & 1;
      const next = huffmanTree[2 * node + b];
      if (next === 0) throw compressionError("invalid Huffman code");
      if (next < 0) {
        const symbol = -next - 1;
        if (symbol === EOS) throw compressionError("EOS in a Huffman string");
        out[n++] = symbol;
        node = 0;
        depth = 0;
        onlyOnes = true;
      } else {
        node = next;
        depth++;
        onlyOnes &&= b === 1;
      }
    }
  }
  if (depth > 7 || !onlyOnes) throw compressionError("bad Huffman padding");
  return out.subarray(0, n);
}

/** Latin-1: header octets as a string of the same length, which the table sizes count in. */
function octets(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    s += String.fromCharCode(...bytes.subarray(i, i + 4096));
  }
  return s;
}

/** An entry's size in the dynamic table (RFC 7541 §4.1). */
const entrySize = ([name, value]: HeaderField) => name.length + value.length + 32;

const DEFAULT_HEADER_TABLE_SIZE = 4096;

/** A decoding context: one per connection direction, fed every header block in order. */
export class HpackDecoder {
  /** newest first: dynamic index 62 is entries[0] */
  private readonly entries: HeaderField[] = [];
  private size = 0;
  private maxSize: number;

  /** `limit`: the SETTINGS_HEADER_TABLE_SIZE this side advertised, the most a table size update may ask. */
  constructor(private readonly limit = DEFAULT_HEADER_TABLE_SIZE) {
    this.maxSize = limit;
  }

  /** The dynamic table, newest first (for tests). */
  get table(): readonly HeaderField[] {
    return this.entries;
  }

  decode(block: Uint8Array): HeaderField[] {
    const fields: HeaderField[] = [];
    let offset = 0;
    const integer = (prefixBits: number): number => {
      const max = (1 << prefixBits) - 1;
      let value = block[offset++] & max;
      if (value < max) return value;
      for (let shift = 0;; shift += 7) {
        if (offset >= block.length) throw compressionError("truncated integer");
        if (shift > 28) throw compressionError("integer too large");
        const b = block[offset++];
        value += (b & 0x7f) * 2 ** shift;
        if ((b & 0x80) === 0) return value;
      }
    };
    const string = (): string => {
      if (offset >= block.length) throw compressionError("truncated string");
      const huffman = (block[offset] & 0x80) !== 0;
      const length = integer(7);
      if (offset + length > block.length) throw compressionError("truncated string");
      const raw = block.subarray(offset, offset + length);
      offset += length;
      return octets(huffman ? huffmanDecode(raw) : raw);
    };
    let fieldSeen = false;
    while (offset < block.length) {
      const b = block[offset];
      if (b & 0x80) {
        fields.push(this.field(integer(7)));
        fieldSeen = true;
      } else if ((b & 0xe0) === 0x20) {
        // a table size update comes only at the start of a block (§4.2)
        if (fieldSeen) throw compressionError("table size update after a header field");
        const size = integer(5);
        if (size > this.limit) throw compressionError(`table size ${size} over the limit ${this.limit}`);
        this.maxSize = size;
        this.evict(0);
      } else {
        // 01: with incremental indexing (6-bit index); 0000 without, 0001 never indexed (4-bit)
        const indexed = (b & 0xc0) === 0x40;
        const index = integer(indexed ? 6 : 4);
        const name = index === 0 ? string() : this.field(index)[0];
        const field: HeaderField = [name, string()];
        if (indexed) this.insert(field);
        fields.push(field);
        fieldSeen = true;
      }
    }
    return fields;
  }

  private field(index: number): HeaderField {
    if (index === 0) throw compressionError("index 0");
    if (index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1];
    const entry = this.entries[index - STATIC_TABLE.length - 1];
    if (entry === undefined) throw compressionError(`index ${index} beyond the table`);
    return entry;
  }

  private insert(field: HeaderField): void {
    const size = entrySize(field);
    this.evict(size);
    // an entry larger than the whole table empties it and is not added (§4.4)
    if (size > this.maxSize) return;
    this.entries.unshift(field);
    this.size += size;
  }

  /** Evicts the oldest entries until `room` more octets fit. */
  private evict(room: number): void {
    while (this.entries.length > 0 && this.size + room > this.maxSize) {
      this.size -= entrySize(this.entries.pop()!);
    }
  }
}

function staticIndex(name: string, value: string): { index: number; exact: boolean } | undefined {
  let named: number | undefined;
  for (const [i, [n, v]] of STATIC_TABLE.entries()) {
    if (n !== name) continue;
    if (v === value) return { index: i + 1, exact: true };
    named ??= i + 1;
  }
  return named === undefined ? undefined : { index: named, exact: false };
}

function pushInteger(out: number[], value: number, prefixBits: number, pattern: number): void {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out.push(pattern | value);
    return;
  }
  out.push(pattern | max);
  value -= max;
  while (value >= 0x80) {
    out.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
}

function pushString(out: number[], s: string): void {
  pushInteger(out, s.length, 7, 0);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw new RangeError("header octets must be Latin-1");
    out.push(c);
  }
}

/**
 * A header block with no dynamic table use: static-table entries by index, everything else as
 * literals without indexing (§6.2.2), strings without Huffman coding.
 */
export function encodeHeaders(fields: readonly HeaderField[]): Uint8Array {
  const out: number[] = [];
  for (const [name, value] of fields) {
    const known = staticIndex(name, value);
    if (known?.exact) {
      pushInteger(out, known.index, 7, 0x80);
      continue;
    }
    pushInteger(out, known?.index ?? 0, 4, 0x00);
    if (known === undefined) pushString(out, name);
    pushString(out, value);
  }
  return new Uint8Array(out);
}
