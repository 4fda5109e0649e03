/**
 * The algorithms of browser-trusted "web" certificates an XFTP server may present on SNI
 * connections (XFTP §1.1): ECDSA P-256/P-384 and RSA PKCS#1 v1.5, made by OpenSSL.
 */
import assert from "node:assert/strict";
import {
  ChainError,
  fingerprint,
  parseCertificate,
  validateChain,
  verifyCertificateSignature,
} from "../../core/x509/mod.ts";
import { OpensslDir } from "./_openssl.ts";

interface WebCase {
  readonly name: string;
  readonly caKey: string[];
  readonly leafKey: string[];
  readonly digest: string;
  readonly caType: string;
  readonly leafType: string;
  readonly signature: string;
}

const P256 = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];
const P384 = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"];
const RSA = ["-newkey", "rsa:2048"];

const CASES: WebCase[] = [
  {
    name: "ECDSA P-256",
    caKey: P256,
    leafKey: P256,
    digest: "sha256",
    caType: "ECDSA-P256",
    leafType: "ECDSA-P256",
    signature: "ECDSA-SHA256",
  },
  {
    name: "ECDSA P-384 CA over a P-256 leaf",
    caKey: P384,
    leafKey: P256,
    digest: "sha384",
    caType: "ECDSA-P384",
    leafType: "ECDSA-P256",
    signature: "ECDSA-SHA384",
  },
  {
    name: "RSA",
    caKey: RSA,
    leafKey: RSA,
    digest: "sha256",
    caType: "RSA",
    leafType: "RSA",
    signature: "RSA-SHA256",
  },
  {
    name: "RSA CA over an ECDSA leaf",
    caKey: RSA,
    leafKey: P256,
    digest: "sha256",
    caType: "RSA",
    leafType: "ECDSA-P256",
    signature: "RSA-SHA256",
  },
];

const LEAF_EXTENSIONS = `[v3]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:xftp.example.com
`;

/** A CA and a leaf it signs, as a web PKI would issue them; DER, leaf first. */
async function webChain(dir: OpensslDir, c: WebCase): Promise<[Uint8Array, Uint8Array]> {
  await dir.run([
    ...["req", "-x509", ...c.caKey, "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "30"],
    ...["-subj", "/CN=Web CA/O=Example", "-" + c.digest],
    ...["-addext", "basicConstraints=critical,CA:true", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
  ]);
  await dir.run([
    "req",
    "-new",
    ...c.leafKey,
    "-nodes",
    "-keyout",
    "leaf.key",
    "-out",
    "leaf.csr",
    "-subj",
    "/CN=xftp.example.com",
  ]);
  await dir.write("leaf.conf", LEAF_EXTENSIONS);
  await dir.run([
    ...[
      "x509",
      "-req",
      "-in",
      "leaf.csr",
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "30",
    ],
    ...["-" + c.digest, "-extfile", "leaf.conf", "-extensions", "v3", "-out", "leaf.crt"],
  ]);
  return [await dir.certificateDer("leaf.crt"), await dir.certificateDer("ca.crt")];
}

for (const c of CASES) {
  Deno.test(`web certificate, ${c.name}: parses, verifies, and a forged signature is BAD_SIGNATURE`, async () => {
    await using dir = await OpensslDir.create();
    const [leafDer, caDer] = await webChain(dir, c);
    const leaf = parseCertificate(leafDer);
    const ca = parseCertificate(caDer);
    assert.equal(ca.publicKey.type, c.caType);
    assert.equal(leaf.publicKey.type, c.leafType);
    assert.equal(leaf.signatureAlgorithm.name, c.signature);
    assert.deepEqual(ca.keyUsage, ["keyCertSign", "cRLSign"]);
    assert.deepEqual(leaf.keyUsage, ["digitalSignature"]);
    assert.equal(ca.subject.organization, "Example");
    assert.ok(verifyCertificateSignature(leaf, ca.publicKey));
    assert.ok(verifyCertificateSignature(ca, ca.publicKey), "self-signed");
    assert.ok(!verifyCertificateSignature(leaf, leaf.publicKey));

    const v = validateChain([leafDer, caDer], fingerprint(caDer));
    assert.equal(v.leaf.subject.commonName, "xftp.example.com");

    const forged = leafDer.slice();
    forged[forged.length - 5] ^= 0x10;
    assert.throws(
      () => validateChain([forged, caDer], fingerprint(caDer)),
      (e) => e instanceof ChainError && e.code === "BAD_SIGNATURE",
    );
  });
}
