/**
 * AES-256-GCM for the double ratchet (`Crypto.encryptAEAD`/`decryptAEAD`, chat.md §2.4): a 16-byte
 * IV (GCM derives J0 = GHASH(IV); cryptonite, OpenSSL and WebCrypto agree), associated data, a
 * 16-byte tag kept apart from the ciphertext, and the plaintext padded with `Crypto.pad` first.
 * The `NoPad` pair takes the standard 12-byte IV (`encryptAEADNoPad`, WebRTC frames).
 *
 * Native `node:crypto` (OpenSSL in Node, Rust `aes-gcm` in Deno; both accept 16-byte IVs).
 */
import { createCipheriv, createDecipheriv } from "node:crypto";
import { concatBytes } from "../encoding/bytes.ts";
import { pad, PaddingError, unpad } from "../encoding/padding.ts";
import { type CryptoResult, fail, ok } from "./errors.ts";

export const AES_KEY_LENGTH = 32;
export const AES_TAG_LENGTH = 16;
/** IV length of the padded ratchet functions (`ivSize @AES256`). */
export const AEAD_IV_LENGTH = 16;
/** IV length of the `NoPad` functions (`gcmIVSize`). */
export const GCM_IV_LENGTH = 12;

export interface AeadCiphertext {
  readonly tag: Uint8Array;
  readonly ciphertext: Uint8Array;
}

/** Encrypts with any IV length GCM allows; keys other than 32 bytes are programmer errors. */
export function aesGcmEncrypt(
  key: Uint8Array,
  iv: Uint8Array,
  associatedData: Uint8Array,
  plaintext: Uint8Array,
): AeadCiphertext {
  checkKeyAndIv(key, iv);
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: AES_TAG_LENGTH });
  cipher.setAAD(associatedData);
  const head = cipher.update(plaintext);
  const tail = cipher.final();
  const ciphertext = tail.length === 0 ? bytes(head) : concatBytes(head, tail);
  return { tag: bytes(cipher.getAuthTag()), ciphertext };
}

/** `AES_DECRYPT` when the tag, the data or the associated data do not match. */
export function aesGcmDecrypt(
  key: Uint8Array,
  iv: Uint8Array,
  associatedData: Uint8Array,
  ciphertext: Uint8Array,
  tag: Uint8Array,
): CryptoResult<Uint8Array> {
  checkKeyAndIv(key, iv);
  if (tag.length !== AES_TAG_LENGTH) return fail("AES_DECRYPT");
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: AES_TAG_LENGTH });
    decipher.setAAD(associatedData);
    decipher.setAuthTag(tag);
    const head = decipher.update(ciphertext);
    const tail = decipher.final();
    return ok(tail.length === 0 ? bytes(head) : concatBytes(head, tail));
  } catch {
    return fail("AES_DECRYPT");
  }
}

/** `Crypto.encryptAEAD`: pads `msg` to `paddedLength`, then AES-256-GCM with a 16-byte IV. */
export function encryptAEAD(
  key: Uint8Array,
  iv: Uint8Array,
  paddedLength: number,
  associatedData: Uint8Array,
  msg: Uint8Array,
): AeadCiphertext {
  if (iv.length !== AEAD_IV_LENGTH) throw new RangeError("encryptAEAD needs a 16-byte IV");
  return aesGcmEncrypt(key, iv, associatedData, pad(msg, paddedLength));
}

/** `Crypto.decryptAEAD`: decrypts and unpads; `AES_DECRYPT` or `PADDING` on failure. */
export function decryptAEAD(
  key: Uint8Array,
  iv: Uint8Array,
  associatedData: Uint8Array,
  ciphertext: Uint8Array,
  tag: Uint8Array,
): CryptoResult<Uint8Array> {
  if (iv.length !== AEAD_IV_LENGTH) throw new RangeError("decryptAEAD needs a 16-byte IV");
  const opened = aesGcmDecrypt(key, iv, associatedData, ciphertext, tag);
  if (!opened.ok) return opened;
  try {
    return ok(unpad(opened.value));
  } catch (e) {
    if (e instanceof PaddingError) return fail("PADDING");
    throw e;
  }
}

/** `Crypto.encryptAEADNoPad`: 12-byte IV, no padding. */
export function encryptAEADNoPad(
  key: Uint8Array,
  iv: Uint8Array,
  associatedData: Uint8Array,
  msg: Uint8Array,
): AeadCiphertext {
  if (iv.length !== GCM_IV_LENGTH) throw new RangeError("encryptAEADNoPad needs a 12-byte IV");
  return aesGcmEncrypt(key, iv, associatedData, msg);
}

export function decryptAEADNoPad(
  key: Uint8Array,
  iv: Uint8Array,
  associatedData: Uint8Array,
  ciphertext: Uint8Array,
  tag: Uint8Array,
): CryptoResult<Uint8Array> {
  if (iv.length !== GCM_IV_LENGTH) throw new RangeError("decryptAEADNoPad needs a 12-byte IV");
  return aesGcmDecrypt(key, iv, associatedData, ciphertext, tag);
}

function checkKeyAndIv(key: Uint8Array, iv: Uint8Array): void {
  if (key.length !== AES_KEY_LENGTH) throw new RangeError("AES-256-GCM key must be 32 bytes");
  if (iv.length === 0) throw new RangeError("AES-GCM IV must not be empty");
}

function bytes(b: Uint8Array): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
