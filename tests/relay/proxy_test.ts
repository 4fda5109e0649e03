/** Private message routing: a sender reaches a queue on one relay through another relay. */
import assert from "node:assert/strict";
import { startRelayServer } from "../../relay/server.ts";
import { parseRelayConfig } from "../../relay/config.ts";
import { connectSmp } from "../../core/smp/connect.ts";
import { ProxiedRelay } from "../../core/smp/proxied.ts";
import { generateKeyPair, randomBytes } from "../../core/crypto/keys.ts";
import { generateIdentity } from "../../core/x509/identity.ts";
import { fingerprint } from "../../core/x509/fingerprint.ts";
import { createQueue, errType, relayIdentity, text } from "./_harness.ts";
import { nextMsg } from "./_msg.ts";
import { freePort, runRelayCli, spawnRelay } from "./_process.ts";
import { startSocksServer } from "../_util/socks_server.ts";

async function relayServer(identity = relayIdentity) {
  const dir = await Deno.makeTempDir({ prefix: "relay-proxy-" });
  const config = parseRelayConfig(`[TRANSPORT]\nport = 1\n`, { cfgDir: dir, logDir: dir });
  const running = await startRelayServer({
    config: { ...config, ports: [0] },
    identity,
    hostname: "127.0.0.1",
    log: () => {},
  });
  return {
    running,
    address: { keyHash: identity.keyHash, hosts: ["127.0.0.1"], port: running.ports[0] },
    async close() {
      await running.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const otherIdentity = (() => {
  const id = generateIdentity({ commonName: "127.0.0.1" });
  return { keyHash: fingerprint(id.ca.cert), chain: [id.server.cert, id.ca.cert], signKey: id.server.key };
})();

Deno.test("SKEY and SEND through a proxy relay reach the destination queue", async () => {
  const destination = await relayServer(otherIdentity);
  const proxy = await relayServer();
  const rcv = await connectSmp(destination.address);
  const snd = await connectSmp(proxy.address);
  try {
    const q = await createQueue(rcv, { mode: "M" });
    const relay = await ProxiedRelay.open(snd, destination.address);
    assert.equal(relay.version, 17, "PKEY caps the version at 17");
    const sk = generateKeyPair("Ed25519");
    assert.equal(
      errType(await relay.request(q.ids.sndId, { type: "SKEY", key: sk.publicKey }, sk.privateKey)),
      "OK",
    );
    assert.equal(
      errType(
        await relay.request(
          q.ids.sndId,
          { type: "SEND", notification: false, body: text("private") },
          sk.privateKey,
        ),
      ),
      "OK",
    );
    assert.equal((await nextMsg(rcv, q)).text, "private");
    assert.equal(
      errType(await relay.request(q.ids.sndId, { type: "SEND", notification: false, body: text("x") })),
      "AUTH",
    );
    assert.equal(
      errType(await relay.request(q.ids.rcvId, { type: "SUB" }, q.rcvKey.privateKey)),
      "CMD PROHIBITED",
    );
    assert.equal(destination.running.relay.stats.counters.pMsgFwdsRecv, 4);
    // a second PRXY to the same relay reuses the session
    const again = await ProxiedRelay.open(snd, destination.address);
    assert.deepEqual(again.sessionId, relay.sessionId);
  } finally {
    await rcv.close();
    await snd.close();
    await proxy.close();
    await destination.close();
  }
});

Deno.test("proxy errors: unknown session, unreachable relay, wrong identity", async () => {
  const proxy = await relayServer();
  const snd = await connectSmp(proxy.address);
  try {
    const pfwd = await snd.request(randomBytes(32), {
      type: "PFWD",
      version: 17,
      key: generateKeyPair("X25519").publicKey,
      encTransmission: randomBytes(100),
    });
    assert.equal(pfwd.type === "ERR" && pfwd.error.type === "PROXY" && pfwd.error.error.type, "NO_SESSION");
    const unreachable = { keyHash: otherIdentity.keyHash, hosts: ["127.0.0.1"], port: freePort() };
    await assert.rejects(ProxiedRelay.open(snd, unreachable), /PROXY.*BROKER/);
    const impostor = { ...proxy.address, keyHash: otherIdentity.keyHash };
    await assert.rejects(ProxiedRelay.open(snd, impostor), /PROXY/);
    assert.equal((await snd.request(new Uint8Array(), { type: "PING" })).type, "PONG");
  } finally {
    await snd.close();
    await proxy.close();
  }
});

Deno.test("delivery through a proxy to a destination relay running as its own process", async () => {
  const dir = await Deno.makeTempDir({ prefix: "relay-dest-" });
  const port = freePort();
  assert.equal((await runRelayCli(dir, ["init", "-y", "--no-password", "--port", String(port)])).code, 0);
  const destination = await spawnRelay(dir);
  const proxy = await relayServer();
  const rcv = await connectSmp(destination.address);
  const snd = await connectSmp(proxy.address);
  try {
    const q = await createQueue(rcv, { mode: "C" });
    const relay = await ProxiedRelay.open(snd, destination.address);
    assert.equal(
      errType(await relay.request(q.ids.sndId, { type: "SEND", notification: false, body: text("routed") })),
      "OK",
    );
    assert.equal((await nextMsg(rcv, q)).text, "routed");
  } finally {
    await rcv.close();
    await snd.close();
    await proxy.close();
    await destination.kill();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a proxy relay reaches an onion-only destination through its SOCKS proxy and counts the outcomes", async () => {
  const destination = await relayServer(otherIdentity);
  const socks = startSocksServer((host) =>
    host === "destinationrelayxyz.onion"
      ? { hostname: "127.0.0.1", port: destination.address.port }
      : undefined
  );
  const dir = await Deno.makeTempDir({ prefix: "relay-socks-" });
  const config = parseRelayConfig(
    `[TRANSPORT]\nport = 1\n[PROXY]\nsocks_proxy = 127.0.0.1:${socks.port}\nhost_mode = onion\n` +
      `own_server_domains = destinationrelayxyz.onion\n`,
    { cfgDir: dir, logDir: dir },
  );
  const proxy = await startRelayServer({
    config: { ...config, ports: [0] },
    identity: relayIdentity,
    hostname: "127.0.0.1",
    log: () => {},
  });
  const rcv = await connectSmp(destination.address);
  const snd = await connectSmp({
    keyHash: relayIdentity.keyHash,
    hosts: ["127.0.0.1"],
    port: proxy.ports[0],
  });
  try {
    const q = await createQueue(rcv, { mode: "M" });
    // the public host is there too, but host_mode = onion with a proxy picks the onion one
    const onion = { ...destination.address, hosts: ["destinationrelayxyz.onion", "127.0.0.1"] };
    const relay = await ProxiedRelay.open(snd, onion);
    assert.deepEqual(socks.requests, [`destinationrelayxyz.onion:${destination.address.port}`]);
    const sent = await relay.request(q.ids.sndId, {
      type: "SEND",
      notification: false,
      body: text("via tor"),
    });
    assert.equal(errType(sent), "OK");
    assert.equal((await nextMsg(rcv, q)).text, "via tor");
    const stats = proxy.relay.stats.data().proxy;
    assert.deepEqual([stats.pRelays.requests, stats.pRelays.successes], [1, 1]);
    assert.deepEqual([stats.pRelaysOwn.requests, stats.pRelaysOwn.successes], [1, 1], "own_server_domains");
    assert.deepEqual([stats.pMsgFwds.requests, stats.pMsgFwds.successes], [1, 1]);

    const unknown = { ...destination.address, hosts: ["unknownrelay.onion"] };
    await assert.rejects(ProxiedRelay.open(snd, unknown), /PROXY.*BROKER/);
    const after = proxy.relay.stats.data().proxy;
    assert.deepEqual([after.pRelays.requests, after.pRelays.errorsConnect], [2, 1]);
  } finally {
    await rcv.close();
    await snd.close();
    await proxy.close();
    await socks.close();
    await destination.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("[PROXY] client_concurrency: at most that many of a client's PRXY run at once, the next wait", async () => {
  // "relays" that accept connections and never answer: a PRXY to one stays in progress
  const silent = [0, 1, 2].map(() => Deno.listen({ hostname: "127.0.0.1", port: 0 }));
  const held: Deno.Conn[] = [];
  const accepting = silent.map((l) =>
    (async () => {
      for await (const c of l) held.push(c);
    })().catch(() => {})
  );
  const dir = await Deno.makeTempDir({ prefix: "relay-concurrency-" });
  const config = parseRelayConfig(`[TRANSPORT]\nport = 1\n[PROXY]\nclient_concurrency = 2\n`, {
    cfgDir: dir,
    logDir: dir,
  });
  assert.equal(config.proxyClientConcurrency, 2);
  const proxy = await startRelayServer({
    config: { ...config, ports: [0] },
    identity: relayIdentity,
    hostname: "127.0.0.1",
    log: () => {},
  });
  const snd = await connectSmp({
    keyHash: relayIdentity.keyHash,
    hosts: ["127.0.0.1"],
    port: proxy.ports[0],
  });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const connected = async (n: number) => {
    while (held.length < n) await sleep(10);
  };
  try {
    // three PRXY in one block: two start, the third waits for its turn
    const answers = Promise.all(silent.map((l) =>
      snd.request(new Uint8Array(0), {
        type: "PRXY",
        server: {
          hosts: ["127.0.0.1"],
          port: String((l.addr as Deno.NetAddr).port),
          keyHash: otherIdentity.keyHash,
        },
      })
    ));
    answers.catch(() => {}); // awaited below, unless the test fails first
    await connected(2);
    await sleep(300);
    assert.equal(held.length, 2, "the third PRXY waits while two are in progress");
    held[0].close(); // the first destination hangs up: its PRXY fails and the third starts
    await connected(3);
    for (const c of held.slice(1)) c.close();
    assert.deepEqual((await answers).map((r) => r.type), ["ERR", "ERR", "ERR"]);
    assert.equal((await snd.request(new Uint8Array(0), { type: "PING" })).type, "PONG");
  } finally {
    await snd.close();
    await proxy.close();
    for (const l of silent) l.close();
    await Promise.all(accepting);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("[PROXY] client_concurrency must be a positive whole number", () => {
  for (const bad of ["0", "-1", "many"]) {
    assert.throws(
      () =>
        parseRelayConfig(`[TRANSPORT]\nport = 1\n[PROXY]\nclient_concurrency = ${bad}\n`, {
          cfgDir: "/etc",
          logDir: "/var",
        }),
      /client_concurrency/,
    );
  }
  assert.equal(
    parseRelayConfig(`[TRANSPORT]\nport = 1\n`, { cfgDir: "/etc", logDir: "/var" }).proxyClientConcurrency,
    32,
  );
});
