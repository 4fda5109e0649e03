/**
 * Free buffers for bulk reads and writes (core/tls/_read_buffers.ts, _seal_buffers.ts), shared
 * by all the connections of the process: a bulk transfer goes through the same few buffers
 * instead of fresh memory for every read or write, which would cost a page fault and zeroing
 * per 4 KiB and make V8 run a full collection every few megabytes. What is kept is bounded for
 * the whole process, so idle connections hold none of it.
 */

/** Free buffers kept of each size. */
const KEPT_PER_SIZE = 4;

const free = new Map<number, ArrayBuffer[]>();

/** A buffer of `size` bytes that nothing else uses until it is given back. */
export function takeBuffer(size: number): ArrayBuffer {
  return free.get(size)?.pop() ?? new ArrayBuffer(size);
}

/** Gives back a buffer that nothing reads or writes any more. */
export function giveBuffer(buffer: ArrayBuffer): void {
  let list = free.get(buffer.byteLength);
  if (list === undefined) free.set(buffer.byteLength, list = []);
  if (list.length < KEPT_PER_SIZE) list.push(buffer);
}
