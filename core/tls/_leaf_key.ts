/**
 * The one thing TLS needs from a certificate: the leaf's SubjectPublicKeyInfo, to check
 * CertificateVerify (RFC 8446 §4.4.3). Chain validation (the SimpleX rule) is the caller's
 * callback's job, typically core/x509 `validateChain`.
 */
import { parseCertificate } from "../x509/mod.ts";
import { fail } from "./errors.ts";

export function leafSubjectPublicKeyInfo(leafDer: Uint8Array): Uint8Array {
  try {
    return parseCertificate(leafDer).subjectPublicKeyInfo;
  } catch (e) {
    fail("bad_certificate", `leaf certificate does not parse: ${e instanceof Error ? e.message : e}`, e);
  }
}
