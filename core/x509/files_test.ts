import assert from "node:assert/strict";
import { join } from "node:path";
import { fingerprintB64u } from "./fingerprint.ts";
import { X509Error } from "./errors.ts";
import {
  readCertificateChainFile,
  readCertificateFile,
  readPrivateKeyFile,
  writeIdentityFiles,
  writePrivateKeyFile,
} from "./files.ts";
import { generateIdentity } from "./identity.ts";
import { encodePem } from "./pem.ts";

async function withTempDir(f: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "x509-files-" });
  try {
    await f(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const mode = async (path: string) => (await Deno.stat(path)).mode! & 0o777;

Deno.test("writeIdentityFiles: keys are 0600, certificates 0644, and everything reads back", async () => {
  await withTempDir(async (dir) => {
    const identity = generateIdentity({ algorithm: "Ed448", commonName: "smp.example.com" });
    await writeIdentityFiles(dir, identity);
    assert.deepEqual((await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort(), [
      "ca.crt",
      "ca.key",
      "server.crt",
      "server.key",
    ]);
    assert.equal(await mode(join(dir, "ca.key")), 0o600);
    assert.equal(await mode(join(dir, "server.key")), 0o600);
    assert.equal(await mode(join(dir, "ca.crt")), 0o644);
    assert.deepEqual(await readPrivateKeyFile(join(dir, "ca.key")), identity.ca.key);
    assert.deepEqual(await readPrivateKeyFile(join(dir, "server.key")), identity.server.key);
    assert.deepEqual((await readCertificateFile(join(dir, "ca.crt"))).der, identity.ca.cert);
    const server = await readCertificateFile(join(dir, "server.crt"));
    assert.equal(server.subject.commonName, "smp.example.com");
    assert.ok((await Deno.readTextFile(join(dir, "ca.key"))).startsWith("-----BEGIN PRIVATE KEY-----\n"));
  });
});

Deno.test("writePrivateKeyFile: replacing a world-readable file leaves a 0600 key and no temporary file", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "server.key");
    await Deno.writeTextFile(path, "old", { mode: 0o644 });
    await Deno.chmod(path, 0o644);
    const { server } = generateIdentity({ commonName: "h" });
    await writePrivateKeyFile(path, server.key, { overwrite: true });
    assert.equal(await mode(path), 0o600);
    assert.deepEqual(await readPrivateKeyFile(path), server.key);
    assert.deepEqual((await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name), ["server.key"]);
  });
});

Deno.test("writeIdentityFiles: refuses to replace an existing identity unless told to, writing nothing", async () => {
  await withTempDir(async (dir) => {
    const first = generateIdentity({ commonName: "h" });
    await writeIdentityFiles(dir, first);
    await Deno.remove(join(dir, "server.crt"));
    await assert.rejects(
      () => writeIdentityFiles(dir, generateIdentity({ commonName: "h" })),
      Deno.errors.AlreadyExists,
    );
    assert.deepEqual(await readPrivateKeyFile(join(dir, "ca.key")), first.ca.key);
    await assert.rejects(
      () => writePrivateKeyFile(join(dir, "ca.key"), first.server.key),
      Deno.errors.AlreadyExists,
    );
    assert.deepEqual((await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort(), [
      "ca.crt",
      "ca.key",
      "server.key",
    ]);
    const second = generateIdentity({ commonName: "h" });
    await writeIdentityFiles(dir, second, { overwrite: true });
    assert.deepEqual(await readPrivateKeyFile(join(dir, "ca.key")), second.ca.key);
    assert.equal(await mode(join(dir, "ca.key")), 0o600);
  });
});

Deno.test("readCertificateFile: exactly one certificate; readCertificateChainFile: all, in order", async () => {
  await withTempDir(async (dir) => {
    const { ca, server } = generateIdentity({ commonName: "h" });
    const path = join(dir, "chain.pem");
    await Deno.writeTextFile(path, encodePem("CERTIFICATE", server.cert) + encodePem("CERTIFICATE", ca.cert));
    const chain = await readCertificateChainFile(path);
    assert.deepEqual(chain.map((c) => fingerprintB64u(c.der)), [
      fingerprintB64u(server.cert),
      fingerprintB64u(ca.cert),
    ]);
    await assert.rejects(
      () => readCertificateFile(path),
      (e) => e instanceof X509Error && e.code === "BAD_PEM",
    );
  });
});

Deno.test("readPrivateKeyFile: a DH key or a missing key block is rejected", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "x.key");
    // PKCS#8 of an all-zero X25519 key
    const x25519 = Uint8Array.of(
      0x30,
      0x2e,
      2,
      1,
      0,
      0x30,
      5,
      6,
      3,
      0x2b,
      0x65,
      0x6e,
      4,
      0x22,
      4,
      0x20,
      ...new Uint8Array(32),
    );
    await Deno.writeTextFile(path, encodePem("PRIVATE KEY", x25519));
    await assert.rejects(
      () => readPrivateKeyFile(path),
      (e) => e instanceof X509Error && e.code === "BAD_KEY",
    );
    await Deno.writeTextFile(path, encodePem("CERTIFICATE", Uint8Array.of(1)));
    await assert.rejects(
      () => readPrivateKeyFile(path),
      (e) => e instanceof X509Error && e.code === "BAD_PEM",
    );
  });
});
