/**
 * NaCl boxes as SimpleX uses them (`Crypto.cryptoBox`, smp.md §1.6, xftp.md §2.5):
 * `cryptoBox(K, nonce, m) = tag(16) ‖ XSalsa20(HSalsa20(K, 0^16), nonce) ⊕ m`.
 *
 * - `cb*` take the raw X25519 shared secret and equal NaCl `crypto_box` (`nacl.box`);
 * - `sb*` take a 32-byte symmetric key and equal `crypto_secretbox` under `HSalsa20(key, 0^16)`,
 *   not under the key itself.
 *
 * The two families run the same primitive; they are kept apart, as upstream does, so that a call
 * site says which kind of key it holds. Padded variants use `Crypto.pad` (u16 length ‖ msg ‖ '#'…).
 */
import { pad, PaddingError, unpad } from "../encoding/padding.ts";
import { openInPlace, sealInPlace, TAG_LENGTH } from "./_secretbox.ts";
import { type CryptoResult, fail, ok } from "./errors.ts";

export const CB_NONCE_LENGTH = 24;
/** `tag ‖ ciphertext` of `msg` under a 32-byte key and a 24-byte nonce. */
export function cryptoBox(key: Uint8Array, nonce: Uint8Array, msg: Uint8Array): Uint8Array {
  const out = new Uint8Array(TAG_LENGTH + msg.length);
  const body = out.subarray(TAG_LENGTH);
  body.set(msg);
  out.set(sealInPlace(key, nonce, body));
  return out;
}

/** Opens `tag ‖ ciphertext`; a short or forged packet is `DECRYPT`. */
export function cryptoBoxOpen(
  key: Uint8Array,
  nonce: Uint8Array,
  packet: Uint8Array,
): CryptoResult<Uint8Array> {
  if (packet.length < TAG_LENGTH) return fail("DECRYPT");
  const body = packet.slice(TAG_LENGTH);
  return openInPlace(key, nonce, body, packet.subarray(0, TAG_LENGTH)) ? ok(body) : fail("DECRYPT");
}

/**
 * `cryptoBox(K, nonce, pad(msg, paddedLength))`: the output is always `paddedLength + 16` bytes.
 * A message that does not fit is a programmer error (PaddingError), as callers size their messages.
 */
function boxPadded(key: Uint8Array, nonce: Uint8Array, msg: Uint8Array, paddedLength: number): Uint8Array {
  return cryptoBox(key, nonce, pad(msg, paddedLength));
}

function openPadded(key: Uint8Array, nonce: Uint8Array, packet: Uint8Array): CryptoResult<Uint8Array> {
  const opened = cryptoBoxOpen(key, nonce, packet);
  if (!opened.ok) return opened;
  try {
    return ok(unpad(opened.value));
  } catch (e) {
    if (e instanceof PaddingError) return fail("PADDING");
    throw e;
  }
}

/** `Crypto.cbEncrypt`: box with a raw X25519 shared secret, padded to `paddedLength`. */
export function cbEncrypt(
  dhSecret: Uint8Array,
  nonce: Uint8Array,
  msg: Uint8Array,
  paddedLength: number,
): Uint8Array {
  return boxPadded(dhSecret, nonce, msg, paddedLength);
}

/** `Crypto.cbDecrypt`: unbox and unpad. */
export function cbDecrypt(
  dhSecret: Uint8Array,
  nonce: Uint8Array,
  packet: Uint8Array,
): CryptoResult<Uint8Array> {
  return openPadded(dhSecret, nonce, packet);
}

export function cbEncryptNoPad(dhSecret: Uint8Array, nonce: Uint8Array, msg: Uint8Array): Uint8Array {
  return cryptoBox(dhSecret, nonce, msg);
}

export function cbDecryptNoPad(
  dhSecret: Uint8Array,
  nonce: Uint8Array,
  packet: Uint8Array,
): CryptoResult<Uint8Array> {
  return cryptoBoxOpen(dhSecret, nonce, packet);
}

/** `Crypto.sbEncrypt`: box with a 32-byte symmetric key (block encryption, short-link data), padded. */
export function sbEncrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  msg: Uint8Array,
  paddedLength: number,
): Uint8Array {
  return boxPadded(key, nonce, msg, paddedLength);
}

export function sbDecrypt(key: Uint8Array, nonce: Uint8Array, packet: Uint8Array): CryptoResult<Uint8Array> {
  return openPadded(key, nonce, packet);
}

export function sbEncryptNoPad(key: Uint8Array, nonce: Uint8Array, msg: Uint8Array): Uint8Array {
  return cryptoBox(key, nonce, msg);
}

export function sbDecryptNoPad(
  key: Uint8Array,
  nonce: Uint8Array,
  packet: Uint8Array,
): CryptoResult<Uint8Array> {
  return cryptoBoxOpen(key, nonce, packet);
}

/** `Crypto.cbNonce`: the bytes truncated, or zero-padded on the right, to 24 (e.g. a corrId or msgId). */
export function cbNonce(bytes: Uint8Array): Uint8Array {
  const nonce = new Uint8Array(CB_NONCE_LENGTH);
  nonce.set(bytes.subarray(0, CB_NONCE_LENGTH));
  return nonce;
}

/** `Crypto.reverseNonce`: the 24 bytes in reverse order (the reply direction of one nonce). */
export function reverseNonce(nonce: Uint8Array): Uint8Array {
  return nonce.slice().reverse();
}
