/** The relay over real TLS sockets: the apps' "Test server" flow, batching, bad input, v6 clients. */
import assert from "node:assert/strict";
import { startRelayServer } from "../../relay/server.ts";
import { parseRelayConfig } from "../../relay/config.ts";
import { connectSmp } from "../../core/smp/connect.ts";
import { generateKeyPair, randomBytes } from "../../core/crypto/keys.ts";
import { connect as tlsConnect } from "../../core/tls/mod.ts";
import { validateChain } from "../../core/x509/chain.ts";
import { BLOCK_SIZE } from "../../core/transport/block.ts";
import { createQueue, errType, relayIdentity, text } from "./_harness.ts";

async function withServer(fn: (port: number, ini?: string) => Promise<void>, extraIni = ""): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "relay-tls-" });
  const config = parseRelayConfig(`[TRANSPORT]\nport = 1\n${extraIni}`, { cfgDir: dir, logDir: dir });
  const running = await startRelayServer({
    config: { ...config, ports: [0] },
    identity: relayIdentity,
    hostname: "127.0.0.1",
    log: () => {},
  });
  try {
    await fn(running.ports[0]);
  } finally {
    await running.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const address = (port: number) => ({ keyHash: relayIdentity.keyHash, hosts: ["127.0.0.1"], port });

Deno.test("the apps' Test server flow: NEW, SKEY (messaging mode), DEL over TLS at v18 with block encryption", async () => {
  await withServer(async (port) => {
    const c = await connectSmp(address(port));
    try {
      assert.equal(c.version, 18);
      assert.ok(c.session.framing.encrypted);
      const q = await createQueue(c, { mode: "M" });
      assert.equal(q.ids.queueMode, "M");
      const sk = generateKeyPair("Ed25519");
      assert.equal(
        errType(await c.request(q.ids.sndId, { type: "SKEY", key: sk.publicKey }, sk.privateKey)),
        "OK",
      );
      assert.equal(errType(await c.request(q.ids.rcvId, { type: "DEL" }, q.rcvKey.privateKey)), "OK");
    } finally {
      await c.close();
    }
  });
});

Deno.test("a message crosses two TLS connections; 255 commands in one block are all answered", async () => {
  await withServer(async (port) => {
    const rcv = await connectSmp(address(port));
    const snd = await connectSmp(address(port));
    try {
      const q = await createQueue(rcv);
      assert.equal(
        errType(
          await snd.request(q.ids.sndId, { type: "SEND", notification: false, body: text("over tls") }),
        ),
        "OK",
      );
      assert.equal((await rcv.nextEvent()).msg.type, "MSG");
      const pings = await Promise.all(
        snd.requests(
          Array.from(
            { length: 255 },
            () => ({ entityId: new Uint8Array(), command: { type: "PING" as const } }),
          ),
        ),
      );
      assert.ok(pings.every((p) => p.type === "PONG"));
    } finally {
      await rcv.close();
      await snd.close();
    }
  });
});

Deno.test("a client without ALPN is served as SMP v6", async () => {
  await withServer(async (port) => {
    const c = await connectSmp(address(port), { alpn: [] });
    try {
      assert.equal(c.version, 6);
      const q = await createQueue(c, { mode: "C" });
      assert.equal(
        errType(await c.request(q.ids.sndId, { type: "SEND", notification: false, body: text("v6") })),
        "OK",
      );
      assert.equal((await c.nextEvent()).msg.type, "MSG");
    } finally {
      await c.close();
    }
  });
});

Deno.test("X25519 authenticators and Ed448 keys authorize commands", async () => {
  await withServer(async (port) => {
    const c = await connectSmp(address(port));
    try {
      for (const keyAlg of ["X25519", "Ed448"] as const) {
        const q = await createQueue(c, { keyAlg, mode: "C" });
        assert.equal(
          errType(await c.request(q.ids.rcvId, { type: "QUE" }, q.rcvKey.privateKey)),
          "INFO",
          keyAlg,
        );
        const wrong = generateKeyPair(keyAlg);
        assert.equal(
          errType(await c.request(q.ids.rcvId, { type: "QUE" }, wrong.privateKey)),
          "AUTH",
          keyAlg,
        );
      }
    } finally {
      await c.close();
    }
  });
});

Deno.test("garbage and wrong identities close only their own connection", async () => {
  await withServer(async (port) => {
    const good = await connectSmp(address(port));
    try {
      // a client that expects another server identity is dropped after the hello
      await assert.rejects(connectSmp({ ...address(port), keyHash: randomBytes(32) }));
      // random blocks after a valid handshake get ERR BLOCK, then the connection still works
      const tls = await tlsConnect({
        hostname: "127.0.0.1",
        port,
        alpnProtocols: ["smp/1"],
        verifyServerChain: (chain) => void validateChain(chain, relayIdentity.keyHash),
      });
      await tls.readExactly(BLOCK_SIZE);
      await tls.write(randomBytes(BLOCK_SIZE));
      await tls.close();
      // raw TCP junk instead of TLS
      const tcp = await Deno.connect({ hostname: "127.0.0.1", port });
      await tcp.write(randomBytes(3000)).catch(() => {});
      tcp.close();
      assert.equal((await good.request(new Uint8Array(), { type: "PING" })).type, "PONG");
    } finally {
      await good.close();
    }
  });
});

Deno.test("max_connections: a connection over the limit is closed, the others keep working", async () => {
  const dir = await Deno.makeTempDir({ prefix: "relay-limit-" });
  const config = parseRelayConfig(`[TRANSPORT]\nport = 1\nmax_connections = 1\n`, {
    cfgDir: dir,
    logDir: dir,
  });
  const running = await startRelayServer({
    config: { ...config, ports: [0] },
    identity: relayIdentity,
    hostname: "127.0.0.1",
    log: () => {},
  });
  const first = await connectSmp(address(running.ports[0]));
  try {
    await assert.rejects(connectSmp(address(running.ports[0])));
    assert.equal((await first.request(new Uint8Array(), { type: "PING" })).type, "PONG");
  } finally {
    await first.close();
    await running.close();
    await Deno.remove(dir, { recursive: true });
  }
});
