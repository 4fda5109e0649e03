import assert from "node:assert/strict";
import {
  createServerHello,
  encodeClientHandshake,
  encodeHandshakeError,
  encodeServerHello,
  encodeWebHello,
  parseClientHandshake,
  parseHandshakeError,
  parseServerHello,
  parseWebHello,
  verifyServerHello,
  type XftpServerHello,
} from "./handshake.ts";
import { SERVER_XFTP_VERSIONS } from "./version.ts";
import { generateKeyPair, randomBytes, type SignatureAlgorithm } from "../crypto/keys.ts";
import { sha256 } from "../crypto/hash.ts";
import { toHex } from "../encoding/bytes.ts";
import { pad, unpad } from "../encoding/padding.ts";
import { generateIdentity, generateOnlineCertificate } from "../x509/identity.ts";

const ascii = (s: string) => new TextEncoder().encode(s);
const sessionId = randomBytes(32);
const challenge = randomBytes(32);

function server(algorithm: SignatureAlgorithm = "Ed25519") {
  const id = generateIdentity({ commonName: "localhost", algorithm });
  const chain = [id.server.cert, id.ca.cert];
  const keyHash = sha256(id.ca.cert);
  const dh = generateKeyPair("X25519");
  const hello = (extra: { challenge?: Uint8Array } = {}) =>
    createServerHello({
      versions: SERVER_XFTP_VERSIONS,
      sessionId,
      certChain: chain,
      leafKey: id.server.key,
      dhKey: dh.publicKey,
      ...extra,
    });
  return { id, chain, keyHash, dh, hello };
}

Deno.test("the server hello is a padded block starting with the version range 1-3 and round-trips", () => {
  const s = server();
  for (const hello of [s.hello(), s.hello({ challenge })]) {
    const block = encodeServerHello(hello);
    assert.equal(block.length, 16384);
    assert.equal(toHex(unpad(block).subarray(0, 5)), "0001000320");
    assert.deepEqual(parseServerHello(block), { ok: true, value: hello });
  }
  const content = unpad(encodeServerHello(s.hello()));
  assert.equal(content[content.length - 1], 0, 'an empty proof is short("")');
});

Deno.test("the server hello parser ignores a tail and an odd-sized proof", () => {
  const s = server();
  const content = unpad(encodeServerHello(s.hello()));
  const withTail = new Uint8Array([...content.subarray(0, -1), 3, 1, 2, 3, 9, 9]);
  const parsed = parseServerHello(pad(withTail, 16384));
  assert.ok(parsed.ok);
  assert.equal(parsed.value.webIdentityProof, undefined);
  assert.deepEqual(parsed.value.signedDhKey, s.hello().signedDhKey);
  assert.equal(parseServerHello(content).ok, false, "an unpadded body is not a block");
});

Deno.test("web hello: pad('1' ‖ short(challenge)) or pad('0'); challenges must be 32 bytes", () => {
  const block = encodeWebHello(challenge);
  assert.equal(toHex(unpad(block).subarray(0, 2)), "3120");
  assert.deepEqual(parseWebHello(block), { ok: true, value: { challenge } });
  assert.deepEqual(parseWebHello(encodeWebHello()), { ok: true, value: {} });
  assert.equal(toHex(unpad(encodeWebHello())), "30");
  assert.equal(parseWebHello(pad(Uint8Array.of(0x31, 3, 1, 2, 3), 16384)).ok, false);
  assert.equal(parseWebHello(new Uint8Array(0)).ok, false);
});

Deno.test("client handshake: pad(W16 version ‖ short(keyHash)), a tail is ignored", () => {
  const keyHash = randomBytes(32);
  const block = encodeClientHandshake({ version: 3, keyHash });
  assert.equal(toHex(unpad(block).subarray(0, 3)), "000320");
  assert.deepEqual(parseClientHandshake(block), { ok: true, value: { version: 3, keyHash } });
  const tail = pad(new Uint8Array([...unpad(block), 1, 2, 3]), 16384);
  assert.deepEqual(parseClientHandshake(tail), { ok: true, value: { version: 3, keyHash } });
  assert.equal(parseClientHandshake(block.subarray(0, 100)).ok, false);
});

Deno.test("handshake errors are bare padded tags, told apart from a hello", () => {
  const block = encodeHandshakeError({ type: "SESSION" });
  assert.deepEqual(unpad(block), ascii("SESSION"));
  assert.deepEqual(parseHandshakeError(block), { type: "SESSION" });
  assert.deepEqual(parseHandshakeError(encodeHandshakeError({ type: "HANDSHAKE" })), { type: "HANDSHAKE" });
  assert.equal(parseHandshakeError(encodeServerHello(server().hello())), undefined);
  assert.equal(parseServerHello(block).ok, false);
});

for (const algorithm of ["Ed25519", "Ed448"] as const) {
  Deno.test(`native client (${algorithm}): accepts the hello and takes the DH key signed by the TLS leaf`, () => {
    const s = server(algorithm);
    const v = verifyServerHello(s.hello(), s.keyHash, { tlsChain: s.chain, tlsUnique: sessionId });
    assert.deepEqual(v, { ok: true, version: 3, serverDhKey: s.dh.publicKey });
  });

  Deno.test(`web client (${algorithm}): checks the proof, the chain and the DH key by the hello's leaf`, () => {
    const s = server(algorithm);
    const v = verifyServerHello(s.hello({ challenge }), s.keyHash, { challenge });
    assert.deepEqual(v, { ok: true, version: 3, serverDhKey: s.dh.publicKey });
  });
}

Deno.test("native client rejections: session, version, identity, DH key signature", () => {
  const s = server();
  const other = server();
  const check = (hello: XftpServerHello, opts = {}) =>
    verifyServerHello(hello, s.keyHash, { tlsChain: s.chain, ...opts });
  const code = (v: ReturnType<typeof check>) => (v.ok ? "ok" : v.error);
  assert.equal(code(check(s.hello(), { tlsUnique: randomBytes(32) })), "SESSION");
  assert.equal(code(check({ ...s.hello(), versions: { min: 4, max: 5 } })), "VERSION");
  assert.equal(code(check(s.hello(), { versions: { min: 1, max: 2 } })), "ok");
  assert.equal(code(verifyServerHello(s.hello(), other.keyHash, { tlsChain: s.chain })), "IDENTITY");
  assert.equal(code(check({ ...s.hello(), certChain: [s.chain[0], other.chain[1]] })), "IDENTITY");
  assert.equal(code(check({ ...s.hello(), certChain: [...s.chain, s.chain[1]] })), "IDENTITY");
  assert.equal(code(check({ ...s.hello(), signedDhKey: other.hello().signedDhKey })), "BAD_AUTH");
  assert.equal(code(check(s.hello(), { tlsChain: other.chain })), "IDENTITY");
});

Deno.test("web client rejections: missing or wrong proof, a leaf the identity did not sign", () => {
  const s = server();
  const other = server();
  const code = (hello: XftpServerHello) => {
    const v = verifyServerHello(hello, s.keyHash, { challenge });
    return v.ok ? "ok" : v.error;
  };
  assert.equal(code(s.hello()), "BAD_AUTH");
  assert.equal(code(s.hello({ challenge: randomBytes(32) })), "BAD_AUTH");
  assert.equal(code({ ...s.hello({ challenge }), signedDhKey: other.hello().signedDhKey }), "BAD_AUTH");
  // another server's leaf and proof presented with this server's CA: xftp-web would accept it
  const forged = other.hello({ challenge });
  assert.equal(code({ ...forged, certChain: [other.chain[0], s.chain[1]] }), "IDENTITY");
  // a leaf that the right CA signed, but with a different key: proof by the impostor key fails
  const reissued = generateOnlineCertificate(s.id.ca.key, s.id.ca.cert, { commonName: "localhost" });
  assert.equal(code({ ...s.hello({ challenge }), certChain: [reissued.cert, s.chain[1]] }), "BAD_AUTH");
  assert.equal(code({ ...s.hello({ challenge }), certChain: [s.chain[0]] }), "IDENTITY");
});
