/**
 * Secret-box chains for transport block encryption (`Crypto.sbcInit`/`sbcHkdf`, smp.md §1.5):
 * one chain per direction, each block takes a fresh key and nonce and advances the chain, and both
 * sides advance even when a block fails to decrypt.
 */
import { hkdfSha512 } from "./hkdf.ts";

export const SB_CHAIN_KEY_LENGTH = 32;

const EMPTY = new Uint8Array(0);

/**
 * `HKDF-SHA512(salt = sessionId, ikm = secret, "SimpleXSbChainInit", 64)` split in two:
 * [0] is the server→client chain (the server's send key), [1] the client→server chain.
 */
export function sbcInit(sessionId: Uint8Array, secret: Uint8Array): [Uint8Array, Uint8Array] {
  const out = hkdfSha512(sessionId, secret, "SimpleXSbChainInit", 64);
  // views of one buffer: a connection keeps both chains for as long as it lasts
  return [out.subarray(0, 32), out.subarray(32, 64)];
}

export interface SbChainStep {
  readonly nextChainKey: Uint8Array;
  /** The 32-byte `sbEncrypt` key of this block. */
  readonly key: Uint8Array;
  /** The 24-byte nonce of this block. */
  readonly nonce: Uint8Array;
}

/** `HKDF-SHA512(salt = "", ikm = chainKey, "SimpleXSbChain", 88)` = next chain key ‖ key ‖ nonce. */
export function sbcHkdf(chainKey: Uint8Array): SbChainStep {
  if (chainKey.length !== SB_CHAIN_KEY_LENGTH) throw new RangeError("SbChain key must be 32 bytes");
  const out = hkdfSha512(EMPTY, chainKey, "SimpleXSbChain", 88);
  return { nextChainKey: out.subarray(0, 32), key: out.subarray(32, 64), nonce: out.subarray(64, 88) };
}

/**
 * One direction's chain: `next()` gives the key and nonce of the next block. The chain takes the
 * key it is given and overwrites it as it advances (sbcInit's views share one buffer).
 */
export class SbChain {
  readonly #chainKey: Uint8Array;

  constructor(chainKey: Uint8Array) {
    if (chainKey.length !== SB_CHAIN_KEY_LENGTH) throw new RangeError("SbChain key must be 32 bytes");
    this.#chainKey = chainKey;
  }

  next(): { key: Uint8Array; nonce: Uint8Array } {
    const { nextChainKey, key, nonce } = sbcHkdf(this.#chainKey);
    this.#chainKey.set(nextChainKey);
    nextChainKey.fill(0);
    return { key, nonce };
  }
}
