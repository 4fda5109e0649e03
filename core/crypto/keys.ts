/**
 * Asymmetric keys as SimpleX uses them: X25519/X448 for DH, Ed25519/Ed448 for signatures,
 * carried on the wire as X.509 SubjectPublicKeyInfo DER and stored as PKCS#8 DER (RFC 8410).
 *
 * The arithmetic runs in the runtime's native crypto (`node:crypto`, which in Deno covers all
 * four curves); bench/crypto.ts shows it is 5-15x faster than the pure-JS alternatives.
 */
import * as nodeCrypto from "node:crypto";
import { bytesEqual } from "../encoding/bytes.ts";

export type SignatureAlgorithm = "Ed25519" | "Ed448";
export type DhAlgorithm = "X25519" | "X448";
export type KeyAlgorithm = SignatureAlgorithm | DhAlgorithm;

/** A public key: its algorithm and the raw key bytes (32, 56 or 57 bytes). */
export interface PublicKey<A extends KeyAlgorithm = KeyAlgorithm> {
  readonly kind: "public";
  readonly algorithm: A;
  readonly raw: Uint8Array;
}

/** A private key: its algorithm and the raw private bytes (the RFC 8410 seed/scalar). */
export interface PrivateKey<A extends KeyAlgorithm = KeyAlgorithm> {
  readonly kind: "private";
  readonly algorithm: A;
  readonly raw: Uint8Array;
}

export interface KeyPair<A extends KeyAlgorithm = KeyAlgorithm> {
  readonly publicKey: PublicKey<A>;
  readonly privateKey: PrivateKey<A>;
}

interface AlgorithmInfo {
  readonly oid: number; // last arc of 1.3.101.x
  readonly publicLength: number;
  readonly privateLength: number;
  readonly node: "ed25519" | "ed448" | "x25519" | "x448";
}

const ALGORITHMS: Record<KeyAlgorithm, AlgorithmInfo> = {
  X25519: { oid: 110, publicLength: 32, privateLength: 32, node: "x25519" },
  X448: { oid: 111, publicLength: 56, privateLength: 56, node: "x448" },
  Ed25519: { oid: 112, publicLength: 32, privateLength: 32, node: "ed25519" },
  Ed448: { oid: 113, publicLength: 57, privateLength: 57, node: "ed448" },
};

export const SIGNATURE_LENGTH: Record<SignatureAlgorithm, number> = { Ed25519: 64, Ed448: 114 };

export class KeyError extends Error {
  override name = "KeyError";
}

function algorithmByOid(oid: number): KeyAlgorithm | undefined {
  return (Object.keys(ALGORITHMS) as KeyAlgorithm[]).find((a) => ALGORITHMS[a].oid === oid);
}

/** `30 L 30 05 06 03 2b 65 XX 03 L' 00 ‖ key` (RFC 8410 §4). */
function spkiPrefix(alg: KeyAlgorithm): Uint8Array {
  const { oid, publicLength: n } = ALGORITHMS[alg];
  return Uint8Array.of(0x30, n + 10, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, oid, 0x03, n + 1, 0x00);
}

/** `30 L 02 01 00 30 05 06 03 2b 65 XX 04 L' 04 L'' ‖ key` (RFC 8410 §7). */
function pkcs8Prefix(alg: KeyAlgorithm): Uint8Array {
  const { oid, privateLength: n } = ALGORITHMS[alg];
  return Uint8Array.of(
    0x30,
    n + 14,
    0x02,
    0x01,
    0x00,
    0x30,
    0x05,
    0x06,
    0x03,
    0x2b,
    0x65,
    oid,
    0x04,
    n + 2,
    0x04,
    n,
  );
}

export function publicKey<A extends KeyAlgorithm>(algorithm: A, raw: Uint8Array): PublicKey<A> {
  if (raw.length !== ALGORITHMS[algorithm].publicLength) {
    throw new KeyError(`${algorithm} public key must be ${ALGORITHMS[algorithm].publicLength} bytes`);
  }
  return { kind: "public", algorithm, raw };
}

export function privateKey<A extends KeyAlgorithm>(algorithm: A, raw: Uint8Array): PrivateKey<A> {
  if (raw.length !== ALGORITHMS[algorithm].privateLength) {
    throw new KeyError(`${algorithm} private key must be ${ALGORITHMS[algorithm].privateLength} bytes`);
  }
  return { kind: "private", algorithm, raw };
}

/** X.509 SubjectPublicKeyInfo DER of a public key. */
export function encodePublicKeyDer(key: PublicKey): Uint8Array {
  return concat(spkiPrefix(key.algorithm), key.raw);
}

/** Parses SubjectPublicKeyInfo DER of one of the four algorithms; throws KeyError otherwise. */
export function decodePublicKeyDer(der: Uint8Array): PublicKey {
  const alg = der.length >= 12 ? algorithmByOid(der[8]) : undefined;
  if (alg === undefined || !bytesEqual(der.subarray(0, 12), spkiPrefix(alg))) {
    throw new KeyError("not an Ed25519/Ed448/X25519/X448 SubjectPublicKeyInfo");
  }
  if (der.length !== 12 + ALGORITHMS[alg].publicLength) throw new KeyError(`bad ${alg} public key length`);
  return publicKey(alg, der.slice(12));
}

/** PKCS#8 (RFC 8410 OneAsymmetricKey v1) DER of a private key. */
export function encodePrivateKeyDer(key: PrivateKey): Uint8Array {
  return concat(pkcs8Prefix(key.algorithm), key.raw);
}

export function decodePrivateKeyDer(der: Uint8Array): PrivateKey {
  const alg = der.length >= 16 ? algorithmByOid(der[11]) : undefined;
  if (alg === undefined || !bytesEqual(der.subarray(0, 16), pkcs8Prefix(alg))) {
    throw new KeyError("not an Ed25519/Ed448/X25519/X448 PKCS#8 private key");
  }
  if (der.length !== 16 + ALGORITHMS[alg].privateLength) throw new KeyError(`bad ${alg} private key length`);
  return privateKey(alg, der.slice(16));
}

const nodePrivate = new WeakMap<PrivateKey, nodeCrypto.KeyObject>();
const nodePublic = new WeakMap<PublicKey, nodeCrypto.KeyObject>();

function toNodePrivate(key: PrivateKey): nodeCrypto.KeyObject {
  let k = nodePrivate.get(key);
  if (!k) {
    k = nodeCrypto.createPrivateKey({
      key: Buffer.from(encodePrivateKeyDer(key)),
      format: "der",
      type: "pkcs8",
    });
    nodePrivate.set(key, k);
  }
  return k;
}

function toNodePublic(key: PublicKey): nodeCrypto.KeyObject {
  let k = nodePublic.get(key);
  if (!k) {
    k = nodeCrypto.createPublicKey({
      key: Buffer.from(encodePublicKeyDer(key)),
      format: "der",
      type: "spki",
    });
    nodePublic.set(key, k);
  }
  return k;
}

/** The public key of a private key. */
export function publicKeyOf<A extends KeyAlgorithm>(key: PrivateKey<A>): PublicKey<A> {
  const der = nodeCrypto.createPublicKey(toNodePrivate(key)).export({ type: "spki", format: "der" });
  return publicKey(key.algorithm, new Uint8Array(der).slice(12));
}

export function keyPairFromPrivate<A extends KeyAlgorithm>(key: PrivateKey<A>): KeyPair<A> {
  return { publicKey: publicKeyOf(key), privateKey: key };
}

export function generateKeyPair<A extends KeyAlgorithm>(algorithm: A): KeyPair<A> {
  return keyPairFromPrivate(privateKey(algorithm, randomBytes(ALGORITHMS[algorithm].privateLength)));
}

/** Signs with Ed25519 or Ed448 (pure EdDSA, empty context), deterministic per RFC 8032. */
export function sign(key: PrivateKey<SignatureAlgorithm>, message: Uint8Array): Uint8Array {
  return new Uint8Array(nodeCrypto.sign(null, message, toNodePrivate(key)));
}

/** Verifies an Ed25519/Ed448 signature; a signature of the wrong length is simply invalid. */
export function verify(
  key: PublicKey<SignatureAlgorithm>,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (signature.length !== SIGNATURE_LENGTH[key.algorithm]) return false;
  try {
    return nodeCrypto.verify(null, message, toNodePublic(key), signature);
  } catch {
    return false;
  }
}

/** Raw X25519/X448 shared secret (no hashing), as SimpleX's `dh'` gives it. */
export function dh<A extends DhAlgorithm>(theirs: PublicKey<A>, ours: PrivateKey<A>): Uint8Array {
  if (theirs.algorithm !== ours.algorithm) throw new KeyError("DH keys of different algorithms");
  try {
    return new Uint8Array(
      nodeCrypto.diffieHellman({ publicKey: toNodePublic(theirs), privateKey: toNodePrivate(ours) }),
    );
  } catch {
    // a low-order public key gives an all-zero secret, which OpenSSL refuses
    throw new KeyError(`${theirs.algorithm} key agreement failed`);
  }
}

export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
