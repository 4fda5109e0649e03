import assert from "node:assert/strict";
import * as nodeCrypto from "node:crypto";
import { publicKeyOf } from "../crypto/keys.ts";
import { concatBytes } from "../encoding/bytes.ts";
import { DerReader, encodeOid, encodeSequence, encodeTlv, Tag } from "./_der.ts";
import { parseCertificate, parseSubjectPublicKeyInfo } from "./certificate.ts";
import { X509Error, type X509ErrorCode } from "./errors.ts";
import { CERTIFICATE_VALIDITY_DAYS, generateIdentity } from "./identity.ts";
import { encodeName, extension, issueCertificate } from "./issue.ts";

function rejects(code: X509ErrorCode, f: () => unknown): void {
  assert.throws(f, (e) => {
    assert.ok(e instanceof X509Error, `expected X509Error, got ${e}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

for (const algorithm of ["Ed25519", "Ed448"] as const) {
  Deno.test(`parseCertificate: reads every field of a generated ${algorithm} identity`, () => {
    const { ca, server } = generateIdentity({ algorithm, commonName: "smp.example.com" });
    const caCert = parseCertificate(ca.cert);
    const serverCert = parseCertificate(server.cert);

    assert.equal(caCert.version, 3);
    assert.deepEqual(caCert.subject, {
      commonName: "SMP server CA",
      organization: "SimpleX",
      der: caCert.issuer.der,
    });
    assert.equal(caCert.isCA, true);
    assert.equal(caCert.extensions.find((e) => e.oid === "2.5.29.19")?.critical, true);
    assert.deepEqual(caCert.authorityKeyId, caCert.subjectKeyId);
    assert.equal(caCert.keyUsage, undefined);

    assert.equal(serverCert.subject.commonName, "smp.example.com");
    assert.equal(serverCert.subject.organization, undefined);
    assert.deepEqual(serverCert.issuer.der, caCert.subject.der);
    assert.equal(serverCert.isCA, false);
    assert.deepEqual(serverCert.keyUsage, ["digitalSignature", "nonRepudiation", "keyAgreement"]);
    assert.deepEqual(serverCert.extendedKeyUsage, ["serverAuth"]);
    assert.deepEqual(serverCert.authorityKeyId, caCert.subjectKeyId);
    assert.equal(serverCert.subjectKeyId?.length, 20);

    for (const [cert, key] of [[caCert, ca.key], [serverCert, server.key]] as const) {
      assert.deepEqual(cert.der, cert === caCert ? ca.cert : server.cert);
      assert.deepEqual(cert.signatureAlgorithm, {
        name: algorithm,
        oid: algorithm === "Ed25519" ? "1.3.101.112" : "1.3.101.113",
      });
      assert.equal(cert.signatureValue.length, algorithm === "Ed25519" ? 64 : 114);
      assert.deepEqual(cert.publicKey, { type: algorithm, key: publicKeyOf(key) });
      assert.equal(cert.serialNumber.length, 20);
      assert.ok(cert.serialNumber[0] < 0x80 && cert.serialNumber[0] > 0);
      assert.equal(
        cert.notAfter.getTime() - cert.notBefore.getTime(),
        CERTIFICATE_VALIDITY_DAYS * 86_400_000,
      );
      assert.ok(cert.notAfter.getUTCFullYear() > 4700);
      assert.ok(Math.abs(cert.notBefore.getTime() - Date.now()) < 60_000);
    }
  });
}

Deno.test("parseCertificate: the result does not change when the caller reuses its buffer", () => {
  const { ca } = generateIdentity({ commonName: "h" });
  const buffer = ca.cert.slice();
  const cert = parseCertificate(buffer);
  buffer.fill(0);
  assert.deepEqual(cert.der, ca.cert);
  assert.equal(cert.subject.commonName, "SMP server CA");
});

Deno.test("parseCertificate: bytes after the certificate are TRAILING_DATA", () => {
  const { ca } = generateIdentity({ commonName: "h" });
  rejects("TRAILING_DATA", () => parseCertificate(concatBytes(ca.cert, Uint8Array.of(0))));
});

/** The certificate with its signature algorithm replaced, in the TBSCertificate and/or outside it. */
function withAlgorithm(der: Uint8Array, algorithm: Uint8Array, where: { inner: boolean }): Uint8Array {
  const top = new DerReader(new DerReader(der, "c").read().value, "c");
  const tbs = new DerReader(top.read().value, "tbs");
  const fields: Uint8Array[] = [];
  while (!tbs.done) fields.push(tbs.read().encoded);
  if (where.inner) fields[2] = algorithm; // [0] version, serialNumber, signature
  top.read();
  return encodeSequence(encodeSequence(...fields), algorithm, top.read().encoded);
}

Deno.test("parseCertificate: a signature algorithm that differs from the signed one is BAD_VALUE", () => {
  const { ca } = generateIdentity({ algorithm: "Ed25519", commonName: "h" });
  const ed448 = encodeSequence(encodeOid("1.3.101.113"));
  rejects("BAD_VALUE", () => parseCertificate(withAlgorithm(ca.cert, ed448, { inner: false })));
  assert.equal(
    parseCertificate(withAlgorithm(ca.cert, ed448, { inner: true })).signatureAlgorithm.name,
    "Ed448",
  );
});

Deno.test("parseCertificate: Ed25519 with algorithm parameters is BAD_VALUE (RFC 8410 §3)", () => {
  const { ca } = generateIdentity({ algorithm: "Ed25519", commonName: "h" });
  const withNull = encodeSequence(encodeOid("1.3.101.112"), encodeTlv(Tag.NULL));
  rejects("BAD_VALUE", () => parseCertificate(withAlgorithm(ca.cert, withNull, { inner: true })));
  const rsaNull = encodeSequence(encodeOid("1.2.840.113549.1.1.11"), encodeTlv(Tag.NULL));
  assert.equal(
    parseCertificate(withAlgorithm(ca.cert, rsaNull, { inner: true })).signatureAlgorithm.name,
    "RSA-SHA256",
  );
});

Deno.test("parseCertificate: a repeated extension is BAD_EXTENSION, a malformed known one too", () => {
  const { ca } = generateIdentity({ commonName: "h" });
  const caCert = parseCertificate(ca.cert);
  const issueWith = (extensions: ReturnType<typeof extension.basicConstraints>[]) =>
    issueCertificate({
      serialNumber: Uint8Array.of(1),
      issuer: caCert.subject.der,
      subject: encodeName({ commonName: "x" }),
      notBefore: new Date(),
      notAfter: new Date(),
      publicKey: publicKeyOf(ca.key),
      extensions,
    }, ca.key);
  rejects(
    "BAD_EXTENSION",
    () =>
      parseCertificate(
        issueWith([extension.basicConstraints(true, true), extension.basicConstraints(true, true)]),
      ),
  );
  rejects(
    "BAD_EXTENSION",
    () =>
      parseCertificate(
        issueWith([{ oid: "2.5.29.19", critical: true, value: Uint8Array.of(0x30, 3, 1, 1, 1) }]),
      ),
  );
  rejects(
    "BAD_EXTENSION",
    () => parseCertificate(issueWith([{ oid: "2.5.29.15", critical: false, value: Uint8Array.of(4, 0) }])),
  );
  const unknown = parseCertificate(
    issueWith([{ oid: "1.2.3.4", critical: true, value: Uint8Array.of(5, 0) }]),
  );
  assert.deepEqual(unknown.extensions, [{ oid: "1.2.3.4", critical: true, value: Uint8Array.of(5, 0) }]);
});

const spkiOf = ({ publicKey }: { publicKey: nodeCrypto.KeyObject }) =>
  new Uint8Array(publicKey.export({ type: "spki", format: "der" }));
const ecSpki = (namedCurve: string) => spkiOf(nodeCrypto.generateKeyPairSync("ec", { namedCurve }));

Deno.test("parseSubjectPublicKeyInfo: ECDSA P-256/P-384 and RSA keep their SPKI; other keys are unknown by OID", () => {
  const p256 = ecSpki("P-256");
  assert.deepEqual(parseSubjectPublicKeyInfo(p256), { type: "ECDSA-P256", spki: p256 });
  const p384 = ecSpki("P-384");
  assert.deepEqual(parseSubjectPublicKeyInfo(p384), { type: "ECDSA-P384", spki: p384 });
  const rsa = spkiOf(nodeCrypto.generateKeyPairSync("rsa", { modulusLength: 1024 }));
  assert.deepEqual(parseSubjectPublicKeyInfo(rsa), { type: "RSA", spki: rsa });
  assert.deepEqual(parseSubjectPublicKeyInfo(ecSpki("secp256k1")), {
    type: "unknown",
    oid: "1.2.840.10045.2.1/1.3.132.0.10",
  });
  assert.deepEqual(parseSubjectPublicKeyInfo(spkiOf(nodeCrypto.generateKeyPairSync("x25519"))), {
    type: "unknown",
    oid: "1.3.101.110",
  });
});

Deno.test("parseSubjectPublicKeyInfo: an Ed25519 key of the wrong length is BAD_KEY", () => {
  const spki = encodeSequence(
    encodeSequence(encodeOid("1.3.101.112")),
    encodeTlv(Tag.BIT_STRING, new Uint8Array(32)),
  );
  rejects("BAD_KEY", () => parseSubjectPublicKeyInfo(spki));
});
