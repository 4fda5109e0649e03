/**
 * Feeds mutated handshake and record bytes to the server engine for a bounded time. Every input
 * must end in a TlsError or be absorbed; nothing else may be thrown and no input may hang.
 * The PRNG is seeded, so a failure names the seed and the case that reproduces it.
 */
import assert from "node:assert/strict";
import {
  ClientEngine,
  type ClientEngineOptions,
  ServerEngine,
  type ServerEngineOptions,
  type TlsEngine,
  TlsError,
} from "../../core/tls/mod.ts";
import { chain } from "./_fixtures.ts";

const FUZZ_MILLISECONDS = Number(Deno.env.get("TLS_FUZZ_MS") ?? 2000);
const SEED = Number(Deno.env.get("TLS_FUZZ_SEED") ?? 0x5eed);

/** xorshift32: small, fast and reproducible. */
function prng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

function mutate(input: Uint8Array, rand: (n: number) => number): Uint8Array {
  let bytes = input.slice();
  const rounds = 1 + rand(4);
  for (let i = 0; i < rounds; i++) {
    const at = rand(Math.max(1, bytes.length));
    switch (rand(6)) {
      case 0: // flip a bit
        bytes[at] ^= 1 << rand(8);
        break;
      case 1: // an interesting byte (length fields love these)
        bytes[at] = [0, 1, 0x7f, 0x80, 0xff, 0x40, 0x3f][rand(7)];
        break;
      case 2: // truncate
        bytes = bytes.slice(0, at);
        break;
      case 3: { // insert random bytes
        const extra = Uint8Array.from({ length: 1 + rand(16) }, () => rand(256));
        bytes = new Uint8Array([...bytes.subarray(0, at), ...extra, ...bytes.subarray(at)]);
        break;
      }
      case 4: // duplicate a slice
        bytes = new Uint8Array([...bytes, ...bytes.subarray(at, at + 1 + rand(64))]);
        break;
      case 5: // cut a slice out
        bytes = new Uint8Array([...bytes.subarray(0, at), ...bytes.subarray(at + 1 + rand(32))]);
        break;
    }
  }
  return bytes;
}

/** Feeds in random-sized pieces, until the end or the first TlsError. */
function feed(server: TlsEngine, bytes: Uint8Array, rand: (n: number) => number): void {
  for (let i = 0; i < bytes.length;) {
    const n = 1 + rand(Math.min(bytes.length - i, 2048));
    try {
      server.receive(bytes.subarray(i, i + n));
    } catch (e) {
      if (!(e instanceof TlsError)) throw e;
      assert.equal(server.state, "failed");
      assert.throws(
        () => server.receive(new Uint8Array(1)),
        (again) => again === e,
        "a failed engine stays failed",
      );
      return;
    }
    server.takeOutput();
    i += n;
  }
}

Deno.test(`fuzz: mutated ClientHellos and client flights never crash or hang the server (seed ${SEED})`, async () => {
  const ed448 = await chain("ED448");
  const options: ServerEngineOptions = {
    certificates: [{ chain: ed448.chain, privateKey: ed448.privateKey }],
    alpnProtocols: ["smp/1", "h2"],
    groups: ["X25519", "X448"],
    requestClientCertificate: true,
  };
  // one genuine exchange to mutate: ClientHello, then the client's Finished flight and data records
  const client = new ClientEngine({
    verifyServerChain: () => {},
    alpnProtocols: ["smp/1"],
    serverName: "fuzz.example",
  });
  const clientHello = client.takeOutput()!;
  const server = new ServerEngine(options);
  server.receive(clientHello);
  client.receive(server.takeOutput()!);
  client.write(new Uint8Array(3000).fill(0x61));
  client.updateKeys(true);
  client.close();
  const clientFlight = client.takeOutput()!;
  const rand = prng(SEED);
  let cases = 0;
  const deadline = performance.now() + FUZZ_MILLISECONDS;
  while (performance.now() < deadline) {
    const started = performance.now();
    const engine = new ServerEngine(options);
    const which = rand(3);
    try {
      if (which === 0) feed(engine, mutate(clientHello, rand), rand);
      else {
        // a genuine ClientHello, then a mutated later flight (random bytes for which === 2)
        engine.receive(clientHello);
        engine.takeOutput();
        const later = which === 1
          ? mutate(clientFlight, rand)
          : Uint8Array.from({ length: rand(600) }, () => rand(256));
        feed(engine, later, rand);
      }
    } catch (e) {
      throw new Error(`seed ${SEED}, case ${cases}: ${e}`, { cause: e });
    }
    assert.ok(performance.now() - started < 1000, `case ${cases} took too long`);
    cases++;
  }
  assert.ok(cases > 100, `only ${cases} cases ran`);
  if (Deno.env.get("TLS_FUZZ_VERBOSE")) console.log(`${cases} cases`);
});

Deno.test(`fuzz: a server sending mutated handshake messages never crashes or hangs the client (seed ${SEED})`, async () => {
  const ed25519 = await chain("ED25519");
  const rand = prng(SEED ^ 0xc1);
  /** Mutates each handshake message before it is encrypted, so the client's parsers see the damage. */
  class MutatingServer extends ServerEngine {
    protected override sendHandshakeBytes(raw: Uint8Array, version?: number): Uint8Array {
      return super.sendHandshakeBytes(rand(3) === 0 ? mutate(raw, rand) : raw, version);
    }
  }
  const serverOptions: ServerEngineOptions = {
    certificates: [{ chain: ed25519.chain, privateKey: ed25519.privateKey }],
    alpnProtocols: ["smp/1"],
    requestClientCertificate: true,
  };
  const clientOptions: ClientEngineOptions = { verifyServerChain: () => {}, alpnProtocols: ["smp/1"] };
  let cases = 0;
  const deadline = performance.now() + FUZZ_MILLISECONDS;
  while (performance.now() < deadline) {
    const client = new ClientEngine(clientOptions);
    let server: ServerEngine;
    try {
      server = new MutatingServer(serverOptions);
      server.receive(client.takeOutput()!);
    } catch (e) {
      if (!(e instanceof TlsError)) throw e;
      continue;
    }
    try {
      feed(client, server.takeOutput() ?? new Uint8Array(0), rand);
    } catch (e) {
      throw new Error(`seed ${SEED}, case ${cases}: ${e}`, { cause: e });
    }
    cases++;
  }
  assert.ok(cases > 50, `only ${cases} cases ran`);
  if (Deno.env.get("TLS_FUZZ_VERBOSE")) console.log(`${cases} cases`);
});
