/**
 * Where the secret box's Salsa20, HSalsa20 and Poly1305 run: libsodium through FFI when the
 * system has it (two to three times as fast in bench/crypto.ts), otherwise our WebAssembly
 * (wasm/salsa_poly.ts). Both compute the same bytes; salsa_poly_test.ts runs every cross-check on
 * each available backend.
 *
 * `SIMPLEX_CRYPTO=wasm` keeps to WebAssembly; `SIMPLEX_CRYPTO=libsodium` makes a missing
 * libsodium an error instead of a fallback.
 *
 * Internal: used by _xsalsa20.ts and _poly1305.ts.
 */
import { wasmSalsaPoly } from "./_salsa_poly.ts";
import { sodiumSalsaPoly } from "./_sodium.ts";

/** A Poly1305 accumulator: any pieces, then one digest. */
export interface PolyState {
  update(data: Uint8Array): void;
  /** The tag; the state is wiped. */
  digest(): Uint8Array;
}

export interface SalsaPolyBackend {
  readonly name: "libsodium" | "wasm";
  /** HSalsa20(key32, input16) → 32-byte subkey. */
  hsalsa(key: Uint8Array, input: Uint8Array): Uint8Array;
  /** XORs the Salsa20(key32, nonce8) keystream from block `counter` into `buf`; only its last block may be partial. */
  salsa20XorInPlace(key: Uint8Array, nonce: Uint8Array, buf: Uint8Array, counter: number): void;
  poly1305(key: Uint8Array): PolyState;
}

const ENV = "SIMPLEX_CRYPTO";

function requested(): string | undefined {
  try {
    if (Deno.permissions.querySync({ name: "env", variable: ENV }).state !== "granted") return undefined;
    return Deno.env.get(ENV);
  } catch {
    return undefined;
  }
}

let active: SalsaPolyBackend | undefined;

function choose(): SalsaPolyBackend {
  const wanted = requested();
  if (wanted === "wasm") return wasmSalsaPoly;
  const sodium = sodiumSalsaPoly();
  if (sodium) return sodium;
  if (wanted === "libsodium") {
    throw new Error(
      `${ENV}=libsodium, but libsodium could not be loaded (is it installed, and FFI allowed?)`,
    );
  }
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

/** For start-up logs: where the secret box runs, and what would make it faster. */
export function describeSalsaPolyBackend(): string {
  return salsaPolyBackend().name === "libsodium"
    ? "libsodium (FFI)"
    : "WebAssembly (install libsodium and allow FFI for two to three times the speed)";
}
