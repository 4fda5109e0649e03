/**
 * Bulk reads and writes go through buffers shared by the process (core/tls/_buffer_pool.ts): a
 * read buffer goes back once the engine moved on and the reader returned its plaintext, a write
 * buffer once the transport took its bytes, and never earlier.
 */
import assert from "node:assert/strict";
import { bytesEqual, concatBytes } from "../../core/encoding/bytes.ts";
import { connect, listen } from "../../core/tls/mod.ts";
import { takeBuffer } from "../../core/tls/_buffer_pool.ts";
import { LentReadBuffers } from "../../core/tls/_read_buffers.ts";
import { SealMemory } from "../../core/tls/_seal_buffers.ts";
import { chain } from "./_fixtures.ts";
import { pattern } from "./_peers.ts";

const certs = await chain("ED448");

Deno.test("SealMemory: a released buffer serves the next large write; small writes get fresh memory", () => {
  // hold more than the pool keeps, so that it starts empty whatever other tests left in it
  const held = Array.from({ length: 8 }, () => {
    const m = new SealMemory();
    return { m, bytes: m.allocate(100_000) };
  });
  assert.equal(new Set(held.map((h) => h.bytes.buffer)).size, 8);
  held[0].m.release();
  const second = new SealMemory();
  const b = second.allocate(200_000);
  assert.equal(b.length, 200_000);
  assert.equal(b.buffer, held[0].bytes.buffer);
  // while the second write holds it, a third gets another buffer
  assert.notEqual(new SealMemory().allocate(200_000).buffer, b.buffer);
  second.release();
  const small = new SealMemory().allocate(16_406);
  assert.equal(small.buffer.byteLength, 16_406);
  for (const h of held.slice(1)) h.m.release();
});

Deno.test("LentReadBuffers: a buffer goes back only when the engine moved on and its plaintext came back", () => {
  const capacity = 123_457; // a size no other test pools
  const reads = new LentReadBuffers(capacity);
  const a = reads.allocate(100_000).buffer;
  reads.filled();
  reads.handedOut(); // a's plaintext is lent...
  reads.returned(); // ...and came back, but a is still the engine's (it may hold a partial record)
  // the engine moves on: a is free, and serves this very read (its partial record moves down)
  const b = reads.allocate(100_000).buffer;
  assert.equal(b, a);
  reads.filled();
  const small = reads.allocate(1024); // an idle connection's small read: fresh memory
  assert.equal(small.buffer.byteLength, 1024);
  // b's plaintext was queued but not handed out yet: b stays out of the pool
  const other = takeBuffer(capacity);
  assert.notEqual(other, b);
  reads.handedOut();
  reads.returned();
  assert.equal(takeBuffer(capacity), b);

  // a read still being filled when the queue is handed out is not lent with it
  const c = reads.allocate(100_000).buffer;
  reads.handedOut();
  reads.returned();
  reads.filled();
  reads.allocate(1024);
  assert.notEqual(takeBuffer(capacity), c);
  reads.handedOut();
  reads.returned();
  assert.equal(takeBuffer(capacity), c);
});

Deno.test("many large writes issued at once arrive intact: no buffer is reused before it was sent", async () => {
  const listener = listen({
    port: 0,
    certificates: [{ chain: certs.chain, privateKey: certs.privateKey }],
    alpnProtocols: ["h2"],
  });
  try {
    const [client, server] = await Promise.all([
      connect({
        hostname: "127.0.0.1",
        port: listener.addr.port,
        alpnProtocols: ["h2"],
        verifyServerChain: () => {},
      }),
      listener.accept(),
    ]);
    const data = pattern(12 << 20);
    const pieces: Uint8Array[] = [];
    for (let o = 0; o < data.length; o += 300_000) pieces.push(data.subarray(o, o + 300_000));
    // none awaited before the next: more writes in flight than the pool keeps buffers
    const sending = Promise.all(pieces.map((p) => client.write(p))).then(() => client.close());
    const received: Uint8Array[] = [];
    for (let p = await server!.readLent(); p !== null; p = await server!.readLent()) {
      received.push(...p.map((piece) => piece.slice()));
    }
    await sending;
    assert.ok(bytesEqual(concatBytes(...received), data));
    await server!.close();
  } finally {
    listener.close();
  }
});
