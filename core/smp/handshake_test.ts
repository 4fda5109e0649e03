import assert from "node:assert/strict";
import {
  encodeClientHello,
  encodeServerHello,
  parseClientHello,
  parseServerHello,
  signSessionKey,
  verifySessionKey,
} from "./handshake.ts";
import { encodePublicKeyDer, generateKeyPair, privateKey, publicKeyOf } from "../crypto/keys.ts";
import { concatBytes, toHex } from "../encoding/bytes.ts";

const range = (from: number, n: number) => Uint8Array.from({ length: n }, (_, i) => from + i);
const sessionKey = publicKeyOf(privateKey("X25519", range(1, 32)));

Deno.test("the signed session key is the wrapped-SPKI SignedExact (122 bytes for Ed25519)", () => {
  const leaf = generateKeyPair("Ed25519");
  const signed = signSessionKey(sessionKey, leaf.privateKey);
  assert.equal(signed.length, 122);
  assert.equal(
    toHex(signed.subarray(0, 58)),
    "3078302c302a300506032b656e032100" + "07a37cbc142093c8b755dc1b10e86cb426374ad16aa853ed0bdfc0b2b86d1c7c" +
      "300506032b6570034100",
  );
  assert.deepEqual(verifySessionKey(signed, leaf.publicKey), sessionKey);
});

Deno.test("the Ed448 form is 173 bytes with a long-form length", () => {
  const leaf = generateKeyPair("Ed448");
  const signed = signSessionKey(sessionKey, leaf.privateKey);
  assert.equal(signed.length, 173);
  assert.equal(toHex(signed.subarray(0, 3)), "3081aa");
  assert.deepEqual(verifySessionKey(signed, leaf.publicKey), sessionKey);
});

Deno.test("a session key signed by another key, tampered, or not wrapped is refused", () => {
  const leaf = generateKeyPair("Ed25519");
  const signed = signSessionKey(sessionKey, leaf.privateKey);
  assert.equal(verifySessionKey(signed, generateKeyPair("Ed25519").publicKey), undefined);
  const tampered = signed.slice();
  tampered[40] ^= 1;
  assert.equal(verifySessionKey(tampered, leaf.publicKey), undefined);
  assert.equal(verifySessionKey(signed, generateKeyPair("Ed448").publicKey), undefined, "algorithm mismatch");
  assert.equal(verifySessionKey(signed.subarray(0, 100), leaf.publicKey), undefined);
  const unwrapped = concatBytes(
    Uint8Array.of(0x30, 0x76),
    encodePublicKeyDer(sessionKey),
    signed.subarray(48),
  );
  assert.equal(verifySessionKey(unwrapped, leaf.publicKey), undefined);
});

Deno.test("server hello round-trips; v6-only hellos carry no key; trailing bytes are ignored", () => {
  const certKey = { chain: [range(0, 10), range(10, 10)], signedKey: range(20, 5) };
  const hello = { versions: { min: 6, max: 18 }, sessionId: range(0, 32), certKey };
  const bytes = encodeServerHello(hello);
  assert.equal(toHex(bytes.subarray(0, 6)), "0006001220" + "00");
  assert.deepEqual(parseServerHello(concatBytes(bytes, Uint8Array.of(1, 2, 3))), { ok: true, value: hello });
  const legacy = encodeServerHello({ versions: { min: 6, max: 6 }, sessionId: range(0, 32), certKey });
  assert.equal(legacy.length, 4 + 33);
  assert.deepEqual(parseServerHello(legacy), {
    ok: true,
    value: { versions: { min: 6, max: 6 }, sessionId: range(0, 32), certKey: undefined },
  });
});

Deno.test("client hello: the optional DH key, proxy flag and service field by version", () => {
  const dhKey = sessionKey;
  const keyHash = range(100, 32);
  const v18 = encodeClientHello({ version: 18, keyHash, dhKey, proxyServer: false });
  assert.equal(toHex(v18.subarray(0, 3)), "001220");
  assert.equal(toHex(v18.subarray(35, 36)), "2c");
  assert.equal(toHex(v18.subarray(-2)), "4630", "'F' then '0' (no service)");
  assert.deepEqual(parseClientHello(v18), {
    ok: true,
    value: { version: 18, keyHash, dhKey, proxyServer: false, service: undefined },
  });
  const noKey = encodeClientHello({ version: 18, keyHash, proxyServer: true });
  assert.deepEqual(parseClientHello(noKey), {
    ok: true,
    value: { version: 18, keyHash, dhKey: undefined, proxyServer: true, service: undefined },
  });
  const v6 = encodeClientHello({ version: 6, keyHash, dhKey, proxyServer: true });
  assert.equal(v6.length, 2 + 33, "v6 has neither key nor flag");
  const service = {
    role: "N" as const,
    certKey: { chain: [range(1, 3), range(4, 3)], signedKey: range(7, 2) },
  };
  const v16 = encodeClientHello({ version: 16, keyHash, dhKey, proxyServer: false, service });
  assert.deepEqual(parseClientHello(v16), {
    ok: true,
    value: { version: 16, keyHash, dhKey, proxyServer: false, service },
  });
  assert.equal(parseClientHello(v18.subarray(0, 30)).ok, false);
});
