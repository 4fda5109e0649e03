/** A recipient that stays subscribed across a relay restart. */
import assert from "node:assert/strict";
import { ReconnectingSmpClient } from "../../core/smp/reconnecting.ts";
import { connectSmp } from "../../core/smp/connect.ts";
import { decryptMsgBody } from "../../core/smp/client.ts";
import { dh, generateKeyPair } from "../../core/crypto/keys.ts";
import { freePort, runRelayCli, spawnRelay } from "./_process.ts";

Deno.test("after the relay restarts, the client reconnects, resubscribes and receives", async () => {
  const dir = await Deno.makeTempDir({ prefix: "relay-reconnect-" });
  const port = freePort();
  assert.equal((await runRelayCli(dir, ["init", "-y", "--no-password", "--port", String(port)])).code, 0);
  let relay = await spawnRelay(dir);
  const statuses: string[] = [];
  const rcv = new ReconnectingSmpClient(relay.address, {
    minDelayMs: 50,
    maxDelayMs: 200,
    onStatus: (s) => statuses.push(s),
  });
  try {
    const rk = generateKeyPair("Ed25519");
    const rdh = generateKeyPair("X25519");
    const ids = await rcv.request(new Uint8Array(), {
      type: "NEW",
      req: { rcvAuthKey: rk.publicKey, rcvDhKey: rdh.publicKey, subMode: "C", queueReqData: { mode: "C" } },
    }, rk.privateKey);
    assert.ok(ids.type === "IDS");
    const secret = dh(ids.ids.srvDhKey, rdh.privateKey);
    assert.equal((await rcv.subscribe(ids.ids.rcvId, rk.privateKey)).type, "SOK");

    await relay.kill("SIGKILL");
    relay = await spawnRelay(dir);
    const snd = await connectSmp(relay.address);
    assert.equal(
      (await snd.request(ids.ids.sndId, {
        type: "SEND",
        notification: false,
        body: new TextEncoder().encode("again"),
      })).type,
      "OK",
    );
    await snd.close();
    const ev = await rcv.nextEvent(10_000);
    assert.equal(ev.msg.type, "MSG");
    if (ev.msg.type === "MSG") {
      const body = decryptMsgBody(secret, ev.msg.msgId, ev.msg.encBody);
      assert.equal(body?.type === "message" && new TextDecoder().decode(body.body), "again");
    }
    assert.deepEqual(statuses.slice(0, 3), ["connected", "disconnected", "connected"]);
  } finally {
    await rcv.close();
    await relay.kill();
    await Deno.remove(dir, { recursive: true });
  }
});
