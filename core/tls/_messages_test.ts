import assert from "node:assert/strict";
import { TlsError } from "./errors.ts";
import { decodeHandshake, encodeHandshake, type Handshake, HandshakeReader } from "./_messages.ts";

const roundTrip = (m: Handshake) => {
  const raw = encodeHandshake(m);
  return decodeHandshake(raw[0], raw.subarray(4));
};

Deno.test("every message this stack sends decodes to itself", () => {
  const messages: Handshake[] = [
    {
      type: "client_hello",
      legacyVersion: 0x0303,
      random: new Uint8Array(32).fill(1),
      legacySessionId: new Uint8Array(0),
      cipherSuites: [0x1303, 0x1301],
      legacyCompressionMethods: Uint8Array.of(0),
      extensions: [{ type: 43, data: Uint8Array.of(2, 3, 4) }],
    },
    {
      type: "hello_retry_request",
      legacyVersion: 0x0303,
      random: new Uint8Array(32),
      legacySessionIdEcho: Uint8Array.of(9),
      cipherSuite: 0x1303,
      extensions: [{ type: 51, data: Uint8Array.of(0, 0x1e) }],
    },
    { type: "encrypted_extensions", extensions: [] },
    {
      type: "certificate_request",
      context: new Uint8Array(0),
      extensions: [{ type: 13, data: Uint8Array.of(0, 2, 8, 7) }],
    },
    {
      type: "certificate",
      context: new Uint8Array(0),
      entries: [{ certData: Uint8Array.of(0x30, 0), extensions: [] }],
    },
    { type: "certificate_verify", algorithm: 0x0808, signature: new Uint8Array(114) },
    { type: "finished", verifyData: new Uint8Array(32).fill(3) },
    { type: "key_update", updateRequested: true },
  ];
  for (const m of messages) {
    const decoded = roundTrip(m);
    assert.equal(decoded.type, m.type);
    assert.deepEqual(encodeHandshake(decoded), encodeHandshake(m));
  }
});

Deno.test("duplicate extensions are illegal_parameter (RFC 8446 §4.2)", () => {
  const m: Handshake = {
    type: "encrypted_extensions",
    extensions: [{ type: 16, data: new Uint8Array(0) }, { type: 16, data: new Uint8Array(0) }],
  };
  assert.throws(() => roundTrip(m), (e) => e instanceof TlsError && e.code === "illegal_parameter");
});

Deno.test("truncated and trailing bytes are decode_error", () => {
  const raw = encodeHandshake({
    type: "certificate_verify",
    algorithm: 0x0807,
    signature: new Uint8Array(64),
  });
  const isDecodeError = (e: unknown) => e instanceof TlsError && e.code === "decode_error";
  assert.throws(() => decodeHandshake(raw[0], raw.subarray(4, raw.length - 1)), isDecodeError);
  assert.throws(() => decodeHandshake(raw[0], new Uint8Array([...raw.subarray(4), 0])), isDecodeError);
});

Deno.test("handshake messages split across and coalesced within fragments", () => {
  const a = encodeHandshake({ type: "finished", verifyData: new Uint8Array(32) });
  const b = encodeHandshake({ type: "key_update", updateRequested: false });
  const reader = new HandshakeReader();
  reader.push(a.subarray(0, 10));
  assert.equal(reader.next(), null);
  reader.push(new Uint8Array([...a.subarray(10), ...b]));
  assert.equal(reader.next()?.msgType, 20);
  assert.equal(reader.next()?.msgType, 24);
  assert.equal(reader.next(), null);
  assert.ok(!reader.hasPartial);
});
