import assert from "node:assert/strict";
import { generateKeyPair, sign } from "./keys.ts";
import { dummyVerifySignature, signatureAlgorithmOf } from "./dummy_verify.ts";

Deno.test("signatureAlgorithmOf tells Ed25519 and Ed448 signatures by length, nothing else", () => {
  const msg = new Uint8Array([1, 2, 3]);
  assert.equal(signatureAlgorithmOf(sign(generateKeyPair("Ed25519").privateKey, msg)), "Ed25519");
  assert.equal(signatureAlgorithmOf(sign(generateKeyPair("Ed448").privateKey, msg)), "Ed448");
  assert.equal(signatureAlgorithmOf(new Uint8Array(80)), undefined);
  assert.equal(signatureAlgorithmOf(new Uint8Array(0)), undefined);
});

Deno.test("dummyVerifySignature accepts any bytes without throwing", () => {
  for (const n of [0, 1, 64, 80, 114, 200]) {
    dummyVerifySignature(new Uint8Array(10), new Uint8Array(n).fill(7));
  }
});
