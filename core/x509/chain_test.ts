import assert from "node:assert/strict";
import {
  encodePublicKeyDer,
  generateKeyPair,
  type PrivateKey,
  sign,
  type SignatureAlgorithm,
} from "../crypto/keys.ts";
import {
  encodeBitString,
  encodeBoolean,
  encodeOid,
  encodeSequence,
  encodeTime,
  encodeUnsignedInteger,
} from "./_der.ts";
import { Oid } from "./_oids.ts";
import { type Extension, parseCertificate } from "./certificate.ts";
import { validateChain } from "./chain.ts";
import { ChainError, type ChainErrorCode } from "./errors.ts";
import { fingerprint } from "./fingerprint.ts";
import { generateIdentity, generateOnlineCertificate } from "./identity.ts";
import { encodeName, extension, issueCertificate, keyIdentifier } from "./issue.ts";

const DAY = 86_400_000;

interface Issued {
  readonly key: PrivateKey<SignatureAlgorithm>;
  readonly der: Uint8Array;
}

/** A certificate for `cn` signed by `issuer` (self-signed without one), valid a year around now. */
function issue(
  cn: string,
  issuer: Issued | undefined,
  extensions: (keyId: Uint8Array) => Extension[],
  validity = { notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + 365 * DAY) },
): Issued {
  const { privateKey: key, publicKey } = generateKeyPair("Ed25519");
  const subject = encodeName({ commonName: cn });
  const der = issueCertificate({
    serialNumber: Uint8Array.of(1),
    issuer: issuer ? parseCertificate(issuer.der).subject.der : subject,
    subject,
    ...validity,
    publicKey,
    extensions: extensions(keyIdentifier(publicKey)),
  }, issuer?.key ?? key);
  return { key, der };
}

const ca = (id: Uint8Array) => [extension.subjectKeyIdentifier(id), extension.basicConstraints(true, true)];
const leaf = () => [extension.basicConstraints(false, false)];

function rejects(code: ChainErrorCode, f: () => unknown): void {
  assert.throws(f, (e) => {
    assert.ok(e instanceof ChainError, `expected ChainError, got ${e}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

Deno.test("validateChain: [leaf, ca] identifies the server by SHA-256 of the CA certificate", () => {
  const { ca, server } = generateIdentity({ commonName: "smp.example.com" });
  const v = validateChain([server.cert, ca.cert], fingerprint(ca.cert));
  assert.deepEqual(v.idCert.der, ca.cert);
  assert.deepEqual(v.caCert.der, ca.cert);
  assert.equal(v.leaf.subject.commonName, "smp.example.com");
  assert.equal(v.certificates.length, 2);
});

Deno.test("validateChain: [leaf, id, ca] and [leaf, id, _, ca] take the second certificate as identity", () => {
  const root = issue("network", undefined, ca);
  const middle = issue("operator", root, ca);
  const id = issue("identity", middle, ca);
  const server = issue("server", id, leaf);
  const three = validateChain([server.der, id.der, middle.der], fingerprint(id.der));
  assert.equal(three.idCert.subject.commonName, "identity");
  assert.equal(three.caCert.subject.commonName, "operator");
  const four = validateChain([server.der, id.der, middle.der, root.der], fingerprint(id.der));
  assert.equal(four.idCert.subject.commonName, "identity");
  assert.equal(four.caCert.subject.commonName, "network");
});

Deno.test("validateChain: fewer than 2 certificates is EMPTY_CHAIN, more than 4 CHAIN_TOO_LONG", () => {
  const { ca, server } = generateIdentity({ commonName: "h" });
  const hash = fingerprint(ca.cert);
  rejects("EMPTY_CHAIN", () => validateChain([], hash));
  rejects("EMPTY_CHAIN", () => validateChain([ca.cert], hash));
  rejects("CHAIN_TOO_LONG", () => validateChain([server.cert, ca.cert, ca.cert, ca.cert, ca.cert], hash));
});

Deno.test("validateChain: a different key hash is UNKNOWN_CA, even for a chain that is otherwise valid", () => {
  const { ca, server } = generateIdentity({ commonName: "h" });
  const other = generateIdentity({ commonName: "h" });
  rejects("UNKNOWN_CA", () => validateChain([server.cert, ca.cert], fingerprint(other.ca.cert)));
  rejects("UNKNOWN_CA", () => validateChain([server.cert, ca.cert], fingerprint(ca.cert).subarray(0, 31)));
  // the hash of the leaf is not the identity either
  rejects("UNKNOWN_CA", () => validateChain([server.cert, ca.cert], fingerprint(server.cert)));
});

Deno.test("validateChain: a flipped byte in the leaf signature is BAD_SIGNATURE", () => {
  const { ca, server } = generateIdentity({ commonName: "h" });
  const forged = server.cert.slice();
  forged[forged.length - 1] ^= 1;
  rejects("BAD_SIGNATURE", () => validateChain([forged, ca.cert], fingerprint(ca.cert)));
});

Deno.test("validateChain: a leaf signed by another CA with the same name is BAD_SIGNATURE", () => {
  const { ca } = generateIdentity({ commonName: "h" });
  const impostor = generateIdentity({ commonName: "h" });
  rejects("BAD_SIGNATURE", () => validateChain([impostor.server.cert, ca.cert], fingerprint(ca.cert)));
});

Deno.test("validateChain: a leaf whose issuer name is not the next subject is ISSUER_MISMATCH", () => {
  const root = issue("root", undefined, ca);
  const stranger = issue("stranger", undefined, ca);
  const server = issue("server", stranger, leaf);
  rejects("ISSUER_MISMATCH", () => validateChain([server.der, root.der], fingerprint(root.der)));
});

Deno.test("validateChain: EXPIRED after notAfter and NOT_YET_VALID before notBefore", () => {
  const { ca, server } = generateIdentity({ commonName: "h" });
  const hash = fingerprint(ca.cert);
  rejects("EXPIRED", () => validateChain([server.cert, ca.cert], hash, new Date("5000-01-01T00:00:00Z")));
  rejects("NOT_YET_VALID", () => validateChain([server.cert, ca.cert], hash, new Date(Date.now() - DAY)));
  const expired = generateOnlineCertificate(ca.key, ca.cert, {
    commonName: "h",
    notBefore: new Date(Date.now() - 10 * DAY),
    notAfter: new Date(Date.now() - DAY),
  });
  rejects("EXPIRED", () => validateChain([expired.cert, ca.cert], hash));
});

Deno.test("validateChain: an issuer without CA:true, or without keyCertSign when keyUsage is present, is NOT_CA", () => {
  const notCa = issue("not a CA", undefined, (id) => [extension.subjectKeyIdentifier(id)]);
  const server = issue("server", notCa, leaf);
  rejects("NOT_CA", () => validateChain([server.der, notCa.der], fingerprint(notCa.der)));

  const caFalse = issue("CA:FALSE", undefined, () => [extension.basicConstraints(false, true)]);
  const server2 = issue("server", caFalse, leaf);
  rejects("NOT_CA", () => validateChain([server2.der, caFalse.der], fingerprint(caFalse.der)));

  const noCertSign = issue(
    "CA without keyCertSign",
    undefined,
    (id) => [...ca(id), extension.keyUsage(["cRLSign"])],
  );
  const server3 = issue("server", noCertSign, leaf);
  rejects("NOT_CA", () => validateChain([server3.der, noCertSign.der], fingerprint(noCertSign.der)));

  const withCertSign = issue(
    "CA with keyCertSign",
    undefined,
    (id) => [...ca(id), extension.keyUsage(["keyCertSign"])],
  );
  const server4 = issue("server", withCertSign, leaf);
  validateChain([server4.der, withCertSign.der], fingerprint(withCertSign.der));
});

Deno.test("validateChain: pathLenConstraint 0 forbids an intermediate below the issuer (NOT_CA)", () => {
  const pathLen0: Extension = {
    oid: Oid.basicConstraints,
    critical: true,
    value: encodeSequence(encodeBoolean(true), encodeUnsignedInteger(0)),
  };
  const root = issue("root", undefined, () => [pathLen0]);
  const id = issue("identity", root, ca);
  const server = issue("server", id, leaf);
  rejects("NOT_CA", () => validateChain([server.der, id.der, root.der], fingerprint(id.der)));
  validateChain([id.der, root.der], fingerprint(root.der));
});

Deno.test("validateChain: an unparsable certificate is MALFORMED", () => {
  const { ca, server } = generateIdentity({ commonName: "h" });
  rejects("MALFORMED", () => validateChain([server.cert.subarray(0, 100), ca.cert], fingerprint(ca.cert)));
});

/** An X.509 v1 certificate (no version field, no extensions), which `issueCertificate` never makes. */
function issueV1(cn: string, issuer: Issued): Uint8Array {
  const algorithm = encodeSequence(encodeOid(Oid.Ed25519));
  const tbs = encodeSequence(
    encodeUnsignedInteger(7),
    algorithm,
    parseCertificate(issuer.der).subject.der,
    encodeSequence(encodeTime(new Date(Date.now() - DAY)), encodeTime(new Date(Date.now() + DAY))),
    encodeName({ commonName: cn }),
    encodePublicKeyDer(generateKeyPair("Ed25519").publicKey),
  );
  return encodeSequence(tbs, algorithm, encodeBitString(sign(issuer.key, tbs)));
}

Deno.test("validateChain: a v1 leaf is NOT_V3", () => {
  const root = issue("root", undefined, ca);
  const v1 = issueV1("server", root);
  assert.equal(parseCertificate(v1).version, 1);
  assert.deepEqual(parseCertificate(v1).extensions, []);
  rejects("NOT_V3", () => validateChain([v1, root.der], fingerprint(root.der)));
});
