import assert from "node:assert/strict";
import { sha256 as nobleSha256, sha512 as nobleSha512 } from "@noble/hashes/sha2.js";
import { sha3_256 as nobleSha3_256, sha3_384 as nobleSha3_384 } from "@noble/hashes/sha3.js";
import { hmac as nobleHmac } from "@noble/hashes/hmac.js";
import { toHex } from "../encoding/bytes.ts";
import { createHasher, hmacSha256, hmacSha512, sha256, sha3_256, sha3_384, sha512 } from "./hash.ts";
import { randomBytes } from "./keys.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);

Deno.test('digests of "abc" match FIPS 180-4 and FIPS 202 examples', () => {
  const abc = utf8("abc");
  assert.equal(toHex(sha256(abc)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert.equal(
    toHex(sha512(abc)),
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a" +
      "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
  );
  assert.equal(toHex(sha3_256(abc)), "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532");
  assert.equal(
    toHex(sha3_384(abc)),
    "ec01498288516fc926459f58e2c6ad8df9b473cb0fc08c2596da7cf0e49be4b298d88cea927ac7f539f1edf228376d25",
  );
});

Deno.test("digests agree with @noble/hashes on random inputs", () => {
  for (const len of [0, 1, 55, 56, 64, 135, 136, 1000, 70000]) {
    const m = randomBytes(len);
    assert.deepEqual(sha256(m), nobleSha256(m));
    assert.deepEqual(sha512(m), nobleSha512(m));
    assert.deepEqual(sha3_256(m), nobleSha3_256(m));
    assert.deepEqual(sha3_384(m), nobleSha3_384(m));
  }
});

Deno.test("an incremental hasher equals the one-shot digest", () => {
  const m = randomBytes(100_000);
  const h = createHasher("sha512");
  for (let i = 0; i < m.length; i += 7777) h.update(m.subarray(i, i + 7777));
  assert.deepEqual(h.digest(), sha512(m));
});

Deno.test("HMAC matches RFC 4231 test case 2 and @noble/hashes", () => {
  const key = utf8("Jefe"), data = utf8("what do ya want for nothing?");
  assert.equal(
    toHex(hmacSha256(key, data)),
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
  );
  assert.equal(
    toHex(hmacSha512(key, data)),
    "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554" +
      "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
  );
  const k = randomBytes(200), m = randomBytes(500);
  assert.deepEqual(hmacSha256(k, m), nobleHmac(nobleSha256, k, m));
  assert.deepEqual(hmacSha512(k, m), nobleHmac(nobleSha512, k, m));
});

Deno.test("digests are plain Uint8Arrays, not Buffers", () => {
  assert.equal(Object.getPrototypeOf(sha256(utf8("x"))), Uint8Array.prototype);
  assert.equal(Object.getPrototypeOf(hmacSha256(utf8("k"), utf8("x"))), Uint8Array.prototype);
});
