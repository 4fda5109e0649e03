/**
 * A server's identity in its config directory, as the reference `smp-server` and `xftp-server`
 * keep it: the offline CA (`ca.key`, `ca.crt`), the online TLS credential (`server.key`,
 * `server.crt`) and `fingerprint`, the CA's hash that clients pin in the server address. Both
 * servers create, load and rotate it the same way, so both CLIs use these.
 */
import type { PrivateKey, SignatureAlgorithm } from "../crypto/keys.ts";
import { fingerprint, fingerprintB64u } from "../x509/fingerprint.ts";
import { generateIdentity, generateOnlineCertificate } from "../x509/identity.ts";
import { CommandError } from "../cli/command.ts";
import { X509Error } from "../x509/errors.ts";
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

/** An identity file that is missing or damaged, with what the operator can do about it. */
export class IdentityFileError extends CommandError {
  override name = "IdentityFileError";
}

/** `ca.key` is kept offline once a server runs; without it no new online certificate can be issued. */
export class CaKeyMissingError extends IdentityFileError {
  override name = "CaKeyMissingError";
}

/** Reads one identity file; a missing, unreadable or malformed one is an IdentityFileError. */
async function readIdentityFile<T>(
  path: string,
  read: (path: string) => Promise<T>,
  remedy: string,
): Promise<T> {
  try {
    return await read(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new IdentityFileError(`${path} is missing; ${remedy}`);
    if (e instanceof Deno.errors.PermissionDenied) {
      throw new IdentityFileError(`cannot read ${path}: permission denied; run as the user that owns it`);
    }
    if (e instanceof X509Error) throw new IdentityFileError(`${e.message}; ${remedy}`);
    throw e;
  }
}

const restoreIdentity = (cfgDir: string) =>
  `the server identity is damaged: restore ${cfgDir} from a backup (a new identity would change the server address)`;

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
export async function loadServerIdentity(
  cfgDir: string,
  certCommand = "the server's cert command",
): Promise<{ fp: string; identity: ServerIdentity }> {
  const online =
    `restore it from a backup, or issue a new online certificate with ${certCommand} (it needs ca.key)`;
  const ca = await readIdentityFile(`${cfgDir}/ca.crt`, readCertificateFile, restoreIdentity(cfgDir));
  const server = await readIdentityFile(`${cfgDir}/server.crt`, readCertificateFile, online);
  const signKey = await readIdentityFile(`${cfgDir}/server.key`, readPrivateKeyFile, online);
  const fp = fingerprintB64u(ca.der);
  const stored = (await Deno.readTextFile(`${cfgDir}/fingerprint`).catch(() => "")).trim();
  if (stored !== fp) {
    throw new IdentityFileError(
      `Stored fingerprint is invalid: ${cfgDir}/fingerprint does not match ca.crt; ${
        restoreIdentity(cfgDir)
      }`,
    );
  }
  return { fp, identity: { keyHash: fingerprint(ca.der), chain: [server.der, ca.der], signKey } };
}

/**
 * Issues a new online certificate from `ca.key` and replaces `server.key` and `server.crt`; the
 * identity, and so the fingerprint (returned), stays. The new certificate keeps the old one's
 * common name, or takes `host` when the old one has none or cannot be read. Throws CaKeyMissingError without `ca.key`.
 */
export async function rotateOnlineCertificate(cfgDir: string, host: string): Promise<string> {
  const caKey = await readPrivateKeyFile(`${cfgDir}/ca.key`).catch((e) => {
    if (e instanceof Deno.errors.NotFound) {
      throw new CaKeyMissingError(
        `${cfgDir}/ca.key is needed to issue a certificate: copy it back from where it is kept offline, then run this again`,
      );
    }
    throw e;
  });
  const ca = await readIdentityFile(`${cfgDir}/ca.crt`, readCertificateFile, restoreIdentity(cfgDir));
  // a missing or damaged server.crt is what this replaces: its name is only kept when it reads
  const old = await readCertificateFile(`${cfgDir}/server.crt`).catch(() => undefined);
  const credential = generateOnlineCertificate(caKey, ca.der, {
    commonName: old?.subject.commonName ?? host,
  });
  await writePrivateKeyFile(`${cfgDir}/server.key`, credential.key, { overwrite: true });
  await writeCertificateFile(`${cfgDir}/server.crt`, credential.cert, { overwrite: true });
  return fingerprintB64u(ca.der);
}
