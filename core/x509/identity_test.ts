import assert from "node:assert/strict";
import { generateKeyPair } from "../crypto/keys.ts";
import { parseCertificate } from "./certificate.ts";
import { validateChain } from "./chain.ts";
import { X509Error } from "./errors.ts";
import { fingerprint } from "./fingerprint.ts";
import { generateIdentity, generateOnlineCertificate } from "./identity.ts";

Deno.test("generateIdentity: Ed25519 by default, two fresh keys, distinct random serials", () => {
  const a = generateIdentity({ commonName: "h" });
  const b = generateIdentity({ commonName: "h" });
  assert.equal(a.ca.key.algorithm, "Ed25519");
  assert.equal(a.server.key.algorithm, "Ed25519");
  assert.notDeepEqual(a.ca.key.raw, a.server.key.raw);
  const serials = [a.ca.cert, a.server.cert, b.ca.cert, b.server.cert].map((c) =>
    parseCertificate(c).serialNumber
  );
  assert.equal(new Set(serials.map((s) => s.join())).size, 4);
});

Deno.test("generateOnlineCertificate: a new server certificate keeps the CA, hence the server identity", () => {
  const { ca, server } = generateIdentity({ algorithm: "Ed448", commonName: "old.example.com" });
  const rotated = generateOnlineCertificate(ca.key, ca.cert, { commonName: "new.example.com" });
  assert.equal(rotated.key.algorithm, "Ed448", "defaults to the CA's algorithm");
  assert.notDeepEqual(rotated.cert, server.cert);
  const v = validateChain([rotated.cert, ca.cert], fingerprint(ca.cert));
  assert.equal(v.leaf.subject.commonName, "new.example.com");

  const ed25519 = generateOnlineCertificate(ca.key, ca.cert, { commonName: "h", algorithm: "Ed25519" });
  assert.equal(parseCertificate(ed25519.cert).publicKey.type, "Ed25519");
  assert.equal(parseCertificate(ed25519.cert).signatureAlgorithm.name, "Ed448", "signed by the Ed448 CA");
  validateChain([ed25519.cert, ca.cert], fingerprint(ca.cert));
});

Deno.test("generateOnlineCertificate: a key that is not the CA's is rejected before anything is signed", () => {
  const { ca } = generateIdentity({ commonName: "h" });
  const wrong = generateKeyPair("Ed25519").privateKey;
  assert.throws(
    () => generateOnlineCertificate(wrong, ca.cert, { commonName: "h" }),
    (e) => e instanceof X509Error && e.code === "BAD_KEY",
  );
});

Deno.test("generateIdentity: explicit validity is used to the second", () => {
  const notBefore = new Date("2020-01-01T00:00:00.750Z");
  const notAfter = new Date("2021-01-01T00:00:00Z");
  const { server } = generateIdentity({ commonName: "h", notBefore, notAfter });
  const cert = parseCertificate(server.cert);
  assert.equal(cert.notBefore.toISOString(), "2020-01-01T00:00:00.000Z");
  assert.equal(cert.notAfter.toISOString(), "2021-01-01T00:00:00.000Z");
});
