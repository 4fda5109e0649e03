/**
 * Server credentials the way `smp-server init` and `smp-server cert` make them (SMP §1.2, XFTP §1.1;
 * the reference shells out to `openssl` with openssl_ca.conf / openssl_server.conf):
 * an offline identity CA whose certificate's SHA-256 is the server address's key hash, and an
 * online TLS certificate it signs, which `cert` can replace while the identity stays.
 */
import {
  generateKeyPair,
  type PrivateKey,
  publicKeyOf,
  randomBytes,
  type SignatureAlgorithm,
} from "../crypto/keys.ts";
import { bytesEqual } from "../encoding/bytes.ts";
import { parseCertificate } from "./certificate.ts";
import { X509Error } from "./errors.ts";
import { encodeName, extension, issueCertificate, keyIdentifier } from "./issue.ts";

export const CA_COMMON_NAME = "SMP server CA";
export const CA_ORGANIZATION = "SimpleX";
/** `openssl req -x509 -days 999999` / `openssl x509 -req -days 999999`. */
export const CERTIFICATE_VALIDITY_DAYS = 999999;

/** A certificate (DER) and its private key. */
export interface Credential {
  readonly key: PrivateKey<SignatureAlgorithm>;
  readonly cert: Uint8Array;
}

/** The offline CA (`ca.key`, `ca.crt`) and the online certificate (`server.key`, `server.crt`). */
export interface Identity {
  readonly ca: Credential;
  readonly server: Credential;
}

export interface CertificateOptions {
  /** The host the server is reached at (FQDN or IP), the online certificate's CN. */
  readonly commonName: string;
  /** Ed25519 is what `init` uses since Feb 2024; Ed448 for older servers and the reference fixtures. */
  readonly algorithm?: SignatureAlgorithm;
  /** Defaults: now, and CERTIFICATE_VALIDITY_DAYS after it. */
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

export function generateIdentity(options: CertificateOptions): Identity {
  const { privateKey: key, publicKey } = generateKeyPair(options.algorithm ?? "Ed25519");
  const name = encodeName({ commonName: CA_COMMON_NAME, organization: CA_ORGANIZATION });
  const keyId = keyIdentifier(publicKey);
  const cert = issueCertificate({
    serialNumber: randomSerialNumber(),
    issuer: name,
    subject: name,
    ...validity(options),
    publicKey,
    // openssl_ca.conf [v3], in the order OpenSSL writes them
    extensions: [
      extension.subjectKeyIdentifier(keyId),
      extension.authorityKeyIdentifier(keyId),
      extension.basicConstraints(true, true),
    ],
  }, key);
  return { ca: { key, cert }, server: generateOnlineCertificate(key, cert, options) };
}

/** A new online certificate signed by the existing CA (the `cert` command); throws if the key is not the CA's. */
export function generateOnlineCertificate(
  caKey: PrivateKey<SignatureAlgorithm>,
  caCertDer: Uint8Array,
  options: CertificateOptions,
): Credential {
  const ca = parseCertificate(caCertDer);
  const caPublic = publicKeyOf(caKey);
  if (!("key" in ca.publicKey) || !bytesEqual(ca.publicKey.key.raw, caPublic.raw)) {
    throw new X509Error("BAD_KEY", "the CA private key does not belong to the CA certificate");
  }
  const { privateKey: key, publicKey } = generateKeyPair(options.algorithm ?? caKey.algorithm);
  const cert = issueCertificate({
    serialNumber: randomSerialNumber(),
    issuer: ca.subject.der,
    subject: encodeName({ commonName: options.commonName }),
    ...validity(options),
    publicKey,
    // openssl_server.conf [v3]; OpenSSL 3 adds the key identifiers itself
    extensions: [
      extension.basicConstraints(false, false),
      extension.keyUsage(["digitalSignature", "nonRepudiation", "keyAgreement"]),
      extension.extendedKeyUsage(["1.3.6.1.5.5.7.3.1"]), // serverAuth
      extension.subjectKeyIdentifier(keyIdentifier(publicKey)),
      extension.authorityKeyIdentifier(ca.subjectKeyId ?? keyIdentifier(caPublic)),
    ],
  }, caKey);
  return { key, cert };
}

function validity(options: CertificateOptions): { notBefore: Date; notAfter: Date } {
  // certificate times have whole seconds
  const notBefore = new Date(Math.floor((options.notBefore ?? new Date()).getTime() / 1000) * 1000);
  const notAfter = options.notAfter ?? new Date(notBefore.getTime() + CERTIFICATE_VALIDITY_DAYS * 86_400_000);
  return { notBefore, notAfter: new Date(Math.floor(notAfter.getTime() / 1000) * 1000) };
}

/** 20 bytes under a fixed `01` bit prefix: positive, never shortened, 158 random bits (OpenSSL uses 159). */
function randomSerialNumber(): Uint8Array {
  const serial = randomBytes(20);
  serial[0] = (serial[0] & 0x7f) | 0x40;
  return serial;
}
