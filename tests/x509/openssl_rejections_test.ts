/**
 * Chains made or damaged with OpenSSL that validateChain must reject, each with its own code; where
 * OpenSSL's own `verify` has a verdict, it is checked to agree.
 */
import assert from "node:assert/strict";
import {
  ChainError,
  type ChainErrorCode,
  encodePem,
  fingerprint,
  generateOnlineCertificate,
  readPrivateKeyFile,
  validateChain,
  writeCertificateFile,
} from "../../core/x509/mod.ts";
import { OpensslDir, opensslInit, serverConf } from "./_openssl.ts";

function rejects(code: ChainErrorCode, f: () => unknown): void {
  assert.throws(f, (e) => {
    assert.ok(e instanceof ChainError, `expected ChainError, got ${e}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

/** An `smp-server init` directory and its chain, DER. */
async function initialised(dir: OpensslDir) {
  await opensslInit(dir, "ED25519", "smp.example.com");
  const ca = await dir.certificateDer("ca.crt");
  const server = await dir.certificateDer("server.crt");
  return { ca, server, keyHash: await dir.fingerprint("ca.crt") };
}

/** `openssl x509 -req` of a CSR (server.csr by default) with extra arguments, signed by `issuer`; DER. */
async function signCsr(dir: OpensslDir, out: string, issuer: string, args: string[], csr = "server.csr") {
  await dir.run([
    ...["x509", "-req", "-in", csr, "-CA", `${issuer}.crt`, "-CAkey", `${issuer}.key`],
    ...["-CAcreateserial", "-out", out, ...args],
  ]);
  return dir.certificateDer(out);
}

Deno.test("openssl chain: 0, 1 and 5 certificates are rejected by length", async () => {
  await using dir = await OpensslDir.create();
  const { ca, server, keyHash } = await initialised(dir);
  rejects("EMPTY_CHAIN", () => validateChain([], keyHash));
  rejects("EMPTY_CHAIN", () => validateChain([ca], keyHash));
  rejects("CHAIN_TOO_LONG", () => validateChain([server, ca, ca, ca, ca], keyHash));
});

Deno.test("openssl chain: the fingerprint of another certificate is UNKNOWN_CA", async () => {
  await using dir = await OpensslDir.create();
  const { ca, server } = await initialised(dir);
  rejects("UNKNOWN_CA", () => validateChain([server, ca], fingerprint(server)));
  const flipped = fingerprint(ca);
  flipped[0] ^= 0x80;
  rejects("UNKNOWN_CA", () => validateChain([server, ca], flipped));
});

Deno.test("openssl chain: a flipped byte of the leaf signature is BAD_SIGNATURE, and OpenSSL agrees", async () => {
  await using dir = await OpensslDir.create();
  const { ca, server, keyHash } = await initialised(dir);
  const forged = server.slice();
  forged[forged.length - 10] ^= 0x01;
  rejects("BAD_SIGNATURE", () => validateChain([forged, ca], keyHash));
  await dir.write("forged.crt", encodePem("CERTIFICATE", forged));
  const verdict = await dir.tryRun(["verify", "-CAfile", "ca.crt", "forged.crt"]);
  assert.ok(!verdict.success);
  assert.match(verdict.text, /certificate signature failure/);
});

Deno.test("openssl chain: a certificate with -days -1 is EXPIRED, and OpenSSL agrees", async () => {
  await using dir = await OpensslDir.create();
  const { ca, keyHash } = await initialised(dir);
  const expired = await signCsr(dir, "expired.crt", "ca", [
    ...["-days", "-1", "-extfile", "openssl_server.conf", "-extensions", "v3"],
  ]);
  rejects("EXPIRED", () => validateChain([expired, ca], keyHash));
  const verdict = await dir.tryRun(["verify", "-CAfile", "ca.crt", "expired.crt"]);
  assert.match(verdict.text, /certificate has expired/);
});

Deno.test("openssl chain: our expired and not-yet-valid certificates are rejected by OpenSSL the same way", async () => {
  await using dir = await OpensslDir.create();
  const { ca, keyHash } = await initialised(dir);
  const caKey = await readPrivateKeyFile(dir.path("ca.key"));
  const day = 86_400_000;
  const cases = [
    { code: "EXPIRED", openssl: /certificate has expired/, notBefore: -10 * day, notAfter: -day },
    { code: "NOT_YET_VALID", openssl: /certificate is not yet valid/, notBefore: day, notAfter: 10 * day },
  ] as const;
  for (const { code, openssl, notBefore, notAfter } of cases) {
    const leaf = generateOnlineCertificate(caKey, ca, {
      commonName: "h",
      notBefore: new Date(Date.now() + notBefore),
      notAfter: new Date(Date.now() + notAfter),
    });
    rejects(code, () => validateChain([leaf.cert, ca], keyHash));
    await writeCertificateFile(dir.path("leaf.crt"), leaf.cert, { overwrite: true });
    assert.match((await dir.tryRun(["verify", "-CAfile", "ca.crt", "leaf.crt"])).text, openssl);
  }
});

Deno.test("openssl chain: a leaf signed by the (CA:FALSE) server certificate is NOT_CA, and OpenSSL agrees", async () => {
  await using dir = await OpensslDir.create();
  const { ca, server } = await initialised(dir);
  await dir.write("leaf.conf", serverConf("leaf.example.com"));
  await dir.run(["genpkey", "-algorithm", "ED25519", "-out", "leaf.key"]);
  await dir.run(["req", "-new", "-config", "leaf.conf", "-key", "leaf.key", "-out", "leaf.csr"]);
  const leaf = await signCsr(dir, "leaf.crt", "server", [
    ...["-days", "30", "-extfile", "leaf.conf", "-extensions", "v3"],
  ], "leaf.csr");
  // [leaf, id, ca]: the identity is the server certificate, which may not issue certificates
  rejects("NOT_CA", () => validateChain([leaf, server, ca], fingerprint(server)));
  const verdict = await dir.tryRun(["verify", "-CAfile", "ca.crt", "-untrusted", "server.crt", "leaf.crt"]);
  assert.ok(!verdict.success);
  assert.match(verdict.text, /invalid CA certificate/);
});

Deno.test("openssl chain: a v1 leaf (x509 -req without extensions) is NOT_V3, though OpenSSL accepts it", async () => {
  await using dir = await OpensslDir.create();
  const { ca, keyHash } = await initialised(dir);
  const v1 = await signCsr(dir, "v1.crt", "ca", ["-days", "30"]);
  assert.match(
    new TextDecoder().decode(await dir.run(["x509", "-in", "v1.crt", "-noout", "-text"])),
    /Version: 1/,
  );
  rejects("NOT_V3", () => validateChain([v1, ca], keyHash));
  assert.ok((await dir.tryRun(["verify", "-CAfile", "ca.crt", "v1.crt"])).success);
});
