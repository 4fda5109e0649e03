/**
 * XFTP wire vectors from xftp.md §6 (generated with xftp-web's dist, which simplexmq's
 * XFTPWebTests check byte-for-byte against Haskell): the FNEW and PING blocks. Signer: Ed25519 from
 * seed 01..20; sessionId 40..5f; empty corrId and entity; FNEW size 65536, digest a0..bf, the same
 * key as sender and as the single recipient, no password.
 */
import assert from "node:assert/strict";
import { toHex } from "../../core/encoding/bytes.ts";
import {
  encodePrivateKeyDer,
  encodePublicKeyDer,
  privateKey,
  publicKeyOf,
  verify,
} from "../../core/crypto/keys.ts";
import { encodeBase64UrlUnpadded } from "../../core/encoding/base64.ts";
import {
  decodeCommandBlock,
  encodeCommandBlock,
  encodeFileCommand,
  type FileCommand,
  verifyAuthorization,
  XFTP_BLOCK_SIZE,
} from "../../core/xftp/mod.ts";

const run = (first: number, n: number) => Uint8Array.from({ length: n }, (_, i) => first + i);
const seedKey = privateKey("Ed25519", run(1, 32));
const seedPub = publicKeyOf(seedKey);
const sessionId = run(0x40, 32);
const EMPTY = new Uint8Array(0);

const fnew: FileCommand = {
  type: "FNEW",
  sndKey: seedPub,
  size: 65536,
  digest: run(0xa0, 32),
  rcvKeys: [seedPub],
};

Deno.test("§6: the seed 01..20 Ed25519 key in SPKI and PKCS#8", () => {
  assert.equal(
    toHex(encodePublicKeyDer(seedPub)),
    "302a300506032b657003210079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664",
  );
  assert.equal(
    encodeBase64UrlUnpadded(encodePrivateKeyDer(seedKey)),
    "MC4CAQAwBQYDK2VwBCIEIAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g",
  );
});

Deno.test("§6: FNEW command bytes (134 B)", () => {
  const bytes = encodeFileCommand(fnew);
  assert.equal(bytes.length, 134);
  assert.equal(
    toHex(bytes),
    "464e4557202c302a300506032b657003210079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664" +
      "0001000020a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf" +
      "012c302a300506032b657003210079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad04966430",
  );
});

Deno.test("§6: the signed FNEW block is byte-exact and its signature covers bytes [70, 239)", () => {
  const block = encodeCommandBlock(sessionId, EMPTY, EMPTY, fnew, seedKey);
  assert.equal(block.length, XFTP_BLOCK_SIZE);
  assert.equal((block[0] << 8) | block[1], 237);
  assert.equal(toHex(block.subarray(0, 12)), "00ed0100ea40ae8ebcec833f");
  const signature = block.subarray(6, 70);
  assert.equal(
    toHex(signature),
    "ae8ebcec833f3a79fd6e2fa1ecd4838d062bd3caf32dc6057433ec158e98069d" +
      "6b39ed76a41937d1dca1638c3bcd17238629b29e6d57b698521323fefab47003",
  );
  assert.equal(
    toHex(block.subarray(70, 110)),
    "20404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f0000464e455720",
  );
  assert.ok(verify(seedPub, block.subarray(70, 239), signature));
  assert.ok(block.subarray(239).every((b) => b === 0x23));

  const decoded = decodeCommandBlock(block, sessionId);
  assert.ok(decoded.ok);
  assert.deepEqual(decoded.command, fnew);
  assert.deepEqual(decoded.authorized, block.subarray(70, 239));
  assert.ok(verifyAuthorization(seedPub, decoded));
});

Deno.test("§6: the PING block is byte-exact", () => {
  const block = encodeCommandBlock(sessionId, EMPTY, EMPTY, { type: "PING" });
  assert.equal(
    toHex(block.subarray(0, 48)),
    "002b0100280020404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f000050494e47232323",
  );
  assert.ok(block.subarray(45).every((b) => b === 0x23));
  const decoded = decodeCommandBlock(block, sessionId);
  assert.ok(decoded.ok);
  assert.deepEqual(decoded.command, { type: "PING" });
});
