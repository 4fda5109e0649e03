/** The control client against a real relay and a real XFTP server. */
import assert from "node:assert/strict";
import {
  ConnectionRefusedError,
  ControlClient,
  parseControlAddress,
  RoleRefusedError,
  UnsupportedCommandError,
  WrongPasswordError,
} from "../../admin/control_client.ts";
import { encodeBase64Url } from "../../core/encoding/base64.ts";
import { createQueue } from "../relay/_harness.ts";
import { ADMIN_PASSWORD, closedAddress, startTestRelay, startTestXftp, USER_PASSWORD } from "./_servers.ts";

const connect = (address: string) =>
  ControlClient.connect(parseControlAddress(address)!, { timeoutMs: 5000 });

Deno.test("parseControlAddress reads host:port, [v6]:port and :port", () => {
  assert.deepEqual(parseControlAddress("example.org:5224"), { hostname: "example.org", port: 5224 });
  assert.deepEqual(parseControlAddress("[::1]:5224"), { hostname: "::1", port: 5224 });
  assert.deepEqual(parseControlAddress(":5224"), { hostname: "127.0.0.1", port: 5224 });
  assert.equal(parseControlAddress("example.org"), undefined);
  assert.equal(parseControlAddress("h:70000"), undefined);
});

Deno.test("relay: stats parse into the numbers the control port prints; roles are enforced", async () => {
  const relay = await startTestRelay();
  const user = await connect(relay.controlAddress);
  try {
    assert.equal(user.kind, "smp");
    assert.equal(await user.auth(USER_PASSWORD), "CPRUser");
    const rcv = await relay.connect();
    await createQueue(rcv);
    await createQueue(rcv);
    const raw = await user.command("stats");
    const stats = await user.stats();
    assert.equal(stats.counters.qCreated, 2);
    for (const line of raw) {
      const [name, value] = line.split(": ");
      if (/^\d+$/.test(value)) assert.equal(stats.counters[name], Number(value), name);
    }
    assert.equal(stats.fromTime, new Date(stats.fromTime).toISOString());
    assert.ok(Object.keys(stats.proxy).length > 0);
    assert.equal(typeof stats.counters.qSubAuth, "number");
    const info = await user.serverInfo();
    assert.equal(info.clients, 1);
    assert.deepEqual(info.smp, { subscriptions: 2, subscribedClients: 1, subscribedClientsCount2: 1 });
    await assert.rejects(
      user.clients(),
      (e) => e instanceof RoleRefusedError && /admin password/.test(e.message),
    );
    // the session stays usable after a refusal
    assert.equal((await user.stats()).counters.qCreated, 2);
    const admin = await connect(relay.controlAddress);
    assert.equal(await admin.auth(ADMIN_PASSWORD), "CPRAdmin");
    const clients = await admin.clients();
    assert.equal(clients.length, 1);
    assert.equal(clients[0].connected, true);
    await admin.close();
  } finally {
    await user.close();
    await relay.close();
  }
});

Deno.test("relay: status, block, unblock and delete a queue", async () => {
  const relay = await startTestRelay();
  const c = await connect(relay.controlAddress);
  try {
    await c.auth(ADMIN_PASSWORD);
    const q = await createQueue(await relay.connect());
    const sid = encodeBase64Url(q.ids.sndId);
    assert.deepEqual((await c.status(sid)).status, "active");
    assert.match((await c.block(sid, "content")).message, /^ok, queue blocked/);
    assert.deepEqual(await c.status(sid).then((s) => [s.status, s.blockReason]), ["blocked", "content"]);
    assert.match((await c.unblock(sid)).message, /^ok, queue unblocked/);
    assert.equal((await c.delete(sid)).messagesDeleted, 0);
    await assert.rejects(c.status(sid), /has no queue with this ID \(it answered AUTH to status\)/);
    await c.save();
  } finally {
    await c.close();
    await relay.close();
  }
});

Deno.test("wrong password, refused connection and XFTP's missing commands are typed errors", async () => {
  await assert.rejects(connect(closedAddress()), ConnectionRefusedError);
  const xftp = await startTestXftp();
  try {
    const none = await connect(xftp.controlAddress);
    assert.equal(none.kind, "xftp");
    await assert.rejects(none.auth("wrong"), WrongPasswordError);
    assert.equal(none.role, "CPRNone");
    await assert.rejects(none.delete("AAAA"), RoleRefusedError);
    await none.close();
    const user = await connect(xftp.controlAddress);
    await user.auth(USER_PASSWORD);
    await assert.rejects(user.clients(), UnsupportedCommandError);
    // the server's own answer to a command it lacks maps to the same error
    await assert.rejects(user.command("clients"), UnsupportedCommandError);
    // `stats` is ours on an XFTP server
    assert.equal((await user.stats()).counters.filesCreated, 0);
    await assert.rejects(user.delete("AAAA"), /has no file with this ID \(it answered AUTH to delete\)/);
    await user.close();
  } finally {
    await xftp.close();
  }
});
