/**
 * Handshake messages (RFC 8446 §4) as a discriminated union, with one encoder and one decoder.
 * A HelloRetryRequest is a ServerHello with the special random of §4.1.3; it gets its own variant
 * so the state machines cannot confuse the two.
 */
import { fail } from "./errors.ts";
import { decodeExtensions, encodeExtensions, type Extension } from "./_extensions.ts";
import { bytesEqual } from "../encoding/bytes.ts";
import { WireReader, WireWriter } from "./_wire.ts";

export const HandshakeType = {
  client_hello: 1,
  server_hello: 2,
  new_session_ticket: 4,
  end_of_early_data: 5,
  encrypted_extensions: 8,
  certificate: 11,
  certificate_request: 13,
  certificate_verify: 15,
  finished: 20,
  key_update: 24,
  message_hash: 254,
} as const;

/** SHA-256("HelloRetryRequest"), the ServerHello.random that marks a HelloRetryRequest. */
export const HELLO_RETRY_REQUEST_RANDOM = Uint8Array.from(
  "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c".match(/../g)!,
  (h) => parseInt(h, 16),
);

export interface ClientHello {
  readonly type: "client_hello";
  readonly legacyVersion: number;
  readonly random: Uint8Array;
  readonly legacySessionId: Uint8Array;
  readonly cipherSuites: readonly number[];
  readonly legacyCompressionMethods: Uint8Array;
  readonly extensions: readonly Extension[];
}

/** ServerHello and HelloRetryRequest share a layout (RFC 8446 §4.1.3, §4.1.4). */
interface ServerHelloFields {
  readonly legacyVersion: number;
  readonly random: Uint8Array;
  readonly legacySessionIdEcho: Uint8Array;
  readonly cipherSuite: number;
  readonly extensions: readonly Extension[];
}

export interface ServerHello extends ServerHelloFields {
  readonly type: "server_hello";
}

export interface HelloRetryRequest extends ServerHelloFields {
  readonly type: "hello_retry_request";
}

export interface EncryptedExtensions {
  readonly type: "encrypted_extensions";
  readonly extensions: readonly Extension[];
}

export interface CertificateRequest {
  readonly type: "certificate_request";
  readonly context: Uint8Array;
  readonly extensions: readonly Extension[];
}

export interface CertificateEntry {
  readonly certData: Uint8Array;
  readonly extensions: readonly Extension[];
}

export interface Certificate {
  readonly type: "certificate";
  readonly context: Uint8Array;
  readonly entries: readonly CertificateEntry[];
}

export interface CertificateVerify {
  readonly type: "certificate_verify";
  readonly algorithm: number;
  readonly signature: Uint8Array;
}

export interface Finished {
  readonly type: "finished";
  readonly verifyData: Uint8Array;
}

/** Parsed only far enough to be well-formed: tickets are ignored since there is no resumption. */
export interface NewSessionTicket {
  readonly type: "new_session_ticket";
}

export interface KeyUpdate {
  readonly type: "key_update";
  readonly updateRequested: boolean;
}

export type Handshake =
  | ClientHello
  | ServerHello
  | HelloRetryRequest
  | EncryptedExtensions
  | CertificateRequest
  | Certificate
  | CertificateVerify
  | Finished
  | NewSessionTicket
  | KeyUpdate;

function handshakeTypeOf(m: Handshake): number {
  return m.type === "hello_retry_request" ? HandshakeType.server_hello : HandshakeType[m.type];
}

function encodeBody(m: Handshake, w: WireWriter): void {
  switch (m.type) {
    case "client_hello":
      w.u16(m.legacyVersion).bytes(m.random).vector(1, m.legacySessionId);
      w.nested(2, (l) => m.cipherSuites.forEach((c) => l.u16(c)));
      w.vector(1, m.legacyCompressionMethods);
      encodeExtensions(w, m.extensions);
      return;
    case "server_hello":
    case "hello_retry_request":
      w.u16(m.legacyVersion).bytes(m.type === "hello_retry_request" ? HELLO_RETRY_REQUEST_RANDOM : m.random);
      w.vector(1, m.legacySessionIdEcho).u16(m.cipherSuite).u8(0);
      encodeExtensions(w, m.extensions);
      return;
    case "encrypted_extensions":
      encodeExtensions(w, m.extensions);
      return;
    case "certificate_request":
      w.vector(1, m.context);
      encodeExtensions(w, m.extensions);
      return;
    case "certificate":
      w.vector(1, m.context);
      w.nested(3, (l) => {
        for (const e of m.entries) {
          l.vector(3, e.certData);
          encodeExtensions(l, e.extensions);
        }
      });
      return;
    case "certificate_verify":
      w.u16(m.algorithm).vector(2, m.signature);
      return;
    case "finished":
      w.bytes(m.verifyData);
      return;
    case "new_session_ticket":
      throw new TypeError("this stack never sends session tickets");
    case "key_update":
      w.u8(m.updateRequested ? 1 : 0);
      return;
  }
}

/** The full handshake message: msg_type ‖ uint24 length ‖ body (RFC 8446 §4). */
export function encodeHandshake(m: Handshake): Uint8Array {
  const body = new WireWriter();
  encodeBody(m, body);
  return new WireWriter().u8(handshakeTypeOf(m)).vector(3, body.finish()).finish();
}

/** Decodes one handshake message body of the given msg_type; unknown types are unexpected. */
export function decodeHandshake(msgType: number, body: Uint8Array): Handshake {
  const r = new WireReader(body);
  const m = decodeBody(msgType, r);
  r.end(m.type);
  return m;
}

function decodeBody(msgType: number, r: WireReader): Handshake {
  switch (msgType) {
    case HandshakeType.client_hello: {
      const legacyVersion = r.u16();
      const random = r.fixed(32);
      const legacySessionId = r.vector(1);
      if (legacySessionId.length > 32) fail("illegal_parameter", "legacy_session_id over 32 bytes");
      const suites = new WireReader(r.vector(2, 2));
      const cipherSuites: number[] = [];
      while (suites.remaining > 1) cipherSuites.push(suites.u16());
      suites.end("cipher_suites");
      const legacyCompressionMethods = r.vector(1, 1);
      // a TLS 1.2-only ClientHello may legally stop here; it is then refused for its version
      const extensions = r.remaining === 0 ? [] : decodeExtensions(r);
      return {
        type: "client_hello",
        legacyVersion,
        random,
        legacySessionId,
        cipherSuites,
        legacyCompressionMethods,
        extensions,
      };
    }
    case HandshakeType.server_hello: {
      const legacyVersion = r.u16();
      const random = r.fixed(32);
      const legacySessionIdEcho = r.vector(1);
      const cipherSuite = r.u16();
      if (r.u8() !== 0) fail("illegal_parameter", "legacy_compression_method must be 0");
      const extensions = r.remaining === 0 ? [] : decodeExtensions(r);
      const type = bytesEqual(random, HELLO_RETRY_REQUEST_RANDOM)
        ? "hello_retry_request" as const
        : "server_hello" as const;
      return { type, legacyVersion, random, legacySessionIdEcho, cipherSuite, extensions };
    }
    case HandshakeType.encrypted_extensions:
      return { type: "encrypted_extensions", extensions: decodeExtensions(r) };
    case HandshakeType.certificate_request:
      return { type: "certificate_request", context: r.vector(1), extensions: decodeExtensions(r) };
    case HandshakeType.certificate: {
      const context = r.vector(1);
      const list = new WireReader(r.vector(3));
      const entries: CertificateEntry[] = [];
      while (list.remaining > 0) {
        entries.push({ certData: list.vector(3, 1), extensions: decodeExtensions(list) });
      }
      return { type: "certificate", context, entries };
    }
    case HandshakeType.certificate_verify:
      return { type: "certificate_verify", algorithm: r.u16(), signature: r.vector(2) };
    case HandshakeType.finished:
      return { type: "finished", verifyData: r.rest() };
    case HandshakeType.new_session_ticket:
      // lifetime, age_add, nonce<0..255>, ticket<1..2^16-1>, extensions<0..2^16-2>
      r.fixed(8);
      r.vector(1);
      r.vector(2, 1);
      decodeExtensions(r);
      return { type: "new_session_ticket" };
    case HandshakeType.key_update: {
      const request = r.u8();
      if (request > 1) fail("illegal_parameter", "bad KeyUpdateRequest");
      return { type: "key_update", updateRequested: request === 1 };
    }
    default:
      fail("unexpected_message", `handshake message type ${msgType}`);
  }
}

/** Largest handshake message accepted: a few certificates of a SimpleX or web chain fit easily. */
export const MAX_HANDSHAKE_MESSAGE = 65536;

/** Reassembles handshake messages that may be fragmented over or coalesced in records (§5.1). */
const NO_BYTES = new Uint8Array(0);

export class HandshakeReader {
  private pending: Uint8Array = new Uint8Array(0);

  get hasPartial(): boolean {
    return this.pending.length > 0;
  }

  push(fragment: Uint8Array): void {
    if (this.pending.length === 0) {
      this.pending = fragment;
      return;
    }
    const joined = new Uint8Array(this.pending.length + fragment.length);
    joined.set(this.pending);
    joined.set(fragment, this.pending.length);
    this.pending = joined;
  }

  /** The next whole message as `{ msgType, body, raw }` (raw is what enters the transcript). */
  next(): { msgType: number; body: Uint8Array; raw: Uint8Array } | null {
    const p = this.pending;
    const length = p.length < 4 ? -1 : (p[1] << 16) | (p[2] << 8) | p[3];
    if (length > MAX_HANDSHAKE_MESSAGE) fail("decode_error", `handshake message of ${length} bytes`);
    if (length < 0 || p.length < 4 + length) {
      // a message continued in a later record: keep our own copy of its start, not a view into
      // the record's read buffer, which may be reused (core/tls/_read_buffers.ts)
      if (p.byteOffset !== 0 || p.buffer.byteLength !== p.length) this.pending = p.slice();
      return null;
    }
    const raw = p.subarray(0, 4 + length);
    // nothing left: drop the view, which would keep the whole record alive on an idle connection
    this.pending = p.length === 4 + length ? NO_BYTES : p.subarray(4 + length);
    return { msgType: p[0], body: raw.subarray(4), raw };
  }
}
