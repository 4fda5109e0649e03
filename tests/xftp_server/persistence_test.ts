/** XFTPServerTests testFileLog and the service around it: store log, compaction, stats backup. */
import assert from "node:assert/strict";
import { parseXftpConfig, type XftpConfig } from "../../xftp/config.ts";
import { encodeBase64Url } from "../../core/encoding/base64.ts";
import { type RunningXftpService, startXftpService, STORE_LOG_FILE } from "../../xftp/service.ts";
import { TestClient } from "./_client.ts";
import { makeChain } from "../tls/_certs.ts";
import { createChunk, downloadChunk, errorOf, makeChunk, uploadChunk, xftpIdentity } from "./_harness.ts";

async function service(
  dir: string,
  extra = "",
  overrides: Partial<XftpConfig> = {},
): Promise<RunningXftpService> {
  const text = `[STORE_LOG]
enable: on
log_stats: on
[TRANSPORT]
port: 1
[FILES]
path: ${dir}/files
${extra}`;
  const config = { ...parseXftpConfig(text, { cfgDir: dir, logDir: `${dir}/log` }), port: 0, ...overrides };
  return await startXftpService({ config, identity: xftpIdentity, hostname: "127.0.0.1", log: () => {} });
}

async function connect(s: RunningXftpService): Promise<TestClient> {
  const c = await TestClient.connect(s.server.port);
  await c.handshake();
  return c;
}

const logLines = async (dir: string) =>
  (await Deno.readTextFile(`${dir}/log/${STORE_LOG_FILE}`)).split("\n").filter((l) => l !== "");

Deno.test("the store log survives restarts, is compacted at start, and keeps ACK and delete", async () => {
  const dir = await Deno.makeTempDir({ prefix: "xftp-log-" });
  const chunk = makeChunk(2);
  let s = await service(dir);
  let c = await connect(s);
  const { senderId, recipientIds } = await createChunk(c, chunk);
  assert.equal(errorOf(await uploadChunk(c, senderId, chunk)), "OK");
  assert.equal((await logLines(dir)).length, 3); // FNEW, FADD, FPUT
  assert.deepEqual(await downloadChunk(c, recipientIds[0], chunk.recipients[0]), chunk.bytes);
  assert.equal(
    errorOf((await c.command({ type: "FACK" }, recipientIds[0], chunk.recipients[0].privateKey)).response),
    "OK",
  );
  assert.equal((await logLines(dir)).length, 4);
  await c.close();
  await s.close();
  assert.equal(
    (await Deno.readTextFile(`${dir}/log/file-server-stats.log`)).trimEnd().split("\n").length,
    15,
  );

  s = await service(dir);
  assert.deepEqual((await logLines(dir)).map((l) => l.split(" ")[0]), ["FNEW", "FADD", "FPUT"]);
  const backups = [...Deno.readDirSync(`${dir}/log`)].map((e) => e.name).filter((n) =>
    /store\.log\.\d{4}-/.test(n)
  );
  assert.equal(backups.length, 1);
  assert.equal(s.server.files.stats.counters.filesUploaded, 1); // restored from the stats backup
  c = await connect(s);
  assert.equal(errorOf(await downloadChunk(c, recipientIds[0], chunk.recipients[0])), "AUTH"); // acknowledged
  assert.deepEqual(await downloadChunk(c, recipientIds[1], chunk.recipients[1]), chunk.bytes);
  assert.equal(
    errorOf((await c.command({ type: "FDEL" }, senderId, chunk.sender.privateKey)).response),
    "OK",
  );
  assert.equal((await logLines(dir)).length, 4);
  await c.close();
  await s.close();

  s = await service(dir);
  assert.equal((await logLines(dir)).length, 0);
  c = await connect(s);
  assert.equal(errorOf(await downloadChunk(c, recipientIds[1], chunk.recipients[1])), "AUTH");
  await c.close();
  await s.close();
});

Deno.test("without the store log a restart forgets the files", async () => {
  const dir = await Deno.makeTempDir({ prefix: "xftp-log-" });
  const chunk = makeChunk(1);
  let s = await service(dir);
  let c = await connect(s);
  const { senderId, recipientIds } = await createChunk(c, chunk);
  assert.equal(errorOf(await uploadChunk(c, senderId, chunk)), "OK");
  await c.close();
  await s.close();
  await Deno.remove(`${dir}/log/${STORE_LOG_FILE}`);
  s = await service(dir);
  c = await connect(s);
  assert.equal(errorOf(await downloadChunk(c, recipientIds[0], chunk.recipients[0])), "AUTH");
  await c.close();
  await s.close();
});

Deno.test("a crash during compaction restores the log from .start; partial uploads are swept", async () => {
  const dir = await Deno.makeTempDir({ prefix: "xftp-log-" });
  const chunk = makeChunk(1);
  let s = await service(dir);
  let c = await connect(s);
  const { senderId, recipientIds } = await createChunk(c, chunk);
  assert.equal(errorOf(await uploadChunk(c, senderId, chunk)), "OK");
  await c.close();
  await s.close();
  const log = `${dir}/log/${STORE_LOG_FILE}`;
  // as if the server died after renaming the log and writing half of the new one
  await Deno.rename(log, `${log}.start`);
  await Deno.writeTextFile(log, "FNEW half");
  await Deno.writeTextFile(`${dir}/files/abc.1234.part`, "partial");
  s = await service(dir);
  assert.equal((await logLines(dir)).length, 3);
  assert.equal(await Deno.stat(`${log}.bak`).then(() => true), true);
  assert.deepEqual([...Deno.readDirSync(`${dir}/files`)].filter((e) => e.name.endsWith(".part")), []);
  c = await connect(s);
  assert.deepEqual(await downloadChunk(c, recipientIds[0], chunk.recipients[0]), chunk.bytes);
  await c.close();
  await s.close();
});

/** A control port session: reads lines, sends commands. */
async function controlSession(port: number) {
  const tcp = await Deno.connect({ hostname: "127.0.0.1", port });
  const reader = tcp.readable.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  const line = async (): Promise<string> => {
    while (!buffered.includes("\n")) buffered += (await reader.read()).value ?? "";
    const i = buffered.indexOf("\n");
    const l = buffered.slice(0, i);
    buffered = buffered.slice(i + 1);
    return l;
  };
  const greeting = [await line(), await line()];
  return {
    greeting,
    async send(command: string): Promise<string> {
      await tcp.write(new TextEncoder().encode(command + "\n"));
      return await line();
    },
    close: () => tcp.close(),
  };
}

Deno.test("the control port deletes and blocks files by recipient ID for authorized roles", async () => {
  const dir = await Deno.makeTempDir({ prefix: "xftp-cp-" });
  const s = await service(
    dir,
    "[AUTH]\ncontrol_port_admin_password = adm\ncontrol_port_user_password = usr\n",
    {
      controlPort: 0,
    },
  );
  try {
    const c = await connect(s);
    const a = makeChunk(1), b = makeChunk(1);
    const ia = await createChunk(c, a), ib = await createChunk(c, b);
    assert.equal(errorOf(await uploadChunk(c, ib.senderId, b)), "OK");
    const none = await controlSession(s.controlPort!);
    assert.deepEqual(none.greeting, ["XFTP server control port", "'help' for supported commands"]);
    assert.equal(await none.send("help"), "commands: stats-rts, delete, help, quit, stats, overview");
    assert.equal(await none.send(`delete ${encodeBase64Url(ia.recipientIds[0])}`), "AUTH");
    assert.equal(await none.send("auth wrong"), "Current role is CPRNone");
    assert.equal(await none.send("bogus"), "error: Failed reading: bad ControlProtocol command");
    none.close();
    const user = await controlSession(s.controlPort!);
    assert.equal(await user.send("auth usr"), "Current role is CPRUser");
    assert.equal(await user.send("auth adm"), "Current role is CPRUser, start new session to change.");
    assert.equal(await user.send(`delete ${encodeBase64Url(ia.recipientIds[0])}`), "ok");
    assert.equal(await user.send(`delete ${encodeBase64Url(ia.recipientIds[0])}`), "error: AUTH");
    assert.equal(await user.send(`block ${encodeBase64Url(ib.recipientIds[0])} reason=spam`), "ok");
    user.close();
    assert.equal(errorOf(await downloadChunk(c, ib.recipientIds[0], b.recipients[0])), "BLOCKED");
    assert.deepEqual([...Deno.readDirSync(`${dir}/files`)], []);
    // a v1 client is told AUTH instead of BLOCKED
    const old = await TestClient.connect(s.server.port);
    await old.handshake(1);
    assert.equal(errorOf(await downloadChunk(old, ib.recipientIds[0], b.recipients[0])), "AUTH");
    await Promise.all([c.close(), old.close()]);
  } finally {
    await s.close();
  }
});

Deno.test("files already expired in the store log are deleted at start", async () => {
  const dir = await Deno.makeTempDir({ prefix: "xftp-exp-" });
  const chunk = makeChunk(1);
  let s = await service(dir);
  let c = await connect(s);
  const { senderId, recipientIds } = await createChunk(c, chunk);
  assert.equal(errorOf(await uploadChunk(c, senderId, chunk)), "OK");
  await c.close();
  await s.close();
  const path = `${dir}/log/${STORE_LOG_FILE}`;
  const old = Math.floor(Date.now() / 1000 / 3600) * 3600 - 50 * 3600;
  const text = await Deno.readTextFile(path);
  await Deno.writeTextFile(path, text.replace(/^(FNEW \S+ \S+ \d+ \S+ )\d+/m, `$1${old}`));
  s = await service(dir);
  assert.equal(s.server.files.store.fileCount, 0);
  assert.deepEqual([...Deno.readDirSync(`${dir}/files`)], []);
  assert.equal((await logLines(dir)).at(-1)?.split(" ")[0], "FDEL");
  c = await connect(s);
  assert.equal(errorOf(await downloadChunk(c, recipientIds[0], chunk.recipients[0])), "AUTH");
  await c.close();
  await s.close();
});

Deno.test("the Prometheus metrics file is written every interval", async () => {
  const dir = await Deno.makeTempDir({ prefix: "xftp-prom-" });
  const s = await service(dir, "", { prometheusInterval: 0.05 });
  try {
    const c = await connect(s);
    await createChunk(c, makeChunk(2));
    await c.close();
    await new Promise((r) => setTimeout(r, 150));
    const text = await Deno.readTextFile(`${dir}/log/xftp-server-metrics.txt`);
    assert.match(text, /^simplex_xftp_files_created 1$/m);
    assert.match(text, /^simplex_xftp_files_recipients 2$/m);
  } finally {
    await s.close();
  }
});

Deno.test("[WEB] cert and key files give SNI clients the web certificate and the web handshake", async () => {
  const dir = await Deno.makeTempDir({ prefix: "xftp-web-" });
  const web = await makeChain("P-256", "localhost");
  const s = await service(dir, `[WEB]\ncert = ${web.chainFile}\nkey = ${web.keyFile}\n`);
  try {
    const c = await TestClient.connect(s.server.port, { alpn: ["h2"], serverName: "localhost" });
    assert.deepEqual(c.tls.peerCertificates, web.chain);
    await c.webHello(xftpIdentity.keyHash);
    assert.equal((await c.webHandshake(xftpIdentity.keyHash)).body.length, 0);
    const ping = await c.command({ type: "PING" });
    assert.equal(ping.response.type, "PONG");
    assert.equal(ping.http.headers["access-control-allow-origin"], "*");
    await c.close();
  } finally {
    await s.close();
  }
});

Deno.test("[WEB] http serves the static site on its own port", async () => {
  const dir = await Deno.makeTempDir({ prefix: "xftp-site-" });
  await Deno.mkdir(`${dir}/www`);
  await Deno.writeTextFile(`${dir}/www/index.html`, "<p>files</p>");
  const port = (() => {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const p = l.addr.port;
    l.close();
    return p;
  })();
  const s = await service(dir, `[WEB]\nstatic_path = ${dir}/www\nhttp = ${port}\n`);
  try {
    assert.deepEqual(s.webPorts, [port]);
    const page = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(await page.text(), "<p>files</p>");
    const missing = await fetch(`http://127.0.0.1:${port}/nope.html`);
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
  } finally {
    await s.close();
  }
});
