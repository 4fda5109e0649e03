import assert from "node:assert/strict";
import { TlsError } from "./errors.ts";
import { CIPHER_SUITES } from "./_cipher_suite.ts";
import { ContentType, MAX_PLAINTEXT, plaintextRecord, RecordProtection, RecordReader } from "./_record.ts";

const secret = new Uint8Array(32).fill(7);
const code = (c: string) => (e: unknown) => e instanceof TlsError && e.code === c;

for (const suite of Object.values(CIPHER_SUITES)) {
  Deno.test(`${suite.name}: records round-trip and carry their inner content type`, () => {
    const sender = new RecordProtection(suite, secret);
    const receiver = new RecordProtection(suite, secret);
    const reader = new RecordReader();
    reader.push(plaintextRecord(ContentType.handshake, Uint8Array.of(1, 0, 0, 0)));
    reader.next();
    for (
      const [type, size] of [[ContentType.application_data, MAX_PLAINTEXT], [ContentType.alert, 2]] as const
    ) {
      const record = sender.protect(type, new Uint8Array(size).fill(9));
      assert.equal(record[0], ContentType.application_data, "the outer type is always application_data");
      reader.push(record);
      const opened = receiver.unprotect(reader.next()!);
      assert.equal(opened.type, type);
      assert.equal(opened.content.length, size);
    }
  });
}

Deno.test("the sequence number is part of the nonce: a replayed record fails", () => {
  const suite = CIPHER_SUITES.TLS_CHACHA20_POLY1305_SHA256;
  const sender = new RecordProtection(suite, secret);
  const receiver = new RecordProtection(suite, secret);
  const record = sender.protect(ContentType.application_data, Uint8Array.of(1, 2, 3));
  const reader = new RecordReader();
  reader.push(plaintextRecord(ContentType.handshake, Uint8Array.of(1)));
  reader.next();
  reader.push(record);
  reader.push(record);
  receiver.unprotect(reader.next()!);
  assert.throws(() => receiver.unprotect(reader.next()!), code("bad_record_mac"));
});

Deno.test("records over 2^14 + 256 bytes are record_overflow (RFC 8446 §5.2)", () => {
  const reader = new RecordReader();
  reader.push(Uint8Array.of(22, 3, 1, 0x41, 0x01));
  assert.throws(() => reader.next(), code("record_overflow"));
});

Deno.test("a first record that is not a TLS handshake is not_tls, detected from its first byte", () => {
  const reader = new RecordReader();
  reader.push(new TextEncoder().encode("G"));
  assert.throws(() => reader.next(), code("not_tls"));
});

Deno.test("records reassemble from one-byte chunks", () => {
  const record = plaintextRecord(ContentType.handshake, new Uint8Array(300).fill(5));
  const reader = new RecordReader();
  for (let i = 0; i < record.length - 1; i++) {
    reader.push(record.subarray(i, i + 1));
    assert.equal(reader.next(), null);
  }
  reader.push(record.subarray(record.length - 1));
  assert.equal(reader.next()?.fragment.length, 300);
});
