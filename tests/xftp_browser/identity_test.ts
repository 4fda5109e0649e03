/**
 * The page's hello checks (_identity.ts), run under Deno's WebCrypto: each altered part of a real
 * server hello is refused, so the browser round trip cannot pass on an unchecked identity.
 */
import assert from "node:assert/strict";
import { generateKeyPair, randomBytes } from "../../core/crypto/keys.ts";
import { generateIdentity } from "../../core/x509/identity.ts";
import { createServerHello, SERVER_XFTP_VERSIONS } from "../../core/xftp/mod.ts";
import { xftpIdentity } from "../xftp_server/_harness.ts";
import { type ServerHello, sha256, verifyServerHello } from "./_identity.ts";

const challenge = randomBytes(32);

function hello(): ServerHello {
  const h = createServerHello({
    versions: SERVER_XFTP_VERSIONS,
    sessionId: randomBytes(32),
    certChain: xftpIdentity.chain,
    leafKey: xftpIdentity.signKey,
    dhKey: generateKeyPair("X25519").publicKey,
    challenge,
  });
  return { ...h, webIdentityProof: h.webIdentityProof ?? new Uint8Array(0) };
}

function flipLast(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  out[out.length - 1] ^= 1;
  return out;
}

Deno.test("the server's own hello passes the page's identity checks", async () => {
  await verifyServerHello(hello(), xftpIdentity.keyHash, challenge);
});

Deno.test("the page refuses a hello whose identity certificate is not the key hash", async () => {
  await assert.rejects(verifyServerHello(hello(), new Uint8Array(32), challenge), /key hash/);
});

Deno.test("the page refuses an online certificate that the identity certificate did not sign", async () => {
  const other = generateIdentity({ commonName: "localhost" });
  const h = { ...hello(), certChain: [xftpIdentity.chain[0], other.ca.cert] };
  await assert.rejects(verifyServerHello(h, await sha256(other.ca.cert), challenge), /online certificate/);
});

Deno.test("the page refuses a web identity proof for another challenge or a forged one", async () => {
  await assert.rejects(verifyServerHello(hello(), xftpIdentity.keyHash, randomBytes(32)), /proof/);
  const h = hello();
  const forged = { ...h, webIdentityProof: flipLast(h.webIdentityProof) };
  await assert.rejects(verifyServerHello(forged, xftpIdentity.keyHash, challenge), /proof/);
});

Deno.test("the page refuses a DH key signature that does not verify", async () => {
  const h = hello();
  const tampered = { ...h, signedDhKey: flipLast(h.signedDhKey) };
  await assert.rejects(verifyServerHello(tampered, xftpIdentity.keyHash, challenge), /signed DH key/);
});
