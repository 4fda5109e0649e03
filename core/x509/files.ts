/**
 * The credential files of a server's config directory: `ca.key`, `ca.crt`, `server.key`,
 * `server.crt`, as PEM (certificates `CERTIFICATE`, keys PKCS#8 `PRIVATE KEY`), like OpenSSL writes them.
 */
import { join } from "node:path";
import {
  decodePrivateKeyDer,
  encodePrivateKeyDer,
  KeyError,
  type PrivateKey,
  randomBytes,
} from "../crypto/keys.ts";
import type { SignatureAlgorithm } from "../crypto/keys.ts";
import { toHex, utf8 } from "../encoding/bytes.ts";
import { type Certificate, parseCertificate } from "./certificate.ts";
import { X509Error } from "./errors.ts";
import type { Identity } from "./identity.ts";
import { encodePem, parsePem, type PemBlock } from "./pem.ts";

export const IdentityFile = {
  caKey: "ca.key",
  caCert: "ca.crt",
  serverKey: "server.key",
  serverCert: "server.crt",
} as const;

export interface WriteOptions {
  /**
   * Replace existing files. Off by default: a replaced `ca.key` is a lost server identity, so only
   * certificate rotation (`server.key`, `server.crt`) should turn it on.
   */
  readonly overwrite?: boolean;
}

/** Writes the four files into `dir` (which must exist); throws Deno.errors.AlreadyExists before writing any if one exists. */
export async function writeIdentityFiles(
  dir: string,
  identity: Identity,
  options: WriteOptions = {},
): Promise<void> {
  if (!options.overwrite) {
    for (const name of Object.values(IdentityFile)) {
      if (await exists(join(dir, name))) throw new Deno.errors.AlreadyExists(`${join(dir, name)} exists`);
    }
  }
  await writePrivateKeyFile(join(dir, IdentityFile.caKey), identity.ca.key, options);
  await writeCertificateFile(join(dir, IdentityFile.caCert), identity.ca.cert, options);
  await writePrivateKeyFile(join(dir, IdentityFile.serverKey), identity.server.key, options);
  await writeCertificateFile(join(dir, IdentityFile.serverCert), identity.server.cert, options);
}

/** A PKCS#8 PEM private key file, mode 0600 from the moment it exists. */
export function writePrivateKeyFile(
  path: string,
  key: PrivateKey,
  options: WriteOptions = {},
): Promise<void> {
  return writeFileAtomic(path, encodePem("PRIVATE KEY", encodePrivateKeyDer(key)), 0o600, options);
}

export function writeCertificateFile(
  path: string,
  der: Uint8Array,
  options: WriteOptions = {},
): Promise<void> {
  return writeFileAtomic(path, encodePem("CERTIFICATE", der), 0o644, options);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/**
 * Writes a sibling temporary file created with `mode` (so a key is never readable by others, not
 * even between create and chmod), then puts it in place in one step: a rename over `path`, or a
 * hard link that fails if `path` exists; readers see the old file or the whole new one.
 */
async function writeFileAtomic(
  path: string,
  text: string,
  mode: number,
  options: WriteOptions,
): Promise<void> {
  const tmp = `${path}.${toHex(randomBytes(6))}.tmp`;
  const file = await Deno.open(tmp, { write: true, createNew: true, mode });
  try {
    try {
      const bytes = utf8.encode(text);
      for (let off = 0; off < bytes.length;) off += await file.write(bytes.subarray(off));
      await file.sync();
    } finally {
      file.close();
    }
    if (options.overwrite) {
      await Deno.rename(tmp, path);
    } else {
      await Deno.link(tmp, path);
      await Deno.remove(tmp);
    }
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

export async function readPemFile(path: string): Promise<PemBlock[]> {
  return parsePem(await Deno.readTextFile(path));
}

/** The single certificate in a PEM file (as `smp-server cert` expects of server.crt). */
export async function readCertificateFile(path: string): Promise<Certificate> {
  const certs = await readCertificateChainFile(path);
  if (certs.length !== 1) {
    throw new X509Error("BAD_PEM", `${path}: expected one certificate, found ${certs.length}`);
  }
  return certs[0];
}

/** All certificates in a PEM file, in file order (a web server's fullchain file). */
export async function readCertificateChainFile(path: string): Promise<Certificate[]> {
  const blocks = (await readPemFile(path)).filter((b) => b.label === "CERTIFICATE");
  return blocks.map((b) => parseCertificate(b.der));
}

/** An Ed25519/Ed448 PKCS#8 `PRIVATE KEY` file, as `openssl genpkey` writes it. */
export async function readPrivateKeyFile(path: string): Promise<PrivateKey<SignatureAlgorithm>> {
  const blocks = (await readPemFile(path)).filter((b) => b.label === "PRIVATE KEY");
  if (blocks.length !== 1) {
    throw new X509Error("BAD_PEM", `${path}: expected one PRIVATE KEY, found ${blocks.length}`);
  }
  try {
    const key = decodePrivateKeyDer(blocks[0].der);
    if (key.algorithm !== "Ed25519" && key.algorithm !== "Ed448") {
      throw new X509Error("BAD_KEY", `${path}: ${key.algorithm} is not a signature key`);
    }
    return key as PrivateKey<SignatureAlgorithm>;
  } catch (e) {
    if (e instanceof KeyError) throw new X509Error("BAD_KEY", `${path}: ${e.message}`);
    throw e;
  }
}
