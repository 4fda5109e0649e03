import assert from "node:assert/strict";
import { createQueue, errType, startRelay, text } from "./_harness.ts";
import { decryptMsgBody } from "../../core/smp/client.ts";
import { generateKeyPair } from "../../core/crypto/keys.ts";
import type { BrokerMsg } from "../../core/smp/mod.ts";

function body(q: { rcvDhSecret: Uint8Array }, m: BrokerMsg): string {
  assert.equal(m.type, "MSG");
  if (m.type !== "MSG") throw new Error();
  const b = decryptMsgBody(q.rcvDhSecret, m.msgId, m.encBody);
  assert.ok(b && b.type === "message");
  return b.type === "message" ? new TextDecoder().decode(b.body) : "";
}

Deno.test("NEW then KEY: unsigned SEND before securing, ACK rules, signed SEND after", async () => {
  const h = await startRelay({ quota: 4 });
  try {
    const rcv = await h.connect();
    const snd = await h.connect();
    const q = await createQueue(rcv, { mode: "C" });
    const { rcvId, sndId } = q.ids;
    assert.equal(
      errType(await snd.request(sndId, { type: "SEND", notification: false, body: text("hello") })),
      "OK",
    );
    const ev = await rcv.nextEvent();
    assert.deepEqual(ev.entityId, rcvId);
    assert.equal(body(q, ev.msg), "hello");
    const msgId = ev.msg.type === "MSG" ? ev.msg.msgId : new Uint8Array();
    assert.equal(errType(await rcv.request(rcvId, { type: "ACK", msgId }, q.rcvKey.privateKey)), "OK");
    assert.equal(errType(await rcv.request(rcvId, { type: "ACK", msgId }, q.rcvKey.privateKey)), "NO_MSG");

    const sndKey = generateKeyPair("Ed25519");
    assert.equal(
      errType(
        await snd.request(sndId, { type: "SEND", notification: false, body: text("x") }, sndKey.privateKey),
      ),
      "AUTH",
      "signed SEND before KEY",
    );
    const other = generateKeyPair("Ed25519");
    assert.equal(
      errType(await rcv.request(rcvId, { type: "KEY", key: sndKey.publicKey }, other.privateKey)),
      "AUTH",
    );
    assert.equal(
      errType(await rcv.request(sndId, { type: "KEY", key: sndKey.publicKey }, q.rcvKey.privateKey)),
      "AUTH",
    );
    assert.equal(
      errType(await rcv.request(rcvId, { type: "KEY", key: sndKey.publicKey }, q.rcvKey.privateKey)),
      "OK",
    );
    assert.equal(
      errType(await rcv.request(rcvId, { type: "KEY", key: sndKey.publicKey }, q.rcvKey.privateKey)),
      "OK",
    );
    assert.equal(
      errType(await rcv.request(rcvId, { type: "KEY", key: other.publicKey }, q.rcvKey.privateKey)),
      "AUTH",
    );
    assert.equal(
      errType(
        await snd.request(
          sndId,
          { type: "SEND", notification: false, body: text("signed") },
          sndKey.privateKey,
        ),
      ),
      "OK",
    );
    assert.equal(body(q, (await rcv.nextEvent()).msg), "signed");
    assert.equal(
      errType(await snd.request(sndId, { type: "SEND", notification: false, body: text("unsigned") })),
      "AUTH",
    );
    assert.equal(
      errType(
        await snd.request(
          sndId,
          { type: "SEND", notification: false, body: new Uint8Array(16049) },
          sndKey.privateKey,
        ),
      ),
      "LARGE_MSG",
    );
  } finally {
    await h.close();
  }
});
