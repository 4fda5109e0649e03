/**
 * Interop with Node's node:tls (OpenSSL underneath), run by the real Node in a subprocess: Node's
 * getFinished()/getPeerFinished() are the true client Finished, so they must equal our sessionId
 * byte for byte, in both directions, for Ed25519 and Ed448 chains, both suites, both groups and
 * the HelloRetryRequest paths. Deno's own node:tls is no reference here (smp.md §1.3).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { bytesEqual, toHex } from "../../core/encoding/bytes.ts";
import { connect, listen, type TlsConnection, type TlsError } from "../../core/tls/mod.ts";
import { validateChain } from "../../core/x509/mod.ts";
import { chain } from "./_fixtures.ts";
import { nodePeer, pattern } from "./_peers.ts";

const MB16 = 16 << 20;

async function echoUntilEnd(connection: TlsConnection): Promise<number> {
  let n = 0;
  for (let chunk = await connection.read(); chunk !== null; chunk = await connection.read()) {
    n += chunk.length;
    await connection.write(chunk);
  }
  await connection.close();
  return n;
}

type Alg = "ED25519" | "ED448";
type Suite = "TLS_CHACHA20_POLY1305_SHA256" | "TLS_AES_128_GCM_SHA256";
const MATRIX: { alg: Alg; suite: Suite; retry: boolean }[] = [];
for (const alg of ["ED25519", "ED448"] as const) {
  for (const suite of ["TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256"] as const) {
    for (const retry of [false, true]) MATRIX.push({ alg, suite, retry });
  }
}
/** Without a retry, Ed25519 cases run on X25519 and Ed448 cases on X448. */
const directGroup = (alg: Alg) => (alg === "ED25519" ? "X25519" : "X448");

for (const { alg, suite, retry } of MATRIX) {
  // our client shares X448 only by default: a Node server with X25519 only must retry
  const nodeGroups = retry ? "X25519" : directGroup(alg);
  const name = `${alg} ${suite} ${retry ? "HelloRetryRequest X448 → X25519" : nodeGroups}`;
  Deno.test(`our client → Node server: ${name}; sessionId = Node getPeerFinished()`, async () => {
    const certs = await chain(alg);
    const peer = nodePeer({
      mode: "server",
      cert: certs.chainFile,
      key: certs.keyFile,
      ciphers: suite,
      groups: nodeGroups,
      alpn: ["xftp/1", "smp/1"],
    });
    try {
      const port = (await peer.next("listening")).port!;
      let presented: Uint8Array[] = [];
      const connection = await connect({
        hostname: "127.0.0.1",
        port,
        alpnProtocols: ["smp/1"],
        keyShareGroups: retry || alg === "ED448" ? ["X448"] : ["X25519"],
        verifyServerChain: (chain) => {
          validateChain(chain, certs.keyHash);
          presented = chain;
        },
      });
      const secure = await peer.next("secure");
      assert.equal(toHex(connection.sessionId), secure.peerFinished);
      assert.equal(connection.alpn, "smp/1");
      assert.equal(secure.alpn, "smp/1");
      assert.equal(connection.cipherSuite, suite);
      assert.deepEqual(presented.map(toHex), certs.chain.map(toHex));
      await connection.write(new TextEncoder().encode("ping"));
      assert.equal(new TextDecoder().decode(await connection.readExactly(4)), "ping");
      await connection.close();
    } finally {
      await peer.stop();
    }
  });
}

for (const { alg, suite, retry } of MATRIX) {
  // a Node client shares its first group; our server insisting on X448 must retry for X25519:X448
  const nodeGroups = retry ? "X25519:X448" : directGroup(alg);
  const expectedGroup = retry ? "X448" : directGroup(alg);
  const name = `${alg} ${suite} ${retry ? "HelloRetryRequest X25519 → X448" : nodeGroups}`;
  Deno.test(`Node client → our server: ${name}; sessionId = Node getFinished()`, async () => {
    const certs = await chain(alg);
    const errors: TlsError[] = [];
    const server = listen({
      port: 0,
      certificates: [{ chain: certs.chain, privateKey: certs.privateKey }],
      alpnProtocols: ["smp/1", "h2", "http/1.1"],
      groups: ["X448", "X25519"],
      preferServerGroups: retry,
      onHandshakeError: (e) => errors.push(e),
    });
    const peer = nodePeer({
      mode: "client",
      port: server.addr.port,
      ciphers: suite,
      groups: nodeGroups,
      alpn: ["smp/1"],
      bytes: 1000,
    });
    try {
      const connection = (await server.accept())!;
      const secure = await peer.next("secure");
      assert.equal(toHex(connection.sessionId), secure.finished);
      assert.equal(secure.group, expectedGroup);
      assert.equal(connection.alpn, "smp/1");
      assert.equal(secure.cipher, suite);
      assert.deepEqual(secure.peerChain, certs.chain.map(toHex));
      assert.equal(await echoUntilEnd(connection), 1000);
      const end = await peer.next("end");
      assert.equal(end.sha256, (await peer.next("sent")).sha256);
      assert.deepEqual(errors, []);
    } finally {
      await peer.stop();
      server.close();
    }
  });
}

Deno.test("16 MB each way with Node: our client sends, Node echoes", async () => {
  const certs = await chain("ED25519");
  const peer = nodePeer({ mode: "server", cert: certs.chainFile, key: certs.keyFile, groups: "X25519" });
  try {
    const port = (await peer.next("listening")).port!;
    const connection = await connect({ hostname: "127.0.0.1", port, verifyServerChain: () => {} });
    const data = pattern(MB16);
    const sending = (async () => {
      for (let i = 0; i < data.length; i += 1 << 16) await connection.write(data.subarray(i, i + (1 << 16)));
    })();
    const back = await connection.readExactly(MB16);
    await sending;
    assert.ok(bytesEqual(back, data), "the echo equals what was sent");
    await connection.close();
    const end = await peer.next("end");
    assert.equal(end.bytes, MB16);
    assert.equal(end.sha256, createHash("sha256").update(data).digest("hex"));
  } finally {
    await peer.stop();
  }
});

Deno.test("16 MB each way with Node: Node client sends, our server echoes", async () => {
  const certs = await chain("ED448");
  const server = listen({ port: 0, certificates: [{ chain: certs.chain, privateKey: certs.privateKey }] });
  const peer = nodePeer({ mode: "client", port: server.addr.port, groups: "X448", bytes: MB16 });
  try {
    const connection = (await server.accept())!;
    assert.equal(await echoUntilEnd(connection), MB16);
    const end = await peer.next("end", 30_000);
    assert.equal(end.bytes, MB16);
    assert.equal(end.sha256, (await peer.next("sent")).sha256);
  } finally {
    await peer.stop();
    server.close();
  }
});
