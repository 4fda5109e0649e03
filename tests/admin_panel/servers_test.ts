/**
 * The panel over real servers: in an XFTP server's process (`[ADMIN]`), and `simplex admin serve`
 * over a relay's and an XFTP server's control ports. In each, the figures the panel shows are the
 * ones `simplex admin stats` prints.
 */
import assert from "node:assert/strict";
import { startServe } from "../../admin/serve_command.ts";
import { encodeBase64Url } from "../../core/encoding/base64.ts";
import { createQueue, errType, text } from "../relay/_harness.ts";
import { freePort, runRelayCli } from "../relay/_process.ts";
import { createChunk, downloadChunk, errorOf, makeChunk, uploadChunk } from "../xftp_server/_harness.ts";
import {
  ADMIN_PASSWORD,
  closedAddress,
  runAdmin,
  startTestRelay,
  startTestXftp,
  USER_PASSWORD,
} from "../admin_cli/_servers.ts";

/** Logs in through the login form, as a browser does; returns the session cookie and CSRF token. */
async function login(origin: string, password: string): Promise<{ cookie: string; csrf: string }> {
  const page = await fetch(`${origin}/login`);
  const loginCookie = page.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const token = /name="csrf" value="([^"]+)"/.exec(await page.text())![1];
  const res = await fetch(`${origin}/login`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: loginCookie },
    body: new URLSearchParams({ csrf: token, password }),
    redirect: "manual",
  });
  await res.body?.cancel();
  assert.equal(res.status, 303, "logged in");
  const cookie = res.headers.getSetCookie().map((c) => c.split(";")[0]).filter((c) =>
    c.startsWith("simplex_panel=")
  )
    .join("; ");
  const moderation = await (await fetch(`${origin}/moderation`, { headers: { Cookie: cookie } })).text();
  return { cookie, csrf: /name="csrf" value="([^"]+)"/.exec(moderation)![1] };
}

async function get(origin: string, path: string, cookie: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`${origin}${path}`, { headers: { Cookie: cookie } });
  return { status: res.status, body: await res.text() };
}

async function post(origin: string, path: string, cookie: string, fields: Record<string, string>) {
  const res = await fetch(`${origin}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: cookie },
    body: new URLSearchParams(fields),
  });
  return { status: res.status, body: await res.text() };
}

async function statsFigures(controlAddress: string): Promise<Record<string, number>> {
  const r = await runAdmin(["stats", "--server", controlAddress, "--password", USER_PASSWORD, "--json"]);
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out).figures;
}

Deno.test("XFTP server with [ADMIN]: the panel's figures are admin stats' figures; a file is blocked from the panel", async () => {
  const xftp = await startTestXftp({ panel: true });
  try {
    const c = await xftp.connect();
    const chunk = makeChunk(1);
    const ids = await createChunk(c, chunk);
    assert.equal(errorOf(await uploadChunk(c, ids.senderId, chunk)), "OK");
    const origin = xftp.panelOrigin!;
    assert.match(
      (await (await fetch(`${origin}/login`)).text()).replaceAll(/<\/?code>/g, ""),
      /a password from \/[^:]*\/file-server\.ini: \[AUTH\] control_port_admin_password for the admin role, or \[AUTH\] control_port_user_password/,
      "the login page names the INI file's keys",
    );
    const { cookie, csrf } = await login(origin, USER_PASSWORD);
    const live = JSON.parse((await get(origin, "/live.json", cookie)).body);
    assert.equal(live.servers[0].kind, "xftp");
    assert.equal(live.servers[0].values.filesUploaded, 1);
    assert.equal(live.servers[0].values.filesSize, chunk.bytes.length);
    assert.equal(live.servers[0].values.clients, 1);
    assert.deepEqual(await statsFigures(xftp.controlAddress), live.servers[0].values);
    const table = await runAdmin(["stats", "--server", xftp.controlAddress, "--password", USER_PASSWORD]);
    assert.match(table.out, /^Stored bytes\s+64 KB$/m);

    const overview = (await get(origin, "/", cookie)).body;
    assert.match(overview, /XFTP server/);
    assert.match(overview, /xftp:\/\/[A-Za-z0-9_-]+=*@127\.0\.0\.1/);
    assert.match(
      (await get(origin, "/live", cookie)).body,
      /Stored bytes<\/th><td[^>]*>64 KB<\/td><td class="limit">of 1\.0 GB<\/td>/,
    );

    const id = encodeBase64Url(ids.recipientIds[0]);
    assert.match((await get(origin, `/moderation?id=${id}`, cookie)).body, /Status: <strong>active/);
    const blocked = await post(origin, "/moderation/block", cookie, {
      csrf,
      server: "0",
      id,
      confirm: "yes",
    });
    assert.equal(blocked.status, 200);
    assert.match(blocked.body, /File blocked\./);
    assert.doesNotMatch(blocked.body, /Unblock/, "a blocked file's chunk is gone: no unblock");
    assert.equal(errorOf(await downloadChunk(c, ids.recipientIds[0], chunk.recipients[0])), "BLOCKED");
    // deleting a file is the user role's right on an XFTP server, as on its control port
    const other = makeChunk(1);
    const otherIds = await createChunk(c, other);
    const deleted = await post(origin, "/moderation/delete", cookie, {
      csrf,
      server: "0",
      id: encodeBase64Url(otherIds.recipientIds[0]),
      confirm: "yes",
    });
    assert.match(deleted.body, /File deleted\./);
  } finally {
    await xftp.close();
  }
});

Deno.test("admin serve: one panel over a relay's and an XFTP server's control ports", async () => {
  const relay = await startTestRelay();
  const xftp = await startTestXftp();
  const serve = await startServe(
    { relays: [relay.controlAddress], xftp: [xftp.controlAddress], port: 0, hostname: "127.0.0.1" },
    ADMIN_PASSWORD,
  );
  try {
    assert.equal(serve.role, "admin");
    const origin = `http://127.0.0.1:${serve.panel.port}`;
    assert.match(
      (await (await fetch(`${origin}/login`)).text()).replaceAll(/<\/?code>/g, ""),
      /the control port password that simplex admin serve was started with/,
    );
    const rcv = await relay.connect();
    const snd = await relay.connect();
    const q = await createQueue(rcv);
    assert.equal(
      (await snd.request(q.ids.sndId, { type: "SEND", notification: false, body: text("hi") })).type,
      "OK",
    );
    assert.equal((await rcv.nextEvent()).msg.type, "MSG");
    const c = await xftp.connect();
    const chunk = makeChunk(1);
    const ids = await createChunk(c, chunk);
    assert.equal(errorOf(await uploadChunk(c, ids.senderId, chunk)), "OK");

    const { cookie, csrf } = await login(origin, ADMIN_PASSWORD);
    const live = JSON.parse((await get(origin, "/live.json", cookie)).body);
    assert.deepEqual(live.servers.map((s: { kind: string }) => s.kind), ["smp", "xftp"]);
    assert.equal(live.servers[0].values.msgSent, 1);
    assert.equal(live.servers[1].values.filesUploaded, 1);
    assert.deepEqual(await statsFigures(relay.controlAddress), live.servers[0].values);
    assert.deepEqual(await statsFigures(xftp.controlAddress), live.servers[1].values);

    const overview = (await get(origin, "/", cookie)).body;
    assert.match(overview, new RegExp(`${relay.controlAddress} \\(SMP relay\\)`));
    assert.match(overview, new RegExp(`${xftp.controlAddress} \\(XFTP server\\)`));
    assert.match(
      overview,
      /smp:\/\/[A-Za-z0-9_-]+=*@127\.0\.0\.1/,
      "the relay's address, from its control port",
    );
    assert.match((await get(origin, "/history", cookie)).body, /the panel the server runs itself/);
    assert.equal((await get(origin, "/metrics", cookie)).status, 404);

    // moderation through the control ports
    const queue = encodeBase64Url(q.ids.sndId);
    assert.match(
      (await get(origin, `/moderation?server=0&id=${queue}`, cookie)).body,
      /Status: <strong>active/,
    );
    const blocked = await post(origin, "/moderation/block", cookie, {
      csrf,
      server: "0",
      id: queue,
      confirm: "yes",
    });
    assert.match(blocked.body, /Queue blocked\./);
    assert.equal(errType((await rcv.nextEvent()).msg), "BLOCKED");
    const unknown = await post(origin, "/moderation/unblock", cookie, {
      csrf,
      server: "0",
      id: "AAAA",
      confirm: "yes",
    });
    assert.equal(unknown.status, 404);
    const file = encodeBase64Url(ids.recipientIds[0]);
    assert.match((await get(origin, `/moderation?server=1&id=${file}`, cookie)).body, /cannot look files up/);
    const deleted = await post(origin, "/moderation/delete", cookie, {
      csrf,
      server: "1",
      id: file,
      confirm: "yes",
    });
    assert.match(deleted.body, /File deleted\./);
    assert.equal(errorOf(await downloadChunk(c, ids.recipientIds[0], chunk.recipients[0])), "AUTH");
  } finally {
    await serve.close();
    await relay.close();
    await xftp.close();
  }
});

Deno.test("admin serve: a server that goes away spoils only its own part of the page", async () => {
  const relay = await startTestRelay();
  const xftp = await startTestXftp();
  const serve = await startServe(
    { relays: [relay.controlAddress], xftp: [xftp.controlAddress], port: 0, hostname: "127.0.0.1" },
    USER_PASSWORD,
  );
  try {
    assert.equal(serve.role, "user");
    const origin = `http://127.0.0.1:${serve.panel.port}`;
    const { cookie } = await login(origin, USER_PASSWORD);
    await xftp.close();
    const live = await get(origin, "/live", cookie);
    assert.equal(live.status, 200);
    assert.match(live.body, /Cannot reach this server/);
    assert.match(live.body, /Messages sent/, "the relay's figures are still there");
  } finally {
    await serve.close();
    await relay.close();
  }
});

Deno.test("admin serve: a wrong password, a port of the other kind and a closed port are clear errors", async () => {
  const relay = await startTestRelay();
  try {
    const wrong = await runAdmin([
      "serve",
      "--relay",
      relay.controlAddress,
      "--password",
      "nope",
      "--port",
      "0",
    ]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.err, /refused the password/);
    const kind = await runAdmin([
      "serve",
      "--xftp",
      relay.controlAddress,
      "--password",
      ADMIN_PASSWORD,
      "--port",
      "0",
    ]);
    assert.equal(kind.code, 1);
    assert.match(kind.err, /an SMP relay's control port: give it with --relay/);
    const closed = await runAdmin([
      "serve",
      "--relay",
      closedAddress(),
      "--password",
      ADMIN_PASSWORD,
      "--port",
      "0",
    ]);
    assert.equal(closed.code, 1);
    assert.match(
      closed.err,
      /^simplex admin serve: the control port at 127\.0\.0\.1:\d+ refused the connection/,
    );
    const none = await runAdmin(["serve", "--password", ADMIN_PASSWORD]);
    assert.equal(none.code, 2);
    assert.match(none.err, /serve needs --relay HOST:PORT or --xftp HOST:PORT/);
  } finally {
    await relay.close();
  }
});

Deno.test("simplex relay start: an [ADMIN] port in use is a clear configuration error", async () => {
  const dir = await Deno.makeTempDir({ prefix: "panel-port-" });
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const init = await runRelayCli(dir, ["init", "-y", "--no-password", "--port", String(freePort())]);
    assert.equal(init.code, 0, init.stderr);
    const ini = `${dir}/etc/smp-server.ini`;
    const port = (taken.addr as Deno.NetAddr).port;
    await Deno.writeTextFile(
      ini,
      `${await Deno.readTextFile(ini)}\n[ADMIN]\nport = ${port}\nadmin_password = pw\n`,
    );
    const start = await runRelayCli(dir, ["start"]);
    assert.equal(start.code, 1);
    assert.match(
      start.stderr,
      new RegExp(
        `^simplex relay start: cannot listen on port ${port} \\(\\[ADMIN\\] port\\): another program`,
      ),
    );
  } finally {
    taken.close();
    await Deno.remove(dir, { recursive: true });
  }
});
