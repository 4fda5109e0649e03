import assert from "node:assert/strict";
import { decode, encode } from "../encoding/binary.ts";
import { encodePublicKeyDer, generateKeyPair } from "./keys.ts";
import { readAuthKey, readDhKey, writeKey } from "./keys_wire.ts";

Deno.test("writeKey writes short(SPKI DER) and the readers take it back", () => {
  const ed = generateKeyPair("Ed25519").publicKey;
  const x = generateKeyPair("X25519").publicKey;
  const bytes = encode((w) => writeKey(w, ed));
  const der = encodePublicKeyDer(ed);
  assert.equal(bytes[0], der.length);
  assert.deepEqual(bytes.subarray(1), der);
  const auth = decode(bytes, readAuthKey);
  assert.ok(auth.ok && auth.value.algorithm === "Ed25519");
  const dh = decode(encode((w) => writeKey(w, x)), readDhKey);
  assert.ok(dh.ok && dh.value.algorithm === "X25519");
});

Deno.test("a key of the wrong kind, or bytes that are no key, fail as a parse error", () => {
  const x448 = encode((w) => writeKey(w, generateKeyPair("X448").publicKey));
  assert.equal(decode(x448, readAuthKey).ok, false);
  assert.equal(decode(encode((w) => writeKey(w, generateKeyPair("Ed448").publicKey)), readDhKey).ok, false);
  assert.equal(decode(Uint8Array.of(3, 1, 2, 3), readAuthKey).ok, false);
});
