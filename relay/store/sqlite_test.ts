import assert from "node:assert/strict";
import { generateKeyPair } from "../../core/crypto/keys.ts";
import { SqliteRelayStore } from "./sqlite.ts";
import type { QueueRecord, StoredMessage } from "./types.ts";

const id = (n: number) => new Uint8Array(24).fill(n);

function queue(n: number): QueueRecord {
  return {
    recipientId: id(n),
    recipientKeys: [generateKeyPair("Ed25519").publicKey],
    rcvDhSecret: new Uint8Array(32).fill(n),
    senderId: id(n + 100),
    queueMode: "M",
    status: { type: "active" },
  };
}

const message = (n: number): StoredMessage & { kind: "message" } => ({
  kind: "message",
  msgId: id(n),
  ts: 1,
  notification: false,
  body: new Uint8Array(100).fill(n),
});

Deno.test("a failing nested transaction undoes only its own writes, cached records included", () => {
  const store = new SqliteRelayStore(":memory:");
  store.transaction(() => store.addQueue(queue(1)));
  const senderKey = generateKeyPair("Ed25519").publicKey;
  store.transaction(() => {
    store.writeMessage(id(1), message(1), 10);
    assert.throws(() =>
      store.transaction(() => {
        store.setSenderKey(id(1), senderKey);
        assert.deepEqual(store.getQueue("sender", id(101))?.senderKey, senderKey);
        store.writeMessage(id(1), message(2), 10);
        throw new Error("refused");
      }), /refused/);
  });
  assert.equal(store.getQueue("sender", id(101))?.senderKey, undefined);
  assert.deepEqual(store.allMessages(id(1)).map((m) => m.msgId), [id(1)]);
  store.close();
});

Deno.test("a queue changed or deleted is read afresh, not from the cache of queues used last", () => {
  const store = new SqliteRelayStore(":memory:");
  store.transaction(() => store.addQueue(queue(1)));
  assert.equal(store.getQueue("sender", id(101))?.status.type, "active");
  store.transaction(() => store.setStatus(id(1), { type: "off" }));
  assert.equal(store.getQueue("sender", id(101))?.status.type, "off");
  store.transaction(() => store.deleteQueue(id(1)));
  assert.equal(store.getQueue("sender", id(101)), undefined);
  assert.equal(store.getQueue("recipient", id(1)), undefined);
  store.close();
});

Deno.test("a queue's size and quota come from its messages: full from the QUOTA marker until drained", () => {
  const store = new SqliteRelayStore(":memory:");
  store.transaction(() => store.addQueue(queue(1)));
  const write = (n: number) => store.transaction(() => store.writeMessage(id(1), message(n), 2)).type;
  assert.deepEqual([write(1), write(2), write(3), write(4)], ["written", "written", "quota", "quota"]);
  assert.equal(store.queueSize(id(1)), 3, "two messages and the marker");
  for (const m of store.allMessages(id(1)).slice(0, 2)) {
    store.transaction(() => store.deleteHead(id(1), m.msgId));
  }
  assert.equal(write(5), "quota", "the marker is still there");
  const marker = store.allMessages(id(1))[0];
  assert.equal(marker.kind, "quota");
  store.transaction(() => store.deleteHead(id(1), marker.msgId));
  assert.equal(store.queueSize(id(1)), 0);
  assert.equal(write(6), "written");
  store.close();
});
