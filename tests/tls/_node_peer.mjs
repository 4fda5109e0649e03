// A node:tls peer for interop tests, run with the real Node (not Deno): Node exposes the true
// TLS Finished messages through getFinished()/getPeerFinished(). Prints one JSON line per event.
// usage: node _node_peer.mjs '<json options>'   (see tests/tls/_peers.ts)
import * as tls from "node:tls";
import * as fs from "node:fs";
import { createHash } from "node:crypto";

const o = JSON.parse(process.argv[2]);
const say = (m) => process.stdout.write(JSON.stringify(m) + "\n");
const hex = (b) => (b ? Buffer.from(b).toString("hex") : null);
const common = {
  minVersion: o.maxVersion === "TLSv1.2" ? "TLSv1.2" : "TLSv1.3",
  maxVersion: o.maxVersion ?? "TLSv1.3",
  ciphers: o.ciphers,
  ecdhCurve: o.groups,
  ALPNProtocols: o.alpn,
  sigalgs: o.sigalgs,
};
const describe = (s) => ({
  event: "secure",
  finished: hex(s.getFinished()),
  peerFinished: hex(s.getPeerFinished()),
  alpn: s.alpnProtocol || null,
  cipher: s.getCipher().standardName,
  group: s.getEphemeralKeyInfo?.()?.name ?? null,
  peerChain: chainOf(s),
});
function chainOf(s) {
  const out = [];
  let c = s.getPeerCertificate(true);
  while (c && c.raw && !out.includes(c.raw.toString("hex"))) {
    out.push(c.raw.toString("hex"));
    c = c.issuerCertificate;
  }
  return out;
}
// echo everything back; report the SHA-256 of what arrived when the peer ends
function echo(socket) {
  const hash = createHash("sha256");
  let n = 0;
  socket.on("data", (d) => {
    hash.update(d);
    n += d.length;
    socket.write(d);
  });
  socket.on("end", () => {
    say({ event: "end", bytes: n, sha256: hash.digest("hex") });
    socket.end();
  });
  socket.on("error", (e) => say({ event: "error", message: e.message, code: e.code }));
}

if (o.mode === "server") {
  const server = tls.createServer({
    ...common,
    cert: fs.readFileSync(o.cert),
    key: fs.readFileSync(o.key),
    requestCert: !!o.requestCert,
    rejectUnauthorized: false,
  }, (socket) => {
    say(describe(socket));
    echo(socket);
  });
  server.on("tlsClientError", (e) => say({ event: "error", message: e.message, code: e.code }));
  server.listen(0, "127.0.0.1", () => say({ event: "listening", port: server.address().port }));
} else {
  const socket = tls.connect({
    ...common,
    host: "127.0.0.1",
    port: o.port,
    servername: o.servername ?? "",
    rejectUnauthorized: false,
  }, () => {
    say(describe(socket));
    const data = Buffer.alloc(o.bytes ?? 0);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >>> 8)) & 0xff;
    say({ event: "sent", bytes: data.length, sha256: createHash("sha256").update(data).digest("hex") });
    socket.end(data);
  });
  const hash = createHash("sha256");
  let n = 0;
  socket.on("data", (d) => {
    hash.update(d);
    n += d.length;
  });
  socket.on("end", () => say({ event: "end", bytes: n, sha256: hash.digest("hex") }));
  socket.on("error", (e) => say({ event: "error", message: e.message, code: e.code }));
  socket.on("close", () => process.exit(0));
}
