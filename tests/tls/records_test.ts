/**
 * Application data through two engines in memory, on each AEAD backend (OpenSSL's libcrypto, which
 * decrypts records where they lie and joins neighbouring ones into one run, and node:crypto):
 * every byte arrives whatever the reads and writes were cut into, and a handshake message between
 * records ends a run without disturbing either side of it.
 */
import assert from "node:assert/strict";
import { concatBytes } from "../../core/encoding/bytes.ts";
import { ClientEngine, ServerEngine, type TlsEngine } from "../../core/tls/mod.ts";
import { type Libcrypto, loadLibcrypto, withLibcrypto } from "../../core/crypto/_libcrypto.ts";
import { SeededRandom } from "../_util/random.ts";
import { chain } from "./_fixtures.ts";

const ed25519 = await chain("ED25519");
const backends: [string, Libcrypto | null][] = [["node:crypto", null]];
const lib = loadLibcrypto();
if (lib) backends.unshift(["libcrypto", lib]);

/** A connected client and server, the handshake shuttled in memory. */
function connected(): { client: TlsEngine; server: TlsEngine } {
  const client = new ClientEngine({ verifyServerChain: () => {} });
  const server = new ServerEngine({
    certificates: [{ chain: ed25519.chain, privateKey: ed25519.privateKey }],
  });
  for (let moved = true; moved;) {
    moved = false;
    for (const [from, to] of [[client, server], [server, client]] as const) {
      const bytes = from.takeOutput();
      if (bytes !== null) (moved = true, to.receive(bytes));
    }
  }
  assert.equal(client.state, "connected");
  assert.equal(server.state, "connected");
  return { client, server };
}

/** Feeds `stream` to `to` through reserve/receiveReserved in reads of the given sizes; returns what came out. */
function readIn(to: TlsEngine, stream: Uint8Array, sizes: () => number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let off = 0; off < stream.length;) {
    const n = Math.min(stream.length - off, sizes());
    to.reserve(n).set(stream.subarray(off, off + n));
    to.receiveReserved(n);
    off += n;
    out.push(...to.takeApplicationData());
  }
  return out;
}

function eachBackend(name: string, body: (backend: string) => void): void {
  for (const [backend, l] of backends) {
    Deno.test(`${name} (${backend})`, () => withLibcrypto(l, () => body(backend)));
  }
}

eachBackend("records read in one go come out whole; in place they are one run", (backend) => {
  const rnd = new SeededRandom();
  const { client, server } = connected();
  const data = rnd.bytes(100_000);
  client.write([data.subarray(0, 9), data.subarray(9, 40_000)]);
  client.write(data.subarray(40_000));
  const stream = client.takeOutput()!;
  const pieces = readIn(server, stream, () => stream.length);
  assert.deepEqual(concatBytes(...pieces), data);
  if (backend === "libcrypto") assert.equal(pieces.length, 1);
});

eachBackend("records cut across reads at random points keep every byte", () => {
  const rnd = new SeededRandom();
  const { client, server } = connected();
  const writes = Array.from({ length: 40 }, () => rnd.bytes(rnd.int(40_000)));
  for (const w of writes) client.write(w);
  const stream = client.takeOutput()!;
  const pieces = readIn(server, stream, () => 1 + rnd.int(rnd.int(2) ? 100 : 50_000));
  assert.deepEqual(concatBytes(...pieces), concatBytes(...writes), `seed ${rnd.seed}`);
});

eachBackend("a KeyUpdate between records ends the run and both sides keep their bytes", (backend) => {
  const rnd = new SeededRandom();
  const { client, server } = connected();
  const before = rnd.bytes(50_000), after = rnd.bytes(50_000);
  client.write(before);
  client.updateKeys(true);
  client.write(after);
  const stream = client.takeOutput()!;
  const pieces = readIn(server, stream, () => stream.length);
  assert.deepEqual(concatBytes(...pieces), concatBytes(before, after));
  if (backend === "libcrypto") assert.equal(pieces.length, 2);
  // the server answered the requested update, and the client reads under the new keys
  const reply = rnd.bytes(20_000);
  server.write(reply);
  assert.deepEqual(concatBytes(...readIn(client, server.takeOutput()!, () => 7_000)), reply);
});

eachBackend("a tampered record fails the connection with bad_record_mac", () => {
  const { client, server } = connected();
  client.write(new Uint8Array(1000));
  const stream = client.takeOutput()!;
  stream[100] ^= 1;
  assert.throws(() => readIn(server, stream, () => stream.length), /record authentication failed/);
  assert.equal(server.state, "failed");
});
