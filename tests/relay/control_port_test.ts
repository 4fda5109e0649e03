/** The control port of a running relay: stats, and moderation that clients feel at once. */
import assert from "node:assert/strict";
import { startRelayServer } from "../../relay/server.ts";
import { parseRelayConfig } from "../../relay/config.ts";
import { connectSmp } from "../../core/smp/connect.ts";
import { encodeBase64Url } from "../../core/encoding/base64.ts";
import { createQueue, errType, relayIdentity, text } from "./_harness.ts";

async function controlSession(port: number) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const reader = conn.readable.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  // one read stays pending across calls, so that no chunk is dropped when a wait times out
  let pending: Promise<ReadableStreamReadResult<string>> | undefined;
  const readUntilIdle = async (ms = 200): Promise<string> => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      pending ??= reader.read();
      const r = await Promise.race([
        pending,
        new Promise<null>((res) => setTimeout(() => res(null), deadline - Date.now())),
      ]);
      if (r === null) break;
      pending = undefined;
      if (r.done) break;
      buffer += r.value;
    }
    const out = buffer;
    buffer = "";
    return out;
  };
  const writer = conn.writable.getWriter();
  return {
    async command(line: string): Promise<string> {
      await writer.write(new TextEncoder().encode(`${line}\n`));
      return await readUntilIdle();
    },
    readUntilIdle,
    close: () => writer.close().catch(() => {}),
  };
}

Deno.test("control port: roles, stats, block (the subscriber gets ERR BLOCKED), unblock, delete (DELD)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "relay-control-" });
  const config = parseRelayConfig(
    `[AUTH]\ncontrol_port_admin_password = adminpw\ncontrol_port_user_password = userpw\n[TRANSPORT]\nport = 1\ncontrol_port = 1\n`,
    { cfgDir: dir, logDir: dir },
  );
  const running = await startRelayServer({
    config: { ...config, ports: [0], controlPort: 0 },
    identity: relayIdentity,
    hostname: "127.0.0.1",
    log: () => {},
  });
  const address = { keyHash: relayIdentity.keyHash, hosts: ["127.0.0.1"], port: running.ports[0] };
  const rcv = await connectSmp(address);
  const snd = await connectSmp(address);
  const cp = await controlSession(running.controlPort!);
  try {
    assert.match(await cp.readUntilIdle(), /SMP server control port/);
    assert.equal((await cp.command("stats")).trim(), "AUTH");
    assert.match(await cp.command("auth wrong"), /CPRNone/);
    assert.match(await cp.command("auth userpw"), /CPRUser/);
    const q = await createQueue(rcv);
    const stats = await cp.command("stats");
    assert.match(stats, /qCreated: 1/);
    assert.equal((await cp.command("clients")).trim(), "AUTH", "clients needs the admin role");
    const sid = encodeBase64Url(q.ids.sndId);
    assert.match(await cp.command(`status ${sid}`), /status: EntityActive/);
    assert.match(await cp.command(`block ${sid} reason=spam`), /ok/);
    const blocked = await rcv.nextEvent();
    assert.equal(errType(blocked.msg), "BLOCKED");
    assert.equal(
      errType(await snd.request(q.ids.sndId, { type: "SEND", notification: false, body: text("x") })),
      "BLOCKED",
    );
    assert.match(await cp.command(`unblock ${sid}`), /ok/);
    assert.equal(
      errType(await snd.request(q.ids.sndId, { type: "SEND", notification: false, body: text("y") })),
      "OK",
    );
    assert.equal((await cp.command(`delete ${sid}`)).trim(), "AUTH", "delete needs the admin role");
    assert.match(
      await cp.command("auth adminpw"),
      /start new session to change/,
      "a role is fixed per session",
    );
    const admin = await controlSession(running.controlPort!);
    await admin.readUntilIdle();
    assert.match(await admin.command("auth adminpw"), /CPRAdmin/);
    assert.match(await admin.command("clients"), /clientId/);
    assert.match(await admin.command(`delete ${sid}`), /ok, 1 messages deleted/);
    await admin.close();
    const events = [await rcv.nextEvent(), await rcv.nextEvent()].map((e) => e.msg.type);
    assert.ok(events.includes("DELD"), `got ${events}`);
    assert.match(await cp.command("help"), /commands:/);
  } finally {
    await cp.close();
    await rcv.close();
    await snd.close();
    await running.close();
    await Deno.remove(dir, { recursive: true });
  }
});
