// The baseline's client for bench/xftp.ts: Node's node:http2 (OpenSSL) against nginx, moving a file
// the way the XFTP agent does: one PUT per chunk, one connection, chunks one after another; then
// one GET per chunk, written to a file. Prints {uploadMBps, downloadMBps, tls, peakRss} as JSON.
// Its receive windows are 16 MiB, not the 64 KiB default, so that nginx sends at its own pace.
//
//   node _xftp_h2_client.mjs PORT FILE CHUNK_SIZE DOWNLOAD_TO
import * as fs from "node:fs";
import * as http2 from "node:http2";

const [port, file, chunkArg, downloadTo] = process.argv.slice(2);
const chunkSize = Number(chunkArg);
const size = fs.statSync(file).size;
const chunks = Math.ceil(size / chunkSize);

const WINDOW = 16 << 20;
const session = http2.connect(`https://127.0.0.1:${port}`, {
  rejectUnauthorized: false,
  settings: { initialWindowSize: WINDOW },
});
session.on("error", (e) => {
  console.error(e);
  process.exit(1);
});
await new Promise((resolve) => session.once("connect", resolve));
session.setLocalWindowSize(WINDOW);
const tls = `${session.socket.getProtocol()} ${session.socket.getCipher().name}`;

function request(headers, body, onData) {
  return new Promise((resolve, reject) => {
    const req = session.request(headers);
    req.on("response", (h) => {
      const status = h[":status"];
      if (status >= 300) reject(new Error(`${headers[":method"]} ${headers[":path"]}: ${status}`));
    });
    req.on("data", onData ?? (() => {}));
    req.on("end", resolve);
    req.on("error", reject);
    req.end(body);
  });
}

const input = fs.openSync(file, "r");
const buffer = Buffer.alloc(chunkSize);
let t0 = performance.now();
for (let i = 0; i < chunks; i++) {
  const n = fs.readSync(input, buffer, 0, chunkSize, i * chunkSize);
  await request({ ":method": "PUT", ":path": `/chunks/${i}` }, buffer.subarray(0, n));
}
const uploadMBps = size / 1e6 / ((performance.now() - t0) / 1000);
fs.closeSync(input);

const output = fs.openSync(downloadTo, "w");
let received = 0;
t0 = performance.now();
for (let i = 0; i < chunks; i++) {
  await request({ ":method": "GET", ":path": `/chunks/${i}` }, undefined, (d) => {
    fs.writeSync(output, d);
    received += d.length;
  });
}
const downloadMBps = size / 1e6 / ((performance.now() - t0) / 1000);
fs.closeSync(output);
if (received !== size) throw new Error(`downloaded ${received} of ${size} bytes`);
session.close();
// maxRSS is in KiB
console.log(
  JSON.stringify({ uploadMBps, downloadMBps, tls, peakRss: process.resourceUsage().maxRSS * 1024 }),
);
