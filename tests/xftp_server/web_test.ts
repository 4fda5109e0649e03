/** XFTPServerTests SNI and CORS: the web certificate, CORS headers, the web handshake. */
import assert from "node:assert/strict";
import { makeChain } from "../tls/_certs.ts";
import { parseCertificate } from "../../core/x509/certificate.ts";
import { parseHandshakeError, parseServerHello, XFTP_BLOCK_SIZE } from "../../core/xftp/mod.ts";
import {
  createChunk,
  downloadChunk,
  errorOf,
  makeChunk,
  startServer,
  uploadChunk,
  xftpIdentity,
} from "./_harness.ts";
import { TestClient } from "./_client.ts";
import { toHex } from "../../core/encoding/bytes.ts";

const web = await makeChain("P-256", "localhost");
const webCredential = { chain: web.chain, privateKey: web.privateKey };
const keyHash = xftpIdentity.keyHash;

async function webClient(port: number): Promise<TestClient> {
  return await TestClient.connect(port, { alpn: ["h2"], serverName: "localhost" });
}

Deno.test("SNI gets the web certificate; no SNI gets the XFTP identity certificate", async () => {
  const h = await startServer({ webCredential });
  try {
    const sni = await webClient(h.server.port);
    assert.equal(sni.tls.alpn, "h2");
    assert.deepEqual(sni.tls.peerCertificates[0], web.chain[0]);
    assert.equal(parseCertificate(sni.tls.peerCertificates[0]).publicKey.type, "ECDSA-P256");
    const native = await h.connect({ handshake: false });
    assert.equal(native.tls.alpn, "xftp/1");
    assert.deepEqual(native.tls.peerCertificates[0], xftpIdentity.chain[0]);
    await Promise.all([sni.close(), native.close()]);
  } finally {
    await h.close();
  }
});

Deno.test("the server picks the first of its own ALPN protocols that the client offers", async () => {
  const h = await startServer();
  try {
    const c = await TestClient.connect(h.server.port, { alpn: ["http/1.1", "h2", "xftp/1"] });
    assert.equal(c.tls.alpn, "xftp/1");
    await c.close();
  } finally {
    await h.close();
  }
});

Deno.test("web handshake: challenge, proof and chain check, client handshake, commands with CORS", async () => {
  const h = await startServer({ webCredential });
  try {
    const c = await webClient(h.server.port);
    const hello = await c.webHello(keyHash); // verifies the proof and the chain as xftp-web does
    assert.deepEqual(hello.certChain, xftpIdentity.chain);
    const ack = await c.webHandshake(keyHash);
    assert.equal(ack.status, 200);
    assert.equal(ack.body.length, 0);
    assert.equal(ack.headers["access-control-allow-origin"], "*");
    const chunk = makeChunk(1);
    const { senderId, recipientIds } = await createChunk(c, chunk);
    assert.equal(errorOf(await uploadChunk(c, senderId, chunk)), "OK");
    assert.deepEqual(await downloadChunk(c, recipientIds[0], chunk.recipients[0]), chunk.bytes);
    const ping = await c.command({ type: "PING" });
    assert.equal(ping.response.type, "PONG");
    assert.equal(ping.http.headers["access-control-allow-origin"], "*");
    assert.equal(ping.http.headers["access-control-expose-headers"], "*");
    await c.close();
  } finally {
    await h.close();
  }
});

Deno.test("a second web hello on the connection keeps the session and completes again", async () => {
  const h = await startServer({ webCredential });
  try {
    const c = await webClient(h.server.port);
    const first = await c.webHello(keyHash);
    assert.equal((await c.webHandshake(keyHash)).body.length, 0);
    const second = await c.webHello(keyHash);
    assert.deepEqual(second.sessionId, first.sessionId);
    assert.deepEqual(second.signedDhKey.length > 0, true);
    assert.equal((await c.webHandshake(keyHash)).body.length, 0);
    assert.equal((await c.command({ type: "PING" })).response.type, "PONG");
    await c.close();
  } finally {
    await h.close();
  }
});

Deno.test("a command on an SNI connection without a hello is a padded SESSION error", async () => {
  const h = await startServer({ webCredential });
  try {
    const c = await webClient(h.server.port);
    const r = await c.command({ type: "PING" });
    assert.equal(r.http.body.length, XFTP_BLOCK_SIZE);
    assert.deepEqual(parseHandshakeError(r.http.body), { type: "SESSION" });
    await c.close();
  } finally {
    await h.close();
  }
});

Deno.test("a web client handshake with the wrong identity is a padded HANDSHAKE error", async () => {
  const h = await startServer({ webCredential });
  try {
    const c = await webClient(h.server.port);
    await c.webHello(keyHash);
    const r = await c.webHandshake(new Uint8Array(32));
    assert.deepEqual(parseHandshakeError(r.body), { type: "HANDSHAKE" });
    const bad = await c.webHandshake(keyHash, 9);
    assert.deepEqual(parseHandshakeError(bad.body), { type: "HANDSHAKE" });
    await c.close();
  } finally {
    await h.close();
  }
});

Deno.test("CORS preflight on SNI connections; no CORS headers without SNI", async () => {
  const h = await startServer({ webCredential });
  try {
    const c = await webClient(h.server.port);
    const pre = await c.request(new Uint8Array(0), {}, "OPTIONS");
    assert.equal(pre.status, 200);
    assert.equal(pre.headers["access-control-allow-origin"], "*");
    assert.equal(pre.headers["access-control-allow-methods"], "POST, OPTIONS");
    assert.equal(pre.headers["access-control-allow-headers"], "*");
    assert.equal(pre.headers["access-control-max-age"], "86400");
    const native = await h.connect();
    const ping = await native.command({ type: "PING" });
    assert.equal(ping.response.type, "PONG");
    assert.equal(ping.http.headers["access-control-allow-origin"], undefined);
    await c.close();
  } finally {
    await h.close();
  }
});

Deno.test("a native client works on a server with a web certificate", async () => {
  const h = await startServer({ webCredential });
  try {
    const c = await h.connect();
    const chunk = makeChunk(1);
    const { senderId, recipientIds } = await createChunk(c, chunk);
    assert.equal(errorOf(await uploadChunk(c, senderId, chunk)), "OK");
    assert.deepEqual(await downloadChunk(c, recipientIds[0], chunk.recipients[0]), chunk.bytes);
  } finally {
    await h.close();
  }
});

Deno.test("h2 without SNI gets 200 with an empty body; native hello without SNI is the padded hello", async () => {
  const h = await startServer({ webCredential });
  try {
    const c = await TestClient.connect(h.server.port, { alpn: ["h2"] });
    const r = await c.request(new Uint8Array(0));
    assert.equal(r.status, 200);
    assert.equal(r.body.length, 0);
    await c.close();
    const native = await TestClient.connect(h.server.port, { alpn: ["http/1.1"] });
    const hello = parseServerHello((await native.request(new Uint8Array(0))).body);
    assert.equal(hello.ok, true);
    await native.close();
  } finally {
    await h.close();
  }
});

Deno.test("GET on SNI connections serves the static site and nothing outside it", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/index.html`, "<h1>xftp</h1>");
  const h = await startServer({ webCredential, webStaticPath: dir });
  try {
    const c = await webClient(h.server.port);
    const page = await c.request(new Uint8Array(0), {}, "GET");
    assert.equal(page.status, 200);
    assert.equal(new TextDecoder().decode(page.body), "<h1>xftp</h1>");
    const escape = await c.request(new Uint8Array(0), { ":path": "/../../etc/passwd" }, "GET");
    assert.equal(escape.status, 404);
    await c.close();
  } finally {
    await h.close();
  }
});

Deno.test("a Node.js (OpenSSL, nghttp2) web client completes the web handshake and pings", async () => {
  const h = await startServer({ webCredential });
  try {
    const script = new URL("./_node_web_client.mjs", import.meta.url).pathname;
    const out = await new Deno.Command("node", {
      args: [script, String(h.server.port), toHex(keyHash)],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const r = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.deepEqual(r, {
      alpn: "h2",
      preflight: "POST, OPTIONS",
      versions: [1, 3],
      sessionIdLength: 32,
      helloCors: "*",
      handshakeBody: 0,
      pong: "PONG",
    });
  } finally {
    await h.close();
  }
});
