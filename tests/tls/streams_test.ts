/**
 * The ways callers read and write a connection: exact 16 KB blocks (SMP transport), Web Streams,
 * and the Node Duplex view carrying node:http2 both ways (XFTP runs HTTP/2 over TLS).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as http2 from "node:http2";
import type { Duplex } from "node:stream";
import { bytesEqual, concatBytes } from "../../core/encoding/bytes.ts";
import { connect, listen, type TlsConnection } from "../../core/tls/mod.ts";
import { chain } from "./_fixtures.ts";
import { pattern } from "./_peers.ts";

const certs = await chain("ED448");
const BLOCK = 16384;

async function connectedPair(
  alpn = ["smp/1"],
): Promise<{ client: TlsConnection; server: TlsConnection; close(): void }> {
  const listener = listen({
    port: 0,
    certificates: [{ chain: certs.chain, privateKey: certs.privateKey }],
    alpnProtocols: alpn,
  });
  const [client, server] = await Promise.all([
    connect({
      hostname: "127.0.0.1",
      port: listener.addr.port,
      alpnProtocols: alpn,
      verifyServerChain: () => {},
    }),
    listener.accept(),
  ]);
  return { client, server: server!, close: () => listener.close() };
}

Deno.test("readExactly returns whole 16 KB blocks however the records were cut", async () => {
  const { client, server, close } = await connectedPair();
  try {
    const blocks = pattern(BLOCK * 5);
    // uneven writes: blocks never align with records or writes
    for (const cut of [1, 7000, 20000, 33000, BLOCK * 5]) {
      const start = [0, 1, 7000, 20000, 33000][[1, 7000, 20000, 33000, BLOCK * 5].indexOf(cut)];
      await client.write(blocks.subarray(start, cut));
    }
    for (let i = 0; i < 5; i++) {
      assert.ok(bytesEqual(await server.readExactly(BLOCK), blocks.subarray(i * BLOCK, (i + 1) * BLOCK)));
    }
    assert.equal(client.sessionId.length, 32);
    assert.ok(bytesEqual(client.sessionId, server.sessionId));
    await client.close();
    assert.equal(await server.read(), null, "close_notify ends the stream");
    await assert.rejects(server.readExactly(1), /connection_closed/);
    await server.close();
  } finally {
    close();
  }
});

Deno.test("readLent hands over everything that arrived, in order, then null after close_notify", async () => {
  const { client, server, close } = await connectedPair();
  try {
    const data = pattern(100_000);
    await client.write([data.subarray(0, 5), data.subarray(5, 70_000)]);
    await client.write(data.subarray(70_000));
    await client.close();
    const pieces: Uint8Array[] = [];
    for (let p = await server.readLent(); p !== null; p = await server.readLent()) {
      pieces.push(...p.map((piece) => piece.slice()));
    }
    assert.ok(bytesEqual(concatBytes(...pieces), data));
    await server.close();
  } finally {
    close();
  }
});

/** Sends `data` in writes of 300,000 bytes (the first `first` bytes in one of their own), then close_notify. */
async function sendThenClose(client: TlsConnection, data: Uint8Array, first = 0): Promise<void> {
  if (first > 0) await client.write(data.subarray(0, first));
  for (let o = first; o < data.length; o += 300_000) await client.write(data.subarray(o, o + 300_000));
  await client.close();
}

/** Reads a bulk transfer with readLent, copying each call's pieces; the buffers the pieces were in. */
async function readAllLent(
  server: TlsConnection,
): Promise<{ data: Uint8Array; buffers: Set<ArrayBufferLike>; calls: number }> {
  const copies: Uint8Array[] = [];
  const buffers = new Set<ArrayBufferLike>();
  let calls = 0;
  for (let p = await server.readLent(); p !== null; p = await server.readLent()) {
    calls++;
    for (const piece of p) {
      buffers.add(piece.buffer);
      copies.push(piece.slice());
    }
  }
  return { data: concatBytes(...copies), buffers, calls };
}

Deno.test("readLent: a bulk transfer reads into the same few buffers and arrives intact", async () => {
  const { client, server, close } = await connectedPair();
  try {
    const data = pattern(8 << 20);
    const sending = sendThenClose(client, data);
    const { data: received, buffers, calls } = await readAllLent(server);
    await sending;
    assert.ok(bytesEqual(received, data));
    // 8 MiB in reads of at most 64 KiB: fresh memory per read would take over 128 buffers
    assert.ok(calls > 20, `${calls} calls`);
    assert.ok(buffers.size < calls / 2, `${buffers.size} buffers over ${calls} calls`);
    await server.close();
  } finally {
    close();
  }
});

Deno.test("readLent: after another read method took plaintext, no buffer is reused", async () => {
  const { client, server, close } = await connectedPair();
  try {
    const data = pattern(4 << 20);
    const sending = sendThenClose(client, data, BLOCK);
    // a block kept as returned: it must still hold its bytes after the rest went through readLent
    const kept = await server.readExactly(BLOCK);
    const pieces: Uint8Array[] = [];
    for (let p = await server.readLent(); p !== null; p = await server.readLent()) pieces.push(...p);
    await sending;
    assert.ok(bytesEqual(kept, data.subarray(0, BLOCK)));
    assert.ok(bytesEqual(concatBytes(...pieces), data.subarray(BLOCK)));
    await server.close();
  } finally {
    close();
  }
});

Deno.test("Web Streams: readable and writable carry the data and close_notify", async () => {
  const { client, server, close } = await connectedPair();
  try {
    const writer = client.writable.getWriter();
    await writer.write(new TextEncoder().encode("via "));
    await writer.write(new TextEncoder().encode("streams"));
    await writer.close();
    const text = await new Response(server.readable).text();
    assert.equal(text, "via streams");
    await server.close();
  } finally {
    close();
  }
});

Deno.test("KeyUpdate on a live connection keeps data flowing both ways", async () => {
  const { client, server, close } = await connectedPair();
  try {
    await client.updateKeys(true);
    await client.write(new TextEncoder().encode("after"));
    assert.equal(new TextDecoder().decode(await server.readExactly(5)), "after");
    await server.write(new TextEncoder().encode("reply"));
    assert.equal(new TextDecoder().decode(await client.readExactly(5)), "reply");
    await client.close();
    await server.close();
  } finally {
    close();
  }
});

/**
 * A node:http2 server answering with `onStream` on one end of a connected pair, through its
 * Duplex view, and a node:http2 client session on the other end's; closes everything after.
 */
async function overHttp2(
  onStream: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void,
  test: (session: http2.ClientHttp2Session) => Promise<void>,
): Promise<void> {
  const { client, server, close } = await connectedPair(["xftp/1", "h2"]);
  const h2server = http2.createServer();
  h2server.on("stream", onStream);
  h2server.emit("connection", server.duplex);
  // node:http2 types want a Socket; any Duplex works at run time
  const session = http2.connect("http://localhost", {
    createConnection: () => client.duplex as Duplex as never,
  });
  try {
    await test(session);
  } finally {
    await new Promise<void>((resolve) => session.close(() => resolve()));
    h2server.close();
    await client.close();
    await server.close();
    close();
  }
}

Deno.test("node:http2 runs over the Duplex view: server via 'connection', client via createConnection", async () => {
  await overHttp2((stream, headers) => {
    let body = 0;
    stream.on("data", (d: Uint8Array) => (body += d.length));
    stream.on("end", () => {
      stream.respond({ ":status": 200 });
      stream.end(`${headers[":method"]} ${body}`);
    });
  }, async (session) => {
    const request = session.request({ ":method": "POST", ":path": "/" });
    request.end(pattern(BLOCK + 100));
    let reply = "";
    request.setEncoding("utf8");
    request.on("data", (d: string) => (reply += d));
    await new Promise((resolve) => request.on("end", resolve));
    assert.equal(reply, `POST ${BLOCK + 100}`);
  });
});

Deno.test("node:http2 over the Duplex views carries 8 MiB each way intact (read buffers recycled)", async () => {
  const data = pattern(8 << 20);
  await overHttp2((stream) => {
    const hash = createHash("sha256");
    stream.on("data", (d: Uint8Array) => hash.update(d));
    stream.on("end", () => {
      stream.respond({ ":status": 200, "x-upload-sha256": hash.digest("hex") });
      for (let o = 0; o < data.length; o += 1 << 20) stream.write(data.subarray(o, o + (1 << 20)));
      stream.end();
    });
  }, async (session) => {
    const request = session.request({ ":method": "POST", ":path": "/" });
    for (let o = 0; o < data.length; o += 300_000) request.write(data.subarray(o, o + 300_000));
    request.end();
    const hash = createHash("sha256");
    let uploaded = "";
    request.on("response", (headers) => (uploaded = String(headers["x-upload-sha256"])));
    request.on("data", (d: Uint8Array) => hash.update(d));
    await new Promise((resolve) => request.on("end", resolve));
    const expected = createHash("sha256").update(data).digest("hex");
    assert.equal(uploaded, expected);
    assert.equal(hash.digest("hex"), expected);
  });
});

Deno.test("a Duplex reader that lets data wait in the stream still gets it intact", async () => {
  const { client, server, close } = await connectedPair();
  try {
    const data = pattern(6 << 20);
    const duplex = server.duplex;
    const sending = sendThenClose(client, data);
    // paused: what arrives is buffered in the stream, kept there while later reads come in
    duplex.pause();
    duplex.on("data", () => {}); // attaching a listener to a paused stream does not resume it
    duplex.removeAllListeners("data");
    const chunks: Uint8Array[] = [];
    await new Promise((resolve) => setTimeout(resolve, 300));
    for await (const chunk of duplex) chunks.push(chunk as Uint8Array);
    await sending;
    assert.ok(bytesEqual(concatBytes(...chunks), data));
  } finally {
    await server.close();
    close();
  }
});

Deno.test("Duplex: frames written in one go leave as one write; past 1 MiB unwritten, writes wait", async () => {
  const { client, server, close } = await connectedPair();
  try {
    const writes: number[] = [];
    const write = client.write.bind(client);
    client.write = (data) => {
      writes.push((data instanceof Uint8Array ? [data] : data).reduce((n, p) => n + p.length, 0));
      return write(data);
    };
    const duplex = client.duplex;
    const frame = pattern(16_393);
    // a burst the way node:http2 writes one: frame after frame in the same tick
    for (let i = 0; i < 10; i++) duplex.write(frame);
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.deepEqual(writes, [10 * 16_393]);
    // 3 MiB in one go: the first MiB is taken at once, the rest waits in the stream until it
    // has been written
    const big = pattern(3 << 20);
    for (let o = 0; o < big.length; o += 16_393) duplex.write(big.subarray(o, o + 16_393));
    assert.ok(duplex.writableLength > 1.9 * (1 << 20) && duplex.writableLength < 2.1 * (1 << 20));
    const ended = new Promise((resolve) => duplex.end(resolve));
    const received: Uint8Array[] = [];
    for (let p = await server.readLent(); p !== null; p = await server.readLent()) {
      received.push(...p.map((piece) => piece.slice()));
    }
    await ended;
    const expected = concatBytes(...Array.from({ length: 10 }, () => frame), big);
    assert.ok(bytesEqual(concatBytes(...received), expected));
  } finally {
    await server.close();
    close();
  }
});
