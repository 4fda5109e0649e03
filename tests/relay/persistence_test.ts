import assert from "node:assert/strict";
import { createQueue, errType, startRelay, text } from "./_harness.ts";
import { nextMsg, readMsg } from "./_msg.ts";
import { generateKeyPair } from "../../core/crypto/keys.ts";

const send = (body: string, notification = false) => ({
  type: "SEND" as const,
  notification,
  body: text(body),
});

Deno.test("queues, keys, messages and the quota state survive a restart", async () => {
  let h = await startRelay({ quota: 4 });
  const dir = h.dir;
  const rcv = await h.connect();
  const snd = await h.connect();
  const q = await createQueue(rcv, { subMode: "C" });
  const sk = generateKeyPair("Ed25519");
  assert.equal(
    errType(await snd.request(q.ids.sndId, { type: "SKEY", key: sk.publicKey }, sk.privateKey)),
    "OK",
  );
  const sends = [];
  for (let i = 1; i <= 6; i++) {
    sends.push(errType(await snd.request(q.ids.sndId, send(`hello ${i}`), sk.privateKey)));
  }
  assert.deepEqual(sends, ["OK", "OK", "OK", "OK", "QUOTA", "QUOTA"]);
  const gone = await createQueue(rcv);
  assert.equal(errType(await rcv.request(gone.ids.rcvId, { type: "DEL" }, gone.rcvKey.privateKey)), "OK");
  await h.close();

  h = await startRelay({ quota: 4 }, dir);
  try {
    const rcv2 = await h.connect();
    const snd2 = await h.connect();
    assert.equal(
      errType(await rcv2.request(gone.ids.rcvId, { type: "SUB" }, gone.rcvKey.privateKey)),
      "AUTH",
    );
    assert.equal(
      errType(await snd2.request(q.ids.sndId, send("unsigned"))),
      "AUTH",
      "the sender key persisted",
    );
    assert.equal(
      errType(await snd2.request(q.ids.sndId, send("more"), sk.privateKey)),
      "QUOTA",
      "still over quota",
    );
    assert.equal(errType(await rcv2.request(q.ids.rcvId, { type: "SUB" }, q.rcvKey.privateKey)), "SOK");
    const got: string[] = [];
    let m = await nextMsg(rcv2, q);
    for (;;) {
      got.push(m.text);
      const r = await rcv2.request(q.ids.rcvId, { type: "ACK", msgId: m.msgId }, q.rcvKey.privateKey);
      if (r.type === "OK") break;
      m = readMsg(q, r);
    }
    assert.deepEqual(got, ["hello 1", "hello 2", "hello 3", "hello 4", "QUOTA"]);
    assert.equal(errType(await snd2.request(q.ids.sndId, send("after"), sk.privateKey)), "OK");
  } finally {
    await h.close();
  }
});

Deno.test("messages older than the TTL expire on send and in the periodic sweep", async () => {
  let now = 1_700_000_000;
  const h = await startRelay({ messageTtl: 60, now: () => now });
  try {
    const rcv = await h.connect();
    const snd = await h.connect();
    const q = await createQueue(rcv, { subMode: "C" });
    await snd.request(q.ids.sndId, send("old"));
    now += 61;
    await snd.request(q.ids.sndId, send("new"));
    assert.equal(h.relay.stats.counters.msgExpired, 1);
    assert.equal(errType(await rcv.request(q.ids.rcvId, { type: "SUB" }, q.rcvKey.privateKey)), "SOK");
    assert.equal((await nextMsg(rcv, q)).text, "new");

    const q2 = await createQueue(rcv, { subMode: "C" });
    await snd.request(q2.ids.sndId, send("stale"));
    now += 61;
    h.relay.expire();
    assert.equal(errType(await rcv.request(q2.ids.rcvId, { type: "SUB" }, q2.rcvKey.privateKey)), "SOK");
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(rcv.pendingEvents, 0, "nothing left to deliver");
  } finally {
    await h.close();
  }
});
