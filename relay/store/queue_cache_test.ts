import assert from "node:assert/strict";
import { publicKey } from "../../core/crypto/keys.ts";
import { QueueCache } from "./queue_cache.ts";
import type { QueueRecord } from "./types.ts";

const id = (n: number) => new Uint8Array(24).fill(n);

function queue(n: number): QueueRecord {
  return {
    recipientId: id(n),
    recipientKeys: [publicKey("Ed25519", new Uint8Array(32).fill(n))],
    rcvDhSecret: new Uint8Array(32).fill(n),
    senderId: id(n + 100),
    status: { type: "active" },
  };
}

Deno.test("the queue cache evicts the least recently used record first", () => {
  const cache = new QueueCache(2);
  const [q1, q2, q3] = [queue(1), queue(2), queue(3)];
  cache.set("recipient", q1.recipientId, q1);
  cache.set("recipient", q2.recipientId, q2);
  assert.equal(cache.get("recipient", id(1)), q1, "a hit makes q1 the most recent");
  cache.set("recipient", q3.recipientId, q3);
  assert.equal(cache.size, 2);
  assert.equal(cache.get("recipient", id(2)), undefined);
  assert.equal(cache.get("recipient", id(1)), q1);
  assert.equal(cache.get("recipient", id(3)), q3);
});

Deno.test("forgetting a queue drops its records under every party, and only its own", () => {
  const cache = new QueueCache(10);
  const [q1, q2] = [queue(1), queue(2)];
  cache.set("recipient", q1.recipientId, q1);
  cache.set("sender", q1.senderId, q1);
  cache.set("sender", q2.senderId, q2);
  assert.equal(cache.get("sender", id(1)), undefined, "parties are separate namespaces");
  cache.forget(id(1));
  assert.equal(cache.get("recipient", id(1)), undefined);
  assert.equal(cache.get("sender", id(101)), undefined);
  assert.equal(cache.get("sender", id(102)), q2);
  assert.equal(cache.size, 1);
});
