/** Public keys as XFTP carries them: `short(SubjectPublicKeyInfo DER)` (xftp.md §2.1). */
import type { Reader, Writer } from "../encoding/binary.ts";
import { decodePublicKeyDer, encodePublicKeyDer, KeyError, type PublicKey } from "../crypto/keys.ts";
import type { AuthPublicKey, DhPublicKey } from "../smp/_keys.ts";

export type { AuthPublicKey, DhPublicKey };

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

/** Sender and recipient keys: Ed25519/Ed448 signature keys or X25519 authenticator keys. */
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
