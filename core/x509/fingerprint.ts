/**
 * Server identity (SMP §1.2): SHA-256 of the whole DER of the identity certificate, not of its key;
 * written as base64url with `=` padding (44 characters) in addresses and `<cfg>/fingerprint`.
 */
import { sha256 } from "../crypto/hash.ts";
import { encodeBase64Url } from "../encoding/base64.ts";

export function fingerprint(der: Uint8Array): Uint8Array {
  return sha256(der);
}

export function fingerprintB64u(der: Uint8Array): string {
  return encodeBase64Url(fingerprint(der));
}
