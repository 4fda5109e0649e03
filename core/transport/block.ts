/**
 * 16 KB transport blocks (smp.md §1.4-1.5): every block is exactly 16384 bytes, either
 * `pad(content, 16384)` or, with block encryption (v11+ with a client DH key), a secret box
 * `tag(16) ‖ XSalsa20(pad(content, 16368))` keyed by the next step of a per-direction chain.
 */
import { pad, PaddingError, unpad } from "../encoding/padding.ts";
import { sbDecrypt, sbEncryptNoPad } from "../crypto/box.ts";
import { SbChain, sbcInit } from "../crypto/sb_chain.ts";

export const BLOCK_SIZE = 16384;
/** Largest content of an encrypted block: 16384 − 16 (tag) − 2 (length). */
export const MAX_ENCRYPTED_CONTENT = BLOCK_SIZE - 16 - 2;

export type BlockResult = { ok: true; content: Uint8Array } | { ok: false; error: "BLOCK" | "LARGE_MSG" };

/** Frames one direction of a connection; the encrypted variant advances its chain per block. */
export interface BlockFraming {
  readonly encrypted: boolean;
  /** the length content is padded to in a block */
  readonly paddedLength: number;
  /** The block for `content`; throws PaddingError when it does not fit (a sender bug, LARGE_MSG). */
  seal(content: Uint8Array): Uint8Array;
  /** The block for content already padded to `paddedLength` (saves a copy of the block). */
  sealPadded(padded: Uint8Array): Uint8Array;
  open(block: Uint8Array): BlockResult;
}

export class PlainFraming implements BlockFraming {
  readonly encrypted = false;
  readonly paddedLength = BLOCK_SIZE;

  seal(content: Uint8Array): Uint8Array {
    return pad(content, BLOCK_SIZE);
  }

  sealPadded(padded: Uint8Array): Uint8Array {
    if (padded.length !== BLOCK_SIZE) throw new RangeError(`a plain block is ${BLOCK_SIZE} bytes`);
    return padded;
  }

  open(block: Uint8Array): BlockResult {
    if (block.length !== BLOCK_SIZE) return { ok: false, error: "BLOCK" };
    try {
      return { ok: true, content: unpad(block) };
    } catch (e) {
      if (e instanceof PaddingError) return { ok: false, error: "LARGE_MSG" };
      throw e;
    }
  }
}

export class EncryptedFraming implements BlockFraming {
  readonly encrypted = true;
  readonly paddedLength = BLOCK_SIZE - 16;
  readonly #send: SbChain;
  readonly #receive: SbChain;

  constructor(sendChainKey: Uint8Array, receiveChainKey: Uint8Array) {
    this.#send = new SbChain(sendChainKey);
    this.#receive = new SbChain(receiveChainKey);
  }

  seal(content: Uint8Array): Uint8Array {
    return this.sealPadded(pad(content, this.paddedLength));
  }

  /** `sbEncrypt(key, nonce, content, 16368)` of the content `padded` holds padded. */
  sealPadded(padded: Uint8Array): Uint8Array {
    if (padded.length !== this.paddedLength) {
      throw new RangeError(`padded content is ${this.paddedLength} bytes`);
    }
    const { key, nonce } = this.#send.next();
    return sbEncryptNoPad(key, nonce, padded);
  }

  /** The chain advances even when the block fails, as both peers must stay in step. */
  open(block: Uint8Array): BlockResult {
    const { key, nonce } = this.#receive.next();
    if (block.length !== BLOCK_SIZE) return { ok: false, error: "BLOCK" };
    const r = sbDecrypt(key, nonce, block);
    // upstream maps every block decryption failure to TELargeMsg, answered as ERR BLOCK
    return r.ok ? { ok: true, content: r.value } : { ok: false, error: "LARGE_MSG" };
  }
}

/**
 * Block framing for the side `role` of a session: the server sends on the first chain key
 * (server→client) and receives on the second; the client the other way round.
 */
export function encryptedFraming(
  role: "server" | "client",
  sessionId: Uint8Array,
  dhSecret: Uint8Array,
): EncryptedFraming {
  const [serverToClient, clientToServer] = sbcInit(sessionId, dhSecret);
  return role === "server"
    ? new EncryptedFraming(serverToClient, clientToServer)
    : new EncryptedFraming(clientToServer, serverToClient);
}
