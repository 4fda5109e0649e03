import assert from "node:assert/strict";
import { HandshakeFailure, smpClientHandshake, smpServerHandshake } from "./smp_handshake.ts";
import { SmpTransport } from "./smp_transport.ts";
import { BLOCK_SIZE } from "./block.ts";
import { generateIdentity } from "../x509/identity.ts";
import { fingerprint } from "../x509/fingerprint.ts";
import { generateKeyPair, randomBytes } from "../crypto/keys.ts";
import { sha256 } from "../crypto/hash.ts";
import { concatBytes } from "../encoding/bytes.ts";
import { pad } from "../encoding/padding.ts";
import { encodeClientHello } from "../smp/handshake.ts";
import { memoryPipe } from "../../tests/_util/pipe.ts";

const identity = generateIdentity({ commonName: "localhost" });
const chain = [identity.server.cert, identity.ca.cert];
const keyHash = fingerprint(identity.ca.cert);

function serverOptions(sessionId: Uint8Array, alpnNegotiated = true) {
  return { sessionId, alpnNegotiated, keyHash, chain, signKey: identity.server.key };
}

Deno.test("handshake agrees on v18 with block encryption, then batches flow both ways", async () => {
  const [s, c] = memoryPipe();
  const sessionId = randomBytes(32);
  const [server, client] = await Promise.all([
    smpServerHandshake(s, serverOptions(sessionId)),
    smpClientHandshake(c, { sessionId, keyHash, tlsChain: chain }),
  ]);
  assert.equal(server.version, 18);
  assert.equal(client.version, 18);
  assert.ok(server.framing.encrypted && client.framing.encrypted);
  assert.deepEqual(server.dhSecret, client.dhSecret);
  const st = new SmpTransport(s, server);
  const ct = new SmpTransport(c, client);
  const msgs = Array.from({ length: 300 }, (_, i) => new TextEncoder().encode(`t${i}`));
  await ct.write(msgs);
  const got: Uint8Array[] = [];
  while (got.length < msgs.length) {
    const r = await st.read();
    assert.ok(r.ok);
    got.push(...r.transmissions);
  }
  assert.deepEqual(got, msgs);
  await st.write([new TextEncoder().encode("reply")]);
  assert.deepEqual(await ct.read(), { ok: true, transmissions: [new TextEncoder().encode("reply")] });
});

Deno.test("without ALPN only v6 is offered and blocks stay unencrypted", async () => {
  const [s, c] = memoryPipe();
  const sessionId = randomBytes(32);
  const [server, client] = await Promise.all([
    smpServerHandshake(s, serverOptions(sessionId, false)),
    smpClientHandshake(c, { sessionId, keyHash, tlsChain: chain }),
  ]);
  assert.equal(server.version, 6);
  assert.equal(client.version, 6);
  assert.ok(!server.framing.encrypted);
  assert.equal(server.dhSecret, undefined);
});

Deno.test("a proxy client gets no block encryption", async () => {
  const [s, c] = memoryPipe();
  const sessionId = randomBytes(32);
  const [server] = await Promise.all([
    smpServerHandshake(s, serverOptions(sessionId)),
    smpClientHandshake(c, { sessionId, keyHash, tlsChain: chain, proxyServer: true }),
  ]);
  assert.ok(server.proxyServer);
  assert.ok(!server.framing.encrypted);
  assert.ok(server.dhSecret, "the secret is still agreed, for RFWD");
});

Deno.test("the server refuses a client expecting another identity, or an unsupported version", async () => {
  for (
    const [hello, code] of [
      [{ version: 18, keyHash: randomBytes(32), proxyServer: false }, "HANDSHAKE"],
      [{ version: 19, keyHash, proxyServer: false }, "VERSION"],
    ] as const
  ) {
    const [s, c] = memoryPipe();
    const sessionId = randomBytes(32);
    const server = smpServerHandshake(s, serverOptions(sessionId));
    await c.readExactly(BLOCK_SIZE);
    await c.write(pad(encodeClientHello(hello), BLOCK_SIZE));
    await assert.rejects(server, (e) => e instanceof HandshakeFailure && e.error.type === code);
  }
});

Deno.test("the client refuses a wrong session id, a wrong identity, or a session key not signed by the TLS leaf", async () => {
  const other = generateIdentity({ commonName: "other" });
  const cases = [
    { clientSessionId: randomBytes(32), expect: "SESSION", keyHash, tlsChain: chain },
    { expect: "HANDSHAKE", keyHash: fingerprint(other.ca.cert), tlsChain: chain },
    { expect: "HANDSHAKE", keyHash, tlsChain: [other.server.cert, other.ca.cert] },
  ];
  for (const k of cases) {
    const [s, c] = memoryPipe();
    const sessionId = randomBytes(32);
    smpServerHandshake(s, serverOptions(sessionId)).catch(() => {});
    const client = smpClientHandshake(c, {
      sessionId: k.clientSessionId ?? sessionId,
      keyHash: k.keyHash,
      tlsChain: k.tlsChain,
    });
    await assert.rejects(client, (e) => e instanceof HandshakeFailure && e.error.type === k.expect);
    await s.close();
  }
});

Deno.test("service handshake: the third block is 'R' ‖ short(serviceId), or 'E' ‖ error for a chain TLS did not carry", async () => {
  const svc = generateIdentity({ commonName: "ntf" });
  const svcChain = [svc.server.cert, svc.ca.cert];
  const sessionKey = generateKeyPair("Ed25519");
  const service = { role: "N" as const, chain: svcChain, privateKey: svc.server.key, sessionKey };
  const serviceId = randomBytes(24);
  const seen: unknown[] = [];
  const getService = (role: string, c: readonly Uint8Array[], certHash: Uint8Array) => {
    seen.push({ role, c, certHash });
    return serviceId;
  };
  // accepted: the server's copy of the key verifies what the client's signs
  {
    const [s, c] = memoryPipe();
    const sessionId = randomBytes(32);
    const blocks: Uint8Array[] = [];
    const recording = {
      ...c,
      readExactly: async (n: number) => (blocks.push(await c.readExactly(n)), blocks.at(-1)!),
    };
    const [server, client] = await Promise.all([
      smpServerHandshake(s, { ...serverOptions(sessionId), peerChain: svcChain, getService }),
      smpClientHandshake(recording, { sessionId, keyHash, tlsChain: chain, service, certificateSent: true }),
    ]);
    assert.equal(blocks.length, 2, "server hello, then the service response");
    assert.deepEqual(
      blocks[1].subarray(0, 2 + 1 + 1 + 24),
      concatBytes(Uint8Array.of(0, 26, 0x52, 24), serviceId),
    );
    assert.deepEqual(server.service?.id, serviceId);
    assert.deepEqual(client.service?.id, serviceId);
    assert.deepEqual(server.service?.key.raw, sessionKey.publicKey.raw);
    assert.deepEqual(server.service?.certHash, sha256(svc.ca.cert));
    assert.deepEqual(seen, [{ role: "N", c: svcChain, certHash: sha256(svc.ca.cert) }]);
  }
  // refused: TLS carried no certificate, so the declared chain cannot be the TLS chain
  {
    const [s, c] = memoryPipe();
    const sessionId = randomBytes(32);
    const [server, client] = await Promise.allSettled([
      smpServerHandshake(s, { ...serverOptions(sessionId), peerChain: [], getService }),
      smpClientHandshake(c, { sessionId, keyHash, tlsChain: chain, service, certificateSent: true }),
    ]);
    for (const r of [server, client]) {
      assert.ok(r.status === "rejected" && r.reason instanceof HandshakeFailure);
      assert.deepEqual(r.reason.error, { type: "HANDSHAKE", error: "BAD_AUTH" });
    }
  }
  // a client whose certificate TLS did not send declares no service
  {
    const [s, c] = memoryPipe();
    const sessionId = randomBytes(32);
    const [server, client] = await Promise.all([
      smpServerHandshake(s, { ...serverOptions(sessionId), getService }),
      smpClientHandshake(c, { sessionId, keyHash, tlsChain: chain, service, certificateSent: false }),
    ]);
    assert.equal(server.service, undefined);
    assert.equal(client.service, undefined);
  }
});
