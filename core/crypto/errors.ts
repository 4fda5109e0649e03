/**
 * Decryption failures as values (ARCHITECTURE.md: errors are values at protocol boundaries).
 * The codes follow simplexmq's `CryptoError` constructors that can reach a peer.
 */

/**
 * - `DECRYPT`: a NaCl box or tail-tag stream failed authentication, or was too short (`CBDecryptError`);
 * - `AES_DECRYPT`: AES-256-GCM authentication failed (`AESDecryptError`);
 * - `PADDING`: the plaintext authenticated but its padding length prefix is invalid (`CryptoInvalidMsgError`).
 */
export type CryptoError = "DECRYPT" | "AES_DECRYPT" | "PADDING";

export type CryptoResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: CryptoError };

export function ok<T>(value: T): CryptoResult<T> {
  return { ok: true, value };
}

export function fail<T = never>(error: CryptoError): CryptoResult<T> {
  return { ok: false, error };
}
