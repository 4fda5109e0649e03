/**
 * The SimpleX certificate chain rule (SMP §1.2 "Client-side TLS validation", Transport/Shared.hs
 * `chainIdCaCerts` + `x509validate`): a 2-4 certificate chain names an identity certificate whose
 * SHA-256 must be the server's key hash, and is path-validated with its last certificate as the
 * only trust anchor. There is deliberately no hostname check.
 */
import { bytesEqual, constantTimeEqual } from "../encoding/bytes.ts";
import { type Certificate, parseCertificate } from "./certificate.ts";
import { ChainError, X509Error } from "./errors.ts";
import { fingerprint } from "./fingerprint.ts";
import { isSignedBy } from "./signature.ts";

export interface ValidatedChain {
  /** The certificates as presented, leaf first. */
  readonly certificates: readonly Certificate[];
  readonly leaf: Certificate;
  /** The certificate whose SHA-256 is the server identity (the CA in a 2-certificate chain). */
  readonly idCert: Certificate;
  /** The trust anchor: always the last certificate. */
  readonly caCert: Certificate;
}

/**
 * Validates a DER chain (leaf first) against the expected identity `keyHash` at time `now`;
 * returns the parsed certificates or throws ChainError with the reason.
 */
export function validateChain(
  chain: readonly Uint8Array[],
  keyHash: Uint8Array,
  now = new Date(),
): ValidatedChain {
  if (chain.length < 2) {
    throw new ChainError("EMPTY_CHAIN", `a chain needs 2-4 certificates, got ${chain.length}`);
  }
  if (chain.length > 4) {
    throw new ChainError("CHAIN_TOO_LONG", `a chain has 2-4 certificates, got ${chain.length}`);
  }
  const certificates = chain.map((der, i) => {
    try {
      return parseCertificate(der);
    } catch (e) {
      if (e instanceof X509Error) throw new ChainError("MALFORMED", `certificate ${i}: ${e.message}`);
      throw e;
    }
  });
  const leaf = certificates[0];
  const idCert = certificates[1];
  const caCert = certificates[certificates.length - 1];
  if (!constantTimeEqual(fingerprint(idCert.der), keyHash)) {
    throw new ChainError("UNKNOWN_CA", "the identity certificate does not match the server key hash");
  }
  if (leaf.version !== 3) throw new ChainError("NOT_V3", `the leaf certificate is v${leaf.version}`);
  certificates.forEach((cert, i) => checkValidity(cert, i, now));
  for (let i = 0; i < certificates.length - 1; i++) checkIssuedBy(certificates[i], certificates[i + 1], i);
  return { certificates, leaf, idCert, caCert };
}

function checkValidity(cert: Certificate, index: number, now: Date): void {
  if (now < cert.notBefore) throw new ChainError("NOT_YET_VALID", `certificate ${index} is not valid yet`);
  if (now > cert.notAfter) throw new ChainError("EXPIRED", `certificate ${index} has expired`);
}

/** `issuer` (at position index + 1) may sign, and did sign, `cert` (at `index`). */
function checkIssuedBy(cert: Certificate, issuer: Certificate, index: number): void {
  const at = `certificate ${index + 1}`;
  if (!bytesEqual(cert.issuer.der, issuer.subject.der)) {
    throw new ChainError("ISSUER_MISMATCH", `the issuer of certificate ${index} is not the subject of ${at}`);
  }
  if (!issuer.isCA) throw new ChainError("NOT_CA", `${at} is not a CA (basicConstraints)`);
  if (issuer.keyUsage && !issuer.keyUsage.includes("keyCertSign")) {
    throw new ChainError("NOT_CA", `${at} may not sign certificates (keyUsage)`);
  }
  // RFC 5280 §4.2.1.9: pathLenConstraint counts the intermediates below the issuer (1..index)
  if (issuer.pathLenConstraint !== undefined && index > issuer.pathLenConstraint) {
    throw new ChainError("NOT_CA", `${at} allows ${issuer.pathLenConstraint} intermediates below it`);
  }
  if (!isSignedBy(cert, issuer)) {
    throw new ChainError("BAD_SIGNATURE", `certificate ${index} is not signed by ${at}`);
  }
}
