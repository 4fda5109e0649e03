import assert from "node:assert/strict";
import { HandshakeFailure, smpClientHandshake, smpServerHandshake } from "./smp_handshake.ts";
import { SmpTransport } from "./smp_transport.ts";
import { BLOCK_SIZE } from "./block.ts";
import { generateIdentity } from "../x509/identity.ts";
import { fingerprint } from "../x509/fingerprint.ts";
import { randomBytes } from "../crypto/keys.ts";
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
