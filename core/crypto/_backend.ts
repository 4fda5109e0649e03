/**
 * Where the secret box's Salsa20, HSalsa20 and Poly1305 run: libsodium through FFI when the
 * system has it (two to three times as fast in bench/crypto.ts), otherwise our WebAssembly
 * (wasm/salsa_poly.ts). Both compute the same bytes; salsa_poly_test.ts runs every cross-check on
 * each available backend.
 *
 * `SIMPLEX_CRYPTO=builtin` keeps to WebAssembly; `SIMPLEX_CRYPTO=native` makes a missing
 * libsodium an error instead of a fallback (_crypto_mode.ts).
 *
 * Internal: used by _xsalsa20.ts and _poly1305.ts.
 */
import { wasmSalsaPoly } from "./_salsa_poly.ts";
import { sodiumSalsaPoly } from "./_sodium.ts";
import { cryptoMode, missingLibrary } from "./_crypto_mode.ts";
import { libcrypto } from "./_libcrypto.ts";

/** A Poly1305 accumulator: any pieces, then one digest. */
export interface PolyState {
  update(data: Uint8Array): void;
  /**
   * The same on a thread of Deno's blocking pool (libsodium, libcrypto): `data` must stay unchanged,
   * and nothing else may touch the state, until it resolves.
   */
  updateOffThread?(data: Uint8Array): Promise<void>;
  /** The tag; the state is wiped. */
  digest(): Uint8Array;
}

export interface SalsaPolyBackend {
  readonly name: "libsodium" | "wasm";
  /** HSalsa20(key32, input16) → 32-byte subkey. */
  hsalsa(key: Uint8Array, input: Uint8Array): Uint8Array;
  /**
   * Writes `input` XOR the Salsa20(key32, nonce8) keystream from block `counter` to `output`, which
   * is as long and is either `input` itself or does not overlap it; only the last block may be partial.
   */
  salsa20Xor(
    key: Uint8Array,
    nonce: Uint8Array,
    input: Uint8Array,
    output: Uint8Array,
    counter: number,
  ): void;
  /**
   * The same on a thread of Deno's blocking pool (libsodium only), for long runs that the calling
   * thread need not wait for: no buffer may change until it resolves.
   */
  salsa20XorOffThread?(
    key: Uint8Array,
    nonce: Uint8Array,
    input: Uint8Array,
    output: Uint8Array,
    counter: number,
  ): Promise<void>;
  poly1305(key: Uint8Array): PolyState;
}

let active: SalsaPolyBackend | undefined;

function choose(): SalsaPolyBackend {
  const mode = cryptoMode();
  if (mode === "builtin") return wasmSalsaPoly;
  const sodium = sodiumSalsaPoly();
  if (sodium) return sodium;
  if (mode === "native") throw missingLibrary("libsodium", "libsodium23");
  return wasmSalsaPoly;
}

/** The backend in use, chosen on first use. */
export function salsaPolyBackend(): SalsaPolyBackend {
  return active ??= choose();
}

/** Every backend that works here: WebAssembly always, libsodium when it loads. */
export function availableSalsaPolyBackends(): SalsaPolyBackend[] {
  const sodium = sodiumSalsaPoly();
  return sodium ? [sodium, wasmSalsaPoly] : [wasmSalsaPoly];
}

/** Runs `body` with `backend` for everything it creates, then restores the previous one (tests and benchmarks compare them). */
export function withSalsaPolyBackend<T>(backend: SalsaPolyBackend, body: () => T): T {
  const previous = salsaPolyBackend();
  active = backend;
  try {
    return body();
  } finally {
    active = previous;
  }
}

/**
 * For start-up logs: where the secret box, and the TLS records, digests and Poly1305, run, and what
 * would make them faster. Throws what SIMPLEX_CRYPTO=native (or an unknown value) makes an error.
 */
export function describeCryptoBackends(): string[] {
  const lib = libcrypto();
  return [
    `Secret box: ${
      salsaPolyBackend().name === "libsodium"
        ? "libsodium (FFI)"
        : "WebAssembly (install libsodium and allow FFI for two to three times the speed)"
    }`,
    `TLS records, SHA-2 and Poly1305: ${
      lib
        ? `${lib.version} (FFI)`
        : "node:crypto (install OpenSSL's libcrypto and allow FFI for 1.6-2 times the speed)"
    }`,
  ];
}
