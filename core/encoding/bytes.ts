/** Small byte-array helpers shared by every codec. */

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * Copies `parts` into one new buffer and returns a view of each, in order. For small arrays kept
 * for a long time (a connection's keys): each separate array costs a few hundred bytes of heap
 * and allocator overhead beside its contents.
 */
export function packBytes(...parts: Uint8Array[]): Uint8Array[] {
  const all = concatBytes(...parts);
  const views: Uint8Array[] = [];
  let off = 0;
  for (const p of parts) {
    views.push(all.subarray(off, off + p.length));
    off += p.length;
  }
  return views;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Compares in time that depends only on the length, for MACs, fingerprints and password hashes.
 * Lengths are not secret here: callers compare fixed-size values (hash passwords first).
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += HEX[b];
  return s;
}

export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, "");
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new TypeError("invalid hex string");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export const utf8 = {
  encode: (s: string): Uint8Array => new TextEncoder().encode(s),
  decode: (b: Uint8Array): string => new TextDecoder("utf-8", { fatal: true }).decode(b),
};
