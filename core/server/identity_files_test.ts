import assert from "node:assert/strict";
import {
  CaKeyMissingError,
  createServerIdentity,
  IdentityFileError,
  loadServerIdentity,
  rotateOnlineCertificate,
} from "./identity_files.ts";

async function withDir(f: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await f(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a created identity loads with its fingerprint and the chain online certificate first", () =>
  withDir(async (dir) => {
    const fp = await createServerIdentity(dir, { commonName: "example.com", algorithm: "Ed448" });
    assert.equal((await Deno.readTextFile(`${dir}/fingerprint`)).trim(), fp);
    const { fp: loaded, identity } = await loadServerIdentity(dir);
    assert.equal(loaded, fp);
    assert.equal(identity.chain.length, 2);
    assert.equal(identity.signKey.algorithm, "Ed448");
  }));

Deno.test("a stored fingerprint that does not match ca.crt refuses to load", () =>
  withDir(async (dir) => {
    await createServerIdentity(dir, { commonName: "127.0.0.1", algorithm: "Ed25519" });
    await Deno.writeTextFile(`${dir}/fingerprint`, "wrong\n");
    await assert.rejects(loadServerIdentity(dir), /Stored fingerprint is invalid/);
  }));

Deno.test("rotation replaces the online certificate and keeps the fingerprint", () =>
  withDir(async (dir) => {
    const fp = await createServerIdentity(dir, { commonName: "127.0.0.1", algorithm: "Ed25519" });
    const before = await loadServerIdentity(dir);
    assert.equal(await rotateOnlineCertificate(dir, "127.0.0.1"), fp);
    const after = await loadServerIdentity(dir);
    assert.equal(after.fp, fp);
    assert.notDeepEqual(after.identity.chain[0], before.identity.chain[0]);
    assert.deepEqual(after.identity.chain[1], before.identity.chain[1]);
  }));

Deno.test("rotation without ca.key is CaKeyMissingError and leaves the online certificate", () =>
  withDir(async (dir) => {
    await createServerIdentity(dir, { commonName: "127.0.0.1", algorithm: "Ed25519" });
    const cert = await Deno.readTextFile(`${dir}/server.crt`);
    await Deno.remove(`${dir}/ca.key`);
    await assert.rejects(rotateOnlineCertificate(dir, "127.0.0.1"), CaKeyMissingError);
    assert.equal(await Deno.readTextFile(`${dir}/server.crt`), cert);
  }));

Deno.test("a missing or damaged identity file is one IdentityFileError naming the file and the remedy", () =>
  withDir(async (dir) => {
    await createServerIdentity(dir, { commonName: "127.0.0.1", algorithm: "Ed25519" });
    await Deno.writeTextFile(`${dir}/server.crt`, "junk");
    await assert.rejects(
      loadServerIdentity(dir, '"simplex relay cert"'),
      (e) =>
        e instanceof IdentityFileError &&
        e.message === `${dir}/server.crt: expected one certificate, found 0; restore it from a backup, ` +
            `or issue a new online certificate with "simplex relay cert" (it needs ca.key)`,
    );
    // cert is the remedy: it replaces a damaged server.crt, and the server loads again
    await rotateOnlineCertificate(dir, "127.0.0.1");
    await loadServerIdentity(dir);
    await Deno.remove(`${dir}/ca.crt`);
    await assert.rejects(
      loadServerIdentity(dir),
      new RegExp(`${dir}/ca.crt is missing; the server identity is damaged`),
    );
  }));
