import assert from "node:assert/strict";
import { toHex } from "../encoding/bytes.ts";
import { cbAuthenticate, cbVerify } from "./authenticator.ts";
import { cbNonce, cryptoBoxOpen } from "./box.ts";
import { sha512 } from "./hash.ts";
import { dh, generateKeyPair, keyPairFromPrivate, privateKey, publicKey } from "./keys.ts";

const run = (first: number, last: number) =>
  Uint8Array.from({ length: last - first + 1 }, (_, i) => first + i);
const utf8 = (s: string) => new TextEncoder().encode(s);

// smp.md §7.2: X25519 private keys 01..20 (client queue key) and 21..40 (server session key).
const client = keyPairFromPrivate(privateKey("X25519", run(1, 32)));
const server = keyPairFromPrivate(privateKey("X25519", run(33, 64)));
const CORR_ID = run(1, 24);

Deno.test("V2: the X25519 authenticator matches smp.md §7.2", () => {
  const auth = cbAuthenticate(
    server.publicKey,
    client.privateKey,
    cbNonce(CORR_ID),
    utf8("authorized bytes"),
  );
  assert.equal(auth.length, 80);
  assert.equal(
    toHex(auth),
    "7fc8a0a7ce9fc361882463d9db9d36ae95a678a4360de9310727c145e64f86ea" +
      "5cfbd572ea26dc6a83d737954c29e7f437931e81ed4d9307c13ae2dc56ed2b64" +
      "5fafe23e9bfea66a1309bbad168e36cb",
  );
  const opened = cryptoBoxOpen(dh(server.publicKey, client.privateKey), cbNonce(CORR_ID), auth);
  assert.deepEqual(opened, { ok: true, value: sha512(utf8("authorized bytes")) });
});

Deno.test("the server verifies the authenticator with the other halves of the key pairs", () => {
  const nonce = cbNonce(CORR_ID), msg = utf8("authorized bytes");
  const auth = cbAuthenticate(server.publicKey, client.privateKey, nonce, msg);
  assert.ok(cbVerify(client.publicKey, server.privateKey, nonce, auth, msg));
});

Deno.test("cbVerify is false for another message, nonce, key or a damaged authenticator", () => {
  const nonce = cbNonce(CORR_ID), msg = utf8("authorized bytes");
  const auth = cbAuthenticate(server.publicKey, client.privateKey, nonce, msg);
  assert.ok(!cbVerify(client.publicKey, server.privateKey, nonce, auth, utf8("authorized bytez")));
  assert.ok(!cbVerify(client.publicKey, server.privateKey, cbNonce(utf8("other")), auth, msg));
  assert.ok(!cbVerify(generateKeyPair("X25519").publicKey, server.privateKey, nonce, auth, msg));
  for (const i of [0, 15, 16, 79]) {
    const bad = auth.slice();
    bad[i] ^= 4;
    assert.ok(!cbVerify(client.publicKey, server.privateKey, nonce, bad, msg), `byte ${i}`);
  }
  assert.ok(!cbVerify(client.publicKey, server.privateKey, nonce, auth.subarray(0, 79), msg));
  assert.ok(!cbVerify(client.publicKey, server.privateKey, nonce, new Uint8Array(0), msg));
});

Deno.test("cbVerify is false, not a crash, for a low-order public key", () => {
  const lowOrder = publicKey("X25519", new Uint8Array(32)); // the identity point: all-zero secret
  assert.ok(!cbVerify(lowOrder, server.privateKey, cbNonce(CORR_ID), new Uint8Array(80), utf8("x")));
});
