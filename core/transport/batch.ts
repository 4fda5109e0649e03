/**
 * Batches of transmissions inside one block (smp.md §1.4, §3.3): `u8 n ‖ large(t1) ‖ … ‖ large(tn)`,
 * 1 ≤ n ≤ 255. Senders cap the batch so that it fits an encrypted block: Σ large(ti) ≤ 16365.
 */
import { decode, type ParseResult, Writer } from "../encoding/binary.ts";
import { BLOCK_SIZE } from "./block.ts";

/** 19 = 2 (pad length) + 1 (count) + 16 (block encryption tag), as upstream reserves. */
export const MAX_BATCH_PAYLOAD = BLOCK_SIZE - 19;
export const MAX_BATCH_COUNT = 255;

export interface Batches {
  /** block contents, each a batch, in the order of the transmissions */
  readonly batches: Uint8Array[];
  /** indexes of transmissions too large for any block (LARGE_MSG) */
  readonly tooLarge: number[];
}

/** Packs transmissions greedily into as few batches as possible, keeping their order. */
export function batchTransmissions(transmissions: readonly Uint8Array[]): Batches {
  const batches: Uint8Array[] = [];
  const tooLarge: number[] = [];
  let current: Uint8Array[] = [];
  let size = 0;
  const flush = () => {
    if (current.length === 0) return;
    const w = new Writer(size + 1).byte(current.length);
    for (const t of current) w.largeBytes(t);
    batches.push(w.finish());
    current = [];
    size = 0;
  };
  transmissions.forEach((t, i) => {
    const len = t.length + 2;
    if (len > MAX_BATCH_PAYLOAD) {
      tooLarge.push(i);
      return;
    }
    if (size + len > MAX_BATCH_PAYLOAD || current.length === MAX_BATCH_COUNT) flush();
    current.push(t);
    size += len;
  });
  flush();
  return { batches, tooLarge };
}

/** Splits a block's content into its transmissions; the whole content must be the batch. */
export function parseBatch(content: Uint8Array): ParseResult<Uint8Array[]> {
  return decode(content, (r) => r.nonEmpty((r) => r.largeBytes()));
}
