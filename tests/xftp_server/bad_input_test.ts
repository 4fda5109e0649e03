/** Malformed and hostile requests: each gets its documented error, nothing half-stored, serving goes on. */
import assert from "node:assert/strict";
import http2 from "node:http2";
import { delay } from "./_delay.ts";
import { generateKeyPair } from "../../core/crypto/keys.ts";
import { pad } from "../../core/encoding/padding.ts";
import { concatBytes } from "../../core/encoding/bytes.ts";
import {
  encodeCommandBlock,
  encodeXftpBlock,
  transmissionForAuth,
  XFTP_BLOCK_SIZE,
} from "../../core/xftp/mod.ts";
import { decodeResponse } from "./_client.ts";
import {
  CHUNK,
  createChunk,
  downloadChunk,
  errorOf,
  type Harness,
  listFiles,
  makeChunk,
  startServer,
  uploadChunk,
} from "./_harness.ts";

async function withServer(f: (h: Harness) => Promise<void>, options = {}) {
  const h = await startServer(options);
  try {
    await f(h);
    // the server still serves a full round trip afterwards
    const c = await h.connect();
    const chunk = makeChunk(1);
    const { senderId, recipientIds } = await createChunk(c, chunk);
    assert.equal(errorOf(await uploadChunk(c, senderId, chunk)), "OK");
    assert.deepEqual(await downloadChunk(c, recipientIds[0], chunk.recipients[0]), chunk.bytes);
  } finally {
    await h.close();
  }
}

Deno.test("truncated and oversized chunk bodies are SIZE and store nothing", () =>
  withServer(async (h) => {
    const c = await h.connect();
    const chunk = makeChunk(1);
    const { senderId } = await createChunk(c, chunk);
    assert.equal(errorOf(await uploadChunk(c, senderId, chunk, chunk.bytes.subarray(0, CHUNK - 1))), "SIZE");
    assert.equal(errorOf(await uploadChunk(c, senderId, chunk, new Uint8Array(0))), "SIZE");
    const longer = new Uint8Array(CHUNK + 5000);
    longer.set(chunk.bytes);
    assert.equal(errorOf(await uploadChunk(c, senderId, chunk, longer)), "SIZE");
    assert.deepEqual(await listFiles(h.filesPath), []);
    assert.equal(h.server.files.usedStorage, 0);
    assert.equal(errorOf(await uploadChunk(c, senderId, chunk)), "OK");
  }));

Deno.test("an FPUT body sent in many small parts is reassembled", () =>
  withServer(async (h) => {
    const c = await h.connect();
    const chunk = makeChunk(1);
    const { senderId, recipientIds } = await createChunk(c, chunk);
    const parts = [];
    for (let i = 0; i < CHUNK; i += 1000) parts.push(chunk.bytes.subarray(i, i + 1000));
    assert.equal(errorOf(await uploadChunk(c, senderId, chunk, parts)), "OK");
    assert.deepEqual(await downloadChunk(c, recipientIds[0], chunk.recipients[0]), chunk.bytes);
  }));

Deno.test("an upload that stalls past the timeout is TIMEOUT and stores nothing", () =>
  withServer(async (h) => {
    const c = await h.connect();
    const chunk = makeChunk(1);
    const { senderId } = await createChunk(c, chunk);
    const block = encodeCommandBlock(
      c.sessionId,
      new Uint8Array(0),
      senderId,
      { type: "FPUT" },
      chunk.sender.privateKey,
    );
    const response = await new Promise<Uint8Array>((resolve, reject) => {
      const req = c.session.request({ ":method": "POST", ":path": "/" });
      const out: Uint8Array[] = [];
      req.on("data", (d: Uint8Array) => out.push(new Uint8Array(d)));
      req.on("end", () => resolve(concatBytes(...out)));
      req.on("error", reject);
      req.write(block);
      req.write(chunk.bytes.subarray(0, 1000)); // and never more
    });
    assert.equal(errorOf(decodeResponse(response, c.sessionId).response), "TIMEOUT");
    assert.deepEqual(await listFiles(h.filesPath), []);
    assert.equal(h.server.files.usedStorage, 0);
  }, { fileTimeout: 200 }));

Deno.test("wrong keys, unknown IDs and swapped parties are AUTH", () =>
  withServer(async (h) => {
    const c = await h.connect();
    const chunk = makeChunk(1);
    const { senderId, recipientIds } = await createChunk(c, chunk);
    const stranger = generateKeyPair("Ed25519");
    assert.equal(errorOf(await uploadChunk(c, senderId, { ...chunk, sender: stranger })), "AUTH");
    assert.equal(errorOf(await downloadChunk(c, recipientIds[0], stranger)), "AUTH");
    // a sender ID where a recipient ID belongs, and the other way round
    assert.equal(errorOf(await downloadChunk(c, senderId, chunk.sender)), "AUTH");
    const del = await c.command({ type: "FDEL" }, recipientIds[0], chunk.recipients[0].privateKey);
    assert.equal(errorOf(del.response), "AUTH");
    const unknown = await c.command({ type: "FDEL" }, new Uint8Array(16), stranger.privateKey);
    assert.equal(errorOf(unknown.response), "AUTH");
    // FNEW signed with a key other than the sender key in it
    const { response } = await c.command(
      {
        type: "FNEW",
        sndKey: chunk.sender.publicKey,
        size: CHUNK,
        digest: chunk.digest,
        rcvKeys: [chunk.recipients[0].publicKey],
      },
      undefined,
      stranger.privateKey,
    );
    assert.equal(errorOf(response), "AUTH");
    assert.deepEqual(await listFiles(h.filesPath), []);
  }));

Deno.test("malformed blocks: short, bad padding, bad batch, wrong session, unknown and bad commands", () =>
  withServer(async (h) => {
    const c = await h.connect();
    const send = async (body: Uint8Array) =>
      errorOf(decodeResponse((await c.request(body)).body, c.sessionId).response);
    assert.equal(await send(new Uint8Array(100)), "BLOCK");
    const badPad = new Uint8Array(XFTP_BLOCK_SIZE);
    badPad[0] = 0xff;
    assert.equal(await send(badPad), "BLOCK");
    assert.equal(await send(pad(Uint8Array.of(2, 0, 0), XFTP_BLOCK_SIZE)), "BLOCK");
    const t = (sessionId: Uint8Array, cmd: string, entity = new Uint8Array(0)) =>
      encodeXftpBlock(
        transmissionForAuth(sessionId, new Uint8Array(0), entity, new TextEncoder().encode(cmd)),
      );
    // responses to session errors are bound to the client's real session
    const wrongSession = await c.request(t(new Uint8Array(32), "PING"));
    assert.equal(errorOf(decodeResponse(wrongSession.body, c.sessionId).response), "SESSION");
    assert.equal(await send(t(c.sessionId, "HELO")), "CMD UNKNOWN");
    assert.equal(await send(t(c.sessionId, "FGET ")), "CMD SYNTAX");
    assert.equal(await send(t(c.sessionId, "PING", new Uint8Array(16))), "CMD HAS_AUTH");
    assert.equal(await send(t(c.sessionId, "FDEL", new Uint8Array(16))), "CMD NO_AUTH");
    assert.equal(await send(t(c.sessionId, "FNEW 1")), "CMD SYNTAX");
    // a signature of a length no key has
    const odd = encodeXftpBlock(
      transmissionForAuth(
        c.sessionId,
        new Uint8Array(0),
        new Uint8Array(16),
        new TextEncoder().encode("FDEL"),
      ),
      new Uint8Array(10),
    );
    assert.equal(await send(odd), "BLOCK");
  }));

Deno.test("handshake errors: a body on the native hello, a command instead of the client handshake", () =>
  withServer(async (h) => {
    const c = await h.connect({ handshake: false });
    const handshakeError = (body: Uint8Array) =>
      new TextDecoder().decode(body.subarray(2, 2 + ((body[0] << 8) | body[1])));
    const first = await c.request(new Uint8Array(100));
    assert.equal(first.body.length, XFTP_BLOCK_SIZE);
    assert.equal(handshakeError(first.body), "HANDSHAKE");
    assert.equal((await c.request(new Uint8Array(0))).body.length, XFTP_BLOCK_SIZE); // the hello
    const ping = encodeXftpBlock(
      transmissionForAuth(
        c.tls.sessionId,
        new Uint8Array(0),
        new Uint8Array(0),
        new TextEncoder().encode("PING"),
      ),
    );
    assert.equal(handshakeError((await c.request(ping)).body), "HANDSHAKE");
  }));

Deno.test("4 MiB chunks stream up and down", () =>
  withServer(async (h) => {
    const c = await h.connect();
    const chunk = makeChunk(1, 4 * 1024 * 1024);
    const { senderId, recipientIds } = await createChunk(c, chunk);
    assert.equal(errorOf(await uploadChunk(c, senderId, chunk)), "OK");
    assert.deepEqual(await downloadChunk(c, recipientIds[0], chunk.recipients[0]), chunk.bytes);
  }));

Deno.test("uploads and downloads abandoned half-way leave nothing behind and the quota intact", () =>
  withServer(async (h) => {
    const c = await h.connect();
    const chunk = makeChunk(1, 1024 * 1024);
    const { senderId, recipientIds } = await createChunk(c, chunk);
    const block = encodeCommandBlock(
      c.sessionId,
      new Uint8Array(0),
      senderId,
      { type: "FPUT" },
      chunk.sender.privateKey,
    );
    // a stream reset in the middle of the body
    const req = c.session.request({ ":method": "POST", ":path": "/" });
    req.on("error", () => {});
    req.write(block);
    req.write(chunk.bytes.subarray(0, 300_000));
    await delay(50);
    req.close(http2.constants.NGHTTP2_CANCEL);
    // a connection dropped in the middle of the body
    const other = await h.connect();
    const req2 = other.session.request({ ":method": "POST", ":path": "/" });
    req2.on("error", () => {});
    req2.write(
      encodeCommandBlock(
        other.sessionId,
        new Uint8Array(0),
        senderId,
        { type: "FPUT" },
        chunk.sender.privateKey,
      ),
    );
    req2.write(chunk.bytes.subarray(0, 300_000));
    await delay(50);
    other.tls.duplex.destroy();
    await delay(100);
    assert.deepEqual(await listFiles(h.filesPath), []);
    assert.equal(h.server.files.usedStorage, 0);
    assert.equal(errorOf(await uploadChunk(c, senderId, chunk)), "OK");
    // a download reset after its first bytes
    const dl = c.session.request({ ":method": "POST", ":path": "/" });
    dl.on("error", () => {});
    const dhKey = generateKeyPair("X25519").publicKey;
    dl.end(
      encodeCommandBlock(
        c.sessionId,
        new Uint8Array(0),
        recipientIds[0],
        { type: "FGET", dhKey },
        chunk.recipients[0].privateKey,
      ),
    );
    await new Promise((resolve) => dl.once("data", resolve));
    dl.close(http2.constants.NGHTTP2_CANCEL);
    assert.deepEqual(await downloadChunk(c, recipientIds[0], chunk.recipients[0]), chunk.bytes);
  }));
