/**
 * Service clients (v16+, smp.md §2.6): a notification server that identifies itself with a TLS
 * client certificate, as the reference's ServerTests "subscribe notifier as service" cases.
 */
import assert from "node:assert/strict";
import { createQueue, errType, startRelay, text } from "./_harness.ts";
import { generateKeyPair, type KeyPair, sign } from "../../core/crypto/keys.ts";
import { generateIdentity } from "../../core/x509/identity.ts";
import { sha256 } from "../../core/crypto/hash.ts";
import type { ServiceCertificate } from "../../core/smp/connect.ts";
import type { SmpClient } from "../../core/smp/client.ts";
import { encodeCommand } from "../../core/smp/commands.ts";
import { encodeTransmission, transmissionForAuth } from "../../core/smp/transmission.ts";
import { randomBytes } from "../../core/crypto/keys.ts";

function serviceCertificate(role: ServiceCertificate["role"]): ServiceCertificate {
  const id = generateIdentity({ commonName: "ntf.example.com" });
  return { role, chain: [id.server.cert, id.ca.cert], privateKey: id.server.key };
}

/** A queue with a notifier: the recipient's client and the notifier's key and ID. */
async function queueWithNotifier(rcv: SmpClient) {
  const q = await createQueue(rcv);
  const nKey = generateKeyPair("Ed25519");
  const nid = await rcv.request(
    q.ids.rcvId,
    { type: "NKEY", key: nKey.publicKey, dhKey: generateKeyPair("X25519").publicKey },
    q.rcvKey.privateKey,
  );
  assert.ok(nid.type === "NID");
  return { q, nKey, nId: nid.notifierId };
}

/** NSUB signed by the queue's notifier key alone, without the service signature. */
async function nsubWithoutServiceSig(c: SmpClient, nId: Uint8Array, nKey: KeyPair<"Ed25519">) {
  const corrId = randomBytes(24);
  const { authorized, toSend } = transmissionForAuth(
    c.session,
    corrId,
    nId,
    encodeCommand(c.version, { type: "NSUB" }),
  );
  const bytes = encodeTransmission(c.session, toSend, sign(nKey.privateKey, authorized));
  const [response] = c.sendEncoded([{ corrId, bytes }]);
  return (await response).msg;
}

Deno.test("a service connects with its TLS certificate and keeps its ID; another role is refused", async () => {
  const h = await startRelay();
  try {
    const cert = serviceCertificate("N");
    const a = await h.connect({ service: cert });
    assert.ok(a.session.service, "the relay accepted the service");
    assert.equal(a.session.service.role, "N");
    assert.deepEqual(a.session.service.certHash, sha256(cert.chain[1]), "identified by its CA certificate");
    const b = await h.connect({ service: cert });
    assert.deepEqual(b.session.service?.id, a.session.service.id, "the same certificate is the same service");
    await assert.rejects(h.connect({ service: { ...cert, role: "M" } }), /BAD_SERVICE/);
    const plain = await h.connect();
    assert.equal(plain.session.service, undefined);
    const old = await h.connect({ service: cert, version: 15 });
    assert.equal(old.session.service, undefined, "before v16 there are no services");
    // a service session may only use its role's commands
    const q = await createQueue(plain);
    assert.equal(
      errType(await a.request(q.ids.rcvId, { type: "SUB" }, q.rcvKey.privateKey)),
      "CMD PROHIBITED",
    );
    assert.equal(errType(await a.request(new Uint8Array(0), { type: "PING" })), "PONG");
  } finally {
    await h.close();
  }
});

Deno.test("subscribe notifier as service and deliver notifications", async () => {
  const h = await startRelay();
  try {
    const rcv = await h.connect();
    const snd = await h.connect();
    const { q, nKey, nId } = await queueWithNotifier(rcv);
    const cert = serviceCertificate("N");
    const ntf1 = await h.connect({ service: cert });
    const serviceId = ntf1.session.service!.id;

    assert.equal(errType(await nsubWithoutServiceSig(ntf1, nId, nKey)), "SERVICE");
    const sok = await ntf1.request(nId, { type: "NSUB" }, nKey.privateKey);
    assert.deepEqual(sok, { type: "SOK", serviceId });
    assert.deepEqual(await ntf1.request(nId, { type: "NSUB" }, nKey.privateKey), sok, "idempotent");
    assert.deepEqual(h.store.getQueue("notifier", nId)?.notifier?.ntfServiceId, serviceId);

    assert.equal(
      errType(await snd.request(q.ids.sndId, { type: "SEND", notification: true, body: text("hello") })),
      "OK",
    );
    const nmsg = await ntf1.nextEvent();
    assert.equal(nmsg.msg.type, "NMSG");
    assert.deepEqual(nmsg.entityId, nId);

    // the service reconnects: its new connection takes the subscription, the old one gets ENDS 1
    const ntf2 = await h.connect({ service: cert });
    assert.deepEqual(await ntf2.request(nId, { type: "NSUB" }, nKey.privateKey), sok);
    const ends = await ntf1.nextEvent();
    assert.deepEqual(ends, { entityId: serviceId, msg: { type: "ENDS", count: 1n } });

    // a second queue associated through the new connection, then NDEL of the first
    const second = await queueWithNotifier(rcv);
    assert.deepEqual(await ntf2.request(second.nId, { type: "NSUB" }, second.nKey.privateKey), sok);
    assert.equal(errType(await rcv.request(q.ids.rcvId, { type: "NDEL" }, q.rcvKey.privateKey)), "OK");
    const deld = await ntf2.nextEvent();
    assert.deepEqual([deld.entityId, deld.msg.type], [nId, "DELD"]);

    // NSUBS from a third connection subscribes all the service's queues at once
    const third = await queueWithNotifier(rcv);
    assert.deepEqual(await ntf2.request(third.nId, { type: "NSUB" }, third.nKey.privateKey), sok);
    const ntf3 = await h.connect({ service: cert });
    assert.deepEqual(await ntf3.request(serviceId, { type: "NSUBS" }), { type: "SOKS", count: 2n });
    assert.deepEqual(await ntf2.nextEvent(), { entityId: serviceId, msg: { type: "ENDS", count: 2n } });
    assert.deepEqual(await ntf3.request(serviceId, { type: "NSUBS" }), { type: "SOKS", count: 2n });
    await snd.request(third.q.ids.sndId, { type: "SEND", notification: true, body: text("to ntf3") });
    const delivered = await ntf3.nextEvent();
    assert.deepEqual([delivered.entityId, delivered.msg.type], [third.nId, "NMSG"]);

    // NSUBS for another ID, or outside a service session, is refused
    assert.equal(errType(await ntf3.request(randomBytes(24), { type: "NSUBS" })), "SERVICE");
    const someKey = generateKeyPair("Ed25519").privateKey;
    assert.equal(errType(await rcv.request(serviceId, { type: "NSUBS" }, someKey)), "SERVICE");
    assert.equal(errType(await rcv.request(serviceId, { type: "NSUBS" })), "CMD NO_AUTH");

    // an individual NSUB takes the queue out of the service: END to the service's connection
    assert.equal(errType(await rcv.request(third.nId, { type: "NSUB" }, third.nKey.privateKey)), "SOK");
    const end = await ntf3.nextEvent();
    assert.deepEqual([end.entityId, end.msg.type], [third.nId, "END"]);
    assert.equal(h.store.getQueue("notifier", third.nId)?.notifier?.ntfServiceId, undefined);

    // counted as 6.5.5 counts: three new associations, two repeated ones (ntf1's retry and ntf2's
    // first NSUB of the same queue), one removed; two service subscriptions (ntf1, ntf2) of four queues
    assert.deepEqual(h.relay.stats.services.ntfServices, {
      assocNew: 3,
      assocDuplicate: 2,
      assocUpdated: 0,
      assocRemoved: 1,
      subCount: 2,
      subDuplicate: 0,
      subQueues: 4,
      subEnd: 0,
    });
    assert.ok(Object.values(h.relay.stats.services.rcvServices).every((n) => n === 0));
    assert.deepEqual(h.store.serviceCounts(), {
      rcvServiceCount: 0,
      ntfServiceCount: 1,
      rcvServiceQueuesCount: 0,
      ntfServiceQueuesCount: 1, // the second queue: the first lost its notifier, the third left
    });
    assert.equal(h.relay.subscribers().notifierServices, 1);
  } finally {
    await h.close();
  }
});

Deno.test("subscribe notifier as service and deliver notifications after two restarts", async () => {
  const dir = await Deno.makeTempDir({ prefix: "relay-services-" });
  const cert = serviceCertificate("N");
  let h = await startRelay({}, dir);
  let serviceId: Uint8Array;
  let ids: { sndId: Uint8Array };
  let nId: Uint8Array;
  try {
    const rcv = await h.connect();
    const made = await queueWithNotifier(rcv);
    ids = made.q.ids;
    nId = made.nId;
    const ntf = await h.connect({ service: cert });
    serviceId = ntf.session.service!.id;
    assert.equal(errType(await ntf.request(nId, { type: "NSUB" }, made.nKey.privateKey)), "SOK");
  } finally {
    await h.close();
  }
  for (let restart = 1; restart <= 2; restart++) {
    h = await startRelay({}, dir);
    try {
      const ntf = await h.connect({ service: cert });
      assert.deepEqual(ntf.session.service?.id, serviceId, `restart ${restart}: the same service`);
      assert.deepEqual(await ntf.request(serviceId, { type: "NSUBS" }), { type: "SOKS", count: 1n });
      const snd = await h.connect();
      await snd.request(ids.sndId, { type: "SEND", notification: true, body: text(`after ${restart}`) });
      const ev = await ntf.nextEvent();
      assert.deepEqual([ev.entityId, ev.msg.type], [nId, "NMSG"]);
    } finally {
      await h.close();
    }
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a messaging service: NEW and SUB carry its signature and answer with its ID; SUBS is not served", async () => {
  const h = await startRelay();
  try {
    const svc = await h.connect({ service: serviceCertificate("M") });
    const serviceId = svc.session.service!.id;
    const rk = generateKeyPair("Ed25519");
    const newQueue = (subMode: "S" | "C") =>
      svc.request(new Uint8Array(0), {
        type: "NEW",
        req: { rcvAuthKey: rk.publicKey, rcvDhKey: generateKeyPair("X25519").publicKey, subMode },
      }, rk.privateKey);
    assert.equal(
      errType(await newQueue("C")),
      "CMD PROHIBITED",
      "a service creates queues to subscribe to them",
    );
    const ids = await newQueue("S");
    assert.ok(ids.type === "IDS");
    assert.deepEqual(ids.ids.serviceId, serviceId);
    assert.deepEqual(h.store.getQueue("recipient", ids.ids.rcvId)?.rcvServiceId, serviceId);
    assert.deepEqual(await svc.request(ids.ids.rcvId, { type: "SUB" }, rk.privateKey), {
      type: "SOK",
      serviceId,
    });
    assert.equal(errType(await svc.request(serviceId, { type: "SUBS" })), "CMD PROHIBITED");
    // a notifier command from a messaging service is outside its role
    assert.equal(errType(await svc.request(serviceId, { type: "NSUBS" })), "CMD PROHIBITED");
    assert.deepEqual(h.store.serviceCounts(), {
      rcvServiceCount: 1,
      ntfServiceCount: 0,
      rcvServiceQueuesCount: 1,
      ntfServiceQueuesCount: 0,
    });
  } finally {
    await h.close();
  }
});
