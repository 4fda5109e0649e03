/**
 * Checking a transmission's authorization against a queue key (Server.hs `verifyCmdAuthorization`,
 * smp.md §3.1): an Ed25519/Ed448 signature or an 80-byte X25519 authenticator over the
 * "authorized" bytes. When the queue or key is missing, or the kinds do not match, a dummy key of
 * the same kind is checked anyway, so that AUTH takes the same time whether a queue exists or not.
 */
import {
  generateKeyPair,
  type PrivateKey,
  type PublicKey,
  SIGNATURE_LENGTH,
  type SignatureAlgorithm,
  verify,
} from "../core/crypto/keys.ts";
import { dummyVerifySignature } from "../core/crypto/dummy_verify.ts";
import { CB_AUTHENTICATOR_LENGTH, cbVerify } from "../core/crypto/authenticator.ts";
import { cbNonce } from "../core/crypto/box.ts";
import type { AuthPublicKey } from "../core/smp/mod.ts";

/** A transmission's authorization as it arrived. */
export interface Authorization {
  readonly bytes: Uint8Array;
  readonly authorized: Uint8Array;
  readonly corrId: Uint8Array;
}

export type AuthorizationKind = "none" | "authenticator" | SignatureAlgorithm | "malformed";

/** Length dispatch as `decodeTAuthBytes` does it: 0, 80, 64, 114; anything else is a bad block. */
export function authorizationKind(bytes: Uint8Array): AuthorizationKind {
  if (bytes.length === 0) return "none";
  if (bytes.length === CB_AUTHENTICATOR_LENGTH) return "authenticator";
  if (bytes.length === SIGNATURE_LENGTH.Ed25519) return "Ed25519";
  if (bytes.length === SIGNATURE_LENGTH.Ed448) return "Ed448";
  return "malformed";
}

/** Signatures are checked against core's dummy keys; an authenticator's check also needs the session key. */
const DUMMY_X25519 = generateKeyPair("X25519").publicKey;

export class AuthorizationVerifier {
  /** `serverKey` is the connection's X25519 session key, needed for authenticators. */
  constructor(readonly serverKey: PrivateKey<"X25519"> | undefined) {}

  /** True when `auth` is a valid authorization by `key`. */
  verify(auth: Authorization, key: AuthPublicKey): boolean {
    const kind = authorizationKind(auth.bytes);
    if (kind === "none" || kind === "malformed") return false;
    if (kind === "authenticator") {
      if (key.algorithm !== "X25519") {
        this.#authenticator(auth, DUMMY_X25519);
        return false;
      }
      return this.#authenticator(auth, key as PublicKey<"X25519">);
    }
    if (key.algorithm !== kind) {
      dummyVerifySignature(auth.authorized, auth.bytes);
      return false;
    }
    return verify(key as PublicKey<SignatureAlgorithm>, auth.authorized, auth.bytes);
  }

  /** Spends the time a real check would, for a queue that does not exist. */
  dummyVerify(auth: Authorization): void {
    const kind = authorizationKind(auth.bytes);
    if (kind === "authenticator") this.#authenticator(auth, DUMMY_X25519);
    else dummyVerifySignature(auth.authorized, auth.bytes);
  }

  #authenticator(auth: Authorization, key: PublicKey<"X25519">): boolean {
    if (!this.serverKey) return false;
    return cbVerify(key, this.serverKey, cbNonce(auth.corrId), auth.bytes, auth.authorized);
  }
}
