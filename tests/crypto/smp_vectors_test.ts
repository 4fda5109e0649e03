/**
 * The derived SMP vectors of smp.md §7.2 that exercise core/crypto, composed the way the protocol
 * composes them (V1 and V3's key schedule are in core/crypto/box_test.ts and sb_chain_test.ts).
 * smp.md says V2-V7 were derived from the Crypto.hs semantics with node:crypto, tweetnacl and
 * libsodium, not yet confirmed against a Haskell build.
 */
import assert from "node:assert/strict";
import { concatBytes, fromHex, toHex } from "../../core/encoding/bytes.ts";
import { decodeBase64Url } from "../../core/encoding/base64.ts";
import {
  cbDecrypt,
  cbEncrypt,
  cbNonce,
  decodePrivateKeyDer,
  dh,
  encodePublicKeyDer,
  type PrivateKey,
  privateKey,
  publicKeyOf,
  sbcHkdf,
  sbcInit,
  sbDecrypt,
  sbEncrypt,
  sha256,
  sha3_384,
  sign,
  type SignatureAlgorithm,
  verify,
} from "../../core/crypto/mod.ts";

const run = (first: number, last: number) =>
  Uint8Array.from({ length: last - first + 1 }, (_, i) => first + i);
const ascii = (s: string) => new TextEncoder().encode(s);
const short = (b: Uint8Array) => concatBytes(Uint8Array.of(b.length), b);

const CORR_ID = run(1, 24);
/** Raw X25519(01..20, pub(21..40)), "dh as above" in smp.md §7.2. */
const DH = dh(publicKeyOf(privateKey("X25519", run(33, 64))), privateKey("X25519", run(1, 32)));

Deno.test("V3: the first server→client block (PONG) encrypts to the smp.md §7.2 digest", () => {
  const [ck1] = sbcInit(run(1, 32), run(33, 64));
  const { key, nonce } = sbcHkdf(ck1);
  // batch = u8 count ‖ large(t); t = short(auth "") ‖ short(corrId) ‖ short(entity "") ‖ "PONG"
  const t = concatBytes(short(new Uint8Array(0)), short(CORR_ID), short(new Uint8Array(0)), ascii("PONG"));
  const batch = concatBytes(Uint8Array.of(1, 0, t.length), t);
  assert.equal(toHex(batch), "01001f0018" + toHex(CORR_ID) + "00504f4e47");
  const block = sbEncrypt(key, nonce, batch, 16368);
  assert.equal(block.length, 16384);
  assert.equal(toHex(sha256(block)), "46579cb53de7790c423afc6f8194790e9c0f5665a5f64dc224124d5fc1e6ff0f");
  assert.deepEqual(sbDecrypt(key, nonce, block), { ok: true, value: batch });
});

Deno.test("V4: the MSG body is cbEncrypt(rcvDhSecret, cbNonce(msgId), …, 16106) = 16122 bytes", () => {
  const msgId = run(0x65, 0x7c);
  const ts = fromHex("000000006553f100"); // 1700000000 as i64
  const plaintext = concatBytes(ts, ascii("F hello"));
  assert.equal(toHex(plaintext), "000000006553f100" + "46" + "20" + "68656c6c6f");
  const encBody = cbEncrypt(DH, cbNonce(msgId), plaintext, 16106);
  assert.equal(encBody.length, 16122);
  assert.equal(toHex(sha256(encBody)), "94dfe7bce0d006cabe1ac40b4b1214a094cd4f4324ec374aff95a2bcaaa37a19");
  assert.deepEqual(cbDecrypt(DH, cbNonce(msgId), encBody), { ok: true, value: plaintext });
});

Deno.test("V5: the short-link senderId is SHA3-384(corrId)[0:24]", () => {
  assert.equal(toHex(sha3_384(CORR_ID).subarray(0, 24)), "3c63116120d91d131de483daf38f681ea36fddcfe9e98e41");
});

Deno.test("V6: the Ed25519 signature of a v18 SEND matches smp.md §7.2", () => {
  const key = privateKey("Ed25519", run(1, 32));
  assert.equal(
    toHex(publicKeyOf(key).raw),
    "79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664",
  );
  // authorized = short(sessionId) ‖ short(corrId) ‖ short(entityId) ‖ command
  const authorized = concatBytes(short(run(0xc9, 0xe8)), short(CORR_ID), short(CORR_ID), ascii("SEND F hi"));
  assert.equal(toHex(authorized.subarray(0, 2)), "20c9");
  assert.equal(toHex(authorized.subarray(-9)), "53454e442046206869");
  const signature = sign(key, authorized);
  assert.equal(
    toHex(signature),
    "930e7a60a5b678725df384ab87bac3e471aedf1c4e7ea0282ed0b847e01d828a" +
      "ea3a1decb3185367fc91e6e7c0b2589ef18fab4c540f33ab3fcea2fde4f2b003",
  );
  assert.ok(verify(publicKeyOf(key), authorized, signature));
});

Deno.test("V7: the server hello's signed session key matches smp.md §7.2", () => {
  // simplexmq tests/fixtures/ed25519/server.key (a public test key), PKCS#8 base64.
  const serverKey = decodePrivateKeyDer(
    decodeBase64Url("MC4CAQAwBQYDK2VwBCIEIJjrvSfyWU9Xdiery1u85BK0Syw5jmxIJdzo0idiIasu"),
  ) as PrivateKey<SignatureAlgorithm>;
  const sessionKey = encodePublicKeyDer(publicKeyOf(privateKey("X25519", run(1, 32))));
  // SignedExact: SEQUENCE { SEQUENCE { SPKI }, AlgorithmIdentifier Ed25519, BIT STRING signature }
  const tbs = concatBytes(fromHex("302c"), sessionKey);
  const signature = sign(serverKey, tbs);
  const signedKey = concatBytes(fromHex("3078"), tbs, fromHex("300506032b6570" + "034100"), signature);
  assert.equal(signedKey.length, 122);
  assert.equal(
    toHex(signedKey.subarray(0, 24)),
    "3078302c302a300506032b656e03210007a37cbc142093c8",
  );
  assert.equal(
    toHex(signedKey.subarray(48)),
    "300506032b6570034100" +
      "80fac6ca5dbb160b7c3222c8f0251d0cb1ecd411addbce8b50e33cba75cd3418" +
      "2ed409a533367c46a504a596caa994b730743bfebf8f693974a1183d49f6b307",
  );
});
