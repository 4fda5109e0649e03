/**
 * Read buffers that go back to the process's pool (core/tls/_buffer_pool.ts) once the reader has
 * let go of their plaintext, for a reader that promises to be done with what one `readLent`
 * handed it by its next call (HTTP/2 copies what it keeps).
 *
 * A buffer is the engine's while a read fills it and while it holds an incomplete record; its
 * records' plaintext is queued when the read is absorbed, handed out by a `readLent`, and
 * returned when the reader calls again. It goes back to the pool when both hold: the engine has
 * moved on to another buffer, and all its plaintext came back.
 */
import { giveBuffer, takeBuffer } from "./_buffer_pool.ts";
import type { BufferProvider } from "./_record.ts";

export class LentReadBuffers implements BufferProvider {
  /** the engine's pooled buffer, if its current one is pooled */
  private current: ArrayBuffer | undefined;
  /** the read into `current` was absorbed: all its plaintext is queued or handed out */
  private currentFilled = false;
  /** `current`'s plaintext was handed out by the last readLent */
  private currentLent = false;
  /** ... and came back: `current` is free once the engine moves on */
  private currentReturned = false;
  /** buffers the engine moved on from whose plaintext may still be queued */
  private retired: ArrayBuffer[] = [];
  /** buffers the engine moved on from whose plaintext the last readLent handed out */
  private lent: ArrayBuffer[] = [];

  /** `capacity`: the room of a pooled buffer; smaller reads (an idle connection's) take fresh memory. */
  constructor(private readonly capacity: number) {}

  /** Room for the engine's next read; the engine is done with the buffer before. */
  allocate(length: number): Uint8Array {
    this.retireCurrent();
    if (length < this.capacity / 4 || length > this.capacity) return new Uint8Array(length);
    this.current = takeBuffer(this.capacity);
    return new Uint8Array(this.current, 0, length);
  }

  /** The read into the last allocation was absorbed: its plaintext is all queued. */
  filled(): void {
    this.currentFilled = this.current !== undefined;
  }

  /** The reader called again: what it was lent last time came back. */
  returned(): void {
    for (const buffer of this.lent) giveBuffer(buffer);
    this.lent = [];
    if (this.currentLent) this.currentReturned = true;
    this.currentLent = false;
  }

  /** The whole queue was handed out. */
  handedOut(): void {
    this.lent = this.retired;
    this.retired = [];
    if (this.currentFilled) this.currentLent = true;
  }

  private retireCurrent(): void {
    const buffer = this.current;
    if (buffer !== undefined) {
      if (this.currentLent) this.lent.push(buffer);
      else if (this.currentReturned) giveBuffer(buffer);
      else this.retired.push(buffer);
    }
    this.current = undefined;
    this.currentFilled = this.currentLent = this.currentReturned = false;
  }
}
