/** X.509 failures as values with a code: a malformed certificate, and a rejected chain. */

export type X509ErrorCode =
  | "MALFORMED_DER" // not well-formed DER: truncated, bad length, indefinite length, bad primitive
  | "UNEXPECTED_TAG" // well-formed DER, but not the structure RFC 5280 prescribes
  | "TRAILING_DATA" // bytes after the certificate (or after a field inside it)
  | "BAD_VALUE" // a field that decodes but has an impossible value
  | "BAD_TIME" // a validity time outside the RFC 5280 §4.1.2.5 forms
  | "BAD_EXTENSION" // a malformed or duplicated extension
  | "BAD_KEY" // a key that does not match its declared algorithm
  | "BAD_PEM"; // PEM armour or base64 is broken, or the expected block is missing

export class X509Error extends Error {
  override name = "X509Error";
  constructor(readonly code: X509ErrorCode, message: string) {
    super(message);
  }
}

/**
 * Why a certificate chain was rejected (SMP §1.2 "Client-side TLS validation"); one code per
 * failure so that a caller can map it to a TLS alert.
 */
export type ChainErrorCode =
  | "EMPTY_CHAIN" // 0 or 1 certificates
  | "CHAIN_TOO_LONG" // more than 4 certificates
  | "MALFORMED" // a certificate does not parse
  | "UNKNOWN_CA" // SHA-256 of the identity certificate is not the expected key hash
  | "ISSUER_MISMATCH" // a certificate's issuer is not the subject of the next one
  | "BAD_SIGNATURE" // a certificate is not signed by the next one (or by an unsupported algorithm)
  | "EXPIRED"
  | "NOT_YET_VALID"
  | "NOT_CA" // an issuer lacks CA:true, keyCertSign, or its path length allows no more certificates
  | "NOT_V3"; // the leaf is not an X.509 v3 certificate

export class ChainError extends Error {
  override name = "ChainError";
  constructor(readonly code: ChainErrorCode, message: string) {
    super(message);
  }
}
