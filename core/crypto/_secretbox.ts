/**
 * One-shot core of the SimpleX secret box (xftp.md §2.5), shared by the tag-first framing
 * (box.ts, `Crypto.cryptoBox`) and the tail-tag framing (secret_stream.ts): both encrypt in place
 * and differ only in where the 16-byte tag goes.
 *
 * Internal. Buffers should start 4-byte aligned for speed (fresh arrays and offsets 0/16 are).
 */
import { Poly1305 } from "./_poly1305.ts";
import { constantTimeEqual } from "../encoding/bytes.ts";
import { XSalsa20Keystream } from "./_xsalsa20.ts";

export const TAG_LENGTH = 16;

/** A fresh keystream and the Poly1305 state keyed with its first 32 bytes. */
export function secretBoxInit(key: Uint8Array, nonce: Uint8Array): [XSalsa20Keystream, Poly1305] {
  const keystream = new XSalsa20Keystream(key, nonce);
  const macKey = keystream.take(32);
  const mac = new Poly1305(macKey);
  macKey.fill(0);
  return [keystream, mac];
}

/** Encrypts `data` in place and returns the tag over the ciphertext. */
export function sealInPlace(key: Uint8Array, nonce: Uint8Array, data: Uint8Array): Uint8Array {
  const [keystream, mac] = secretBoxInit(key, nonce);
  keystream.xorInPlace(data);
  keystream.destroy();
  return mac.update(data).digest();
}

/** Authenticates `data` against `tag` and only then decrypts it in place; false leaves `data` as it was. */
export function openInPlace(key: Uint8Array, nonce: Uint8Array, data: Uint8Array, tag: Uint8Array): boolean {
  const [keystream, mac] = secretBoxInit(key, nonce);
  const valid = constantTimeEqual(mac.update(data).digest(), tag);
  if (valid) keystream.xorInPlace(data);
  keystream.destroy();
  return valid;
}
