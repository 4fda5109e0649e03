import assert from "node:assert/strict";
import { createQueue, errType, startRelay, text } from "./_harness.ts";
import { nextMsg } from "./_msg.ts";
import { dh, generateKeyPair } from "../../core/crypto/keys.ts";
import { cbDecrypt } from "../../core/crypto/box.ts";
import { decode } from "../../core/encoding/binary.ts";

Deno.test("NKEY/NSUB: flagged messages notify; a second NSUB takes over; NDEL ends it with DELD", async () => {
  const h = await startRelay();
  try {
    const rcv = await h.connect();
    const snd = await h.connect();
    const ntf1 = await h.connect();
    const q = await createQueue(rcv);
    const nKey = generateKeyPair("Ed25519");
    const nDh = generateKeyPair("X25519");
    const nid1 = await rcv.request(
      q.ids.rcvId,
      { type: "NKEY", key: nKey.publicKey, dhKey: nDh.publicKey },
      q.rcvKey.privateKey,
    );
    const nid2 = await rcv.request(
      q.ids.rcvId,
      { type: "NKEY", key: nKey.publicKey, dhKey: nDh.publicKey },
      q.rcvKey.privateKey,
    );
    assert.ok(nid1.type === "NID" && nid2.type === "NID");
    assert.notDeepEqual(nid1.notifierId, nid2.notifierId, "a new NKEY replaces the notifier");
    const nId = nid2.notifierId;
    const secret = dh(nid2.srvNtfDhKey, nDh.privateKey);
    assert.equal(errType(await ntf1.request(nid1.notifierId, { type: "NSUB" }, nKey.privateKey)), "AUTH");
    assert.equal(errType(await ntf1.request(nId, { type: "NSUB" }, nKey.privateKey)), "SOK");
    assert.equal(
      errType(await snd.request(q.ids.sndId, { type: "SEND", notification: true, body: text("ping") })),
      "OK",
    );
    const m = await nextMsg(rcv, q);
    const ev = await ntf1.nextEvent();
    assert.equal(ev.msg.type, "NMSG");
    assert.deepEqual(ev.entityId, nId);
    if (ev.msg.type !== "NMSG") return;
    const meta = cbDecrypt(secret, ev.msg.nonce, ev.msg.encMeta);
    assert.ok(meta.ok);
    const parsed = decode(meta.value, (r) => ({ msgId: r.shortBytes().slice(), ts: r.systemTime() }), {
      allowTrailing: true,
    });
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.value.msgId, m.msgId);

    const ntf2 = await h.connect();
    assert.equal(errType(await ntf2.request(nId, { type: "NSUB" }, nKey.privateKey)), "SOK");
    assert.equal((await ntf1.nextEvent()).msg.type, "END");
    assert.equal(errType(await rcv.request(q.ids.rcvId, { type: "NDEL" }, q.rcvKey.privateKey)), "OK");
    assert.equal((await ntf2.nextEvent()).msg.type, "DELD");
    await snd.request(q.ids.sndId, { type: "SEND", notification: true, body: text("no ntf") });
    await new Promise((r) => setTimeout(r, 250));
    assert.equal(ntf2.pendingEvents, 0);
  } finally {
    await h.close();
  }
});

Deno.test("NEW with notifier credentials (v17+) returns the notifier ID", async () => {
  const h = await startRelay();
  try {
    const c = await h.connect();
    const rk = generateKeyPair("Ed25519");
    const nKey = generateKeyPair("Ed25519");
    const r = await c.request(new Uint8Array(0), {
      type: "NEW",
      req: {
        rcvAuthKey: rk.publicKey,
        rcvDhKey: generateKeyPair("X25519").publicKey,
        subMode: "S",
        queueReqData: { mode: "M" },
        ntfCreds: { authKey: nKey.publicKey, dhKey: generateKeyPair("X25519").publicKey },
      },
    }, rk.privateKey);
    assert.ok(r.type === "IDS" && r.ids.serverNtfCreds);
    assert.equal(
      errType(await c.request(r.ids.serverNtfCreds.notifierId, { type: "NSUB" }, nKey.privateKey)),
      "SOK",
    );
  } finally {
    await h.close();
  }
});
