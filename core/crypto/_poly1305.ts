/**
 * Poly1305 (RFC 8439 §2.5) on the active backend (_backend.ts: libsodium, or WebAssembly with
 * 26-bit limbs). _poly1305_js.ts is the earlier float64 version; poly1305_test.ts and
 * salsa_poly_test.ts cross-check each backend with it and with noble.
 *
 * Internal: used by the secret box; one instance per message.
 */
import { type PolyState, salsaPolyBackend } from "./_backend.ts";

export class Poly1305 {
  readonly #state: PolyState;
  #finished = false;

  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new RangeError("Poly1305 key must be 32 bytes");
    this.#state = salsaPolyBackend().poly1305(key);
  }

  update(data: Uint8Array): this {
    if (this.#finished) throw new Error("Poly1305 already finished");
    this.#state.update(data);
    return this;
  }

  digest(): Uint8Array {
    if (this.#finished) throw new Error("Poly1305 already finished");
    this.#finished = true;
    return this.#state.digest();
  }
}
