/**
 * CertificateVerify (RFC 8446 §4.4.3): the signed content and the signature schemes this stack
 * uses. SimpleX peers sign with Ed25519 or Ed448; a server may also hold an ECDSA P-256 "web"
 * certificate for browsers. Signing and verifying run in node:crypto.
 */
import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import { fail } from "./errors.ts";

export const SignatureScheme = {
  ecdsa_secp256r1_sha256: 0x0403,
  ed25519: 0x0807,
  ed448: 0x0808,
} as const;
export type SignatureScheme = (typeof SignatureScheme)[keyof typeof SignatureScheme];

/** What a SimpleX client offers (smp.md §1.2: ed448 and ed25519 only, intrinsic). */
export const SIMPLEX_SIGNATURE_SCHEMES: readonly SignatureScheme[] = [
  SignatureScheme.ed448,
  SignatureScheme.ed25519,
];

/** `0x20 × 64 ‖ context string ‖ 0x00 ‖ Transcript-Hash` (RFC 8446 §4.4.3). */
export function certificateVerifyContent(side: "server" | "client", transcriptHash: Uint8Array): Uint8Array {
  const context = new TextEncoder().encode(`TLS 1.3, ${side} CertificateVerify`);
  const out = new Uint8Array(64 + context.length + 1 + transcriptHash.length);
  out.fill(0x20, 0, 64);
  out.set(context, 64);
  out.set(transcriptHash, 64 + context.length + 1);
  return out;
}

/** The one scheme a key signs with in TLS 1.3, or undefined for keys this stack cannot use. */
export function schemeOfKey(key: KeyObject): SignatureScheme | undefined {
  switch (key.asymmetricKeyType) {
    case "ed25519":
      return SignatureScheme.ed25519;
    case "ed448":
      return SignatureScheme.ed448;
    case "ec":
      return key.asymmetricKeyDetails?.namedCurve === "prime256v1"
        ? SignatureScheme.ecdsa_secp256r1_sha256
        : undefined;
    default:
      return undefined;
  }
}

/** A private key given as PKCS#8 DER or PEM text. */
export function loadPrivateKey(key: Uint8Array | string): KeyObject {
  return typeof key === "string"
    ? createPrivateKey(key)
    : createPrivateKey({ key: Buffer.from(key), format: "der", type: "pkcs8" });
}

export function signWith(key: KeyObject, scheme: SignatureScheme, content: Uint8Array): Uint8Array {
  const digest = scheme === SignatureScheme.ecdsa_secp256r1_sha256 ? "sha256" : null;
  return new Uint8Array(sign(digest, content, { key, dsaEncoding: "der" }));
}

/**
 * Verifies a CertificateVerify signature made with the key of `spki` (the leaf's
 * SubjectPublicKeyInfo DER). The scheme must be one we offered and must match the key type.
 */
export function verifyCertificateVerify(
  spki: Uint8Array,
  scheme: number,
  offered: readonly number[],
  content: Uint8Array,
  signature: Uint8Array,
): void {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
  } catch (e) {
    fail("bad_certificate", "unusable leaf public key", e);
  }
  if (!offered.includes(scheme)) {
    fail("illegal_parameter", `signature scheme 0x${scheme.toString(16)} not offered`);
  }
  if (schemeOfKey(key) !== scheme) fail("illegal_parameter", "signature scheme does not match the leaf key");
  const digest = scheme === SignatureScheme.ecdsa_secp256r1_sha256 ? "sha256" : null;
  let ok = false;
  try {
    ok = verify(digest, content, { key, dsaEncoding: "der" }, signature);
  } catch {
    ok = false;
  }
  if (!ok) fail("bad_certificate_verify", "CertificateVerify signature is invalid");
}
