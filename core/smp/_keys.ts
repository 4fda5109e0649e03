/** Public keys as SMP carries them: `short(SubjectPublicKeyInfo DER)` (smp.md §0). */
import type { Reader, Writer } from "../encoding/binary.ts";
import { decodePublicKeyDer, encodePublicKeyDer, KeyError, type PublicKey } from "../crypto/keys.ts";

/** Keys that authorize commands: Ed25519/Ed448 signatures or X25519 authenticators. */
export type AuthPublicKey = PublicKey<"Ed25519" | "Ed448" | "X25519">;
export type DhPublicKey = PublicKey<"X25519">;

export function writeKey(w: Writer, key: PublicKey): void {
  w.shortBytes(encodePublicKeyDer(key));
}

function readAnyKey(r: Reader): PublicKey {
  const der = r.shortBytes();
  try {
    return decodePublicKeyDer(der);
  } catch (e) {
    if (e instanceof KeyError) return r.fail(e.message);
    throw e;
  }
}

export function readAuthKey(r: Reader): AuthPublicKey {
  const key = readAnyKey(r);
  if (key.algorithm === "X448") return r.fail("X448 is not an authorization key");
  return key as AuthPublicKey;
}

export function readDhKey(r: Reader): DhPublicKey {
  const key = readAnyKey(r);
  if (key.algorithm !== "X25519") return r.fail("expected an X25519 key");
  return key as DhPublicKey;
}
