/**
 * Buffers that large writes are sealed into, shared by all the connections of the process and
 * handed back once the transport has taken their bytes. A bulk transfer (an XFTP chunk going
 * out) then seals batch after batch into the same few buffers instead of fresh memory for each:
 * no page faults and zeroing per batch, and no garbage that makes V8 run a full collection every
 * few megabytes. Small writes (SMP's 16 KB blocks) take fresh memory as before, and what the pool
 * keeps is bounded for the whole process, not per connection.
 */
import type { BufferProvider } from "./_record.ts";

/** Writes sealing to less than this take fresh memory: pooling pays off only for bulk. */
const POOLED_MIN = 64 * 1024;
/** The room of a pooled buffer: 1 MiB of content with its record overhead (22 bytes per 16 KiB). */
const POOLED_ROOM = (1 << 20) + 4096;
/** Free buffers kept for the whole process. */
const KEPT = 4;

const free: ArrayBuffer[] = [];

/** The memory of one write: a pooled buffer if it took one, which `release` gives back. */
export class SealMemory implements BufferProvider {
  private pooled: ArrayBuffer | undefined;

  allocate(length: number): Uint8Array {
    if (length < POOLED_MIN || length > POOLED_ROOM || this.pooled !== undefined) {
      return new Uint8Array(length);
    }
    this.pooled = free.pop() ?? new ArrayBuffer(POOLED_ROOM);
    return new Uint8Array(this.pooled, 0, length);
  }

  /** The sealed bytes were written (or the write failed): nothing reads the buffer any more. */
  release(): void {
    if (this.pooled !== undefined && free.length < KEPT) free.push(this.pooled);
    this.pooled = undefined;
  }
}
