/**
 * The two TLS 1.3 cipher suites this stack speaks (RFC 8446 §B.4), with their AEAD running in
 * OpenSSL's libcrypto through FFI where it loads (core/crypto/_libcrypto.ts: 1.6-2 times as fast,
 * and no allocation per record), else in node:crypto.
 */
import { createCipheriv, createDecipheriv } from "node:crypto";
import { libcrypto } from "../crypto/_libcrypto.ts";

export type CipherSuiteName = "TLS_CHACHA20_POLY1305_SHA256" | "TLS_AES_128_GCM_SHA256";

export interface CipherSuite {
  readonly name: CipherSuiteName;
  readonly code: number;
  readonly keyLength: number;
  readonly nodeCipher: "chacha20-poly1305" | "aes-128-gcm";
}

export const CIPHER_SUITES: Record<CipherSuiteName, CipherSuite> = {
  TLS_CHACHA20_POLY1305_SHA256: {
    name: "TLS_CHACHA20_POLY1305_SHA256",
    code: 0x1303,
    keyLength: 32,
    nodeCipher: "chacha20-poly1305",
  },
  TLS_AES_128_GCM_SHA256: {
    name: "TLS_AES_128_GCM_SHA256",
    code: 0x1301,
    keyLength: 16,
    nodeCipher: "aes-128-gcm",
  },
};

export function cipherSuiteByCode(code: number): CipherSuite | undefined {
  return Object.values(CIPHER_SUITES).find((s) => s.code === code);
}

export const TAG_LENGTH = 16;

/**
 * AEAD-Encrypt of the concatenated `plaintext` parts into `out` (ciphertext ‖ tag). Taking parts
 * lets the record layer append the inner content type without copying the content first.
 */
export function seal(
  suite: CipherSuite,
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  plaintext: readonly Uint8Array[],
  out: Uint8Array,
): void {
  const native = libcrypto();
  if (native) return native.seal(suite.nodeCipher, key, nonce, aad, plaintext, out);
  const cipher = suite.nodeCipher === "chacha20-poly1305"
    ? createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: TAG_LENGTH })
    : createCipheriv("aes-128-gcm", key, nonce, { authTagLength: TAG_LENGTH });
  let length = 0;
  for (const part of plaintext) length += part.length;
  cipher.setAAD(aad, { plaintextLength: length });
  let offset = 0;
  for (const part of plaintext) {
    const body = cipher.update(part);
    out.set(body, offset);
    offset += body.length;
  }
  const tail = cipher.final();
  out.set(tail, offset);
  out.set(cipher.getAuthTag(), length);
}

/**
 * AEAD-Decrypt of ciphertext ‖ tag; null when authentication fails. With libcrypto it decrypts in
 * place (`sealed` must be the caller's to overwrite), else into fresh memory.
 */
export function open(
  suite: CipherSuite,
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  sealed: Uint8Array,
): Uint8Array | null {
  const native = libcrypto();
  if (native) return native.open(suite.nodeCipher, key, nonce, aad, sealed, sealed);
  if (sealed.length < TAG_LENGTH) return null;
  const n = sealed.length - TAG_LENGTH;
  const decipher = suite.nodeCipher === "chacha20-poly1305"
    ? createDecipheriv("chacha20-poly1305", key, nonce, { authTagLength: TAG_LENGTH })
    : createDecipheriv("aes-128-gcm", key, nonce, { authTagLength: TAG_LENGTH });
  decipher.setAAD(aad, { plaintextLength: n });
  decipher.setAuthTag(sealed.subarray(n));
  const body = decipher.update(sealed.subarray(0, n));
  try {
    const tail = decipher.final();
    if (tail.length === 0) return new Uint8Array(body.buffer, body.byteOffset, body.length);
    const out = new Uint8Array(n);
    out.set(body);
    out.set(tail, body.length);
    return out;
  } catch {
    return null;
  }
}
