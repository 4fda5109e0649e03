/**
 * The HTTP/2 client against a real peer: node:http2's server (nghttp2) over TCP, and for frames
 * no good server sends, a raw socket.
 */
import assert from "node:assert/strict";
import http2 from "node:http2";
import { createHash } from "node:crypto";
import type { AddressInfo } from "node:net";
import { concatBytes } from "../../core/encoding/bytes.ts";
import { type Http2ClientOptions, Http2ClientSession, type Http2Transport } from "../../core/http2/client.ts";
import { Http2Error, Http2ErrorCode } from "../../core/http2/errors.ts";
import { CLIENT_PREFACE, frame, FrameType, settingsFrame } from "../../core/http2/frame.ts";

/**
 * A plain TCP connection as the client's transport; writes are chained so they never interleave.
 * Every read goes into the same buffer, as readLent allows: a session that kept a lent piece
 * instead of copying it would see it overwritten.
 */
function tcpTransport(conn: Deno.Conn): Http2Transport {
  let writing = Promise.resolve();
  const buffer = new Uint8Array(64 * 1024);
  return {
    async readLent() {
      const n = await conn.read(buffer).catch(() => null);
      return n === null ? null : [buffer.subarray(0, n)];
    },
    write(parts) {
      const bytes = concatBytes(...parts);
      writing = writing.then(async () => {
        for (let o = 0; o < bytes.length;) o += await conn.write(bytes.subarray(o));
      });
      return writing;
    },
    close() {
      try {
        conn.close();
      } catch {
        // closed by the peer already
      }
      return Promise.resolve();
    },
  };
}

type Handler = (
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  session: http2.ServerHttp2Session,
) => void;

/** An h2c server (cleartext HTTP/2, nghttp2) and one client session connected to it. */
async function withServer(
  handler: Handler,
  test: (client: Http2ClientSession, server: http2.Http2Server) => Promise<void>,
  options: { server?: http2.ServerOptions; client?: Partial<Http2ClientOptions> } = {},
): Promise<void> {
  const server = http2.createServer(options.server ?? {});
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (s) => {
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
    s.on("error", () => {});
  });
  server.on("stream", (stream, headers) => {
    stream.on("error", () => {});
    handler(stream, headers, stream.session as http2.ServerHttp2Session);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  conn.setNoDelay(true);
  const client = Http2ClientSession.open(tcpTransport(conn), { authority: "localhost", ...options.client });
  try {
    await test(client, server);
  } finally {
    await client.close();
    for (const s of sessions) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
}

function readBody(stream: http2.ServerHttp2Stream): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const parts: Uint8Array[] = [];
    stream.on("data", (d: Uint8Array) => parts.push(d));
    stream.on("end", () => resolve(concatBytes(...parts)));
    stream.on("error", reject);
  });
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const text = (b: Uint8Array) => new TextDecoder().decode(b);
/** Deterministic bytes, so the two sides agree without sending a digest. */
const pattern = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + (i >> 11)) & 0xff);
const codeOf = (e: unknown) => (e instanceof Http2Error ? e.code : -1);

Deno.test("requests get their status, headers and bodies; Huffman and indexed headers decode alike", async () => {
  let n = 0;
  await withServer(async (stream, headers) => {
    const body = await readBody(stream);
    n++;
    stream.respond({
      ":status": headers[":path"] === "/missing" ? 404 : 200,
      "x-method": headers[":method"],
      "x-authority": headers[":authority"],
      "x-request": `${n}`,
      // the same long value each time: nghttp2 indexes it, later responses refer to the table
      "x-constant": "a value worth indexing ".repeat(8),
    });
    stream.end(`${body.length} ${sha256(body)}`);
  }, async (client) => {
    for (let i = 1; i <= 20; i++) {
      const body = pattern(i * 1000);
      const r = await client.request({ method: "POST", path: "/echo", body });
      assert.equal(r.status, 200);
      assert.equal(text(r.body), `${body.length} ${sha256(body)}`);
      const h = new Map(r.headers);
      assert.equal(h.get("x-method"), "POST");
      assert.equal(h.get("x-authority"), "localhost");
      assert.equal(h.get("x-request"), `${i}`);
      assert.equal(h.get("x-constant"), "a value worth indexing ".repeat(8));
    }
    const missing = await client.request({ method: "GET", path: "/missing" });
    assert.equal(missing.status, 404);
    assert.equal(text(missing.body), `0 ${sha256(new Uint8Array(0))}`);
  });
});

Deno.test("5 MiB each way through 64 KiB windows; an upload's pieces may be reused once sent", async () => {
  const size = 5 << 20;
  await withServer(async (stream) => {
    const body = await readBody(stream);
    stream.respond({ ":status": 200, "x-digest": sha256(body) });
    stream.end(pattern(size));
  }, async (client) => {
    const piece = new Uint8Array(60_000);
    const expected = createHash("sha256");
    const pieces: Uint8Array[] = [];
    const r = await client.request({
      method: "POST",
      path: "/",
      body: function* () {
        for (let sent = 0; sent < size; sent += piece.length) {
          const n = Math.min(piece.length, size - sent);
          crypto.getRandomValues(piece.subarray(0, n));
          expected.update(piece.subarray(0, n));
          yield piece.subarray(0, n); // the same buffer, refilled for the next piece
        }
      },
      onData: (p) => pieces.push(p.slice()),
    });
    assert.equal(new Map(r.headers).get("x-digest"), expected.digest("hex"));
    assert.equal(r.body.length, 0);
    assert.deepEqual(concatBytes(...pieces), pattern(size));
  });
});

Deno.test("the server's SETTINGS_MAX_CONCURRENT_STREAMS holds requests back until a stream ends", async () => {
  let open = 0;
  let most = 0;
  await withServer(async (stream) => {
    open++;
    most = Math.max(most, open);
    await new Promise((r) => setTimeout(r, 20));
    open--;
    stream.respond({ ":status": 200 });
    stream.end("ok");
  }, async (client) => {
    // the server's SETTINGS arrive with the first response
    await client.request({ method: "GET", path: "/" });
    const all = await Promise.all(
      Array.from({ length: 8 }, () => client.request({ method: "GET", path: "/" })),
    );
    assert.deepEqual(all.map((r) => text(r.body)), new Array(8).fill("ok"));
    assert.equal(most, 2);
  }, { server: { settings: { maxConcurrentStreams: 2 } } });
});

Deno.test("a stream the server resets fails alone; an early answer stops the upload", async () => {
  await withServer((stream, headers) => {
    if (headers[":path"] === "/reset") return stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    if (headers[":path"] === "/early") {
      stream.respond({ ":status": 413 });
      stream.end("too large");
      return;
    }
    stream.respond({ ":status": 200 });
    stream.end("fine");
  }, async (client) => {
    await assert.rejects(
      client.request({ method: "POST", path: "/reset", body: pattern(1000) }),
      (e) => codeOf(e) === Http2ErrorCode.INTERNAL_ERROR,
    );
    const early = await client.request({ method: "POST", path: "/early", body: pattern(4 << 20) });
    assert.equal(early.status, 413);
    assert.equal(text(early.body), "too large");
    assert.equal(text((await client.request({ method: "GET", path: "/" })).body), "fine");
  });
});

Deno.test("PING and SETTINGS from the server are acknowledged, a new window applies to the upload", async () => {
  await withServer(async (stream, _, session) => {
    // Deno's session.settings() goes out with the next frame sent, so the PING follows it
    const settled = new Promise<boolean>((resolve) =>
      session.settings({ initialWindowSize: 1 << 20 }, (err) => resolve(err === null))
    );
    const pinged = await new Promise<boolean>((resolve) => session.ping((err) => resolve(err === null)));
    const body = await readBody(stream);
    stream.respond({ ":status": 200 });
    stream.end(`${pinged} ${await settled} ${body.length}`);
  }, async (client) => {
    const r = await client.request({ method: "POST", path: "/", body: pattern(3 << 20) });
    assert.equal(text(r.body), `true true ${3 << 20}`);
  });
});

Deno.test("a 40 KB response header arrives over CONTINUATION frames", async () => {
  const big = "h".repeat(40_000);
  await withServer((stream) => {
    stream.respond({ ":status": 200, "x-big": big });
    stream.end();
  }, async (client) => {
    const r = await client.request({ method: "GET", path: "/" });
    assert.equal(new Map(r.headers).get("x-big"), big);
  });
});

Deno.test("a GOAWAY refuses new requests; a server dying mid-response fails the open one", async () => {
  await withServer((stream, headers, session) => {
    if (headers[":path"] === "/goaway") {
      stream.respond({ ":status": 200 });
      stream.end("bye");
      session.goaway(http2.constants.NGHTTP2_NO_ERROR);
      return;
    }
    stream.respond({ ":status": 200 });
    stream.write(pattern(100_000));
  }, async (client) => {
    assert.equal(text((await client.request({ method: "GET", path: "/goaway" })).body), "bye");
    await assert.rejects(client.request({ method: "GET", path: "/" }), Http2Error);
  });
  await withServer((stream, _, session) => {
    stream.respond({ ":status": 200 });
    stream.write(pattern(100_000), () => session.destroy());
  }, async (client) => {
    await assert.rejects(client.request({ method: "GET", path: "/" }), Http2Error);
    await assert.rejects(client.request({ method: "GET", path: "/" }), Http2Error);
  });
});

/** A raw server that answers the preface with `frames`; resolves to what the client sent after the preface. */
async function againstRawServer(frames: Uint8Array): Promise<{ error: unknown; sent: Uint8Array }> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = (async () => {
    const conn = await listener.accept();
    const received: Uint8Array[] = [];
    const buffer = new Uint8Array(65536);
    let wrote = false;
    for (;;) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) break;
      received.push(buffer.slice(0, n));
      if (!wrote && concatBytes(...received).length >= CLIENT_PREFACE.length) {
        wrote = true;
        await conn.write(frames);
      }
    }
    conn.close();
    return concatBytes(...received).subarray(CLIENT_PREFACE.length);
  })();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: (listener.addr as Deno.NetAddr).port });
  const client = Http2ClientSession.open(tcpTransport(conn), { authority: "raw" });
  const error = await client.request({ method: "GET", path: "/" }).then(() => undefined, (e) => e);
  await client.closed;
  const sent = await served;
  listener.close();
  return { error, sent };
}

/** The code of the GOAWAY frame in what the client sent, if any. */
function goawayCode(sent: Uint8Array): number | undefined {
  for (let o = 0; o + 9 <= sent.length;) {
    const length = (sent[o] << 16) | (sent[o + 1] << 8) | sent[o + 2];
    if (sent[o + 3] === FrameType.GOAWAY) {
      return new DataView(sent.buffer, sent.byteOffset + o + 13, 4).getUint32(0);
    }
    o += 9 + length;
  }
  return undefined;
}

Deno.test("frames no server may send end the connection with the matching GOAWAY", async () => {
  const settings = settingsFrame([]);
  const cases: [string, Uint8Array, number][] = [
    ["DATA on stream 0", frame(FrameType.DATA, 0, 0, new Uint8Array(4)), Http2ErrorCode.PROTOCOL_ERROR],
    [
      "a frame over 16384 bytes",
      frame(FrameType.DATA, 0, 1, new Uint8Array(20000)),
      Http2ErrorCode.FRAME_SIZE_ERROR,
    ],
    [
      "an index beyond the tables",
      frame(FrameType.HEADERS, 0x4, 1, Uint8Array.of(0xff, 0x10)),
      Http2ErrorCode.COMPRESSION_ERROR,
    ],
    [
      "a header block interrupted",
      concatBytes(
        frame(FrameType.HEADERS, 0, 1, Uint8Array.of(0x88)),
        frame(FrameType.PING, 0, 0, new Uint8Array(8)),
      ),
      Http2ErrorCode.PROTOCOL_ERROR,
    ],
    [
      "SETTINGS of 7 bytes",
      frame(FrameType.SETTINGS, 0, 0, new Uint8Array(7)),
      Http2ErrorCode.FRAME_SIZE_ERROR,
    ],
    [
      "a push promise",
      frame(FrameType.PUSH_PROMISE, 0x4, 1, Uint8Array.of(0, 0, 0, 2, 0x82)),
      Http2ErrorCode.PROTOCOL_ERROR,
    ],
    [
      "DATA beyond the connection window",
      concatBytes(
        frame(FrameType.HEADERS, 0x4, 1, Uint8Array.of(0x88)),
        ...Array.from({ length: 5 }, () => frame(FrameType.DATA, 0, 1, new Uint8Array(16384))),
      ),
      Http2ErrorCode.FLOW_CONTROL_ERROR,
    ],
  ];
  for (const [name, bad, code] of cases) {
    const { error, sent } = await againstRawServer(concatBytes(settings, bad));
    assert.equal(codeOf(error), code, name);
    assert.equal(goawayCode(sent), code, name);
  }
});
