/**
 * A server answers AUTH the same way whether the entity (queue, file) exists or not, and the
 * answer must take the same time too, or its timing tells which IDs exist. When there is no key to
 * check a signature against, or the key is of another kind, the signature is checked against a
 * throwaway key of the signature's own algorithm (`dummyVerifyCmd` in the reference servers).
 */
import { generateKeyPair, SIGNATURE_LENGTH, type SignatureAlgorithm, verify } from "./keys.ts";

const DUMMY_KEYS = {
  Ed25519: generateKeyPair("Ed25519").publicKey,
  Ed448: generateKeyPair("Ed448").publicKey,
};

/** The algorithm whose signatures have this length, if any. */
export function signatureAlgorithmOf(signature: Uint8Array): SignatureAlgorithm | undefined {
  if (signature.length === SIGNATURE_LENGTH.Ed25519) return "Ed25519";
  if (signature.length === SIGNATURE_LENGTH.Ed448) return "Ed448";
  return undefined;
}

/** Spends the time a real check of `signature` would; does nothing when it has no signature's length. */
export function dummyVerifySignature(message: Uint8Array, signature: Uint8Array): void {
  const alg = signatureAlgorithmOf(signature);
  if (alg) verify(DUMMY_KEYS[alg], message, signature);
}
