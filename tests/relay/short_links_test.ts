import assert from "node:assert/strict";
import { errType, startRelay, text } from "./_harness.ts";
import { generateKeyPair, randomBytes } from "../../core/crypto/keys.ts";
import { sha3_384 } from "../../core/crypto/hash.ts";
import type { NewQueueRequest, QueueRequestData } from "../../core/smp/mod.ts";

const data = (user: string) => ({ fixedData: text("fixed"), userData: text(user) });

function newReq(queueReqData: QueueRequestData) {
  const rk = generateKeyPair("Ed25519");
  const req: NewQueueRequest = {
    rcvAuthKey: rk.publicKey,
    rcvDhKey: generateKeyPair("X25519").publicKey,
    subMode: "S",
    queueReqData,
  };
  return { rk, req };
}

Deno.test("short link of a 1-time invitation: LSET before securing, LKEY secures and reads, then LSET refused", async () => {
  const h = await startRelay();
  try {
    const c = await h.connect();
    const corrId = randomBytes(24);
    const wrong = newReq({ mode: "M", link: { senderId: randomBytes(24), data: data("u1") } });
    assert.equal(
      errType(
        await c.request(new Uint8Array(0), { type: "NEW", req: wrong.req }, wrong.rk.privateKey, corrId),
      ),
      "CMD PROHIBITED",
    );
    const senderId = sha3_384(corrId).slice(0, 24);
    const { rk, req } = newReq({ mode: "M", link: { senderId, data: data("u1") } });
    const ids = await c.request(new Uint8Array(0), { type: "NEW", req }, rk.privateKey, corrId);
    assert.ok(ids.type === "IDS" && ids.ids.linkId && ids.ids.queueMode === "M");
    assert.deepEqual(ids.ids.sndId, senderId);
    const linkId = ids.ids.linkId;
    const rcvId = ids.ids.rcvId;
    const s = await h.connect();
    assert.equal(errType(await s.request(linkId, { type: "LGET" })), "AUTH", "not a contact queue");
    assert.equal(
      errType(await c.request(rcvId, { type: "LSET", linkId, data: data("u2") }, rk.privateKey)),
      "OK",
    );
    const sk = generateKeyPair("Ed25519");
    assert.equal(errType(await s.request(linkId, { type: "LKEY", key: sk.publicKey })), "CMD NO_AUTH");
    assert.equal(
      errType(
        await s.request(linkId, { type: "LKEY", key: sk.publicKey }, generateKeyPair("Ed25519").privateKey),
      ),
      "AUTH",
    );
    assert.equal(errType(await s.request(rcvId, { type: "LKEY", key: sk.publicKey }, sk.privateKey)), "AUTH");
    const lnk = await s.request(linkId, { type: "LKEY", key: sk.publicKey }, sk.privateKey);
    assert.ok(lnk.type === "LNK");
    assert.deepEqual(lnk.senderId, senderId);
    assert.equal(new TextDecoder().decode(lnk.data.userData), "u2");
    const other = generateKeyPair("Ed25519");
    assert.equal(
      errType(await s.request(linkId, { type: "LKEY", key: other.publicKey }, other.privateKey)),
      "AUTH",
    );
    assert.equal(errType(await s.request(linkId, { type: "LKEY", key: sk.publicKey }, sk.privateKey)), "LNK");
    assert.equal(
      errType(await c.request(rcvId, { type: "LSET", linkId, data: data("u3") }, rk.privateKey)),
      "AUTH",
    );
    assert.equal(errType(await c.request(rcvId, { type: "LDEL" }, rk.privateKey)), "OK");
  } finally {
    await h.close();
  }
});

Deno.test("short link of a contact address: LGET without auth, data updates, fixed data cannot change", async () => {
  const h = await startRelay();
  try {
    const c = await h.connect();
    const corrId = randomBytes(24);
    const linkId = randomBytes(24);
    const senderId = sha3_384(corrId).slice(0, 24);
    const { rk, req } = newReq({ mode: "C", link: { linkId, senderId, data: data("v1") } });
    const ids = await c.request(new Uint8Array(0), { type: "NEW", req }, rk.privateKey, corrId);
    assert.ok(ids.type === "IDS" && ids.ids.queueMode === "C");
    assert.deepEqual(ids.ids.linkId, linkId);
    const rcvId = ids.ids.rcvId;
    const s = await h.connect();
    const sk = generateKeyPair("Ed25519");
    assert.equal(
      errType(await s.request(linkId, { type: "LKEY", key: sk.publicKey }, sk.privateKey)),
      "AUTH",
    );
    assert.equal(errType(await s.request(linkId, { type: "LGET" }, sk.privateKey)), "CMD HAS_AUTH");
    assert.equal(errType(await s.request(rcvId, { type: "LGET" })), "AUTH");
    const lnk = await s.request(linkId, { type: "LGET" });
    assert.ok(lnk.type === "LNK" && new TextDecoder().decode(lnk.data.userData) === "v1");
    assert.equal(
      errType(await c.request(rcvId, { type: "LSET", linkId, data: data("v2") }, rk.privateKey)),
      "OK",
    );
    const lnk2 = await s.request(linkId, { type: "LGET" });
    assert.ok(lnk2.type === "LNK" && new TextDecoder().decode(lnk2.data.userData) === "v2");
    assert.equal(
      errType(
        await c.request(rcvId, { type: "LSET", linkId: randomBytes(24), data: data("v3") }, rk.privateKey),
      ),
      "AUTH",
    );
    assert.equal(
      errType(
        await c.request(rcvId, {
          type: "LSET",
          linkId,
          data: { fixedData: text("other"), userData: text("v3") },
        }, rk.privateKey),
      ),
      "AUTH",
    );
    assert.equal(errType(await c.request(rcvId, { type: "LDEL" }, rk.privateKey)), "OK");
    assert.equal(errType(await c.request(rcvId, { type: "LDEL" }, rk.privateKey)), "OK");
    assert.equal(errType(await s.request(linkId, { type: "LGET" })), "AUTH");
  } finally {
    await h.close();
  }
});
