import assert from "node:assert/strict";
import { hkdf as nobleHkdf } from "@noble/hashes/hkdf.js";
import { sha256 as nobleSha256, sha512 as nobleSha512 } from "@noble/hashes/sha2.js";
import { fromHex, toHex } from "../encoding/bytes.ts";
import { hkdf, hkdfSha512 } from "./hkdf.ts";
import { randomBytes } from "./keys.ts";

const IKM = new Uint8Array(22).fill(0x0b);

Deno.test("HKDF-SHA256 matches RFC 5869 test case 1", () => {
  const okm = hkdf("sha256", fromHex("000102030405060708090a0b0c"), IKM, fromHex("f0f1f2f3f4f5f6f7f8f9"), 42);
  assert.equal(
    toHex(okm),
    "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
  );
});

Deno.test("HKDF-SHA256 matches RFC 5869 test case 3 (empty salt and info)", () => {
  assert.equal(
    toHex(hkdf("sha256", new Uint8Array(0), IKM, new Uint8Array(0), 42)),
    "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
  );
});

Deno.test("HKDF-SHA512 agrees with @noble/hashes and WebCrypto on random inputs", async () => {
  for (const [saltLen, length] of [[0, 88], [32, 64], [64, 96], [100, 1]]) {
    const salt = randomBytes(saltLen), ikm = randomBytes(56), info = randomBytes(14);
    const ours = hkdfSha512(salt, ikm, info, length);
    assert.deepEqual(ours, nobleHkdf(nobleSha512, ikm, salt, info, length));
    // WebCrypto wants ArrayBuffer-backed views: new Uint8Array(x) copies into one.
    const base = await crypto.subtle.importKey("raw", new Uint8Array(ikm), "HKDF", false, ["deriveBits"]);
    const params = { name: "HKDF", hash: "SHA-512", salt: new Uint8Array(salt), info: new Uint8Array(info) };
    const web = await crypto.subtle.deriveBits(params, base, length * 8);
    assert.deepEqual(ours, new Uint8Array(web));
  }
});

Deno.test("an empty salt equals a salt of HashLen zero bytes", () => {
  const ikm = randomBytes(32);
  assert.deepEqual(
    hkdfSha512(new Uint8Array(0), ikm, "SimpleXSbChain", 88),
    hkdfSha512(new Uint8Array(64), ikm, "SimpleXSbChain", 88),
  );
});

Deno.test("a string info is its UTF-8 bytes", () => {
  const salt = randomBytes(16), ikm = randomBytes(32);
  assert.deepEqual(
    hkdf("sha256", salt, ikm, "SimpleXX3DH", 96),
    nobleHkdf(nobleSha256, ikm, salt, new TextEncoder().encode("SimpleXX3DH"), 96),
  );
});

Deno.test("HKDF refuses lengths beyond 255 hash blocks", () => {
  assert.throws(() => hkdf("sha256", new Uint8Array(0), IKM, "", 255 * 32 + 1), RangeError);
  assert.equal(hkdf("sha512", new Uint8Array(0), IKM, "", 255 * 64).length, 255 * 64);
});
