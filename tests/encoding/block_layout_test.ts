/**
 * Block layouts from the protocol notes (xftp.md §1.5 and §6, derived from xftp-web, which is
 * byte-identical to the Haskell implementation), built with the shared encoders.
 * Inputs: Ed25519 seed 01..20, sessionId 40..5f, digest a0..bf, chunk size 65536.
 */
import assert from "node:assert/strict";
import { encode, type Writer } from "../../core/encoding/binary.ts";
import { fromHex, toHex } from "../../core/encoding/bytes.ts";
import { pad } from "../../core/encoding/padding.ts";
import { encodePublicKeyDer, privateKey, publicKeyOf, sign, verify } from "../../core/crypto/keys.ts";

const BLOCK_SIZE = 16384;
const range = (from: number, n: number) => Uint8Array.from({ length: n }, (_, i) => from + i);
const sessionId = range(0x40, 32);

/** `pad(0x01 ‖ large(short(auth) ‖ short(sessionId) ‖ short(corrId) ‖ short(entityId) ‖ cmd))` */
function xftpBlock(auth: Uint8Array, signed: Uint8Array): Uint8Array {
  const t = encode((w) => w.shortBytes(auth).bytes(signed));
  return pad(encode((w) => w.byte(1).largeBytes(t)), BLOCK_SIZE);
}

function signedPart(cmd: Uint8Array): Uint8Array {
  return encode((w) =>
    w.shortBytes(sessionId).shortBytes(new Uint8Array(0)).shortBytes(new Uint8Array(0)).bytes(cmd)
  );
}

Deno.test("PING block layout", () => {
  const block = xftpBlock(new Uint8Array(0), signedPart(new TextEncoder().encode("PING")));
  assert.equal(block.length, BLOCK_SIZE);
  assert.equal(
    toHex(block.subarray(0, 48)),
    "002b0100280020404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f000050494e47232323",
  );
  assert.ok(block.subarray(45).every((b) => b === 0x23));
});

Deno.test("FNEW command and signed block layout", () => {
  const sender = privateKey("Ed25519", range(1, 32));
  const senderKey = encodePublicKeyDer(publicKeyOf(sender));
  assert.equal(
    toHex(senderKey),
    "302a300506032b657003210079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664",
  );
  const cmd = encode((w: Writer) => {
    w.ascii("FNEW").space().shortBytes(senderKey).word32(65536).shortBytes(range(0xa0, 32));
    w.list([senderKey], (w, k) => w.shortBytes(k));
    w.maybe(undefined, (w, p: Uint8Array) => w.shortBytes(p));
  });
  assert.equal(cmd.length, 134);
  assert.equal(
    toHex(cmd),
    "464e4557202c302a300506032b657003210079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad0496640001000020" +
      "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf012c302a300506032b657003210079b5562e8fe654f9" +
      "4078b112e8a98ba7901f853ae695bed7e0e3910bad04966430",
  );
  const signed = signedPart(cmd);
  const signature = sign(sender, signed);
  assert.equal(
    toHex(signature),
    "ae8ebcec833f3a79fd6e2fa1ecd4838d062bd3caf32dc6057433ec158e98069d6b39ed76a41937d1dca1638c3bcd17238629b29e6d57b698521323fefab47003",
  );
  const block = xftpBlock(signature, signed);
  assert.equal(toHex(block.subarray(0, 12)), "00ed0100ea40ae8ebcec833f");
  assert.equal(
    toHex(block.subarray(70, 110)),
    "20404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f0000464e455720",
  );
  // the signature covers every byte of the transmission after the auth field: [70, 5 + 234)
  assert.ok(verify(publicKeyOf(sender), block.subarray(70, 239), signature));
  assert.ok(!verify(publicKeyOf(sender), block.subarray(69, 239), signature));
  assert.deepEqual(block.subarray(239, 241), fromHex("2323"));
});
