// A Node.js (OpenSSL TLS, nghttp2) web-style XFTP client: node _node_web_client.mjs PORT KEYHASH_HEX
// Prints one JSON line with what it saw. Built from the wire layouts only (xftp.md §1.2-§1.5).
import http2 from "node:http2";
import crypto from "node:crypto";

const [port, keyHashHex] = process.argv.slice(2);
const BLOCK = 16384;
const pad = (msg) => {
  const b = Buffer.alloc(BLOCK, "#");
  b.writeUInt16BE(msg.length, 0);
  msg.copy(b, 2);
  return b;
};
const session = http2.connect(`https://localhost:${port}`, { rejectUnauthorized: false });
const request = (headers, body) =>
  new Promise((resolve, reject) => {
    const req = session.request({ ":method": "POST", ":path": "/", ...headers });
    const chunks = [];
    let h = {};
    req.on("response", (r) => (h = r));
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve({ headers: h, body: Buffer.concat(chunks) }));
    req.on("error", reject);
    req.end(body);
  });

const result = { alpn: undefined };
session.on("connect", () => (result.alpn = session.alpnProtocol));
const pre = await request({ ":method": "OPTIONS" });
result.preflight = pre.headers["access-control-allow-methods"];
const challenge = crypto.randomBytes(32);
const hello = await request(
  { "xftp-web-hello": "1" },
  pad(Buffer.concat([Buffer.from("1"), Buffer.from([32]), challenge])),
);
const content = hello.body.subarray(2, 2 + hello.body.readUInt16BE(0));
result.versions = [content.readUInt16BE(0), content.readUInt16BE(2)];
const sidLen = content[4];
const sessionId = content.subarray(5, 5 + sidLen);
result.sessionIdLength = sidLen;
result.helloCors = hello.headers["access-control-allow-origin"];
const keyHash = Buffer.from(keyHashHex, "hex");
const hs = await request(
  { "xftp-handshake": "1" },
  pad(Buffer.concat([Buffer.from([0, 3, keyHash.length]), keyHash])),
);
result.handshakeBody = hs.body.length;
const t = Buffer.concat([Buffer.from([0, sidLen]), sessionId, Buffer.from([0, 0]), Buffer.from("PING")]);
const block = Buffer.concat([Buffer.from([1, t.length >> 8, t.length & 255]), t]);
const pong = await request({}, pad(block));
const pc = pong.body.subarray(2, 2 + pong.body.readUInt16BE(0));
result.pong = pc.subarray(pc.length - 4).toString();
session.close();
console.log(JSON.stringify(result));
