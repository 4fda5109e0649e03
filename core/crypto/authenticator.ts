/**
 * The X25519 "authenticator" that stands in for a signature (`Crypto.cbAuthenticate`/`cbVerify`,
 * smp.md §3.1, xftp.md §1.5): `cryptoBox(X25519(priv, pub), nonce, SHA512(authorized))`, 80 bytes.
 * The nonce is `cbNonce(corrId)`.
 */
import { constantTimeEqual } from "../encoding/bytes.ts";
import { cbDecryptNoPad, cbEncryptNoPad } from "./box.ts";
import { sha512 } from "./hash.ts";
import { dh, KeyError, type PrivateKey, type PublicKey } from "./keys.ts";

export const CB_AUTHENTICATOR_LENGTH = 80; // 16-byte tag + 64-byte SHA-512

/**
 * The sender boxes with the server's session key and its queue key; the server recomputes the same
 * secret from the other two halves. Throws KeyError for a low-order public key.
 */
export function cbAuthenticate(
  theirs: PublicKey<"X25519">,
  ours: PrivateKey<"X25519">,
  nonce: Uint8Array,
  authorized: Uint8Array,
): Uint8Array {
  return cbEncryptNoPad(dh(theirs, ours), nonce, sha512(authorized));
}

/** True when `authenticator` opens to SHA512(authorized); any malformed input is just false. */
export function cbVerify(
  theirs: PublicKey<"X25519">,
  ours: PrivateKey<"X25519">,
  nonce: Uint8Array,
  authenticator: Uint8Array,
  authorized: Uint8Array,
): boolean {
  if (authenticator.length !== CB_AUTHENTICATOR_LENGTH) return false;
  let secret: Uint8Array;
  try {
    secret = dh(theirs, ours);
  } catch (e) {
    if (e instanceof KeyError) return false;
    throw e;
  }
  const opened = cbDecryptNoPad(secret, nonce, authenticator);
  return opened.ok && constantTimeEqual(opened.value, sha512(authorized));
}
