import assert from "node:assert/strict";
import {
  authorize,
  decodeCommandBlock,
  decodeResponseBlock,
  encodeCommandBlock,
  encodeResponseBlock,
  encodeXftpBlock,
  parseXftpBlock,
  transmissionForAuth,
  verifyAuthorization,
  XFTP_BLOCK_SIZE,
} from "./transmission.ts";
import { encodeFileCommand, type FileCommand } from "./commands.ts";
import { generateKeyPair } from "../crypto/keys.ts";
import { concatBytes } from "../encoding/bytes.ts";
import { pad } from "../encoding/padding.ts";

const ascii = (s: string) => new TextEncoder().encode(s);
const sessionId = new Uint8Array(32).fill(5);
const corrId = new Uint8Array(24).fill(6);
const fileId = new Uint8Array(16).fill(7);
const EMPTY = new Uint8Array(0);
const sender = generateKeyPair("Ed25519");

const fnew: FileCommand = {
  type: "FNEW",
  sndKey: sender.publicKey,
  size: 65536,
  digest: new Uint8Array(32),
  rcvKeys: [generateKeyPair("Ed448").publicKey],
};

Deno.test("a signed command block decodes to the command, its authorization and the signed bytes", () => {
  const block = encodeCommandBlock(sessionId, corrId, EMPTY, fnew, sender.privateKey);
  assert.equal(block.length, XFTP_BLOCK_SIZE);
  const d = decodeCommandBlock(block, sessionId);
  assert.ok(d.ok);
  assert.deepEqual(d.command, fnew);
  assert.deepEqual(d.corrId, corrId);
  assert.deepEqual(d.entityId, EMPTY);
  assert.deepEqual(d.authorized, transmissionForAuth(sessionId, corrId, EMPTY, encodeFileCommand(fnew)));
  assert.ok(verifyAuthorization(sender.publicKey, d));
  assert.ok(!verifyAuthorization(generateKeyPair("Ed25519").publicKey, d));
});

Deno.test("an Ed448-signed command verifies", () => {
  const k = generateKeyPair("Ed448");
  const d = decodeCommandBlock(
    encodeCommandBlock(sessionId, corrId, fileId, { type: "FDEL" }, k.privateKey),
    sessionId,
  );
  assert.ok(d.ok);
  assert.equal(d.authorization.length, 114);
  assert.ok(verifyAuthorization(k.publicKey, d));
});

Deno.test("an X25519 authenticator verifies with the server's handshake DH key and the corrId nonce", () => {
  const client = generateKeyPair("X25519");
  const server = generateKeyPair("X25519");
  const key = { key: client.privateKey, serverDhKey: server.publicKey };
  const d = decodeCommandBlock(
    encodeCommandBlock(sessionId, corrId, fileId, { type: "FACK" }, key),
    sessionId,
  );
  assert.ok(d.ok);
  assert.equal(d.authorization.length, 80);
  assert.ok(verifyAuthorization(client.publicKey, d, server.privateKey));
  assert.ok(!verifyAuthorization(client.publicKey, d));
  assert.ok(!verifyAuthorization(client.publicKey, { ...d, corrId: EMPTY }, server.privateKey));
  assert.ok(!verifyAuthorization(client.publicKey, d, generateKeyPair("X25519").privateKey));
});

Deno.test("a response block round-trips with corrId and entity echoed", () => {
  const block = encodeResponseBlock(3, sessionId, corrId, fileId, { type: "OK" });
  assert.deepEqual(decodeResponseBlock(block, sessionId), {
    ok: true,
    corrId,
    entityId: fileId,
    response: { type: "OK" },
  });
  const err = encodeResponseBlock(1, sessionId, corrId, EMPTY, {
    type: "ERR",
    error: { type: "BLOCKED", info: { reason: "spam" } },
  });
  const d = decodeResponseBlock(err, sessionId);
  assert.ok(d.ok);
  assert.deepEqual(d.response, { type: "ERR", error: { type: "AUTH" } });
});

Deno.test("client-side checks: wrong session is SESSION, a PONG with an entity is HAS_AUTH", () => {
  const pong = encodeResponseBlock(3, sessionId, corrId, fileId, { type: "PONG" });
  assert.deepEqual(decodeResponseBlock(pong, sessionId), {
    ok: false,
    corrId,
    entityId: fileId,
    error: { type: "CMD", error: "HAS_AUTH" },
  });
  const ok = encodeResponseBlock(3, sessionId, corrId, fileId, { type: "OK" });
  assert.deepEqual(decodeResponseBlock(ok, new Uint8Array(32)), {
    ok: false,
    corrId,
    entityId: EMPTY,
    error: { type: "SESSION" },
  });
});

Deno.test("server-side errors: BLOCK, SESSION, CMD UNKNOWN/SYNTAX/NO_AUTH/HAS_AUTH with what to echo", () => {
  const block = (t: Uint8Array) =>
    pad(concatBytes(Uint8Array.of(1, t.length >> 8, t.length & 0xff), t), 16384);
  const raw = (auth: Uint8Array, entity: Uint8Array, cmd: Uint8Array) =>
    encodeXftpBlock(transmissionForAuth(sessionId, corrId, entity, cmd), auth);
  const err = (error: unknown, c = corrId, e = EMPTY) => ({ ok: false, corrId: c, entityId: e, error });
  const sig = new Uint8Array(64);
  assert.deepEqual(decodeCommandBlock(new Uint8Array(100), sessionId), err({ type: "BLOCK" }, EMPTY));
  assert.deepEqual(
    decodeCommandBlock(new Uint8Array(16384).fill(0xff), sessionId),
    err({ type: "BLOCK" }, EMPTY),
  );
  assert.deepEqual(
    decodeCommandBlock(pad(Uint8Array.of(2), 16384), sessionId),
    err({ type: "BLOCK" }, EMPTY),
  );
  // two transmissions in one block
  const two = pad(Uint8Array.of(2, 0, 1, 0, 0, 1, 0), 16384);
  assert.deepEqual(decodeCommandBlock(two, sessionId), err({ type: "BLOCK" }, EMPTY));
  // trailing bytes after the transmission, and a transmission shorter than its fields
  assert.deepEqual(
    decodeCommandBlock(pad(Uint8Array.of(1, 0, 1, 0, 9), 16384), sessionId),
    err({ type: "BLOCK" }, EMPTY),
  );
  assert.deepEqual(
    decodeCommandBlock(block(Uint8Array.of(0, 5, 1)), sessionId),
    err({ type: "BLOCK" }, EMPTY),
  );
  assert.deepEqual(
    decodeCommandBlock(raw(EMPTY, EMPTY, ascii("PING")), new Uint8Array(32)),
    err({ type: "SESSION" }),
  );
  assert.deepEqual(
    decodeCommandBlock(raw(new Uint8Array(10), fileId, ascii("FPUT")), sessionId),
    err({ type: "BLOCK" }),
  );
  assert.deepEqual(
    decodeCommandBlock(raw(sig, fileId, ascii("FPUX")), sessionId),
    err({ type: "CMD", error: "UNKNOWN" }, corrId, fileId),
  );
  assert.deepEqual(
    decodeCommandBlock(raw(sig, fileId, ascii("FPUT 1")), sessionId),
    err({ type: "CMD", error: "SYNTAX" }, corrId, fileId),
  );
  assert.deepEqual(
    decodeCommandBlock(raw(EMPTY, fileId, ascii("FPUT")), sessionId),
    err({ type: "CMD", error: "NO_AUTH" }, corrId, fileId),
  );
  assert.deepEqual(
    decodeCommandBlock(raw(sig, EMPTY, ascii("PING")), sessionId),
    err({ type: "CMD", error: "HAS_AUTH" }),
  );
  const ping = decodeCommandBlock(raw(EMPTY, EMPTY, ascii("PING")), sessionId);
  assert.ok(ping.ok);
  assert.deepEqual(ping.command, { type: "PING" });
});

Deno.test("parseXftpBlock exposes the authorized bytes as they are on the wire", () => {
  const authorized = transmissionForAuth(sessionId, corrId, fileId, ascii("FACK"));
  const authorization = authorize(sender.privateKey, authorized, corrId);
  const parsed = parseXftpBlock(encodeXftpBlock(authorized, authorization));
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.value.authorized, authorized);
  assert.deepEqual(parsed.value.authorization, authorization);
  assert.deepEqual(parsed.value.command, ascii("FACK"));
});

Deno.test("a block that does not fit throws rather than truncating", () => {
  assert.throws(() => encodeXftpBlock(new Uint8Array(16380)));
});
