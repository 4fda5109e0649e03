/**
 * Public keys as SMP and XFTP carry them on the wire: `short(SubjectPublicKeyInfo DER)`
 * (smp.md §0, xftp.md §2.1). Both protocols take the same key kinds in the same places, so one
 * reader per kind serves both; a key of the wrong kind is a parse failure, not a KeyError.
 */
import type { Reader, Writer } from "../encoding/binary.ts";
import { decodePublicKeyDer, encodePublicKeyDer, KeyError, type PublicKey } from "./keys.ts";

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
