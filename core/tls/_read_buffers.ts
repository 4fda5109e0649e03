/**
 * Large socket-read buffers that go round again once the reader has let go of them, for a reader
 * that promises to be done with what one `readLent` handed it by its next call (HTTP/2 copies what
 * it keeps). A bulk download then reads into the same few buffers instead of fresh memory for
 * every read: no page faults and zeroing per read, and no garbage that makes V8 run a full
 * collection every few megabytes.
 *
 * Each buffer moves along: the engine's (being read into, or holding an incomplete record) →
 * retired (the engine moved on to a newer one; its plaintext may still wait in the queue) → lent
 * (all of its plaintext was handed out) → free again at the next `readLent`.
 */
export class LentReadBuffers {
  private free: ArrayBuffer[] = [];
  private current: ArrayBuffer | undefined;
  private retired: ArrayBuffer[] = [];
  private lent: ArrayBuffer[] = [];

  /**
   * `capacity`: the largest room a pooled buffer offers (bigger requests get fresh memory);
   * `spare`: free buffers kept beyond those in use.
   */
  constructor(private readonly capacity: number, private readonly spare: number) {}

  /** Room for the engine's next read: a pooled buffer when `length` is large enough to matter. */
  allocate(length: number): Uint8Array {
    if (this.current !== undefined) this.retired.push(this.current);
    this.current = undefined;
    // small reads (an idle connection waiting) take small fresh buffers, not a pooled one
    if (length < this.capacity / 4 || length > this.capacity) return new Uint8Array(length);
    const buffer = this.free.pop() ?? new ArrayBuffer(this.capacity);
    this.current = buffer;
    return new Uint8Array(buffer, 0, length);
  }

  /** The reader called again: what it was lent last time is free. */
  returned(): void {
    for (const buffer of this.lent) if (this.free.length < this.spare) this.free.push(buffer);
    this.lent = [];
  }

  /** The whole queue was handed out: every retired buffer's plaintext is now the reader's. */
  handedOut(): void {
    this.lent = this.retired;
    this.retired = [];
  }

  /** Stops recycling (another read method took plaintext, which may be kept indefinitely). */
  clear(): void {
    this.free = [];
    this.current = undefined;
    this.retired = [];
    this.lent = [];
  }
}
