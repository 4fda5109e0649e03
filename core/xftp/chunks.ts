/**
 * Chunk sizes (FileTransfer/Chunks.hs, Client.hs `prepareChunkSizes`, xftp.md §3.1, §4.2): servers
 * accept exactly 64 KiB, 256 KiB, 1 MiB and 4 MiB, and a file is cut into a few big chunks and
 * a tail of small ones.
 */

export const KB = 1024;
export const MB = 1024 * KB;
export const GB = 1024 * MB;

/** `serverChunkSizes`, smallest first. */
export const SERVER_CHUNK_SIZES: readonly number[] = [64 * KB, 256 * KB, 1 * MB, 4 * MB];

/**
 * The chunk sizes for an encrypted payload of `payload` bytes (header, length and tag included):
 * whole big chunks, then one big chunk if the rest is over ¾ of it, else enough small ones.
 */
export function prepareChunkSizes(payload: number): number[] {
  if (!Number.isSafeInteger(payload) || payload < 0) throw new RangeError(`bad payload size: ${payload}`);
  const [c0, c1, c2, c3] = SERVER_CHUNK_SIZES;
  const threeQuarters = (size: number) => Math.floor((size * 3) / 4);
  const [small, big] = payload > threeQuarters(c3)
    ? [c2, c3]
    : payload > threeQuarters(c2)
    ? [c1, c2]
    : [c0, c1];
  const sizes: number[] = [];
  let rest = payload;
  if (rest >= big) {
    const n = Math.floor(rest / big);
    for (let i = 0; i < n; i++) sizes.push(big);
    rest -= n * big;
  }
  if (rest === 0) return sizes;
  if (rest > threeQuarters(big)) return [...sizes, big];
  const n = Math.ceil(rest / small);
  for (let i = 0; i < n; i++) sizes.push(small);
  return sizes;
}

/** The smallest server chunk size that holds `payload` in one chunk (redirect descriptions), if any. */
export function singleChunkSize(payload: number): number | undefined {
  return SERVER_CHUNK_SIZES.find((size) => size >= payload);
}
