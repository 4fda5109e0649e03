import assert from "node:assert/strict";
import { gcm } from "@noble/ciphers/aes.js";
import { concatBytes } from "../encoding/bytes.ts";
import { pad } from "../encoding/padding.ts";
import {
  aesGcmDecrypt,
  aesGcmEncrypt,
  decryptAEAD,
  decryptAEADNoPad,
  encryptAEAD,
  encryptAEADNoPad,
} from "./aes_gcm.ts";
import { randomBytes } from "./keys.ts";

async function webCryptoGcm(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, pt: Uint8Array) {
  // WebCrypto wants ArrayBuffer-backed views: new Uint8Array(x) copies into one.
  const k = await crypto.subtle.importKey("raw", new Uint8Array(key), "AES-GCM", false, ["encrypt"]);
  const params = { name: "AES-GCM", iv: new Uint8Array(iv), additionalData: new Uint8Array(aad) };
  return new Uint8Array(await crypto.subtle.encrypt(params, k, new Uint8Array(pt)));
}

Deno.test("AES-256-GCM with 16- and 12-byte IVs agrees with WebCrypto and @noble/ciphers", async () => {
  for (const ivLength of [16, 12]) {
    for (const len of [0, 1, 15, 16, 17, 88, 1000]) {
      const key = randomBytes(32), iv = randomBytes(ivLength), aad = randomBytes(112), pt = randomBytes(len);
      const { ciphertext, tag } = aesGcmEncrypt(key, iv, aad, pt);
      const expected = await webCryptoGcm(key, iv, aad, pt);
      assert.deepEqual(concatBytes(ciphertext, tag), expected, `iv ${ivLength}, length ${len}`);
      assert.deepEqual(concatBytes(ciphertext, tag), gcm(key, iv, aad).encrypt(pt));
      assert.deepEqual(aesGcmDecrypt(key, iv, aad, ciphertext, tag), { ok: true, value: pt });
    }
  }
});

Deno.test("encryptAEAD pads to paddedLength and decryptAEAD unpads (ratchet header size 88)", () => {
  const key = randomBytes(32), iv = randomBytes(16), ad = randomBytes(112), msg = randomBytes(80);
  const { ciphertext, tag } = encryptAEAD(key, iv, 88, ad, msg);
  assert.equal(ciphertext.length, 88);
  assert.equal(tag.length, 16);
  assert.deepEqual(aesGcmDecrypt(key, iv, ad, ciphertext, tag), { ok: true, value: pad(msg, 88) });
  assert.deepEqual(decryptAEAD(key, iv, ad, ciphertext, tag), { ok: true, value: msg });
});

Deno.test("a changed key, IV, associated data, ciphertext or tag is AES_DECRYPT", () => {
  const key = randomBytes(32), iv = randomBytes(16), ad = randomBytes(40), msg = randomBytes(30);
  const { ciphertext, tag } = encryptAEAD(key, iv, 64, ad, msg);
  const flip = (b: Uint8Array, i: number) => {
    const c = b.slice();
    c[i] ^= 1;
    return c;
  };
  const failure = { ok: false, error: "AES_DECRYPT" };
  assert.deepEqual(decryptAEAD(flip(key, 0), iv, ad, ciphertext, tag), failure);
  assert.deepEqual(decryptAEAD(key, flip(iv, 15), ad, ciphertext, tag), failure);
  assert.deepEqual(decryptAEAD(key, iv, flip(ad, 39), ciphertext, tag), failure);
  assert.deepEqual(decryptAEAD(key, iv, ad.subarray(1), ciphertext, tag), failure);
  for (let i = 0; i < ciphertext.length; i += 7) {
    assert.deepEqual(decryptAEAD(key, iv, ad, flip(ciphertext, i), tag), failure);
  }
  assert.deepEqual(decryptAEAD(key, iv, ad, ciphertext.subarray(1), tag), failure);
  assert.deepEqual(decryptAEAD(key, iv, ad, ciphertext, flip(tag, 8)), failure);
  assert.deepEqual(decryptAEAD(key, iv, ad, ciphertext, tag.subarray(0, 12)), failure);
  assert.deepEqual(decryptAEAD(key, iv, ad, ciphertext, new Uint8Array(0)), failure);
});

Deno.test("an authentic ciphertext with a bad length prefix is PADDING", () => {
  const key = randomBytes(32), iv = randomBytes(16);
  const { ciphertext, tag } = aesGcmEncrypt(key, iv, new Uint8Array(0), Uint8Array.of(0x01, 0x00, 1, 2));
  assert.deepEqual(decryptAEAD(key, iv, new Uint8Array(0), ciphertext, tag), { ok: false, error: "PADDING" });
});

Deno.test("the NoPad pair uses 12-byte IVs and no padding", () => {
  const key = randomBytes(32), iv = randomBytes(12), msg = randomBytes(33);
  const { ciphertext, tag } = encryptAEADNoPad(key, iv, new Uint8Array(0), msg);
  assert.equal(ciphertext.length, 33);
  assert.deepEqual(decryptAEADNoPad(key, iv, new Uint8Array(0), ciphertext, tag), { ok: true, value: msg });
  assert.throws(() => encryptAEADNoPad(key, randomBytes(16), new Uint8Array(0), msg), RangeError);
  assert.throws(() => encryptAEAD(key, iv, 64, new Uint8Array(0), msg), RangeError);
});

Deno.test("a key that is not 32 bytes is a programmer error", () => {
  assert.throws(
    () => aesGcmEncrypt(randomBytes(16), randomBytes(16), new Uint8Array(0), new Uint8Array(1)),
    RangeError,
  );
});
