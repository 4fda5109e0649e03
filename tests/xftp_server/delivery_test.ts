/** XFTPServerTests "File chunk delivery": create, upload, download, recipients, delete, ack. */
import assert from "node:assert/strict";
import { encodeBase64Url } from "../../core/encoding/base64.ts";
import { generateKeyPair, type PublicKey, publicKeyOf } from "../../core/crypto/keys.ts";
import { verifySessionKey } from "../../core/smp/handshake.ts";
import { sha256 } from "../../core/crypto/hash.ts";
import {
  CHUNK,
  createChunk,
  downloadChunk,
  errorOf,
  expectType,
  listFiles,
  makeChunk,
  startServer,
  uploadChunk,
  xftpIdentity,
} from "./_harness.ts";

Deno.test("a chunk is created, uploaded, stored under its sender ID and downloaded", async () => {
  const h = await startServer();
  try {
    const c = await h.connect();
    const chunk = makeChunk(1);
    const { senderId, recipientIds } = await createChunk(c, chunk);
    assert.equal(senderId.length, 16);
    assert.equal(recipientIds.length, 1);
    assert.equal(errorOf(await uploadChunk(c, senderId, chunk)), "OK");
    assert.deepEqual(await Deno.readFile(`${h.filesPath}/${encodeBase64Url(senderId)}`), chunk.bytes);
    const got = await downloadChunk(c, recipientIds[0], chunk.recipients[0]);
    assert.deepEqual(got, chunk.bytes);
    // the client checks the digest of what it downloaded
    assert.deepEqual(sha256(got as Uint8Array), chunk.digest);
    assert.equal(h.server.files.stats.counters.fileDownloads, 1);
  } finally {
    await h.close();
  }
});

Deno.test("separate sender and recipient connections", async () => {
  const h = await startServer();
  try {
    const sender = await h.connect();
    const recipient = await h.connect();
    const chunk = makeChunk(1);
    const { senderId, recipientIds } = await createChunk(sender, chunk);
    assert.equal(errorOf(await uploadChunk(sender, senderId, chunk)), "OK");
    assert.deepEqual(await downloadChunk(recipient, recipientIds[0], chunk.recipients[0]), chunk.bytes);
  } finally {
    await h.close();
  }
});

Deno.test("an upload whose SHA-256 differs is DIGEST and leaves nothing behind", async () => {
  const h = await startServer();
  try {
    const c = await h.connect();
    const chunk = makeChunk(1);
    const { senderId, recipientIds } = await createChunk(c, chunk);
    const wrong = chunk.bytes.slice();
    wrong[100] ^= 1;
    assert.equal(errorOf(await uploadChunk(c, senderId, chunk, wrong)), "DIGEST");
    assert.deepEqual(await listFiles(h.filesPath), []);
    assert.equal(h.server.files.usedStorage, 0); // the reservation is released
    assert.equal(errorOf(await downloadChunk(c, recipientIds[0], chunk.recipients[0])), "NO_FILE");
    // the right bytes still upload afterwards
    assert.equal(errorOf(await uploadChunk(c, senderId, chunk)), "OK");
    assert.deepEqual(await downloadChunk(c, recipientIds[0], chunk.recipients[0]), chunk.bytes);
  } finally {
    await h.close();
  }
});

Deno.test("recipients added with FADD download too", async () => {
  const h = await startServer();
  try {
    const c = await h.connect();
    const chunk = makeChunk(1);
    const { senderId, recipientIds } = await createChunk(c, chunk);
    const more = [generateKeyPair("Ed25519"), generateKeyPair("Ed25519")];
    const { response } = await c.command(
      { type: "FADD", rcvKeys: more.map((k) => k.publicKey) },
      senderId,
      chunk.sender.privateKey,
    );
    const added = expectType(response, "RIDS").recipientIds;
    assert.equal(added.length, 2);
    assert.equal(errorOf(await uploadChunk(c, senderId, chunk)), "OK");
    const all = [[recipientIds[0], chunk.recipients[0]], [added[0], more[0]], [added[1], more[1]]] as const;
    for (const [rId, key] of all) assert.deepEqual(await downloadChunk(c, rId, key), chunk.bytes);
  } finally {
    await h.close();
  }
});

Deno.test("FDEL removes the file; recipients and a second FDEL get AUTH", async () => {
  const h = await startServer();
  try {
    const c = await h.connect();
    const chunk = makeChunk(2);
    const { senderId, recipientIds } = await createChunk(c, chunk);
    assert.equal(errorOf(await uploadChunk(c, senderId, chunk)), "OK");
    const del = () => c.command({ type: "FDEL" }, senderId, chunk.sender.privateKey);
    assert.equal(errorOf((await del()).response), "OK");
    assert.deepEqual(await listFiles(h.filesPath), []);
    for (let i = 0; i < 2; i++) {
      assert.equal(errorOf(await downloadChunk(c, recipientIds[i], chunk.recipients[i])), "AUTH");
    }
    assert.equal(errorOf((await del()).response), "AUTH");
    assert.equal(h.server.files.usedStorage, 0);
  } finally {
    await h.close();
  }
});

Deno.test("FACK removes one recipient; the file stays for the others", async () => {
  const h = await startServer();
  try {
    const c = await h.connect();
    const chunk = makeChunk(2);
    const { senderId, recipientIds } = await createChunk(c, chunk);
    assert.equal(errorOf(await uploadChunk(c, senderId, chunk)), "OK");
    assert.deepEqual(await downloadChunk(c, recipientIds[0], chunk.recipients[0]), chunk.bytes);
    const ack = () => c.command({ type: "FACK" }, recipientIds[0], chunk.recipients[0].privateKey);
    assert.equal(errorOf((await ack()).response), "OK");
    assert.deepEqual(await listFiles(h.filesPath), [encodeBase64Url(senderId)]);
    assert.equal(errorOf(await downloadChunk(c, recipientIds[0], chunk.recipients[0])), "AUTH");
    assert.equal(errorOf((await ack()).response), "AUTH");
    assert.deepEqual(await downloadChunk(c, recipientIds[1], chunk.recipients[1]), chunk.bytes);
  } finally {
    await h.close();
  }
});

Deno.test("FNEW with a size that is not a chunk size is SIZE", async () => {
  const h = await startServer();
  try {
    const c = await h.connect();
    const chunk = makeChunk(1, 96 * 1024);
    const { response } = await c.command(
      {
        type: "FNEW",
        sndKey: chunk.sender.publicKey,
        size: chunk.bytes.length,
        digest: chunk.digest,
        rcvKeys: [chunk.recipients[0].publicKey],
      },
      undefined,
      chunk.sender.privateKey,
    );
    assert.equal(errorOf(response), "SIZE");
    assert.equal(h.server.files.store.fileCount, 0);
  } finally {
    await h.close();
  }
});

Deno.test("re-uploading a committed chunk answers OK and keeps the original", async () => {
  const h = await startServer();
  try {
    const c = await h.connect();
    const chunk = makeChunk(1);
    const { senderId, recipientIds } = await createChunk(c, chunk);
    assert.equal(errorOf(await uploadChunk(c, senderId, chunk)), "OK");
    const other = crypto.getRandomValues(new Uint8Array(chunk.bytes.length));
    assert.equal(errorOf(await uploadChunk(c, senderId, chunk, other)), "OK");
    assert.deepEqual(await Deno.readFile(`${h.filesPath}/${encodeBase64Url(senderId)}`), chunk.bytes);
    assert.deepEqual(await downloadChunk(c, recipientIds[0], chunk.recipients[0]), chunk.bytes);
    // a re-upload of the wrong length is SIZE, still without touching the file
    assert.equal(errorOf(await uploadChunk(c, senderId, chunk, other.subarray(1))), "SIZE");
    assert.equal(h.server.files.usedStorage, chunk.bytes.length);
  } finally {
    await h.close();
  }
});

Deno.test("PING is answered with PONG", async () => {
  const h = await startServer();
  try {
    const c = await h.connect();
    assert.equal((await c.command({ type: "PING" })).response.type, "PONG");
  } finally {
    await h.close();
  }
});

Deno.test("a client without ALPN skips the handshake and speaks v1 on the TLS session ID", async () => {
  const h = await startServer();
  try {
    const c = await h.connect({ handshake: false, alpn: [] });
    assert.equal(c.tls.alpn, undefined);
    const chunk = makeChunk(1);
    const { senderId, recipientIds } = await createChunk(c, chunk);
    assert.equal(errorOf(await uploadChunk(c, senderId, chunk)), "OK");
    assert.deepEqual(await downloadChunk(c, recipientIds[0], chunk.recipients[0]), chunk.bytes);
  } finally {
    await h.close();
  }
});

Deno.test("X25519 keys authorize commands with an authenticator over the handshake DH key (v2+)", async () => {
  const h = await startServer();
  try {
    const c = await h.connect();
    const serverDhKey = verifySessionKey(c.hello!.signedDhKey, publicKeyOf(xftpIdentity.signKey));
    assert.ok(serverDhKey && serverDhKey.algorithm === "X25519");
    const sender = generateKeyPair("X25519");
    const recipient = generateKeyPair("Ed25519");
    const bytes = crypto.getRandomValues(new Uint8Array(CHUNK));
    const auth = { key: sender.privateKey, serverDhKey: serverDhKey as PublicKey<"X25519"> };
    const { response } = await c.command(
      {
        type: "FNEW",
        sndKey: sender.publicKey,
        size: CHUNK,
        digest: sha256(bytes),
        rcvKeys: [recipient.publicKey],
      },
      undefined,
      auth,
    );
    const { senderId, recipientIds } = expectType(response, "SIDS");
    const put = await c.command({ type: "FPUT" }, senderId, auth, bytes);
    assert.equal(errorOf(put.response), "OK");
    assert.deepEqual(await downloadChunk(c, recipientIds[0], recipient), bytes);
    // an authenticator made for another server key is refused
    const wrong = { key: sender.privateKey, serverDhKey: generateKeyPair("X25519").publicKey };
    assert.equal(errorOf((await c.command({ type: "FDEL" }, senderId, wrong)).response), "AUTH");
  } finally {
    await h.close();
  }
});
