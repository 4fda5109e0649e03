/**
 * core/tls against Node's node:tls (OpenSSL) on loopback, measured in the same run: sequential
 * handshakes per second and bulk throughput of one connection, client and server in one process
 * for both stacks (so each side's crypto shares the same cores). Same parameters for both:
 * TLS_CHACHA20_POLY1305_SHA256, for two profiles: Ed25519 + X25519 (what a new server uses) and
 * Ed448 + X448 (the reference client's first key share and older servers' chains, smp.md §1.2).
 */
import { makeChain } from "../tests/tls/_certs.ts";
import { connect, listen } from "../core/tls/mod.ts";

const HANDSHAKE_SECONDS = 2;
const BULK_BYTES = 64 << 20;
const CHUNK = 64 << 10;

interface Figures {
  handshakesPerSecond: number;
  bulkMBps: number;
}

type Group = "X25519" | "X448";

async function measureOurs(chain: Uint8Array[], privateKey: Uint8Array, group: Group): Promise<Figures> {
  const server = listen({ port: 0, certificates: [{ chain, privateKey }], groups: [group] });
  const port = server.addr.port;
  const options = { hostname: "127.0.0.1", port, groups: [group], verifyServerChain: () => {} };
  // the server side counts what it reads; the bulk figure stops when the last byte arrived
  let received = 0;
  let bulkDone: (() => void) | undefined;
  (async () => {
    for await (const c of server) {
      (async () => {
        for (let chunk = await c.read(); chunk !== null; chunk = await c.read()) received += chunk.length;
        await c.close();
        if (received >= BULK_BYTES) bulkDone?.();
      })();
    }
  })();
  let handshakes = 0;
  const start = performance.now();
  while (performance.now() - start < HANDSHAKE_SECONDS * 1000) {
    const c = await connect(options);
    await c.close();
    handshakes++;
  }
  const handshakesPerSecond = handshakes / ((performance.now() - start) / 1000);

  const c = await connect(options);
  received = 0;
  const done = new Promise<void>((resolve) => (bulkDone = resolve));
  const chunk = new Uint8Array(CHUNK).fill(7);
  const t0 = performance.now();
  for (let sent = 0; sent < BULK_BYTES; sent += CHUNK) await c.write(chunk);
  await c.close();
  await done;
  const bulkMBps = BULK_BYTES / 1e6 / ((performance.now() - t0) / 1000);
  server.close();
  return { handshakesPerSecond, bulkMBps };
}

// The same measurement with node:tls, run by the real Node in a subprocess.
const NODE_SCRIPT = `
import * as tls from "node:tls";
import * as fs from "node:fs";
const [certFile, keyFile, seconds, bulkBytes, chunkSize, group] = process.argv.slice(1);
const opts = { minVersion: "TLSv1.3", ciphers: "TLS_CHACHA20_POLY1305_SHA256", ecdhCurve: group };
let serverBytes = 0, bulkDone = null;
const server = tls.createServer({ ...opts, cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) }, (s) => {
  s.on("data", (d) => { serverBytes += d.length; });
  s.on("end", () => { s.end(); if (bulkDone && serverBytes >= Number(bulkBytes)) bulkDone(); });
  s.on("error", () => {});
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const port = server.address().port;
const connect = () => new Promise((resolve, reject) => {
  const s = tls.connect({ ...opts, host: "127.0.0.1", port, rejectUnauthorized: false }, () => resolve(s));
  s.on("error", reject);
});
let n = 0;
const start = performance.now();
while (performance.now() - start < Number(seconds) * 1000) {
  const s = await connect();
  await new Promise((r) => { s.on("close", r); s.end(); s.resume(); });
  n++;
}
const handshakesPerSecond = n / ((performance.now() - start) / 1000);
const s = await connect();
serverBytes = 0;
const chunk = Buffer.alloc(Number(chunkSize), 7);
const t0 = performance.now();
const done = new Promise((r) => (bulkDone = r));
for (let sent = 0; sent < Number(bulkBytes); sent += chunk.length) {
  if (!s.write(chunk)) await new Promise((r) => s.once("drain", r));
}
s.end();
s.resume();
await done;
const bulkMBps = Number(bulkBytes) / 1e6 / ((performance.now() - t0) / 1000);
console.log(JSON.stringify({ handshakesPerSecond, bulkMBps }));
server.close();
process.exit(0);
`;

async function measureNode(certFile: string, keyFile: string, group: Group): Promise<Figures> {
  const out = await new Deno.Command("node", {
    args: [
      "--input-type=module",
      "-e",
      NODE_SCRIPT,
      certFile,
      keyFile,
      `${HANDSHAKE_SECONDS}`,
      `${BULK_BYTES}`,
      `${CHUNK}`,
      group,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

const row = (name: string, a: number, b: number, unit: string) =>
  console.log(
    `${name.padEnd(12)} core/tls ${a.toFixed(1).padStart(8)} ${unit}   node:tls ${
      b.toFixed(1).padStart(8)
    } ${unit}` +
      `   ratio ${(a / b).toFixed(2)}`,
  );

export async function run(): Promise<void> {
  // the new-server default (Ed25519, X25519), then the reference client's first choice (Ed448, X448)
  for (const [algorithm, group] of [["ED25519", "X25519"], ["ED448", "X448"]] as const) {
    const chain = await makeChain(algorithm);
    try {
      const ours = await measureOurs(chain.chain, chain.privateKey, group);
      const node = await measureNode(chain.chainFile, chain.keyFile, group);
      console.log(
        `TLS 1.3 TLS_CHACHA20_POLY1305_SHA256, ${group}, ${algorithm} chain; loopback, client+server in one process`,
      );
      row("handshakes", ours.handshakesPerSecond, node.handshakesPerSecond, "/s  ");
      row("bulk", ours.bulkMBps, node.bulkMBps, "MB/s");
    } finally {
      await Deno.remove(chain.dir, { recursive: true });
    }
  }
}

if (import.meta.main) await run();
