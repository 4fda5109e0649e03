/**
 * Base64url (RFC 4648 §5) as SimpleX writes it: always with `=` padding; input is accepted with or
 * without padding, as Haskell's parser does. Standard base64 is here too, for PEM.
 */

const URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const STD_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function decodeTable(alphabet: string): Int8Array {
  const t = new Int8Array(128).fill(-1);
  for (let i = 0; i < 64; i++) t[alphabet.charCodeAt(i)] = i;
  return t;
}
const URL_TABLE = decodeTable(URL_ALPHABET);
const STD_TABLE = decodeTable(STD_ALPHABET);

export class Base64Error extends Error {
  override name = "Base64Error";
}

function encode(bytes: Uint8Array, alphabet: string, padding: boolean): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += alphabet[n >>> 18] + alphabet[(n >>> 12) & 63] + alphabet[(n >>> 6) & 63] + alphabet[n & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i] << 16;
    out += alphabet[n >>> 18] + alphabet[(n >>> 12) & 63] + (padding ? "==" : "");
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += alphabet[n >>> 18] + alphabet[(n >>> 12) & 63] + alphabet[(n >>> 6) & 63] + (padding ? "=" : "");
  }
  return out;
}

function decode(text: string, table: Int8Array): Uint8Array {
  let end = text.length;
  if (end % 4 === 0 && end > 0) {
    if (text[end - 1] === "=") end--;
    if (text[end - 1] === "=") end--;
  }
  if (end % 4 === 1) throw new Base64Error("invalid base64 length");
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let acc = 0, bits = 0, o = 0;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? table[c] : -1;
    if (v < 0) throw new Base64Error(`invalid base64 character at ${i}`);
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >>> bits) & 0xff;
    }
  }
  // non-canonical trailing bits would let two strings decode to the same bytes
  if ((acc & ((1 << bits) - 1)) !== 0) throw new Base64Error("non-zero trailing bits in base64");
  return out;
}

/** Base64url with `=` padding, as Haskell's `strEncode` writes bytes. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return encode(bytes, URL_ALPHABET, true);
}

/** Base64url without padding (short links). */
export function encodeBase64UrlUnpadded(bytes: Uint8Array): string {
  return encode(bytes, URL_ALPHABET, false);
}

/** Decodes base64url with or without `=` padding; throws Base64Error on anything else. */
export function decodeBase64Url(text: string): Uint8Array {
  return decode(text, URL_TABLE);
}

export function encodeBase64(bytes: Uint8Array): string {
  return encode(bytes, STD_ALPHABET, true);
}

export function decodeBase64(text: string): Uint8Array {
  return decode(text, STD_TABLE);
}

/**
 * An entity ID as operators type it (base64url, padding optional): its bytes, or undefined for
 * anything else, including the empty string.
 */
export function parseBase64UrlId(text: string | undefined): Uint8Array | undefined {
  if (text === undefined || !/^[A-Za-z0-9_-]+={0,2}$/.test(text)) return undefined;
  try {
    const bytes = decodeBase64Url(text);
    return bytes.length > 0 ? bytes : undefined;
  } catch {
    return undefined;
  }
}
