/** `simplex admin` against a real relay and XFTP server: in process, and once as a subprocess. */
import assert from "node:assert/strict";
import { ControlClient, parseControlAddress } from "../../admin/control_client.ts";
import { encodeBase64Url } from "../../core/encoding/base64.ts";
import { createQueue, errType, text } from "../relay/_harness.ts";
import { createChunk, downloadChunk, errorOf, makeChunk, uploadChunk } from "../xftp_server/_harness.ts";
import {
  ADMIN_PASSWORD,
  closedAddress,
  runAdmin,
  startTestRelay,
  startTestXftp,
  USER_PASSWORD,
} from "./_servers.ts";

Deno.test("stats: a table and --json with the figures the control port prints", async () => {
  const relay = await startTestRelay();
  try {
    const rcv = await relay.connect();
    for (let i = 0; i < 3; i++) await createQueue(rcv);
    const s = ["--server", relay.controlAddress, "--password", USER_PASSWORD];
    const table = await runAdmin(["stats", ...s]);
    assert.equal(table.code, 0, table.err);
    assert.match(table.out, /^stat\s+value$/m);
    assert.match(table.out, /^qCreated\s+3$/m);
    assert.match(table.out, /^proxy\s+requests\s+successes/m);
    const json = await runAdmin(["stats", ...s, "--json"]);
    assert.equal(json.code, 0, json.err);
    const parsed = JSON.parse(json.out);
    assert.equal(parsed.server, "smp");
    assert.equal(parsed.role, "CPRUser");
    const c = await ControlClient.connect(parseControlAddress(relay.controlAddress)!);
    await c.auth(USER_PASSWORD);
    const raw = await c.command("stats");
    await c.close();
    for (const line of raw) {
      const [name, value] = line.split(": ");
      if (/^\d+$/.test(value)) {
        assert.equal(parsed.counters[name], Number(value), name);
        assert.match(table.out, new RegExp(`^${name}\\s+${value}$`, "m"));
      }
    }
  } finally {
    await relay.close();
  }
});

Deno.test("block, unblock and delete: the queue's subscriber feels each at once", async () => {
  const relay = await startTestRelay();
  try {
    const rcv = await relay.connect(), snd = await relay.connect();
    const q = await createQueue(rcv);
    const sid = encodeBase64Url(q.ids.sndId);
    const user = ["--server", relay.controlAddress, "--password", USER_PASSWORD];
    const status = await runAdmin(["status", sid, ...user]);
    assert.match(status.out, /^status\s+active$/m);
    const blocked = await runAdmin(["block", sid, "--reason", "content", ...user]);
    assert.equal(blocked.code, 0, blocked.err);
    assert.match(blocked.out, /^ok, queue blocked: EntityBlocked \(BlockingInfo \{reason = BRContent/);
    assert.equal(errType((await rcv.nextEvent()).msg), "BLOCKED");
    const send = (s: string) =>
      snd.request(q.ids.sndId, { type: "SEND", notification: false, body: text(s) });
    assert.equal(errType(await send("x")), "BLOCKED");
    assert.match((await runAdmin(["status", sid, ...user, "--json"])).out, /"blockReason": "content"/);
    const unblocked = await runAdmin(["unblock", sid, ...user]);
    assert.match(unblocked.out, /^ok, queue unblocked/);
    assert.equal(errType(await send("y")), "OK");
    const refused = await runAdmin(["delete", sid, ...user]);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /does not allow 'delete' for role CPRUser: it needs the admin password/);
    const deleted = await runAdmin([
      "delete",
      sid,
      "--server",
      relay.controlAddress,
      "--password",
      ADMIN_PASSWORD,
      "--json",
    ]);
    assert.equal(deleted.code, 0, deleted.err);
    assert.equal(JSON.parse(deleted.out).messagesDeleted, 1);
    const events = [await rcv.nextEvent(), await rcv.nextEvent()].map((e) => e.msg.type);
    assert.ok(events.includes("DELD"), `got ${events}`);
    const gone = await runAdmin(["status", sid, ...user]);
    assert.equal(gone.code, 1);
    assert.match(gone.err, /has no queue with this ID \(it answered AUTH to status\)/);
  } finally {
    await relay.close();
  }
});

Deno.test("clients, server-info and save need the right role; the password may come from the environment", async () => {
  const relay = await startTestRelay();
  try {
    await relay.connect();
    const server = ["--server", relay.controlAddress];
    const asUser = await runAdmin(["clients", ...server], { SIMPLEX_ADMIN_PASSWORD: USER_PASSWORD });
    assert.equal(asUser.code, 1);
    assert.match(asUser.err, /for role CPRUser: it needs the admin password/);
    const env = { SIMPLEX_ADMIN_PASSWORD: ADMIN_PASSWORD };
    const clients = await runAdmin(["clients", ...server], env);
    assert.equal(clients.code, 0, clients.err);
    assert.match(clients.out, /^clientId\s+sessionId\s+connected/);
    assert.match(clients.out, /\byes\b/);
    assert.equal(JSON.parse((await runAdmin(["clients", ...server, "--json"], env)).out).clients.length, 1);
    const info = await runAdmin(["server-info", ...server], env);
    assert.match(info.out, /^clients\s+1$/m);
    assert.match(info.out, /^viaClients\.smp\.subscriptions\s+0$/m, "the admin role's totals");
    const json = JSON.parse((await runAdmin(["server-info", ...server, "--json"], env)).out);
    assert.deepEqual(json.ntf, {
      subscriptions: 0,
      subscribedClients: 0,
      subscribedClientIds: [],
      subscribedClientsCount2: 0,
      subscribedClientIds2: [],
    });
    const save = await runAdmin(["save", ...server], env);
    assert.equal(save.code, 0, save.err);
    assert.equal(save.out, "server state saved");
    // the flag wins over the environment
    const wrong = await runAdmin(["stats", ...server, "--password", "nope"], env);
    assert.equal(wrong.code, 1);
    assert.match(wrong.err, /refused the password/);
  } finally {
    await relay.close();
  }
});

Deno.test("XFTP: block and delete files; commands the XFTP control port lacks are refused clearly", async () => {
  const xftp = await startTestXftp();
  try {
    const c = await xftp.connect();
    const a = makeChunk(1), b = makeChunk(1);
    const ia = await createChunk(c, a), ib = await createChunk(c, b);
    assert.equal(errorOf(await uploadChunk(c, ib.senderId, b)), "OK");
    const user = ["--server", xftp.controlAddress, "--password", USER_PASSWORD];
    const blocked = await runAdmin(["block", encodeBase64Url(ib.recipientIds[0]), ...user]);
    assert.equal(blocked.code, 0, blocked.err);
    assert.equal(blocked.out, "ok");
    assert.equal(errorOf(await downloadChunk(c, ib.recipientIds[0], b.recipients[0])), "BLOCKED");
    const deleted = await runAdmin(["delete", encodeBase64Url(ia.recipientIds[0]), ...user, "--json"]);
    assert.equal(deleted.code, 0, deleted.err);
    assert.deepEqual(JSON.parse(deleted.out), {
      server: "xftp",
      id: encodeBase64Url(ia.recipientIds[0]),
      message: "ok",
    });
    const again = await runAdmin(["delete", encodeBase64Url(ia.recipientIds[0]), ...user]);
    assert.equal(again.code, 1);
    assert.match(again.err, /has no file with this ID \(it answered AUTH to delete\)/);
    const clients = await runAdmin(["clients", ...user]);
    assert.equal(clients.code, 1);
    assert.match(clients.err, /is an XFTP server's control port, which has no 'clients' command/);
    const stats = await runAdmin(["stats", ...user, "--json"]);
    assert.equal(stats.code, 0, stats.err);
    assert.equal(JSON.parse(stats.out).counters.filesBlocked, 1);
  } finally {
    await xftp.close();
  }
});

Deno.test("refused connections, wrong passwords and usage errors have their exit codes", async () => {
  const refused = await runAdmin(["stats", "--server", closedAddress(), "--password", "x"]);
  assert.equal(refused.code, 1);
  assert.match(refused.err, /the control port at 127\.0\.0\.1:\d+ refused the connection/);
  const relay = await startTestRelay();
  try {
    const wrong = await runAdmin(["stats", "--server", relay.controlAddress, "--password", "wrong"]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.err, /refused the password/);
  } finally {
    await relay.close();
  }
  const usage = async (args: string[], pattern: RegExp) => {
    const r = await runAdmin(args);
    assert.equal(r.code, 2, args.join(" "));
    assert.match(r.err, pattern);
    assert.equal(r.err.split("\n").length, 1, "one line, not the whole usage");
    assert.match(r.err, /; "simplex admin( [a-z-]+)? --help" lists the options$/);
  };
  await usage([], /no command given/);
  await usage(["frobnicate", "--server", ":1"], /unknown command 'frobnicate'/);
  await usage(["stats"], /--server HOST:PORT is required/);
  await usage(["stats", "--server", "nohost"], /is not HOST:PORT/);
  await usage(["block", "--server", ":1"], /block needs an ID/);
  await usage(["block", "X", "--reason", "rude", "--server", ":1"], /spam or content/);
  await usage(["stats", "--server", ":1", "--bogus"], /unknown option '--bogus'/);
  // regression: a base64url ID may start with '-'
  await usage(["block", "-aYYe58YJX_MJeg4kUJJuQ==", "--reason", "rude", "--server", ":1"], /spam or content/);
  await usage(["stats", "--server", ":1"], /no password: give --password, set \$SIMPLEX_ADMIN_PASSWORD/);
  const help = await runAdmin(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.out, /Usage: simplex admin <command> --server HOST:PORT/);
});

Deno.test("each admin command has its own --help, wherever the flag is", async () => {
  for (
    const [args, first] of [
      [["stats", "--help"], "Usage: simplex admin stats --server HOST:PORT"],
      [["block", "X", "-h"], "Usage: simplex admin block ID [--reason spam|content]"],
      [["server-info", "--server", ":1", "--help"], "Usage: simplex admin server-info"],
      [["serve", "--relay", ":1", "--help"], "Usage: simplex admin serve [--relay HOST:PORT]"],
    ] as const
  ) {
    const r = await runAdmin([...args]);
    assert.equal(r.code, 0, args.join(" "));
    assert.ok(r.out.startsWith(first), `${args.join(" ")}: ${r.out.split("\n")[0]}`);
  }
  assert.match((await runAdmin(["block", "--help"])).out, /--reason R\s+why: spam \(default\) or content/);
  assert.match((await runAdmin(["serve", "--help"])).out, /--metrics-token T/);
});

Deno.test("as a subprocess: stats --json with the password from the environment, never on the command line", async () => {
  const relay = await startTestRelay();
  try {
    await createQueue(await relay.connect());
    const script = new URL("../../cli/main.ts", import.meta.url).pathname;
    const run = async (args: string[], password: string) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", script, "admin", ...args],
        env: { SIMPLEX_ADMIN_PASSWORD: password, NO_COLOR: "1" },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const decode = (b: Uint8Array) => new TextDecoder().decode(b);
      return { code: out.code, out: decode(out.stdout), err: decode(out.stderr) };
    };
    const ok = await run(["stats", "--server", relay.controlAddress, "--json"], USER_PASSWORD);
    assert.equal(ok.code, 0, ok.err);
    assert.equal(JSON.parse(ok.out).counters.qCreated, 1);
    const refused = await run(["clients", "--server", relay.controlAddress], USER_PASSWORD);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /for role CPRUser: it needs the admin password/);
    const usage = await run(["stats", "--server", relay.controlAddress], "");
    assert.equal(usage.code, 2, "no password and no terminal to ask at");
    const help = await run(["--help"], "");
    assert.equal(help.code, 0);
    assert.match(help.out, /--password P/);
  } finally {
    await relay.close();
  }
});
