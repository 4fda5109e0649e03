/**
 * Poly1305 (RFC 8439 §2.5) in OpenSSL's libcrypto where it loads (_libcrypto.ts: about twice
 * libsodium 1.0.18's pace on long streams), else on the active backend (_backend.ts: libsodium, or
 * WebAssembly with 26-bit limbs). _poly1305_js.ts is the earlier float64 version; poly1305_test.ts and
 * salsa_poly_test.ts cross-check each backend with it and with noble.
 *
 * Internal: used by the secret box; one instance per message.
 */
import { type PolyState, salsaPolyBackend } from "./_backend.ts";
import { libcrypto } from "./_libcrypto.ts";

export class Poly1305 {
  readonly #state: PolyState;
  #finished = false;
  /** the last update started off the thread: later ones queue behind it */
  #queue: Promise<void> = Promise.resolve();
  #inFlight = 0;

  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new RangeError("Poly1305 key must be 32 bytes");
    this.#state = libcrypto()?.poly1305(key) ?? salsaPolyBackend().poly1305(key);
  }

  update(data: Uint8Array): this {
    this.#assertIdle();
    this.#state.update(data);
    return this;
  }

  /**
   * `update` on a thread of Deno's blocking pool where the backend can. Updates queue in call
   * order; `data` must stay unchanged until the returned promise resolves, and `update` or
   * `digest` may only follow once every one has.
   */
  updateOffThread(data: Uint8Array): Promise<void> {
    if (this.#finished) return Promise.reject(new Error("Poly1305 already finished"));
    const state = this.#state;
    if (!state.updateOffThread) {
      this.update(data);
      return Promise.resolve();
    }
    this.#inFlight++;
    const run = this.#queue.then(() => state.updateOffThread!(data)).finally(() => void this.#inFlight--);
    this.#queue = run.catch(() => {});
    return run;
  }

  digest(): Uint8Array {
    this.#assertIdle();
    this.#finished = true;
    return this.#state.digest();
  }

  #assertIdle(): void {
    if (this.#finished) throw new Error("Poly1305 already finished");
    if (this.#inFlight > 0) throw new Error("Poly1305 update still running off the thread");
  }
}
