/**
 * OpenSSL's libcrypto through Deno's FFI: the TLS record AEADs and SHA-2, on the caller's buffers,
 * in OpenSSL's assembly. Deno's node:crypto runs the same algorithms in portable Rust, and its
 * calls allocate a Buffer for every output: bench/crypto.ts measures a 16 KiB ChaCha20-Poly1305
 * record sealed twice as fast here and opened 1.6 times as fast; SHA-2 runs off the calling
 * thread. Loaded once; null where libcrypto is not installed (Debian: `libssl3`), FFI is not
 * allowed, or SIMPLEX_CRYPTO says builtin (_crypto_mode.ts).
 *
 * Poly1305 runs here too where it loads (_poly1305.ts): OpenSSL's AVX2 code takes a long stream
 * (an XFTP file or chunk) at about twice the pace of libsodium 1.0.18's.
 *
 * Internal: used by core/tls/_cipher_suite.ts, background_hash.ts and _poly1305.ts.
 */
import { cryptoMode, missingLibrary } from "./_crypto_mode.ts";
import { openLibrary } from "./_ffi.ts";
import type { PolyState } from "./_backend.ts";

const SYMBOLS = {
  OpenSSL_version: { parameters: ["i32"], result: "pointer" },
  EVP_CIPHER_CTX_new: { parameters: [], result: "pointer" },
  EVP_chacha20_poly1305: { parameters: [], result: "pointer" },
  EVP_aes_128_gcm: { parameters: [], result: "pointer" },
  EVP_CipherInit_ex: {
    parameters: ["pointer", "pointer", "pointer", "buffer", "buffer", "i32"],
    result: "i32",
  },
  EVP_CipherUpdate: { parameters: ["pointer", "buffer", "buffer", "buffer", "i32"], result: "i32" },
  EVP_CipherFinal_ex: { parameters: ["pointer", "buffer", "buffer"], result: "i32" },
  EVP_CIPHER_CTX_ctrl: { parameters: ["pointer", "i32", "i32", "buffer"], result: "i32" },
  EVP_MD_CTX_new: { parameters: [], result: "pointer" },
  EVP_MD_CTX_free: { parameters: ["pointer"], result: "void" },
  EVP_sha256: { parameters: [], result: "pointer" },
  EVP_sha512: { parameters: [], result: "pointer" },
  EVP_DigestInit_ex: { parameters: ["pointer", "pointer", "pointer"], result: "i32" },
  EVP_DigestUpdate: { parameters: ["pointer", "buffer", "usize"], result: "i32" },
  /** the same function on a thread of Deno's blocking pool: the caller goes on meanwhile */
  EVP_DigestUpdate_background: {
    name: "EVP_DigestUpdate",
    parameters: ["pointer", "buffer", "usize"],
    result: "i32",
    nonblocking: true,
  },
  EVP_DigestFinal_ex: { parameters: ["pointer", "buffer", "pointer"], result: "i32" },
  EVP_MAC_fetch: { parameters: ["pointer", "buffer", "pointer"], result: "pointer" },
  EVP_MAC_CTX_new: { parameters: ["pointer"], result: "pointer" },
  EVP_MAC_CTX_free: { parameters: ["pointer"], result: "void" },
  EVP_MAC_init: { parameters: ["pointer", "buffer", "usize", "pointer"], result: "i32" },
  EVP_MAC_update: { parameters: ["pointer", "buffer", "usize"], result: "i32" },
  EVP_MAC_update_background: {
    name: "EVP_MAC_update",
    parameters: ["pointer", "buffer", "usize"],
    result: "i32",
    nonblocking: true,
  },
  EVP_MAC_final: { parameters: ["pointer", "buffer", "buffer", "usize"], result: "i32" },
} as const;

type LibcryptoSymbols = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

const LIBRARY_NAMES: Record<string, string[]> = {
  linux: ["libcrypto.so.3", "libcrypto.so"],
  darwin: [
    "libcrypto.3.dylib",
    "/opt/homebrew/opt/openssl@3/lib/libcrypto.3.dylib",
    "/usr/local/opt/openssl@3/lib/libcrypto.3.dylib",
  ],
  windows: ["libcrypto-3-x64.dll", "libcrypto-3.dll"],
};

/** EVP_CTRL_AEAD_GET_TAG and EVP_CTRL_AEAD_SET_TAG (openssl/evp.h) */
const GET_TAG = 0x10;
const SET_TAG = 0x11;
const TAG_LENGTH = 16;

export type AeadName = "chacha20-poly1305" | "aes-128-gcm";
export type DigestName = "sha256" | "sha512";

export interface BackgroundDigest {
  /** Hashes `bytes`, which must stay unchanged until the promise settles; calls queue in order. */
  update(bytes: Uint8Array): Promise<void>;
  /** The digest of every update before it; frees the context. */
  digest(): Promise<Uint8Array>;
  /** Frees the context once pending updates are done, without a digest; idempotent. */
  close(): void;
}

function load(): LibcryptoSymbols | null {
  return openLibrary(LIBRARY_NAMES, SYMBOLS);
}

/** An EVP cipher context and the AEAD it was last set up for (naming it again resets more than the key). */
interface CipherContext {
  readonly pointer: Deno.PointerValue;
  aead?: AeadName;
}

export class Libcrypto {
  /** e.g. "OpenSSL 3.0.17 1 Jul 2025" */
  readonly version: string;
  readonly #lib: LibcryptoSymbols;
  readonly #ciphers: Record<AeadName, Deno.PointerValue>;
  readonly #digests: Record<DigestName, Deno.PointerValue>;
  /** OpenSSL's POLY1305 MAC, or null where no provider offers it */
  readonly #poly1305: Deno.PointerValue;
  /**
   * One context per direction, re-keyed for every record: calls are synchronous and JavaScript
   * runs them one at a time, so no connection owns (or has to free) native memory.
   */
  readonly #sealContext: CipherContext;
  readonly #openContext: CipherContext;
  /** the int the Update and Final calls write their output length to */
  readonly #length = new Int32Array(1);
  readonly #lengthBytes = new Uint8Array(this.#length.buffer);

  /** Internal: see `libcrypto()` and `loadLibcrypto()`. */
  constructor(lib: LibcryptoSymbols) {
    this.#lib = lib;
    this.version = Deno.UnsafePointerView.getCString(lib.OpenSSL_version(0)!);
    this.#ciphers = {
      "chacha20-poly1305": lib.EVP_chacha20_poly1305(),
      "aes-128-gcm": lib.EVP_aes_128_gcm(),
    };
    this.#digests = { sha256: lib.EVP_sha256(), sha512: lib.EVP_sha512() };
    this.#poly1305 = lib.EVP_MAC_fetch(null, new TextEncoder().encode("POLY1305\0"), null);
    const context = (): CipherContext => {
      const pointer = lib.EVP_CIPHER_CTX_new();
      if (!pointer) throw new Error("libcrypto: EVP_CIPHER_CTX_new failed");
      return { pointer };
    };
    this.#sealContext = context();
    this.#openContext = context();
  }

  /** AEAD-Encrypt of the concatenated parts into `out` (ciphertext ‖ 16-byte tag), with a 12-byte nonce. */
  seal(
    aead: AeadName,
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    plaintext: readonly Uint8Array[],
    out: Uint8Array,
  ): void {
    const lib = this.#lib;
    const ctx = this.#init(this.#sealContext, aead, key, nonce, 1);
    this.#check(lib.EVP_CipherUpdate(ctx, null, this.#lengthBytes, aad, aad.length), "AAD");
    let offset = 0;
    for (const part of plaintext) {
      if (part.length === 0) continue;
      this.#check(
        lib.EVP_CipherUpdate(ctx, out.subarray(offset), this.#lengthBytes, part, part.length),
        "encrypt",
      );
      offset += this.#length[0];
    }
    this.#check(lib.EVP_CipherFinal_ex(ctx, out.subarray(offset), this.#lengthBytes), "encrypt");
    offset += this.#length[0];
    if (out.length < offset + TAG_LENGTH) throw new RangeError("seal: output too short for the tag");
    this.#check(lib.EVP_CIPHER_CTX_ctrl(ctx, GET_TAG, TAG_LENGTH, out.subarray(offset)), "tag");
  }

  /**
   * AEAD-Decrypt of ciphertext ‖ tag into `out` (fresh memory by default; `sealed` itself decrypts
   * in place); the plaintext, or null when authentication fails (and `out` is zeroed).
   */
  open(
    aead: AeadName,
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    sealed: Uint8Array,
    out?: Uint8Array,
  ): Uint8Array | null {
    if (sealed.length < TAG_LENGTH) return null;
    const lib = this.#lib;
    const n = sealed.length - TAG_LENGTH;
    const plain = out === undefined ? new Uint8Array(n) : out.subarray(0, n);
    if (plain.length < n) throw new RangeError("open: output too short");
    const ctx = this.#init(this.#openContext, aead, key, nonce, 0);
    this.#check(lib.EVP_CipherUpdate(ctx, null, this.#lengthBytes, aad, aad.length), "AAD");
    let offset = 0;
    if (n > 0) {
      this.#check(lib.EVP_CipherUpdate(ctx, plain, this.#lengthBytes, sealed, n), "decrypt");
      offset = this.#length[0];
    }
    // copied into the context at once, before the plaintext could overwrite anything
    this.#check(lib.EVP_CIPHER_CTX_ctrl(ctx, SET_TAG, TAG_LENGTH, sealed.subarray(n)), "tag");
    if (lib.EVP_CipherFinal_ex(ctx, plain.subarray(offset), this.#lengthBytes) !== 1) {
      plain.fill(0); // unauthenticated plaintext must not linger
      return null;
    }
    return plain;
  }

  /** An incremental digest whose updates run off the calling thread, one at a time, in order. */
  backgroundDigest(name: DigestName): BackgroundDigest {
    return new LibcryptoDigest(this.#lib, this.#digests[name], name === "sha512" ? 64 : 32);
  }

  /** A Poly1305 state keyed with `key` (32 bytes), or null where OpenSSL has no POLY1305. */
  poly1305(key: Uint8Array): PolyState | null {
    if (!this.#poly1305) return null;
    if (key.length !== 32) throw new RangeError("Poly1305 key must be 32 bytes");
    return new LibcryptoPoly1305(this.#lib, this.#poly1305, key);
  }

  /** Keys `context` for one record; returns its pointer. */
  #init(
    context: CipherContext,
    aead: AeadName,
    key: Uint8Array,
    nonce: Uint8Array,
    encrypt: 0 | 1,
  ): Deno.PointerValue {
    if (nonce.length !== 12) throw new RangeError("AEAD nonce must be 12 bytes");
    const keyLength = aead === "chacha20-poly1305" ? 32 : 16;
    if (key.length !== keyLength) throw new RangeError(`${aead} key must be ${keyLength} bytes`);
    const cipher = context.aead === aead ? null : this.#ciphers[aead];
    this.#check(this.#lib.EVP_CipherInit_ex(context.pointer, cipher, null, key, nonce, encrypt), "init");
    context.aead = aead;
    return context.pointer;
  }

  #check(result: number, what: string): void {
    if (result !== 1) throw new Error(`libcrypto: ${what} failed`);
  }
}

class LibcryptoDigest implements BackgroundDigest {
  readonly #lib: LibcryptoSymbols;
  readonly #length: number;
  #ctx: Deno.PointerValue;
  /** the last update queued: the next one starts after it, and so do digest and free */
  #pending: Promise<void> = Promise.resolve();
  #failure: Error | undefined;
  #closed = false;

  constructor(lib: LibcryptoSymbols, md: Deno.PointerValue, length: number) {
    this.#lib = lib;
    this.#length = length;
    this.#ctx = lib.EVP_MD_CTX_new();
    if (!this.#ctx || lib.EVP_DigestInit_ex(this.#ctx, md, null) !== 1) {
      lib.EVP_MD_CTX_free(this.#ctx);
      throw new Error("libcrypto: digest init failed");
    }
  }

  update(bytes: Uint8Array): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("digest already ended"));
    const ctx = this.#ctx;
    const lib = this.#lib;
    const run = this.#pending.then(async () => {
      if (this.#failure) throw this.#failure;
      if (await lib.EVP_DigestUpdate_background(ctx, bytes, BigInt(bytes.length)) !== 1) {
        throw this.#failure = new Error("libcrypto: digest update failed");
      }
    });
    this.#pending = run.catch(() => {});
    return run;
  }

  async digest(): Promise<Uint8Array> {
    if (this.#closed) throw new Error("digest already ended");
    await this.#pending;
    if (this.#failure) {
      this.close();
      throw this.#failure;
    }
    const out = new Uint8Array(this.#length);
    const ok = this.#lib.EVP_DigestFinal_ex(this.#ctx, out, null) === 1;
    this.close();
    if (!ok) throw new Error("libcrypto: digest final failed");
    return out;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const ctx = this.#ctx;
    this.#ctx = null;
    void this.#pending.then(() => this.#lib.EVP_MD_CTX_free(ctx));
  }
}

/** Frees the context of a Poly1305 state dropped before its digest (a stream that failed half-way). */
const unfinishedMacs = new FinalizationRegistry<{ lib: LibcryptoSymbols; ctx: Deno.PointerValue }>(
  ({ lib, ctx }) => lib.EVP_MAC_CTX_free(ctx),
);

class LibcryptoPoly1305 implements PolyState {
  readonly #lib: LibcryptoSymbols;
  #ctx: Deno.PointerValue;

  constructor(lib: LibcryptoSymbols, mac: Deno.PointerValue, key: Uint8Array) {
    this.#lib = lib;
    const ctx = lib.EVP_MAC_CTX_new(mac);
    if (!ctx) throw new Error("libcrypto: EVP_MAC_CTX_new failed");
    if (lib.EVP_MAC_init(ctx, key, 32n, null) !== 1) {
      lib.EVP_MAC_CTX_free(ctx);
      throw new Error("libcrypto: Poly1305 init failed");
    }
    this.#ctx = ctx;
    unfinishedMacs.register(this, { lib, ctx }, this);
  }

  update(data: Uint8Array): void {
    if (data.length > 0 && this.#lib.EVP_MAC_update(this.#live(), data, BigInt(data.length)) !== 1) {
      throw new Error("libcrypto: Poly1305 update failed");
    }
  }

  async updateOffThread(data: Uint8Array): Promise<void> {
    if (data.length === 0) return;
    if (await this.#lib.EVP_MAC_update_background(this.#live(), data, BigInt(data.length)) !== 1) {
      throw new Error("libcrypto: Poly1305 update failed");
    }
  }

  digest(): Uint8Array {
    const ctx = this.#live();
    const tag = new Uint8Array(16);
    const length = new BigUint64Array(1);
    const ok = this.#lib.EVP_MAC_final(ctx, tag, new Uint8Array(length.buffer), 16n) === 1;
    this.#ctx = null;
    unfinishedMacs.unregister(this);
    this.#lib.EVP_MAC_CTX_free(ctx); // OpenSSL wipes the key and the state
    if (!ok || length[0] !== 16n) throw new Error("libcrypto: Poly1305 final failed");
    return tag;
  }

  #live(): Deno.PointerValue {
    if (!this.#ctx) throw new Error("Poly1305 already finished");
    return this.#ctx;
  }
}

let loaded: Libcrypto | null | undefined;

/** libcrypto, or null where it cannot be used or SIMPLEX_CRYPTO=builtin; throws where SIMPLEX_CRYPTO=native needs it. */
export function libcrypto(): Libcrypto | null {
  if (loaded === undefined) {
    const mode = cryptoMode();
    const lib = mode === "builtin" ? null : load();
    if (!lib && mode === "native") throw missingLibrary("OpenSSL's libcrypto", "libssl3");
    loaded = lib ? new Libcrypto(lib) : null;
  }
  return loaded;
}

/** libcrypto whatever SIMPLEX_CRYPTO says, or null where it does not load (tests and benchmarks compare). */
export function loadLibcrypto(): Libcrypto | null {
  const lib = load();
  return lib ? new Libcrypto(lib) : null;
}

/** Runs `body` with `lib` (null: node:crypto) in place of the chosen libcrypto, then restores it. */
export function withLibcrypto<T>(lib: Libcrypto | null, body: () => T): T {
  const previous = libcrypto();
  loaded = lib;
  try {
    return body();
  } finally {
    loaded = previous;
  }
}
