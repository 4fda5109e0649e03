/**
 * The TLS 1.3 record layer (RFC 8446 §5): splitting the byte stream into records, enforcing the
 * record size limits, and protecting records with the negotiated AEAD and per-record nonces.
 */
import { fail } from "./errors.ts";
import { type CipherSuite, open, seal, TAG_LENGTH } from "./_cipher_suite.ts";
import { trafficKeys } from "./_key_schedule.ts";

export const ContentType = {
  change_cipher_spec: 20,
  alert: 21,
  handshake: 22,
  application_data: 23,
} as const;
export type ContentType = (typeof ContentType)[keyof typeof ContentType];

/** 2^14: the largest TLSPlaintext.fragment and TLSInnerPlaintext content (RFC 8446 §5.1, §5.2). */
export const MAX_PLAINTEXT = 16384;
/** 2^14 + 256: the largest TLSCiphertext.encrypted_record (RFC 8446 §5.2). */
export const MAX_CIPHERTEXT = MAX_PLAINTEXT + 256;
/** type, legacy_record_version and length (RFC 8446 §5.1) */
export const RECORD_HEADER_LENGTH = 5;
const HEADER_LENGTH = RECORD_HEADER_LENGTH;
/** the AEAD nonce and the traffic iv (RFC 8446 §5.3) */
const NONCE_LENGTH = 12;

export interface TlsRecord {
  readonly type: number;
  /** the 5-byte header, which is also the AEAD additional data */
  readonly header: Uint8Array;
  readonly fragment: Uint8Array;
}

function isContentType(t: number): t is ContentType {
  return t >= 20 && t <= 23;
}

/**
 * Where records are read into (`reserve`) or sealed into (`TlsEngine.write`), when not fresh
 * memory: core/tls/_read_buffers.ts and _seal_buffers.ts recycle buffers for bulk transfers.
 */
export interface BufferProvider {
  /** A buffer of exactly `length` bytes that nothing else uses until its user is done with it. */
  allocate(length: number): Uint8Array;
}

/** Reassembles records from arbitrary chunks of the byte stream. */
const EMPTY: Uint8Array = new Uint8Array(0);

/**
 * The buffer is the reader's own and is never written before `end` again: a new one replaces it
 * when more room is needed. So the records it returns may be decrypted in place, and their
 * plaintext handed on as views that stay valid (for as long as the BufferProvider that provided
 * the buffer, if any, does not give it out again).
 */
export class RecordReader {
  // allocated while records are incomplete, released once all are consumed: idle connections hold none
  private buffer: Uint8Array = EMPTY;
  private start = 0;
  private end = 0;
  private first = true;

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.end + chunk.length > this.buffer.length) {
      const live = this.end - this.start;
      this.replace(new Uint8Array(Math.max(live + chunk.length, Math.min(this.buffer.length * 2, 1 << 20))));
    }
    this.buffer.set(chunk, this.end);
    this.end += chunk.length;
  }

  /**
   * Room for `size` more bytes of the stream, to read into directly (then `commit`): a new
   * buffer (fresh, or from `memory`) that starts with the incomplete record, if any, so no
   * received byte is copied twice.
   */
  reserve(size: number, memory?: BufferProvider): Uint8Array {
    const length = this.end - this.start + size;
    // `memory` may hand back the very buffer being replaced, whose records all came back: the
    // incomplete record then moves down within it (set copies overlapping ranges correctly)
    this.replace(memory?.allocate(length) ?? new Uint8Array(length));
    return this.buffer.subarray(this.end);
  }

  /** Takes the first `n` bytes of the last `reserve` as received. */
  commit(n: number): void {
    if (this.end + n > this.buffer.length) throw new RangeError("commit beyond the reserved room");
    this.end += n;
  }

  private replace(target: Uint8Array): void {
    target.set(this.buffer.subarray(this.start, this.end));
    this.end -= this.start;
    this.start = 0;
    this.buffer = target;
  }

  get buffered(): number {
    return this.end - this.start;
  }

  /** The next complete record, or null when more bytes are needed. Throws on a malformed header. */
  next(): TlsRecord | null {
    const available = this.end - this.start;
    if (available === 0) return null;
    const b = this.buffer;
    const s = this.start;
    if (this.first) {
      // A TLS peer opens with a handshake record (or an alert refusing ours) with a 0x03xx version;
      // checking from the first byte rejects an HTTP request or garbage without waiting for more.
      const opening = b[s] === ContentType.handshake || b[s] === ContentType.alert;
      if (!opening || (available > 1 && b[s + 1] !== 3)) {
        fail("not_tls", "the peer is not speaking TLS");
      }
    }
    if (available < HEADER_LENGTH) return null;
    const type = b[s];
    if (!isContentType(type)) fail("unexpected_message", `unknown record content type ${type}`);
    if (b[s + 1] !== 3) fail("decode_error", "bad legacy_record_version");
    const length = (b[s + 3] << 8) | b[s + 4];
    if (length > MAX_CIPHERTEXT) fail("record_overflow", `record of ${length} bytes`);
    if (length === 0 && type !== ContentType.application_data) {
      fail("decode_error", "zero-length record"); // RFC 8446 §5.1
    }
    if (available < HEADER_LENGTH + length) return null;
    this.first = false;
    // a view into the reader's own buffer, which later pushes do not overwrite
    const record = b.subarray(s, s + HEADER_LENGTH + length);
    this.start += HEADER_LENGTH + length;
    if (this.start === this.end) {
      // the returned record still views the old buffer, which stays alive through it
      this.buffer = EMPTY;
      this.start = this.end = 0;
    }
    return { type, header: record.subarray(0, HEADER_LENGTH), fragment: record.subarray(HEADER_LENGTH) };
  }
}

/** A record header: type, legacy_record_version and length (RFC 8446 §5.1). */
function writeHeader(out: Uint8Array, type: number, version: number, length: number): void {
  out[0] = type;
  out[1] = version >>> 8;
  out[2] = version;
  out[3] = length >>> 8;
  out[4] = length;
}

/** An unprotected record; `version` is 0x0301 only for the initial ClientHello (RFC 8446 §5.1). */
export function plaintextRecord(type: ContentType, fragment: Uint8Array, version = 0x0303): Uint8Array {
  const out = new Uint8Array(HEADER_LENGTH + fragment.length);
  writeHeader(out, type, version, fragment.length);
  out.set(fragment, HEADER_LENGTH);
  return out;
}

/** Bytes on the wire of a protected record carrying `contentLength` bytes. */
export function protectedLength(contentLength: number): number {
  return HEADER_LENGTH + contentLength + 1 + TAG_LENGTH;
}

/** The one-byte TLSInnerPlaintext.type trailer of each content type. */
const CONTENT_TYPE_BYTE: Record<number, Uint8Array> = Object.fromEntries(
  Object.values(ContentType).map((t) => [t, Uint8Array.of(t)]),
);

/**
 * One direction's record protection: the AEAD keys of a traffic secret and the 64-bit sequence
 * number that forms the per-record nonce (RFC 8446 §5.3). A fresh instance per key change resets it.
 */
export class RecordProtection {
  private sequence = 0;
  /**
   * The traffic secret ‖ key ‖ iv ‖ per-record nonce in one buffer: every small array costs a few
   * hundred bytes of heap and allocator overhead, and an idle connection holds two of these.
   */
  private readonly material: Uint8Array;
  private readonly keyStart: number;

  constructor(readonly suite: CipherSuite, secret: Uint8Array) {
    const { key, iv } = trafficKeys(secret, suite.keyLength);
    this.keyStart = secret.length;
    this.material = new Uint8Array(secret.length + key.length + 2 * NONCE_LENGTH);
    this.material.set(secret);
    this.material.set(key, this.keyStart);
    this.material.set(iv, this.keyStart + key.length);
  }

  /** the traffic secret, from which the next one is derived on KeyUpdate */
  get secret(): Uint8Array {
    return this.material.subarray(0, this.keyStart);
  }

  private get key(): Uint8Array {
    return this.material.subarray(this.keyStart, this.keyStart + this.suite.keyLength);
  }

  /** records protected so far under this key, for the AEAD usage limit (RFC 8446 §5.5) */
  get count(): number {
    return this.sequence;
  }

  /** Encrypts TLSInnerPlaintext = content ‖ type (no padding) into a TLSCiphertext record. */
  protect(type: ContentType, content: Uint8Array): Uint8Array {
    const out = new Uint8Array(protectedLength(content.length));
    this.protectInto(type, content, out);
    return out;
  }

  /**
   * Like protect, writing the record at the start of `out` (sized with protectedLength); the
   * content may come in parts, which are not joined first.
   */
  protectInto(type: ContentType, content: Uint8Array | readonly Uint8Array[], out: Uint8Array): void {
    const parts = content instanceof Uint8Array ? [content] : content;
    let contentLength = 0;
    for (const part of parts) contentLength += part.length;
    if (contentLength > MAX_PLAINTEXT) throw new RangeError("record content over 2^14 bytes");
    const length = contentLength + 1 + TAG_LENGTH;
    writeHeader(out, ContentType.application_data, 0x0303, length);
    const header = out.subarray(0, HEADER_LENGTH);
    const inner = [...parts, CONTENT_TYPE_BYTE[type]]; // TLSInnerPlaintext without padding
    seal(
      this.suite,
      this.key,
      this.nextNonce(),
      header,
      inner,
      out.subarray(HEADER_LENGTH, HEADER_LENGTH + length),
    );
  }

  /** Decrypts and strips the padding; returns the real content type and content. */
  unprotect(record: TlsRecord): { type: number; content: Uint8Array } {
    if (record.type !== ContentType.application_data) {
      fail("unexpected_message", "unprotected record after keys were established");
    }
    const inner = open(this.suite, this.key, this.currentNonce(), record.header, record.fragment);
    if (inner === null) fail("bad_record_mac", "record authentication failed");
    this.sequence++; // only a record that opened consumes a sequence number (see skipping early data)
    let i = inner.length - 1;
    while (i >= 0 && inner[i] === 0) i--;
    if (i < 0) fail("unexpected_message", "protected record without a content type");
    if (i > MAX_PLAINTEXT) fail("record_overflow", "decrypted record over 2^14 bytes");
    return { type: inner[i], content: inner.subarray(0, i) };
  }

  private nextNonce(): Uint8Array {
    const n = this.currentNonce();
    this.sequence++;
    return n;
  }

  /** iv XOR the big-endian sequence number, left-padded to the iv length. */
  private currentNonce(): Uint8Array {
    const ivStart = this.keyStart + this.suite.keyLength;
    const n = this.material.subarray(ivStart + NONCE_LENGTH, ivStart + 2 * NONCE_LENGTH);
    n.set(this.material.subarray(ivStart, ivStart + NONCE_LENGTH));
    let s = this.sequence;
    for (let i = 11; i >= 4 && s > 0; i--) {
      n[i] ^= s & 0xff;
      s = Math.floor(s / 256);
    }
    return n;
  }
}
