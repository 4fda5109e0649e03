/**
 * The SimpleX secret box as a stream (`Crypto.Lazy.sbInit`/`sbEncryptChunk`/`sbDecryptChunk`/`sbAuth`,
 * xftp.md §2.5): XSalsa20 under `HSalsa20(key, 0^16)`, the first 32 keystream bytes are the
 * Poly1305 key, and the tag covers the ciphertext. Whole-file encryption and FGET transit use it
 * with the tag at the end ("tail tag", xftp.md §2.4, §4.1).
 *
 * Chunks may be any size: `update` returns exactly as many bytes as it was given, in a fresh array
 * or in the caller's `output` (which may be the input itself), so that streams of many megabytes
 * need not allocate per piece.
 */
import type { Poly1305 } from "./_poly1305.ts";
import { openInPlace, sealInPlace, secretBoxInit, TAG_LENGTH } from "./_secretbox.ts";
import type { XSalsa20Keystream } from "./_xsalsa20.ts";
import { constantTimeEqual } from "../encoding/bytes.ts";
import { allSettled } from "../async.ts";
import { type CryptoResult, fail, ok } from "./errors.ts";

/** The Poly1305 tag that ends a stream. */
export const STREAM_TAG_LENGTH = TAG_LENGTH;

abstract class SecretStream {
  readonly #keystream: XSalsa20Keystream;
  readonly #mac: Poly1305;
  #finished = false;
  #offThread = false;

  /** `key`: 32 bytes (a symmetric key or a raw X25519 secret); `nonce`: 24 bytes. */
  constructor(key: Uint8Array, nonce: Uint8Array) {
    [this.#keystream, this.#mac] = secretBoxInit(key, nonce);
  }

  /**
   * Encrypts or decrypts the next chunk into `output` (at least as long; it may be `chunk` itself)
   * and returns the written part of it.
   */
  abstract update(chunk: Uint8Array, output?: Uint8Array): Uint8Array;

  /**
   * `update` with the Salsa20 and Poly1305 passes on threads of Deno's blocking pool where the
   * backend can (libsodium), so that the calling thread goes on with other work meanwhile. Each
   * call must resolve before the next call, and neither buffer may change until it does.
   */
  abstract updateOffThread(chunk: Uint8Array, output?: Uint8Array): Promise<Uint8Array>;

  protected xor(chunk: Uint8Array, output: Uint8Array | undefined): Uint8Array {
    const out = this.output(chunk, output);
    if (overlapsElsewhere(chunk, out)) {
      out.set(chunk);
      this.#keystream.xorInPlace(out);
    } else {
      this.#keystream.xor(chunk, out);
    }
    return out;
  }

  protected authenticate(ciphertext: Uint8Array): void {
    this.#mac.update(ciphertext);
  }

  /** Runs the passes of one `updateOffThread`, refusing a call that overlaps another. */
  protected async offThread(
    chunk: Uint8Array,
    output: Uint8Array | undefined,
    passes: (
      keystream: XSalsa20Keystream,
      mac: Poly1305,
      input: Uint8Array,
      out: Uint8Array,
    ) => Promise<unknown>,
  ): Promise<Uint8Array> {
    if (this.#offThread) throw new Error("secret stream update already running");
    const out = this.output(chunk, output);
    this.#offThread = true;
    try {
      if (overlapsElsewhere(chunk, out)) {
        out.set(chunk);
        chunk = out;
      }
      await passes(this.#keystream, this.#mac, chunk, out);
      return out;
    } finally {
      this.#offThread = false;
    }
  }

  protected output(chunk: Uint8Array, output: Uint8Array | undefined): Uint8Array {
    this.assertOpen();
    if (output !== undefined && output.length < chunk.length) {
      throw new RangeError("secret stream output is too short");
    }
    return output === undefined ? new Uint8Array(chunk.length) : output.subarray(0, chunk.length);
  }

  protected assertOpen(): void {
    if (this.#finished) throw new Error("secret stream already finished");
    if (this.#offThread) throw new Error("secret stream update still running");
  }

  /** The Poly1305 tag over all ciphertext so far; ends the stream. */
  protected tag(): Uint8Array {
    this.assertOpen();
    this.#finished = true;
    this.#keystream.destroy();
    return this.#mac.digest();
  }
}

export class SecretStreamEncryptor extends SecretStream {
  update(plaintext: Uint8Array, output?: Uint8Array): Uint8Array {
    const ciphertext = this.xor(plaintext, output);
    this.authenticate(ciphertext);
    return ciphertext;
  }

  updateOffThread(plaintext: Uint8Array, output?: Uint8Array): Promise<Uint8Array> {
    return this.offThread(plaintext, output, async (keystream, mac, input, out) => {
      await keystream.xorOffThread(input, out);
      await mac.updateOffThread(out);
    });
  }

  /** The 16-byte tag over the whole ciphertext. */
  final(): Uint8Array {
    return this.tag();
  }
}

export class SecretStreamDecryptor extends SecretStream {
  /** Returns plaintext that must not be trusted until `verify` succeeds. */
  update(ciphertext: Uint8Array, output?: Uint8Array): Uint8Array {
    this.assertOpen();
    this.authenticate(ciphertext);
    return this.xor(ciphertext, output);
  }

  /** Both passes at once when `output` is apart from `ciphertext`; else the tag's pass first. */
  updateOffThread(ciphertext: Uint8Array, output?: Uint8Array): Promise<Uint8Array> {
    return this.offThread(ciphertext, output, async (keystream, mac, input, out) => {
      if (input === out || input.buffer === out.buffer && input.byteOffset === out.byteOffset) {
        await mac.updateOffThread(input);
        await keystream.xorOffThread(input, out);
      } else {
        await allSettled([mac.updateOffThread(input), keystream.xorOffThread(input, out)]);
      }
    });
  }

  /** Compares the received tag in constant time; a tag of the wrong length is simply wrong. */
  verify(tag: Uint8Array): boolean {
    return constantTimeEqual(this.tag(), tag);
  }
}

/** `ciphertext ‖ tag(16)` in one call (`Crypto.Lazy.sbEncryptTailTagNoPad`). */
export function encryptStreamTailTag(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const out = new Uint8Array(plaintext.length + TAG_LENGTH);
  const body = out.subarray(0, plaintext.length);
  body.set(plaintext);
  out.set(sealInPlace(key, nonce, body), plaintext.length);
  return out;
}

/** Checks and strips the trailing tag of `ciphertext ‖ tag(16)` (`Crypto.Lazy.sbDecryptTailTagNoPad`). */
export function decryptStreamTailTag(
  key: Uint8Array,
  nonce: Uint8Array,
  packet: Uint8Array,
): CryptoResult<Uint8Array> {
  if (packet.length < TAG_LENGTH) return fail("DECRYPT");
  const split = packet.length - TAG_LENGTH;
  const body = packet.slice(0, split);
  return openInPlace(key, nonce, body, packet.subarray(split)) ? ok(body) : fail("DECRYPT");
}

/** Whether `a` and `b` share memory without being the same view (an XOR from one to the other would clobber its input). */
function overlapsElsewhere(a: Uint8Array, b: Uint8Array): boolean {
  if (a.buffer !== b.buffer || a.byteOffset === b.byteOffset) return false;
  return a.byteOffset < b.byteOffset + b.length && b.byteOffset < a.byteOffset + a.length;
}
