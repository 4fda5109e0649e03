/**
 * The baseline for bench/relay.ts, run by the real Node: a node:tls (OpenSSL) server that echoes
 * 16384-byte blocks, and the clients that load it, each in a process of its own like the relay and
 * its load generator. TLS 1.3, TLS_CHACHA20_POLY1305_SHA256, X25519, the relay's own certificate.
 *
 *   node _relay_echo.mjs server CERT KEY       prints the port; SIGUSR2: full GC, then prints "gc"
 *   node _relay_echo.mjs load PORT SERVER_PID CONNECTIONS IN_FLIGHT WARMUP_MS MEASURE_MS
 *                                              prints {blocksPerSecond, p50Ms, p99Ms, serverCpu, loadCpu}
 *   node _relay_echo.mjs idle PORT N           opens N connections, prints "open", holds them until stdin ends
 */
import * as fs from "node:fs";
import * as tls from "node:tls";

const BLOCK = 16384;
const TLS_OPTIONS = { minVersion: "TLSv1.3", ciphers: "TLS_CHACHA20_POLY1305_SHA256", ecdhCurve: "X25519" };
const [role, ...args] = process.argv.slice(2);

function serve(certFile, keyFile) {
  const options = { ...TLS_OPTIONS, cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) };
  const server = tls.createServer(options, (s) => {
    s.on("data", (d) => s.write(d));
    s.on("error", () => {});
  });
  process.on("SIGUSR2", () => {
    globalThis.gc?.();
    console.log("gc");
  });
  server.listen(0, "127.0.0.1", () => console.log(server.address().port));
}

function connect(port) {
  return new Promise((resolve, reject) => {
    const s = tls.connect(
      { ...TLS_OPTIONS, host: "127.0.0.1", port, rejectUnauthorized: false },
      () => resolve(s),
    );
    s.on("error", reject);
  });
}

/** utime + stime of a process, in seconds (clock ticks of 1/100 s). */
function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Closed loop: each connection keeps IN_FLIGHT blocks on the way; a block counts when its echo is in. */
async function load(port, serverPid, connections, inFlight, warmupMs, measureMs) {
  const block = Buffer.alloc(BLOCK, 7);
  const latencies = [];
  let measuring = false, stopped = false, completed = 0;
  const sockets = await Promise.all(Array.from({ length: connections }, () => connect(port)));
  for (const s of sockets) {
    const sentAt = [];
    let received = 0;
    const send = () => {
      sentAt.push(performance.now());
      s.write(block);
    };
    s.on("data", (d) => {
      received += d.length;
      while (received >= BLOCK) {
        received -= BLOCK;
        const t0 = sentAt.shift();
        if (measuring) {
          completed++;
          latencies.push(performance.now() - t0);
        }
        if (!stopped) send();
      }
    });
    for (let i = 0; i < inFlight; i++) send();
  }
  await new Promise((r) => setTimeout(r, warmupMs));
  measuring = true;
  const cpu0 = { server: cpuSeconds(serverPid), load: cpuSeconds(process.pid) };
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, measureMs));
  const seconds = (performance.now() - t0) / 1000;
  measuring = false;
  stopped = true;
  const cpu = { server: cpuSeconds(serverPid) - cpu0.server, load: cpuSeconds(process.pid) - cpu0.load };
  latencies.sort((a, b) => a - b);
  const at = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  console.log(JSON.stringify({
    blocksPerSecond: completed / seconds,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    serverCpu: cpu.server / seconds,
    loadCpu: cpu.load / seconds,
    version: process.version,
  }));
  for (const s of sockets) s.destroy();
}

async function idle(port, n) {
  const sockets = [];
  while (sockets.length < n) {
    sockets.push(
      ...await Promise.all(Array.from({ length: Math.min(50, n - sockets.length) }, () => connect(port))),
    );
  }
  console.log("open");
  process.stdin.resume();
  process.stdin.on("end", () => {
    for (const s of sockets) s.destroy();
    process.exit(0);
  });
}

if (role === "server") serve(args[0], args[1]);
else if (role === "load") await load(...args.map(Number));
else if (role === "idle") await idle(Number(args[0]), Number(args[1]));
else throw new Error(`unknown role ${role}`);
