/** A seeded generator for property tests, so that a failing case can be replayed from its seed. */
export class SeededRandom {
  #state: number;

  constructor(readonly seed = Date.now() >>> 0) {
    this.#state = seed || 1;
  }

  /** xorshift32: plenty for generating test inputs (not for keys). */
  next(): number {
    let x = this.#state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#state = x >>> 0;
    return this.#state;
  }

  int(maxExclusive: number): number {
    return this.next() % maxExclusive;
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.next() & 0xff;
    return out;
  }
}
