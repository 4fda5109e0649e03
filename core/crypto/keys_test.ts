import assert from "node:assert/strict";
import { ed25519, x25519 } from "@noble/curves/ed25519.js";
import { ed448, x448 } from "@noble/curves/ed448.js";
import { toHex } from "../encoding/bytes.ts";
import { decodeBase64, decodeBase64Url, encodeBase64Url } from "../encoding/base64.ts";
import {
  decodePrivateKeyDer,
  decodePublicKeyDer,
  dh,
  encodePrivateKeyDer,
  encodePublicKeyDer,
  generateKeyPair,
  privateKey,
  type PublicKey,
  publicKeyOf,
  sign,
  verify,
} from "./keys.ts";

const run = (first: number, last: number) =>
  Uint8Array.from({ length: last - first + 1 }, (_, i) => first + i);

// smp.md §7.2 (derived with node:crypto, tweetnacl and libsodium).
Deno.test("X25519 public keys of private keys 01..20 and 21..40 match smp.md §7.2", () => {
  const a = privateKey("X25519", run(1, 32)), b = privateKey("X25519", run(33, 64));
  assert.equal(toHex(publicKeyOf(a).raw), "07a37cbc142093c8b755dc1b10e86cb426374ad16aa853ed0bdfc0b2b86d1c7c");
  assert.equal(toHex(publicKeyOf(b).raw), "5869aff450549732cbaaed5e5df9b30a6da31cb0e5742bad5ad4a1a768f1a67b");
  assert.equal(
    encodeBase64Url(encodePublicKeyDer(publicKeyOf(a))),
    "MCowBQYDK2VuAyEAB6N8vBQgk8i3VdwbEOhstCY3StFqqFPtC9_AsrhtHHw=",
  );
});

Deno.test("raw X25519 DH of 01..20 and pub(21..40) matches smp.md §7.2 from both sides", () => {
  const a = privateKey("X25519", run(1, 32)), b = privateKey("X25519", run(33, 64));
  const expected = "a84dc7c3c8f058b1b2dc4cd1e9b5dc0a7987f88b6a9564cde3391fc421159e77";
  assert.equal(toHex(dh(publicKeyOf(b), a)), expected);
  assert.equal(toHex(dh(publicKeyOf(a), b)), expected);
});

// xftp.md §6 (from xftp-web dist, byte-identical to Haskell).
Deno.test("Ed25519 key from seed 01..20: SPKI and PKCS#8 match xftp.md §6", () => {
  const priv = privateKey("Ed25519", run(1, 32));
  assert.equal(
    toHex(encodePublicKeyDer(publicKeyOf(priv))),
    "302a300506032b6570032100" + "79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664",
  );
  const pkcs8 = "MC4CAQAwBQYDK2VwBCIEIAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g";
  assert.equal(encodeBase64Url(encodePrivateKeyDer(priv)), pkcs8);
  assert.deepEqual(decodePrivateKeyDer(decodeBase64Url(pkcs8)), priv);
});

Deno.test("the fixed-seed keys agree with @noble/curves", () => {
  const seed = run(1, 32);
  assert.deepEqual(publicKeyOf(privateKey("Ed25519", seed)).raw, ed25519.getPublicKey(seed));
  assert.deepEqual(publicKeyOf(privateKey("X25519", seed)).raw, x25519.getPublicKey(seed));
  const msg = new TextEncoder().encode("SimpleX");
  assert.deepEqual(sign(privateKey("Ed25519", seed), msg), ed25519.sign(msg, seed));
});

Deno.test("random keys of all four algorithms agree with @noble/curves", () => {
  const msg = new TextEncoder().encode("cross-check");
  const ed = generateKeyPair("Ed25519"), ed4 = generateKeyPair("Ed448");
  assert.deepEqual(ed.publicKey.raw, ed25519.getPublicKey(ed.privateKey.raw));
  assert.deepEqual(ed4.publicKey.raw, ed448.getPublicKey(ed4.privateKey.raw));
  assert.deepEqual(sign(ed4.privateKey, msg), ed448.sign(msg, ed4.privateKey.raw));
  assert.ok(ed448.verify(sign(ed4.privateKey, msg), msg, ed4.publicKey.raw));
  const [a, b] = [generateKeyPair("X25519"), generateKeyPair("X25519")];
  assert.deepEqual(dh(b.publicKey, a.privateKey), x25519.getSharedSecret(a.privateKey.raw, b.publicKey.raw));
  const [c, d] = [generateKeyPair("X448"), generateKeyPair("X448")];
  assert.deepEqual(c.publicKey.raw, x448.getPublicKey(c.privateKey.raw));
  assert.deepEqual(dh(d.publicKey, c.privateKey), x448.getSharedSecret(c.privateKey.raw, d.publicKey.raw));
});

Deno.test("DER encodings round-trip for all four algorithms", () => {
  for (const alg of ["Ed25519", "Ed448", "X25519", "X448"] as const) {
    const { publicKey, privateKey } = generateKeyPair(alg);
    assert.deepEqual(decodePublicKeyDer(encodePublicKeyDer(publicKey)), publicKey);
    assert.deepEqual(decodePrivateKeyDer(encodePrivateKeyDer(privateKey)), privateKey);
  }
});

Deno.test("verify is false for a damaged or wrong-length signature", () => {
  const { publicKey, privateKey } = generateKeyPair("Ed25519");
  const msg = new TextEncoder().encode("m");
  const sig = sign(privateKey, msg);
  assert.ok(verify(publicKey, msg, sig));
  const bad = sig.slice();
  bad[10] ^= 1;
  assert.ok(!verify(publicKey, msg, bad));
  assert.ok(!verify(publicKey, msg, sig.subarray(0, 63)));
});

// smp.md §7.1 / xftp.md §6: simplexmq ServerTests.hs sample keys and Server.hs timing dummies (standard base64).
Deno.test("upstream sample and dummy keys decode to their algorithms", () => {
  const cases: [string, string][] = [
    ["MCowBQYDK2VwAyEAfAOflyvbJv1fszgzkQ6buiZJVgSpQWsucXq7U6zjMgY=", "Ed25519"],
    ["MCowBQYDK2VuAyEAriy+HcARIhqsgSjVnjKqoft+y6pxrxdY68zn4+LjYhQ=", "X25519"],
    ["MCowBQYDK2VwAyEA139Oqs4QgpqbAmB0o7rZf6T19ryl7E65k4AYe0kE3Qs=", "Ed25519"],
    [
      "MEMwBQYDK2VxAzoA6ibQc9XpkSLtwrf7PLvp81qW/etiumckVFImCMRdftcG/XopbOSaq9qyLhrgJWKOLyNrQPNVvpMA",
      "Ed448",
    ],
    ["MCowBQYDK2VuAyEA4JGSMYht18H4mas/jHeBwfcM7jLwNYJNOAhi2/g4RXg=", "X25519"],
  ];
  for (const [b64, algorithm] of cases) {
    const key = decodePublicKeyDer(decodeBase64(b64));
    assert.equal(key.algorithm, algorithm);
    assert.deepEqual(encodePublicKeyDer(key), decodeBase64(b64));
  }
});

Deno.test("ServerTests.hs sampleSig does not verify under samplePubKey (the server answers ERR AUTH)", () => {
  const key = decodePublicKeyDer(
    decodeBase64("MCowBQYDK2VwAyEAfAOflyvbJv1fszgzkQ6buiZJVgSpQWsucXq7U6zjMgY="),
  );
  const sig = decodeBase64(
    "e8JK+8V3fq6kOLqco/SaKlpNaQ7i1gfOrXoqekEl42u4mF8Bgu14T5j0189CGcUhJHw2RwCMvON+qbvQ9ecJAA==",
  );
  assert.equal(sig.length, 64);
  assert.ok(key.algorithm === "Ed25519");
  assert.ok(!verify(key as PublicKey<"Ed25519">, new TextEncoder().encode("any authorized bytes"), sig));
});
