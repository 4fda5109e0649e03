import assert from "node:assert/strict";
import {
  checkCredentials,
  checkResponseCredentials,
  encodeFileCommand,
  encodeFileResponse,
  type FileCommand,
  type FileResponse,
  parseFileCommand,
  parseFileResponse,
} from "./commands.ts";
import { generateKeyPair } from "../crypto/keys.ts";
import { concatBytes, toHex } from "../encoding/bytes.ts";

const ascii = (s: string) => new TextEncoder().encode(s);
const ed = generateKeyPair("Ed25519").publicKey;
const ed448 = generateKeyPair("Ed448").publicKey;
const xAuth = generateKeyPair("X25519").publicKey;
const dh = generateKeyPair("X25519").publicKey;
const id = (n: number) => new Uint8Array(16).fill(n);
const EMPTY = new Uint8Array(0);

const commands: FileCommand[] = [
  { type: "FNEW", sndKey: ed, size: 65536, digest: new Uint8Array(32).fill(7), rcvKeys: [ed, ed448, xAuth] },
  { type: "FNEW", sndKey: ed448, size: 4194304, digest: id(1), rcvKeys: [ed], basicAuth: ascii("pass#1") },
  { type: "FADD", rcvKeys: [ed, xAuth] },
  { type: "FPUT" },
  { type: "FDEL" },
  { type: "FGET", dhKey: dh },
  { type: "FACK" },
  { type: "PING" },
];

const responses: FileResponse[] = [
  { type: "SIDS", senderId: id(1), recipientIds: [id(2), id(3)] },
  { type: "RIDS", recipientIds: [id(4)] },
  { type: "FILE", dhKey: dh, nonce: new Uint8Array(24).fill(9) },
  { type: "OK" },
  { type: "PONG" },
  { type: "ERR", error: { type: "CMD", error: "SYNTAX" } },
  { type: "ERR", error: { type: "NO_FILE" } },
  { type: "ERR", error: { type: "BLOCKED", info: { reason: "spam", notice: { ttl: 3600 } } } },
];

Deno.test("every command round-trips", () => {
  for (const cmd of commands) {
    assert.deepEqual(parseFileCommand(encodeFileCommand(cmd)), { ok: true, command: cmd }, cmd.type);
  }
});

Deno.test("every response round-trips at v3", () => {
  for (const resp of responses) {
    assert.deepEqual(parseFileResponse(encodeFileResponse(3, resp)), { ok: true, response: resp }, resp.type);
  }
});

Deno.test("FNEW layout: space, short(SPKI), W32 size, short digest, key list, Maybe password", () => {
  const bytes = encodeFileCommand({
    type: "FNEW",
    sndKey: ed,
    size: 0x010203,
    digest: ascii("d"),
    rcvKeys: [ed],
  });
  assert.equal(toHex(bytes.subarray(0, 6)), "464e4557202c"); // "FNEW " ‖ 44
  assert.equal(toHex(bytes.subarray(50, 57)), "00010203016401"); // size, short("d"), one key
  assert.equal(bytes.length, 57 + 45 + 1);
  assert.equal(bytes[bytes.length - 1], 0x30); // no password
});

Deno.test("FILE carries the 24-byte nonce raw after the key", () => {
  const nonce = new Uint8Array(24).fill(0xaa);
  const bytes = encodeFileResponse(3, { type: "FILE", dhKey: dh, nonce });
  assert.equal(bytes.length, 5 + 45 + 24);
  assert.deepEqual(bytes.subarray(-24), nonce);
});

Deno.test("ERR BLOCKED is sent as ERR AUTH before v3", () => {
  const blocked: FileResponse = { type: "ERR", error: { type: "BLOCKED", info: { reason: "content" } } };
  assert.equal(new TextDecoder().decode(encodeFileResponse(3, blocked)), "ERR BLOCKED reason=content");
  assert.equal(new TextDecoder().decode(encodeFileResponse(2, blocked)), "ERR AUTH");
});

Deno.test("unknown tags are CMD UNKNOWN, malformed parameters CMD SYNTAX", () => {
  const unknown = { ok: false, error: { type: "CMD", error: "UNKNOWN" } };
  const syntax = { ok: false, error: { type: "CMD", error: "SYNTAX" } };
  assert.deepEqual(parseFileCommand(ascii("FOO")), unknown);
  assert.deepEqual(parseFileCommand(ascii("fput")), unknown);
  assert.deepEqual(parseFileCommand(ascii("")), unknown);
  assert.deepEqual(parseFileCommand(ascii("FPUT ")), syntax);
  assert.deepEqual(parseFileCommand(ascii("FACK x")), syntax);
  assert.deepEqual(parseFileCommand(ascii("FGET")), syntax);
  assert.deepEqual(parseFileCommand(ascii("FADD \x00")), syntax); // empty NonEmpty list
  const fget = encodeFileCommand({ type: "FGET", dhKey: dh });
  assert.deepEqual(parseFileCommand(fget.subarray(0, fget.length - 1)), syntax);
  assert.deepEqual(parseFileCommand(concatBytes(fget, ascii("!"))), syntax);
  // FGET needs an X25519 key, not a signature key
  const withEd = encodeFileCommand({ type: "FADD", rcvKeys: [ed] });
  assert.deepEqual(parseFileCommand(concatBytes(ascii("FGET "), withEd.subarray(6))), syntax);
  assert.deepEqual(parseFileResponse(ascii("NOPE")), unknown);
  assert.deepEqual(parseFileResponse(ascii("ERR WHAT")), syntax);
});

Deno.test("FNEW rejects a password with a forbidden character", () => {
  const bytes = encodeFileCommand({
    type: "FNEW",
    sndKey: ed,
    size: 1,
    digest: id(0),
    rcvKeys: [ed],
    basicAuth: ascii("a:b"),
  });
  assert.deepEqual(parseFileCommand(bytes), { ok: false, error: { type: "CMD", error: "SYNTAX" } });
});

Deno.test("checkCredentials: FNEW signed without entity, PING neither, the rest both", () => {
  const fnew = commands[0];
  const noAuth = { type: "CMD", error: "NO_AUTH" };
  const hasAuth = { type: "CMD", error: "HAS_AUTH" };
  assert.equal(checkCredentials(fnew, true, EMPTY), undefined);
  assert.deepEqual(checkCredentials(fnew, false, EMPTY), noAuth);
  assert.deepEqual(checkCredentials(fnew, true, id(1)), hasAuth);
  assert.equal(checkCredentials({ type: "PING" }, false, EMPTY), undefined);
  assert.deepEqual(checkCredentials({ type: "PING" }, true, EMPTY), hasAuth);
  assert.deepEqual(checkCredentials({ type: "PING" }, false, id(1)), hasAuth);
  for (const cmd of commands.slice(2, 7)) {
    assert.equal(checkCredentials(cmd, true, id(1)), undefined, cmd.type);
    assert.deepEqual(checkCredentials(cmd, false, id(1)), noAuth, cmd.type);
    assert.deepEqual(checkCredentials(cmd, true, EMPTY), noAuth, cmd.type);
  }
});

Deno.test("checkResponseCredentials: SIDS/PONG without entity, FILE/OK/RIDS with one, ERR either", () => {
  for (const resp of responses) {
    const withEntity = checkResponseCredentials(resp, id(1));
    const without = checkResponseCredentials(resp, EMPTY);
    if (resp.type === "SIDS" || resp.type === "PONG") {
      assert.deepEqual([withEntity, without], [{ type: "CMD", error: "HAS_AUTH" }, undefined], resp.type);
    } else if (resp.type === "ERR") {
      assert.deepEqual([withEntity, without], [undefined, undefined]);
    } else {
      assert.deepEqual([withEntity, without], [undefined, { type: "CMD", error: "NO_ENTITY" }], resp.type);
    }
  }
});
