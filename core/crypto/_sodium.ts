/**
 * libsodium's Salsa20, HSalsa20 and Poly1305 through Deno's FFI: the same primitives as the
 * WebAssembly module, on the caller's buffers, without copies, at native speed. Loaded once; null
 * where libsodium is not installed or FFI is not allowed (Debian: `apt install libsodium23`).
 *
 * Internal: a backend of _backend.ts.
 */
import type { PolyState, SalsaPolyBackend } from "./_backend.ts";
import { openLibrary } from "./_ffi.ts";

const SYMBOLS = {
  sodium_init: { parameters: [], result: "i32" },
  crypto_core_hsalsa20: { parameters: ["buffer", "buffer", "buffer", "buffer"], result: "i32" },
  crypto_stream_salsa20_xor_ic: {
    parameters: ["buffer", "buffer", "u64", "buffer", "u64", "buffer"],
    result: "i32",
  },
  crypto_onetimeauth_poly1305_statebytes: { parameters: [], result: "usize" },
  crypto_onetimeauth_poly1305_init: { parameters: ["buffer", "buffer"], result: "i32" },
  crypto_onetimeauth_poly1305_update: { parameters: ["buffer", "buffer", "u64"], result: "i32" },
  crypto_onetimeauth_poly1305_final: { parameters: ["buffer", "buffer"], result: "i32" },
  /** the same functions on a thread of Deno's blocking pool: the caller goes on meanwhile */
  crypto_stream_salsa20_xor_ic_background: {
    name: "crypto_stream_salsa20_xor_ic",
    parameters: ["buffer", "buffer", "u64", "buffer", "u64", "buffer"],
    result: "i32",
    nonblocking: true,
  },
  crypto_onetimeauth_poly1305_update_background: {
    name: "crypto_onetimeauth_poly1305_update",
    parameters: ["buffer", "buffer", "u64"],
    result: "i32",
    nonblocking: true,
  },
} as const;

type Sodium = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

const LIBRARY_NAMES: Record<string, string[]> = {
  linux: ["libsodium.so.23", "libsodium.so.26", "libsodium.so"],
  darwin: ["libsodium.dylib", "/opt/homebrew/lib/libsodium.dylib", "/usr/local/lib/libsodium.dylib"],
  windows: ["libsodium.dll"],
};

/** libsodium's SSE2 Poly1305 reads its state with aligned loads. */
const STATE_ALIGNMENT = 64;

function open(): Sodium | null {
  const sodium = openLibrary(LIBRARY_NAMES, SYMBOLS);
  return sodium && sodium.sodium_init() >= 0 ? sodium : null;
}

class SodiumPoly1305 implements PolyState {
  readonly #sodium: Sodium;
  readonly #state: Uint8Array;

  constructor(sodium: Sodium, stateBytes: number, key: Uint8Array) {
    this.#sodium = sodium;
    const raw = new Uint8Array(stateBytes + STATE_ALIGNMENT);
    const address = Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(raw)));
    const skip = (STATE_ALIGNMENT - (address % STATE_ALIGNMENT)) % STATE_ALIGNMENT;
    this.#state = raw.subarray(skip, skip + stateBytes);
    if (key.length !== 32) throw new RangeError("Poly1305 key must be 32 bytes");
    sodium.crypto_onetimeauth_poly1305_init(this.#state, key);
  }

  update(data: Uint8Array): void {
    if (data.length > 0) {
      this.#sodium.crypto_onetimeauth_poly1305_update(this.#state, data, BigInt(data.length));
    }
  }

  async updateOffThread(data: Uint8Array): Promise<void> {
    if (data.length > 0) {
      await this.#sodium.crypto_onetimeauth_poly1305_update_background(
        this.#state,
        data,
        BigInt(data.length),
      );
    }
  }

  digest(): Uint8Array {
    const tag = new Uint8Array(16);
    this.#sodium.crypto_onetimeauth_poly1305_final(this.#state, tag); // also wipes the state
    return tag;
  }
}

function checkSalsa(key: Uint8Array, nonce: Uint8Array, input: Uint8Array, output: Uint8Array): void {
  if (key.length !== 32 || nonce.length !== 8) {
    throw new RangeError("Salsa20 takes a 32-byte key and 8-byte nonce");
  }
  if (output.length !== input.length) throw new RangeError("Salsa20 output must be as long as the input");
}

function backend(sodium: Sodium): SalsaPolyBackend {
  const stateBytes = Number(sodium.crypto_onetimeauth_poly1305_statebytes());
  return {
    name: "libsodium",
    hsalsa(key, input) {
      if (key.length !== 32 || input.length !== 16) {
        throw new RangeError("HSalsa20 takes a 32-byte key and 16 bytes");
      }
      const out = new Uint8Array(32);
      sodium.crypto_core_hsalsa20(out, input, key, null);
      return out;
    },
    salsa20Xor(key, nonce, input, output, counter) {
      checkSalsa(key, nonce, input, output);
      if (input.length > 0) {
        sodium.crypto_stream_salsa20_xor_ic(output, input, BigInt(input.length), nonce, BigInt(counter), key);
      }
    },
    async salsa20XorOffThread(key, nonce, input, output, counter) {
      checkSalsa(key, nonce, input, output);
      if (input.length > 0) {
        await sodium.crypto_stream_salsa20_xor_ic_background(
          output,
          input,
          BigInt(input.length),
          nonce,
          BigInt(counter),
          key,
        );
      }
    },
    poly1305: (key) => new SodiumPoly1305(sodium, stateBytes, key),
  };
}

let loaded: SalsaPolyBackend | null | undefined;

/** The libsodium backend, or null where libsodium cannot be used. */
export function sodiumSalsaPoly(): SalsaPolyBackend | null {
  if (loaded === undefined) {
    const sodium = open();
    loaded = sodium ? backend(sodium) : null;
  }
  return loaded;
}
