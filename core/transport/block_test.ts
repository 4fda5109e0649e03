import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { BLOCK_SIZE, encryptedFraming, PlainFraming } from "./block.ts";
import { batchTransmissions, encodePaddedBatch, MAX_BATCH_PAYLOAD, parseBatch } from "./batch.ts";
import { pad, PaddingError } from "../encoding/padding.ts";
import { encode } from "../encoding/binary.ts";
import { toHex } from "../encoding/bytes.ts";

const range = (from: number, n: number) => Uint8Array.from({ length: n }, (_, i) => from + i);

// smp.md §7.2 V3: sessionId 01..20, secret 21..40; the server's first block is a PONG batch.
Deno.test("V3: the server's first encrypted PONG block matches the derived vector", () => {
  const server = encryptedFraming("server", range(1, 32), range(0x21, 32));
  const pong = encode((w) =>
    w.byte(1).largeBytes(encode((w) => w.byte(0).shortBytes(range(1, 24)).byte(0).ascii("PONG")))
  );
  assert.equal(toHex(pong.subarray(0, 4)), "01001f00");
  const block = server.seal(pong);
  assert.equal(block.length, BLOCK_SIZE);
  assert.equal(
    createHash("sha256").update(block).digest("hex"),
    "46579cb53de7790c423afc6f8194790e9c0f5665a5f64dc224124d5fc1e6ff0f",
  );
});

Deno.test("client and server framings agree in both directions and over many blocks", () => {
  const sessionId = range(7, 32);
  const secret = range(9, 32);
  const server = encryptedFraming("server", sessionId, secret);
  const client = encryptedFraming("client", sessionId, secret);
  for (let i = 0; i < 5; i++) {
    const a = range(i, 100);
    assert.deepEqual(client.open(server.seal(a)), { ok: true, content: a });
    assert.deepEqual(server.open(client.seal(a)), { ok: true, content: a });
  }
});

Deno.test("a tampered or replayed block fails, and the chain stays in step afterwards", () => {
  const server = encryptedFraming("server", range(1, 32), range(2, 32));
  const client = encryptedFraming("client", range(1, 32), range(2, 32));
  const b1 = server.seal(range(0, 10));
  b1[100] ^= 1;
  assert.equal(client.open(b1).ok, false);
  const b2 = server.seal(range(0, 10));
  assert.equal(client.open(b2).ok, true);
  assert.equal(client.open(b2).ok, false, "a replayed block does not decrypt under the next key");
  assert.equal(client.open(new Uint8Array(100)).ok, false, "wrong size");
});

Deno.test("plain framing pads to 16384 and rejects a bad length prefix", () => {
  const plain = new PlainFraming();
  const block = plain.seal(range(0, 3));
  assert.equal(block.length, BLOCK_SIZE);
  assert.deepEqual(plain.open(block), { ok: true, content: range(0, 3) });
  const bad = block.slice();
  bad[0] = 0xff;
  assert.equal(plain.open(bad).ok, false);
});

Deno.test("batching packs greedily up to 16365 bytes and 255 transmissions, in order", () => {
  const small = Array.from({ length: 600 }, (_, i) => range(i % 200, 10));
  const { batches, tooLarge } = batchTransmissions(small);
  assert.deepEqual(tooLarge, []);
  assert.deepEqual(batches.map((b) => b[0]), [255, 255, 90]);
  const flat = batches.flatMap((b) => {
    const r = parseBatch(b);
    assert.ok(r.ok);
    return r.value;
  });
  assert.deepEqual(flat, small);

  const big = [
    new Uint8Array(8000),
    new Uint8Array(8000),
    new Uint8Array(MAX_BATCH_PAYLOAD - 2),
    new Uint8Array(MAX_BATCH_PAYLOAD),
  ];
  const r = batchTransmissions(big);
  assert.deepEqual(r.tooLarge, [3]);
  assert.deepEqual(r.batches.map((b) => b.length), [1 + 2 * 8002, 1 + MAX_BATCH_PAYLOAD]);
  for (const b of r.batches) assert.ok(b.length <= BLOCK_SIZE - 18, "fits an encrypted block");
});

Deno.test("a batch must be non-empty and exact", () => {
  assert.equal(parseBatch(Uint8Array.of(0)).ok, false);
  assert.equal(parseBatch(Uint8Array.of(1, 0, 2, 9)).ok, false);
  assert.equal(parseBatch(Uint8Array.of(1, 0, 1, 9, 9)).ok, false);
  assert.deepEqual(parseBatch(Uint8Array.of(1, 0, 1, 9)), { ok: true, value: [Uint8Array.of(9)] });
});

Deno.test("a padded batch is pad(batch) written at once, and sealing it gives the same block", () => {
  const group = [range(0, 10), new Uint8Array(0), range(5, 300)];
  const [batch] = batchTransmissions(group).batches;
  for (const length of [BLOCK_SIZE - 16, BLOCK_SIZE]) {
    assert.deepEqual(encodePaddedBatch(group, length), pad(batch, length));
  }
  assert.throws(() => encodePaddedBatch([new Uint8Array(MAX_BATCH_PAYLOAD)], BLOCK_SIZE - 16), PaddingError);
  const a = encryptedFraming("server", range(1, 32), range(2, 32));
  const b = encryptedFraming("server", range(1, 32), range(2, 32));
  assert.deepEqual(a.sealPadded(encodePaddedBatch(group, a.paddedLength)), b.seal(batch));
});
