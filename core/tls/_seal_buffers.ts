/**
 * Memory for sealing a large write: a buffer of the process's pool (core/tls/_buffer_pool.ts),
 * given back once the transport has taken its bytes. A bulk transfer (an XFTP chunk going out)
 * then seals batch after batch into the same few buffers. Small writes (SMP's 16 KB blocks) take
 * fresh memory as before.
 */
import { giveBuffer, takeBuffer } from "./_buffer_pool.ts";
import type { BufferProvider } from "./_record.ts";

/** Writes sealing to less than this take fresh memory: pooling pays off only for bulk. */
const POOLED_MIN = 64 * 1024;
/** The room of a pooled buffer: 1 MiB of content with its record overhead (22 bytes per 16 KiB). */
const POOLED_ROOM = (1 << 20) + 4096;

/** The memory of one write: a pooled buffer if it took one, which `release` gives back. */
export class SealMemory implements BufferProvider {
  private pooled: ArrayBuffer | undefined;

  allocate(length: number): Uint8Array {
    if (length < POOLED_MIN || length > POOLED_ROOM || this.pooled !== undefined) {
      return new Uint8Array(length);
    }
    this.pooled = takeBuffer(POOLED_ROOM);
    return new Uint8Array(this.pooled, 0, length);
  }

  /** The sealed bytes were written (or the write failed): nothing reads the buffer any more. */
  release(): void {
    if (this.pooled !== undefined) giveBuffer(this.pooled);
    this.pooled = undefined;
  }
}
