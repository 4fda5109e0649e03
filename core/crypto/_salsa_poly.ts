/**
 * The WebAssembly Salsa20, HSalsa20 and Poly1305 of wasm/salsa_poly.ts, instantiated synchronously
 * on first use. The module keeps no stream state between calls: each call writes the key, nonce
 * and counter, or the Poly1305 state, into the module's state area and reads the result back, so
 * any number of streams may interleave. Message bytes pass through its 64 KB scratch buffer.
 *
 * Internal: the portable backend of _backend.ts.
 */
import type { PolyState, SalsaPolyBackend } from "./_backend.ts";
import { decodeBase64 } from "../encoding/base64.ts";
import { SALSA_POLY_WASM_BASE64 } from "./wasm/_salsa_poly_wasm.ts";

interface SalsaPolyExports {
  memory: WebAssembly.Memory;
  DATA_LENGTH: WebAssembly.Global;
  statePtr(): number;
  dataPtr(): number;
  hsalsa(): void;
  salsaXor(length: number, counterLo: number, counterHi: number): void;
  polyInit(): void;
  polyBlocks(length: number, hibit: number): void;
  polyFinish(): void;
}

/** Offsets in the state area, as laid out in wasm/salsa_poly.ts. */
const KEY = 0;
const HSALSA_INPUT = 32;
const NONCE = 48;
const HSALSA_OUTPUT = 64;
const POLY = 96; // r(20) ‖ h(20) ‖ s(16)
const POLY_H = 116;
const POLY_TAG = 152;
const STATE_LENGTH = 256;

/** Poly1305 state as the module lays it out: r and h in 26-bit limbs, then s. */
export const POLY_STATE_LENGTH = 56;

interface SalsaPoly {
  exports: SalsaPolyExports;
  state: Uint8Array;
  data: Uint8Array;
}

let instance: SalsaPoly | undefined;

function salsaPoly(): SalsaPoly {
  if (instance) return instance;
  const module = new WebAssembly.Module(new Uint8Array(decodeBase64(SALSA_POLY_WASM_BASE64)));
  const exports = new WebAssembly.Instance(module, {}).exports as unknown as SalsaPolyExports;
  const buffer = exports.memory.buffer; // fixed size: the module never grows its memory
  instance = {
    exports,
    state: new Uint8Array(buffer, exports.statePtr(), STATE_LENGTH),
    data: new Uint8Array(buffer, exports.dataPtr(), exports.DATA_LENGTH.value),
  };
  return instance;
}

/** HSalsa20(key32, input16) → 32-byte subkey. */
export function hsalsa(key: Uint8Array, input: Uint8Array): Uint8Array {
  const { exports, state } = salsaPoly();
  state.set(key, KEY);
  state.set(input, HSALSA_INPUT);
  exports.hsalsa();
  const out = state.slice(HSALSA_OUTPUT, HSALSA_OUTPUT + 32);
  state.fill(0, 0, HSALSA_OUTPUT + 32);
  return out;
}

/**
 * Writes `input` XOR the Salsa20(key, nonce8) keystream, starting at block `counter`, to `output`
 * (as long; it may be `input` itself). Only the last block may be partial.
 */
export function salsa20Xor(
  key: Uint8Array,
  nonce: Uint8Array,
  input: Uint8Array,
  output: Uint8Array,
  counter: number,
): void {
  const { exports, state, data } = salsaPoly();
  state.set(key, KEY);
  state.set(nonce, NONCE);
  for (let off = 0; off < input.length; off += data.length) {
    const chunk = input.subarray(off, off + data.length);
    data.set(chunk);
    exports.salsaXor(chunk.length, counter >>> 0, Math.floor(counter / 0x100000000));
    output.set(data.subarray(0, chunk.length), off);
    counter += data.length / 64;
  }
  state.fill(0, KEY, NONCE + 8);
}

/** The Poly1305 state for the one-time key `key32`. */
export function polyInit(key: Uint8Array): Uint8Array {
  const { exports, state } = salsaPoly();
  state.set(key, KEY);
  exports.polyInit();
  const polyState = state.slice(POLY, POLY + POLY_STATE_LENGTH);
  state.fill(0, KEY, KEY + 32);
  state.fill(0, POLY, POLY + POLY_STATE_LENGTH);
  return polyState;
}

/**
 * Absorbs the 16-byte blocks of `blocks` (its length a multiple of 16) into `polyState`;
 * `hibit` is 1 for whole message blocks, 0 for the padded last one.
 */
export function polyBlocks(polyState: Uint8Array, blocks: Uint8Array, hibit: number): void {
  const { exports, state, data } = salsaPoly();
  state.set(polyState, POLY);
  for (let off = 0; off < blocks.length; off += data.length) {
    const chunk = blocks.subarray(off, off + data.length);
    data.set(chunk);
    exports.polyBlocks(chunk.length, hibit);
  }
  polyState.set(state.subarray(POLY_H, POLY_H + 20), POLY_H - POLY);
  state.fill(0, POLY, POLY + POLY_STATE_LENGTH);
}

/** The tag of the absorbed blocks. */
export function polyFinish(polyState: Uint8Array): Uint8Array {
  const { exports, state } = salsaPoly();
  state.set(polyState, POLY);
  exports.polyFinish();
  const tag = state.slice(POLY_TAG, POLY_TAG + 16);
  state.fill(0, POLY, POLY_TAG + 16);
  return tag;
}

/** Poly1305 over the module: whole 16-byte blocks go in as they arrive, the rest waits here. */
class WasmPoly1305 implements PolyState {
  readonly #state: Uint8Array;
  readonly #buffer = new Uint8Array(16);
  #buffered = 0;

  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new RangeError("Poly1305 key must be 32 bytes");
    this.#state = polyInit(key);
  }

  update(data: Uint8Array): void {
    let off = 0;
    const len = data.length;
    if (this.#buffered > 0) {
      const take = Math.min(16 - this.#buffered, len);
      this.#buffer.set(data.subarray(0, take), this.#buffered);
      this.#buffered += take;
      off = take;
      if (this.#buffered < 16) return;
      polyBlocks(this.#state, this.#buffer, 1);
      this.#buffered = 0;
    }
    const whole = len - ((len - off) % 16);
    if (whole > off) polyBlocks(this.#state, data.subarray(off, whole), 1);
    if (whole < len) {
      this.#buffer.set(data.subarray(whole));
      this.#buffered = len - whole;
    }
  }

  digest(): Uint8Array {
    if (this.#buffered > 0) {
      // a last partial block: its bytes, then 0x01, then zeros, and no 2^128 bit (RFC 8439 §2.5.1)
      this.#buffer[this.#buffered] = 1;
      this.#buffer.fill(0, this.#buffered + 1);
      polyBlocks(this.#state, this.#buffer, 0);
    }
    const tag = polyFinish(this.#state);
    this.#buffer.fill(0);
    this.#state.fill(0);
    return tag;
  }
}

export const wasmSalsaPoly: SalsaPolyBackend = {
  name: "wasm",
  hsalsa,
  salsa20Xor,
  poly1305: (key) => new WasmPoly1305(key),
};
