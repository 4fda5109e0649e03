import assert from "node:assert/strict";
import { createQueue, errType, startRelay, text } from "./_harness.ts";
import { nextMsg, noEvent, readMsg } from "./_msg.ts";
import { generateKeyPair } from "../../core/crypto/keys.ts";

const send = (body: string, notification = false) => ({
  type: "SEND" as const,
  notification,
  body: text(body),
});

Deno.test("SKEY: the sender secures a messaging queue; a contact queue refuses SKEY", async () => {
  const h = await startRelay();
  try {
    const rcv = await h.connect();
    const snd = await h.connect();
    const q = await createQueue(rcv, { mode: "M" });
    assert.equal(q.ids.queueMode, "M");
    const key = generateKeyPair("Ed25519");
    const bad = generateKeyPair("Ed25519");
    assert.equal(
      errType(await snd.request(q.ids.sndId, { type: "SKEY", key: key.publicKey }, bad.privateKey)),
      "AUTH",
    );
    assert.equal(
      errType(await snd.request(q.ids.rcvId, { type: "SKEY", key: key.publicKey }, key.privateKey)),
      "AUTH",
    );
    assert.equal(
      errType(await snd.request(q.ids.sndId, { type: "SKEY", key: key.publicKey }, key.privateKey)),
      "OK",
    );
    assert.equal(
      errType(await snd.request(q.ids.sndId, { type: "SKEY", key: bad.publicKey }, bad.privateKey)),
      "AUTH",
    );
    assert.equal(
      errType(await snd.request(q.ids.sndId, { type: "SKEY", key: key.publicKey }, key.privateKey)),
      "OK",
    );
    assert.equal(errType(await snd.request(q.ids.sndId, send("hi"), key.privateKey)), "OK");
    assert.equal((await nextMsg(rcv, q)).text, "hi");
    assert.equal(errType(await snd.request(q.ids.sndId, send("no"))), "AUTH");
    const max = new Uint8Array(16048).fill(65);
    assert.equal(
      errType(
        await snd.request(q.ids.sndId, { type: "SEND", notification: false, body: max }, key.privateKey),
      ),
      "OK",
    );

    const c = await createQueue(rcv, { mode: "C" });
    assert.equal(
      errType(await snd.request(c.ids.sndId, { type: "SKEY", key: key.publicKey }, key.privateKey)),
      "AUTH",
    );
  } finally {
    await h.close();
  }
});

Deno.test("RKEY replaces the recipient keys of a contact queue", async () => {
  const h = await startRelay();
  try {
    const rcv = await h.connect();
    const q = await createQueue(rcv, { mode: "C" });
    const k2 = generateKeyPair("Ed25519");
    const rkey = (keys: typeof k2.publicKey[], by: typeof k2.privateKey) =>
      rcv.request(q.ids.rcvId, { type: "RKEY", keys }, by);
    assert.equal(
      errType(
        await rkey(
          [q.rcvKey.publicKey as typeof k2.publicKey, k2.publicKey],
          q.rcvKey.privateKey as typeof k2.privateKey,
        ),
      ),
      "OK",
    );
    assert.equal(errType(await rcv.request(q.ids.rcvId, { type: "QUE" }, k2.privateKey)), "INFO");
    assert.equal(errType(await rcv.request(q.ids.rcvId, { type: "QUE" }, q.rcvKey.privateKey)), "INFO");
    assert.equal(errType(await rkey([k2.publicKey], k2.privateKey)), "OK");
    assert.equal(errType(await rcv.request(q.ids.rcvId, { type: "QUE" }, q.rcvKey.privateKey)), "AUTH");
    const m = await createQueue(rcv, { mode: "M" });
    assert.equal(
      errType(await rcv.request(m.ids.rcvId, { type: "RKEY", keys: [k2.publicKey] }, m.rcvKey.privateKey)),
      "AUTH",
    );
  } finally {
    await h.close();
  }
});

Deno.test("OFF suspends sending, SUB still re-delivers; DEL removes everything", async () => {
  const h = await startRelay();
  try {
    const rcv = await h.connect();
    const snd = await h.connect();
    const q = await createQueue(rcv, { mode: "C" });
    const rk = q.rcvKey.privateKey;
    assert.equal(errType(await snd.request(q.ids.sndId, send("one"))), "OK");
    assert.equal((await nextMsg(rcv, q)).text, "one");
    assert.equal(errType(await rcv.request(q.ids.sndId, { type: "OFF" }, rk)), "AUTH");
    assert.equal(
      errType(await rcv.request(q.ids.rcvId, { type: "OFF" }, generateKeyPair("Ed25519").privateKey)),
      "AUTH",
    );
    assert.equal(errType(await rcv.request(q.ids.rcvId, { type: "OFF" }, rk)), "OK");
    assert.equal(errType(await snd.request(q.ids.sndId, send("two"))), "AUTH");
    assert.equal(errType(await rcv.request(q.ids.rcvId, { type: "OFF" }, rk)), "OK");
    const [sok] = rcv.requests([{ entityId: q.ids.rcvId, command: { type: "SUB" }, key: rk }]);
    assert.equal(errType(await sok), "SOK");
    assert.equal((await nextMsg(rcv, q)).text, "one", "the unacknowledged message comes again");
    assert.equal(errType(await rcv.request(q.ids.rcvId, { type: "DEL" }, rk)), "OK");
    for (
      const [c, id, cmd] of [
        [snd, q.ids.sndId, send("x")],
        [rcv, q.ids.rcvId, { type: "ACK" as const, msgId: new Uint8Array(24) }],
        [rcv, q.ids.rcvId, { type: "OFF" as const }],
        [rcv, q.ids.rcvId, { type: "SUB" as const }],
      ] as const
    ) {
      assert.equal(errType(await c.request(id, cmd, c === rcv ? rk : undefined)), "AUTH");
    }
  } finally {
    await h.close();
  }
});

Deno.test("many queues, resubscribed from a second and a third connection", async () => {
  const h = await startRelay();
  try {
    const c1 = await h.connect();
    const qs = await Promise.all(Array.from({ length: 50 }, () => createQueue(c1)));
    for (const c of [await h.connect(), await h.connect()]) {
      const rs = await Promise.all(
        c.requests(
          qs.map((q) => ({ entityId: q.ids.rcvId, command: { type: "SUB" }, key: q.rcvKey.privateKey })),
        ),
      );
      assert.deepEqual(rs.map(errType), qs.map(() => "SOK"));
    }
    assert.equal(h.relay.subscriptionCount, 50);
  } finally {
    await h.close();
  }
});

Deno.test("queue creation can be closed or password-protected", async () => {
  const closed = await startRelay({ allowNewQueues: false });
  try {
    await assert.rejects(createQueue(await closed.connect()), /NEW failed.*AUTH/);
  } finally {
    await closed.close();
  }
  const protectedRelay = await startRelay({ createPassword: text("s3cret") });
  try {
    const c = await protectedRelay.connect();
    await assert.rejects(createQueue(c), /AUTH/);
    await assert.rejects(createQueue(c, { basicAuth: "wrong" }), /AUTH/);
    assert.equal((await createQueue(c, { basicAuth: "s3cret" })).ids.rcvId.length, 24);
  } finally {
    await protectedRelay.close();
  }
});

Deno.test("switching the subscription: END to the old connection, DELD when deleted elsewhere", async () => {
  const h = await startRelay({ quota: 10 });
  try {
    const rcv1 = await h.connect();
    const snd = await h.connect();
    const q = await createQueue(rcv1);
    const rk = q.rcvKey.privateKey;
    await snd.request(q.ids.sndId, send("m1"));
    const m1 = await nextMsg(rcv1, q);
    assert.equal(errType(await rcv1.request(q.ids.rcvId, { type: "ACK", msgId: m1.msgId }, rk)), "OK");
    await snd.request(q.ids.sndId, send("m2"));
    assert.equal((await nextMsg(rcv1, q)).text, "m2");
    const rcv2 = await h.connect();
    assert.equal(errType(await rcv2.request(q.ids.rcvId, { type: "SUB" }, rk)), "SOK");
    assert.equal(
      (await nextMsg(rcv2, q)).text,
      "m2",
      "the unacknowledged message moves to the new subscriber",
    );
    const end = await rcv1.nextEvent();
    assert.equal(end.msg.type, "END");
    assert.deepEqual(end.entityId, q.ids.rcvId);
    assert.equal(errType(await rcv1.request(q.ids.rcvId, { type: "ACK", msgId: m1.msgId }, rk)), "NO_MSG");
    assert.equal(errType(await rcv1.request(q.ids.rcvId, { type: "DEL" }, rk)), "OK");
    const deld = await rcv2.nextEvent();
    assert.equal(deld.msg.type, "DELD");
    await noEvent(rcv1);
  } finally {
    await h.close();
  }
});

Deno.test("GET polls without subscribing; GET and SUB exclude each other on one connection", async () => {
  const h = await startRelay();
  try {
    const c = await h.connect();
    const snd = await h.connect();
    const q = await createQueue(c, { subMode: "C" });
    const rk = q.rcvKey.privateKey;
    assert.equal(errType(await c.request(q.ids.rcvId, { type: "GET" }, rk)), "OK", "empty queue");
    await snd.request(q.ids.sndId, send("polled"));
    const got = readMsg(q, await c.request(q.ids.rcvId, { type: "GET" }, rk));
    assert.equal(got.text, "polled");
    assert.equal(errType(await c.request(q.ids.rcvId, { type: "SUB" }, rk)), "CMD PROHIBITED");
    assert.equal(errType(await c.request(q.ids.rcvId, { type: "ACK", msgId: got.msgId }, rk)), "OK");
    assert.equal(errType(await c.request(q.ids.rcvId, { type: "GET" }, rk)), "OK");
    const sub = await h.connect();
    assert.equal(errType(await sub.request(q.ids.rcvId, { type: "SUB" }, rk)), "SOK");
    assert.equal(errType(await sub.request(q.ids.rcvId, { type: "GET" }, rk)), "CMD PROHIBITED");
    await noEvent(c);
  } finally {
    await h.close();
  }
});

Deno.test("QUOTA: OK, OK, QUOTA; the marker arrives after the messages; writes resume once drained", async () => {
  const h = await startRelay({ quota: 2 });
  try {
    const rcv = await h.connect();
    const snd = await h.connect();
    const q = await createQueue(rcv, { subMode: "C" });
    const rk = q.rcvKey.privateKey;
    assert.deepEqual(
      [
        await snd.request(q.ids.sndId, send("1")),
        await snd.request(q.ids.sndId, send("2")),
        await snd.request(q.ids.sndId, send("3")),
      ].map(errType),
      ["OK", "OK", "QUOTA"],
    );
    assert.equal(errType(await snd.request(q.ids.sndId, send("4"))), "QUOTA");
    assert.equal(errType(await rcv.request(q.ids.rcvId, { type: "SUB" }, rk)), "SOK");
    let m = await nextMsg(rcv, q);
    assert.equal(m.text, "1");
    m = readMsg(q, await rcv.request(q.ids.rcvId, { type: "ACK", msgId: m.msgId }, rk));
    assert.equal(m.text, "2");
    m = readMsg(q, await rcv.request(q.ids.rcvId, { type: "ACK", msgId: m.msgId }, rk));
    assert.equal(m.text, "QUOTA");
    assert.equal(
      errType(await snd.request(q.ids.sndId, send("5"))),
      "QUOTA",
      "until the marker is acknowledged",
    );
    assert.equal(errType(await rcv.request(q.ids.rcvId, { type: "ACK", msgId: m.msgId }, rk)), "OK");
    assert.equal(errType(await snd.request(q.ids.sndId, send("6"))), "OK");
    assert.equal((await nextMsg(rcv, q)).text, "6");
  } finally {
    await h.close();
  }
});

Deno.test("messages sent before the ACK keep coming one at a time, in order", async () => {
  const h = await startRelay({ quota: 200 });
  try {
    const rcv = await h.connect();
    const s1 = await h.connect();
    const s2 = await h.connect();
    const q = await createQueue(rcv);
    const rk = q.rcvKey.privateKey;
    const received: string[] = [];
    const next = nextMsg(rcv, q);
    for (let i = 0; i < 50; i++) {
      await Promise.all([s1.request(q.ids.sndId, send(`a${i}`)), s2.request(q.ids.sndId, send(`b${i}`))]);
    }
    let m = await next;
    for (;;) {
      received.push(m.text);
      const r = await rcv.request(q.ids.rcvId, { type: "ACK", msgId: m.msgId }, rk);
      if (r.type === "OK") break;
      m = readMsg(q, r);
    }
    assert.equal(received.length, 100);
    assert.deepEqual(
      received.filter((t) => t.startsWith("a")),
      Array.from({ length: 50 }, (_, i) => `a${i}`),
    );
  } finally {
    await h.close();
  }
});

Deno.test("an empty ACK keeps the message and delivers it again", async () => {
  const h = await startRelay();
  try {
    const rcv = await h.connect();
    const snd = await h.connect();
    const q = await createQueue(rcv);
    await snd.request(q.ids.sndId, send("keep"));
    await nextMsg(rcv, q);
    const again = readMsg(
      q,
      await rcv.request(q.ids.rcvId, { type: "ACK", msgId: new Uint8Array(0) }, q.rcvKey.privateKey),
    );
    assert.equal(again.text, "keep");
  } finally {
    await h.close();
  }
});
