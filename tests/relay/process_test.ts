/** `simplex relay` as operators run it, and what a crash must not lose. */
import assert from "node:assert/strict";
import { freePort, runRelayCli, spawnRelay } from "./_process.ts";
import { connectSmp } from "../../core/smp/connect.ts";
import { dh, generateKeyPair } from "../../core/crypto/keys.ts";
import { decryptMsgBody, type SmpClient } from "../../core/smp/client.ts";
import type { BrokerMsg } from "../../core/smp/mod.ts";

async function initRelay(dir: string, port: number): Promise<void> {
  const r = await runRelayCli(dir, ["init", "-y", "--no-password", "--port", String(port)]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Server address: smp:\/\/[A-Za-z0-9_-]{43}=@127\.0\.0\.1:\d+/);
}

Deno.test("init writes the reference's files with 0600 keys; a second init is refused; bad config is a clear error", async () => {
  const dir = await Deno.makeTempDir({ prefix: "relay-cli-" });
  try {
    await initRelay(dir, freePort());
    for (const f of ["ca.key", "server.key", "smp-server.ini"]) {
      assert.equal((await Deno.stat(`${dir}/etc/${f}`)).mode! & 0o777, 0o600, f);
    }
    const fp = (await Deno.readTextFile(`${dir}/etc/fingerprint`)).trim();
    assert.equal(fp.length, 44);
    const again = await runRelayCli(dir, ["init", "-y"]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already set up/);
    const cert = await runRelayCli(dir, ["cert"]);
    assert.equal(cert.code, 0, cert.stderr);
    assert.match(cert.stdout, new RegExp(`fingerprint is unchanged: ${fp.replace(/[-+]/g, "\\$&")}`));
    const ini = await Deno.readTextFile(`${dir}/etc/smp-server.ini`);
    await Deno.writeTextFile(`${dir}/etc/smp-server.ini`, ini.replace(/^port = .*$/m, "port = 70000"));
    const bad = await runRelayCli(dir, ["start"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /smp-server\.ini:\d+: \[TRANSPORT\] port: bad port "70000"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

function text(m: BrokerMsg, secret: Uint8Array): string {
  assert.equal(m.type, "MSG");
  if (m.type !== "MSG") return "";
  const b = decryptMsgBody(secret, m.msgId, m.encBody);
  return b?.type === "message" ? new TextDecoder().decode(b.body) : "?";
}

Deno.test("kill -9 under load loses no message that was answered OK", async () => {
  const dir = await Deno.makeTempDir({ prefix: "relay-crash-" });
  const port = freePort();
  await initRelay(dir, port);
  let relay = await spawnRelay(dir);
  try {
    const rcv = await connectSmp(relay.address);
    const rk = generateKeyPair("Ed25519");
    const rdh = generateKeyPair("X25519");
    const queues: { rcvId: Uint8Array; sndId: Uint8Array; secret: Uint8Array }[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await rcv.request(new Uint8Array(), {
        type: "NEW",
        req: { rcvAuthKey: rk.publicKey, rcvDhKey: rdh.publicKey, subMode: "C", queueReqData: { mode: "C" } },
      }, rk.privateKey);
      assert.equal(r.type, "IDS");
      if (r.type === "IDS") {
        queues.push({ rcvId: r.ids.rcvId, sndId: r.ids.sndId, secret: dh(r.ids.srvDhKey, rdh.privateKey) });
      }
    }
    await rcv.close();
    // several senders keep sending until the relay dies under them
    const acknowledged = new Map<number, string[]>(queues.map((_, i) => [i, []]));
    const senders = queues.map(async (q, i) => {
      const s: SmpClient = await connectSmp(relay.address);
      for (let n = 0; n < 100_000; n++) {
        const body = `q${i}-m${n}`;
        let r: BrokerMsg;
        try {
          r = await s.request(q.sndId, {
            type: "SEND",
            notification: false,
            body: new TextEncoder().encode(body),
          });
        } catch {
          return; // the connection died with the relay: this message was never confirmed
        }
        if (r.type === "OK") acknowledged.get(i)!.push(body);
        else if (r.type === "ERR" && r.error.type === "QUOTA") return;
      }
    });
    await new Promise((r) => setTimeout(r, 700));
    const status = await relay.kill("SIGKILL");
    assert.equal(status.signal, "SIGKILL");
    await Promise.all(senders);
    const total = [...acknowledged.values()].reduce((n, l) => n + l.length, 0);
    assert.ok(total > 10, `the load must have produced confirmed messages (got ${total})`);

    relay = await spawnRelay(dir);
    const c = await connectSmp(relay.address);
    try {
      for (const [i, q] of queues.entries()) {
        const sub = c.requests([{ entityId: q.rcvId, command: { type: "SUB" }, key: rk.privateKey }]);
        assert.equal((await sub[0]).type, "SOK");
        const got: string[] = [];
        const expected = acknowledged.get(i)!;
        if (expected.length === 0) continue;
        let m = (await c.nextEvent()).msg;
        for (;;) {
          const t = text(m, q.secret);
          got.push(t);
          if (m.type !== "MSG") break;
          const next = await c.request(q.rcvId, { type: "ACK", msgId: m.msgId }, rk.privateKey);
          if (next.type === "OK") break;
          m = next;
        }
        // every confirmed message arrives, in order; at most one more (sent, stored, but its OK was lost)
        assert.deepEqual(got.slice(0, expected.length), expected, `queue ${i}`);
        assert.ok(got.length <= expected.length + 1, `queue ${i}: ${got.length} vs ${expected.length}`);
      }
      // the queues keep working after the crash
      assert.equal(
        (await c.request(queues[0].sndId, { type: "SEND", notification: false, body: new Uint8Array(1) }))
          .type,
        "OK",
      );
    } finally {
      await c.close();
    }
  } finally {
    await relay.kill("SIGTERM");
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("export writes a reference store log that a fresh relay imports on its first start", async () => {
  const a = await Deno.makeTempDir({ prefix: "relay-export-" });
  const b = await Deno.makeTempDir({ prefix: "relay-import-" });
  try {
    const portA = freePort();
    await initRelay(a, portA);
    let relay = await spawnRelay(a);
    const c = await connectSmp(relay.address);
    const rk = generateKeyPair("Ed25519");
    const rdh = generateKeyPair("X25519");
    const ids = await c.request(new Uint8Array(), {
      type: "NEW",
      req: { rcvAuthKey: rk.publicKey, rcvDhKey: rdh.publicKey, subMode: "C", queueReqData: { mode: "C" } },
    }, rk.privateKey);
    assert.ok(ids.type === "IDS");
    const secret = dh(ids.ids.srvDhKey, rdh.privateKey);
    assert.equal(
      (await c.request(ids.ids.sndId, {
        type: "SEND",
        notification: false,
        body: new TextEncoder().encode("kept"),
      })).type,
      "OK",
    );
    await c.close();
    await relay.kill();
    const exported = await runRelayCli(a, ["export"]);
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, /Exported 1 queues/);
    assert.match(await Deno.readTextFile(`${a}/var/smp-server-store.log`), /^CREATE rid=/);
    assert.equal((await Deno.stat(`${a}/var/smp-server-store.log`)).mode! & 0o777, 0o600);
    // the same identity and the exported files in a new data directory
    await Deno.mkdir(`${b}/var`, { recursive: true });
    await Deno.rename(`${a}/etc`, `${b}/etc`);
    for (const f of ["smp-server-store.log", "smp-server-messages.log"]) {
      await Deno.copyFile(`${a}/var/${f}`, `${b}/var/${f}`);
    }
    relay = await spawnRelay(b);
    try {
      assert.ok(relay.output.some((l) => /Imported 1 queues/.test(l)), relay.output.join("\n"));
      const r = await connectSmp(relay.address);
      assert.equal(
        (await r.requests([{ entityId: ids.ids.rcvId, command: { type: "SUB" }, key: rk.privateKey }])[0])
          .type,
        "SOK",
      );
      assert.equal(text((await r.nextEvent()).msg, secret), "kept");
      await r.close();
    } finally {
      await relay.kill();
    }
  } finally {
    await Deno.remove(a, { recursive: true });
    await Deno.remove(b, { recursive: true });
  }
});
