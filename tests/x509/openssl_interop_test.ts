/**
 * core/x509 against OpenSSL in both directions: OpenSSL accepts the identities we generate, and we
 * accept (and fingerprint identically) the ones `smp-server init` makes with OpenSSL.
 */
import assert from "node:assert/strict";
import { encodeBase64Url } from "../../core/encoding/base64.ts";
import {
  fingerprint,
  fingerprintB64u,
  generateIdentity,
  generateOnlineCertificate,
  issueCertificate,
  parseCertificate,
  parsePem,
  readPrivateKeyFile,
  validateChain,
  writeCertificateFile,
  writeIdentityFiles,
  writePrivateKeyFile,
} from "../../core/x509/mod.ts";
import { OpensslDir, opensslInit } from "./_openssl.ts";

const ALGORITHMS = [["Ed25519", "ED25519"], ["Ed448", "ED448"]] as const;

for (const [algorithm, opensslName] of ALGORITHMS) {
  Deno.test(`${algorithm} identity from generateIdentity passes openssl verify -purpose sslserver`, async () => {
    await using dir = await OpensslDir.create();
    await writeIdentityFiles(dir.dir, generateIdentity({ algorithm, commonName: "smp.example.com" }));
    const verdict = await dir.tryRun(
      ["verify", "-purpose", "sslserver", "-CAfile", "ca.crt", "server.crt"],
    );
    assert.ok(verdict.success, verdict.text);
    assert.match(verdict.text, /server\.crt: OK/);
  });

  Deno.test(`${algorithm} identity from generateIdentity reads in openssl x509 -text as smp-server init writes it`, async () => {
    await using dir = await OpensslDir.create();
    await writeIdentityFiles(dir.dir, generateIdentity({ algorithm, commonName: "smp.example.com" }));
    const ca = new TextDecoder().decode(await dir.run(["x509", "-in", "ca.crt", "-noout", "-text"]));
    assert.match(ca, /Version: 3 \(0x2\)/);
    assert.match(ca, new RegExp(`Signature Algorithm: ${opensslName}`));
    assert.match(ca, /Issuer: CN = SMP server CA, O = SimpleX/);
    assert.match(ca, /Subject: CN = SMP server CA, O = SimpleX/);
    assert.match(ca, /X509v3 Basic Constraints: critical\s+CA:TRUE/);
    const ski = ca.match(/X509v3 Subject Key Identifier:\s+([0-9A-F:]+)/)?.[1];
    assert.ok(ski);
    assert.match(ca, new RegExp(`X509v3 Authority Key Identifier:\\s+(keyid:)?${ski}`));
    assert.match(ca, /Not After : .* 4764 GMT/);

    const server = new TextDecoder().decode(await dir.run(["x509", "-in", "server.crt", "-noout", "-text"]));
    assert.match(server, /Issuer: CN = SMP server CA, O = SimpleX/);
    assert.match(server, /Subject: CN = smp\.example\.com\n/);
    assert.match(server, /X509v3 Basic Constraints: \n\s+CA:FALSE/);
    assert.match(server, /X509v3 Key Usage: \n\s+Digital Signature, Non Repudiation, Key Agreement\n/);
    assert.match(server, /X509v3 Extended Key Usage: \n\s+TLS Web Server Authentication\n/);
    assert.match(server, /X509v3 Subject Key Identifier:/);
    assert.match(server, new RegExp(`X509v3 Authority Key Identifier:\\s+(keyid:)?${ski}`));
  });

  Deno.test(`${algorithm} identity from generateIdentity: fingerprint and keys agree with OpenSSL`, async () => {
    await using dir = await OpensslDir.create();
    const identity = generateIdentity({ algorithm, commonName: "smp.example.com" });
    await writeIdentityFiles(dir.dir, identity);
    assert.equal(fingerprintB64u(identity.ca.cert), encodeBase64Url(await dir.fingerprint("ca.crt")));
    assert.equal(fingerprintB64u(identity.ca.cert), await dir.fingerprintB64uByShell("ca.crt"));
    assert.equal(fingerprintB64u(identity.ca.cert).length, 44);
    assert.deepEqual(await dir.certificateDer("server.crt"), identity.server.cert);
    // OpenSSL reads our PKCS#8 keys, and each is the key of its certificate
    for (const name of ["ca", "server"]) {
      const fromKey = await dir.run(["pkey", "-in", `${name}.key`, "-pubout", "-outform", "DER"]);
      const fromCert = await dir.run(["x509", "-in", `${name}.crt`, "-noout", "-pubkey"]);
      assert.deepEqual(fromKey, parsePem(new TextDecoder().decode(fromCert))[0].der);
    }
  });

  Deno.test(`${algorithm} identity from the smp-server init openssl commands validates with OpenSSL's fingerprint`, async () => {
    await using dir = await OpensslDir.create();
    await opensslInit(dir, opensslName, "smp.example.com");
    const caDer = await dir.certificateDer("ca.crt");
    const serverDer = await dir.certificateDer("server.crt");
    const opensslFingerprint = await dir.fingerprint("ca.crt");
    assert.deepEqual(fingerprint(caDer), opensslFingerprint);
    assert.equal(fingerprintB64u(caDer), await dir.fingerprintB64uByShell("ca.crt"));

    const v = validateChain([serverDer, caDer], opensslFingerprint);
    assert.equal(v.leaf.subject.commonName, "smp.example.com");
    assert.equal(v.idCert.subject.commonName, "SMP server CA");
    assert.equal(v.idCert.subject.organization, "SimpleX");
    assert.equal(v.leaf.publicKey.type, algorithm);
    assert.deepEqual(v.leaf.keyUsage, ["digitalSignature", "nonRepudiation", "keyAgreement"]);
    assert.deepEqual(v.leaf.extendedKeyUsage, ["serverAuth"]);
    assert.equal(v.idCert.isCA, true);
    assert.deepEqual(v.leaf.authorityKeyId, v.idCert.subjectKeyId);
  });

  Deno.test(`${algorithm} certificates OpenSSL made are re-issued byte for byte by issueCertificate`, async () => {
    // EdDSA is deterministic, so the same fields and key give the same certificate: this pins
    // our encoding (names, times, extensions, key identifiers) to OpenSSL's exactly
    await using dir = await OpensslDir.create();
    await opensslInit(dir, opensslName, "192.168.0.1");
    const caKey = await readPrivateKeyFile(dir.path("ca.key"));
    for (const name of ["ca.crt", "server.crt"]) {
      const der = await dir.certificateDer(name);
      const cert = parseCertificate(der);
      assert.equal(cert.publicKey.type, algorithm);
      if (cert.publicKey.type !== "Ed25519" && cert.publicKey.type !== "Ed448") return;
      const reissued = issueCertificate({
        serialNumber: cert.serialNumber,
        issuer: cert.issuer.der,
        subject: cert.subject.der,
        notBefore: cert.notBefore,
        notAfter: cert.notAfter,
        publicKey: cert.publicKey.key,
        extensions: cert.extensions,
      }, caKey);
      assert.deepEqual(reissued, der, name);
    }
  });

  Deno.test(`${algorithm} CA from openssl: generateOnlineCertificate rotates the server certificate, OpenSSL agrees`, async () => {
    await using dir = await OpensslDir.create();
    await opensslInit(dir, opensslName, "old.example.com");
    const caDer = await dir.certificateDer("ca.crt");
    const caKey = await readPrivateKeyFile(dir.path("ca.key"));
    const rotated = generateOnlineCertificate(caKey, caDer, { commonName: "new.example.com" });
    await writeCertificateFile(dir.path("server.crt"), rotated.cert, { overwrite: true });
    await writePrivateKeyFile(dir.path("server.key"), rotated.key, { overwrite: true });
    const verdict = await dir.tryRun(["verify", "-CAfile", "ca.crt", "server.crt"]);
    assert.ok(verdict.success, verdict.text);
    validateChain([rotated.cert, caDer], await dir.fingerprint("ca.crt"));
  });
}
