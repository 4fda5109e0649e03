/**
 * A server's identity in its config directory, as the reference `smp-server` and `xftp-server`
 * keep it: the offline CA (`ca.key`, `ca.crt`), the online TLS credential (`server.key`,
 * `server.crt`) and `fingerprint`, the CA's hash that clients pin in the server address. Both
 * servers create, load and rotate it the same way, so both CLIs use these.
 */
import type { PrivateKey, SignatureAlgorithm } from "../crypto/keys.ts";
import { fingerprint, fingerprintB64u } from "../x509/fingerprint.ts";
import { generateIdentity, generateOnlineCertificate } from "../x509/identity.ts";
import {
  readCertificateFile,
  readPrivateKeyFile,
  writeCertificateFile,
  writeIdentityFiles,
  writePrivateKeyFile,
} from "../x509/files.ts";

/** What a server presents in TLS and its handshake. */
export interface ServerIdentity {
  /** SHA-256 of the identity (CA) certificate: the fingerprint in the server address */
  readonly keyHash: Uint8Array;
  /** the TLS chain, online certificate first */
  readonly chain: readonly Uint8Array[];
  /** the online certificate's key */
  readonly signKey: PrivateKey<SignatureAlgorithm>;
}

/** `ca.key` is kept offline once a server runs; without it no new online certificate can be issued. */
export class CaKeyMissingError extends Error {
  override name = "CaKeyMissingError";
}

/** Creates the identity files and `fingerprint` in `cfgDir` (which must exist); returns the fingerprint. */
export async function createServerIdentity(
  cfgDir: string,
  o: { readonly commonName: string; readonly algorithm: SignatureAlgorithm },
): Promise<string> {
  const identity = generateIdentity({ commonName: o.commonName, algorithm: o.algorithm });
  await writeIdentityFiles(cfgDir, identity);
  const fp = fingerprintB64u(identity.ca.cert);
  await Deno.writeTextFile(`${cfgDir}/fingerprint`, `${fp}\n`);
  return fp;
}

/**
 * The identity to serve with, and its fingerprint. The stored `fingerprint` is checked against
 * `ca.crt` (`checkSavedFingerprint`): a mismatch means the files were mixed up, and serving would
 * break every address already handed out.
 */
export async function loadServerIdentity(cfgDir: string): Promise<{ fp: string; identity: ServerIdentity }> {
  const ca = await readCertificateFile(`${cfgDir}/ca.crt`);
  const server = await readCertificateFile(`${cfgDir}/server.crt`);
  const signKey = await readPrivateKeyFile(`${cfgDir}/server.key`);
  const fp = fingerprintB64u(ca.der);
  const stored = (await Deno.readTextFile(`${cfgDir}/fingerprint`).catch(() => "")).trim();
  if (stored !== fp) {
    throw new Error(`Stored fingerprint is invalid: ${cfgDir}/fingerprint does not match ca.crt`);
  }
  return { fp, identity: { keyHash: fingerprint(ca.der), chain: [server.der, ca.der], signKey } };
}

/**
 * Issues a new online certificate from `ca.key` and replaces `server.key` and `server.crt`; the
 * identity, and so the fingerprint (returned), stays. The new certificate keeps the old one's
 * common name, or takes `host` when the old one has none. Throws CaKeyMissingError without `ca.key`.
 */
export async function rotateOnlineCertificate(cfgDir: string, host: string): Promise<string> {
  const caKey = await readPrivateKeyFile(`${cfgDir}/ca.key`).catch((e) => {
    if (e instanceof Deno.errors.NotFound) {
      throw new CaKeyMissingError(`${cfgDir}/ca.key is needed to issue a certificate`);
    }
    throw e;
  });
  const ca = await readCertificateFile(`${cfgDir}/ca.crt`);
  const old = await readCertificateFile(`${cfgDir}/server.crt`);
  const credential = generateOnlineCertificate(caKey, ca.der, {
    commonName: old.subject.commonName ?? host,
  });
  await writePrivateKeyFile(`${cfgDir}/server.key`, credential.key, { overwrite: true });
  await writeCertificateFile(`${cfgDir}/server.crt`, credential.cert, { overwrite: true });
  return fingerprintB64u(ca.der);
}
