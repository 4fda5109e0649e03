import assert from "node:assert/strict";
import { xsalsa20poly1305 } from "@noble/ciphers/salsa.js";
import { x25519 } from "@noble/curves/ed25519.js";
import { fromHex, toHex } from "../encoding/bytes.ts";
import { pad } from "../encoding/padding.ts";
import {
  cbDecrypt,
  cbDecryptNoPad,
  cbEncrypt,
  cbEncryptNoPad,
  cbNonce,
  cryptoBox,
  cryptoBoxOpen,
  reverseNonce,
  sbDecrypt,
  sbDecryptNoPad,
  sbEncrypt,
  sbEncryptNoPad,
} from "./box.ts";
import { hsalsa20 } from "./_xsalsa20.ts";
import { sha256 } from "./hash.ts";
import { randomBytes } from "./keys.ts";

/** Bytes `first, first+1, …, last`, the key/nonce pattern of the upstream vectors. */
const run = (first: number, last: number) =>
  Uint8Array.from({ length: last - first + 1 }, (_, i) => first + i);
const utf8 = (s: string) => new TextEncoder().encode(s);

// xftp.md §6 golden vectors (from xftp-web dist, byte-identical to Haskell): key 01..20, nonce 01..18.
const KEY = run(1, 32);
const NONCE = run(1, 24);

Deno.test("HSalsa20(01..20, 0^16) matches the xftp.md §6 vector", () => {
  assert.equal(
    toHex(hsalsa20(KEY, new Uint8Array(16))),
    "12b02daad2462fee676287c5f9b0a7107d7aa4776bd59c360e3e3ae84cd72063",
  );
});

Deno.test('cryptoBox("abc") is tag ‖ ciphertext as in xftp.md §6', () => {
  assert.equal(toHex(cryptoBox(KEY, NONCE, utf8("abc"))), "f6bd8a2dd5b69126f695fd72260b0c71b9e69d");
});

Deno.test('cbEncrypt("abc", pad 32) is 48 bytes as in xftp.md §6', () => {
  assert.equal(
    toHex(cbEncrypt(KEY, NONCE, utf8("abc"), 32)),
    "a3076371132e477d1f1cb35259d35375d8879f0d27891b1af6f0f69a5f66969f" +
      "2cd513eedc4fc6e672553847694f734f",
  );
});

Deno.test('V1: sbEncrypt("hello NaCl secretbox", pad 256) matches smp.md §7.2', () => {
  const packet = sbEncrypt(KEY, NONCE, utf8("hello NaCl secretbox"), 256);
  assert.equal(packet.length, 272);
  assert.equal(toHex(sha256(packet)), "77cb90ec68815fe43db9bd72578b5bb0d54b5b51c0dea3fd9aabb6b066bd3396");
  assert.equal(
    toHex(packet.subarray(0, 48)),
    "bc861d7776bd7b5ef059d8b5b415d38ad890960a28c657199bb296d55c36d0df" +
      "7d9344af9014c6e672553847694f734f",
  );
  const opened = sbDecrypt(KEY, NONCE, packet);
  assert.ok(opened.ok);
  assert.equal(new TextDecoder().decode(opened.value), "hello NaCl secretbox");
});

Deno.test("cryptoBox equals noble secretbox under HSalsa20(key, 0^16) for random inputs", () => {
  for (const len of [0, 1, 31, 32, 33, 63, 64, 65, 100, 1000, 16384, 70000]) {
    const key = randomBytes(32), nonce = randomBytes(24), msg = randomBytes(len);
    const expected = xsalsa20poly1305(hsalsa20(key, new Uint8Array(16)), nonce).encrypt(msg);
    assert.deepEqual(cryptoBox(key, nonce, msg), expected, `length ${len}`);
  }
});

Deno.test("cbEncryptNoPad with a raw X25519 secret is NaCl crypto_box (beforenm = HSalsa20(shared, 0^16))", () => {
  const alice = randomBytes(32), bob = randomBytes(32), nonce = randomBytes(24), msg = randomBytes(300);
  const shared = x25519.getSharedSecret(alice, x25519.getPublicKey(bob));
  const naclBox = xsalsa20poly1305(hsalsa20(shared, new Uint8Array(16)), nonce).encrypt(msg);
  assert.deepEqual(cbEncryptNoPad(shared, nonce, msg), naclBox);
  assert.deepEqual(cbDecryptNoPad(shared, nonce, naclBox), { ok: true, value: msg });
});

Deno.test("cryptoBox round-trips messages of every size around the block boundaries", () => {
  for (let len = 0; len < 200; len++) {
    const key = randomBytes(32), nonce = randomBytes(24), msg = randomBytes(len);
    const packet = cryptoBox(key, nonce, msg);
    assert.equal(packet.length, len + 16);
    assert.deepEqual(cryptoBoxOpen(key, nonce, packet), { ok: true, value: msg });
  }
});

Deno.test("cryptoBoxOpen rejects any flipped bit as DECRYPT", () => {
  const key = randomBytes(32), nonce = randomBytes(24);
  const packet = cryptoBox(key, nonce, randomBytes(80));
  for (let i = 0; i < packet.length; i++) {
    const bad = packet.slice();
    bad[i] ^= 1 << (i % 8);
    assert.deepEqual(cryptoBoxOpen(key, nonce, bad), { ok: false, error: "DECRYPT" }, `byte ${i}`);
  }
});

Deno.test("cryptoBoxOpen rejects truncated, extended and empty packets as DECRYPT", () => {
  const key = randomBytes(32), nonce = randomBytes(24);
  const packet = cryptoBox(key, nonce, randomBytes(40));
  for (
    const bad of [packet.subarray(0, 55), packet.subarray(0, 16), packet.subarray(0, 15), new Uint8Array(0)]
  ) {
    assert.deepEqual(cryptoBoxOpen(key, nonce, bad), { ok: false, error: "DECRYPT" });
  }
  const extended = new Uint8Array(packet.length + 1);
  extended.set(packet);
  assert.deepEqual(cryptoBoxOpen(key, nonce, extended), { ok: false, error: "DECRYPT" });
});

Deno.test("cryptoBoxOpen rejects the wrong key or nonce as DECRYPT", () => {
  const key = randomBytes(32), nonce = randomBytes(24);
  const packet = cryptoBox(key, nonce, utf8("secret"));
  assert.deepEqual(cryptoBoxOpen(randomBytes(32), nonce, packet), { ok: false, error: "DECRYPT" });
  assert.deepEqual(cryptoBoxOpen(key, reverseNonce(nonce), packet), { ok: false, error: "DECRYPT" });
});

Deno.test("cryptoBoxOpen does not modify the packet", () => {
  const key = randomBytes(32), nonce = randomBytes(24);
  const packet = cryptoBox(key, nonce, randomBytes(100));
  const copy = packet.slice();
  assert.ok(cryptoBoxOpen(key, nonce, packet).ok);
  assert.deepEqual(packet, copy);
});

Deno.test("padded box output is always paddedLength + 16 bytes and unpads to the message", () => {
  const key = randomBytes(32), nonce = randomBytes(24);
  for (const len of [0, 1, 100, 16366]) {
    const msg = randomBytes(len);
    const packet = sbEncrypt(key, nonce, msg, 16368);
    assert.equal(packet.length, 16384);
    assert.deepEqual(sbDecrypt(key, nonce, packet), { ok: true, value: msg });
    assert.deepEqual(cbDecrypt(key, nonce, cbEncrypt(key, nonce, msg, 16368)), { ok: true, value: msg });
  }
});

Deno.test("padded encryption of a message that does not fit throws PaddingError", () => {
  assert.throws(() => sbEncrypt(KEY, NONCE, new Uint8Array(31), 32), { name: "PaddingError" });
});

Deno.test("an authentic box with a bad length prefix is PADDING, not a crash", () => {
  const key = randomBytes(32), nonce = randomBytes(24);
  const lying = new Uint8Array(12);
  lying.set(fromHex("ffff")); // declares 65535 bytes but carries 10
  assert.deepEqual(sbDecrypt(key, nonce, sbEncryptNoPad(key, nonce, lying)), { ok: false, error: "PADDING" });
  assert.deepEqual(sbDecrypt(key, nonce, sbEncryptNoPad(key, nonce, new Uint8Array(1))), {
    ok: false,
    error: "PADDING",
  });
  assert.deepEqual(sbDecryptNoPad(key, nonce, sbEncryptNoPad(key, nonce, lying)), { ok: true, value: lying });
});

Deno.test("padded and unpadded boxes differ only by the padding", () => {
  const key = randomBytes(32), nonce = randomBytes(24), msg = randomBytes(50);
  assert.deepEqual(sbEncrypt(key, nonce, msg, 100), sbEncryptNoPad(key, nonce, pad(msg, 100)));
});

Deno.test("cbNonce truncates or zero-pads on the right to 24 bytes", () => {
  assert.deepEqual(cbNonce(run(1, 24)), run(1, 24));
  assert.deepEqual(cbNonce(run(1, 30)), run(1, 24));
  assert.deepEqual(cbNonce(utf8("abcd")), Uint8Array.from([...utf8("abcd"), ...new Uint8Array(20)]));
  assert.deepEqual(cbNonce(new Uint8Array(0)), new Uint8Array(24));
});

Deno.test("reverseNonce reverses without touching its input", () => {
  const n = run(1, 24);
  assert.deepEqual(reverseNonce(n), run(1, 24).reverse());
  assert.deepEqual(n, run(1, 24));
  assert.deepEqual(reverseNonce(reverseNonce(n)), n);
});

Deno.test("keys and nonces of the wrong length are programmer errors", () => {
  assert.throws(() => cryptoBox(new Uint8Array(31), NONCE, new Uint8Array(1)), RangeError);
  assert.throws(() => cryptoBox(KEY, new Uint8Array(12), new Uint8Array(1)), RangeError);
});
