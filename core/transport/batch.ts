/**
 * Batches of transmissions inside one block (smp.md §1.4, §3.3): `u8 n ‖ large(t1) ‖ … ‖ large(tn)`,
 * 1 ≤ n ≤ 255. Senders cap the batch so that it fits an encrypted block: Σ large(ti) ≤ 16365.
 */
import { decode, type ParseResult, Writer } from "../encoding/binary.ts";
import { PAD_BYTE, PaddingError } from "../encoding/padding.ts";
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
  const { groups, tooLarge } = groupTransmissions(transmissions);
  return { batches: groups.map(encodeBatch), tooLarge };
}

/** The transmissions of each batch `batchTransmissions` makes, not yet encoded. */
export function groupTransmissions(
  transmissions: readonly Uint8Array[],
): { readonly groups: Uint8Array[][]; readonly tooLarge: number[] } {
  const groups: Uint8Array[][] = [];
  const tooLarge: number[] = [];
  let current: Uint8Array[] = [];
  let size = 0;
  transmissions.forEach((t, i) => {
    const len = t.length + 2;
    if (len > MAX_BATCH_PAYLOAD) {
      tooLarge.push(i);
      return;
    }
    if (size + len > MAX_BATCH_PAYLOAD || current.length === MAX_BATCH_COUNT) {
      groups.push(current);
      current = [];
      size = 0;
    }
    current.push(t);
    size += len;
  });
  if (current.length > 0) groups.push(current);
  return { groups, tooLarge };
}

function encodeBatch(group: readonly Uint8Array[]): Uint8Array {
  const w = new Writer(batchLength(group)).byte(group.length);
  for (const t of group) w.largeBytes(t);
  return w.finish();
}

function batchLength(group: readonly Uint8Array[]): number {
  let length = 1;
  for (const t of group) length += 2 + t.length;
  return length;
}

/**
 * `pad(batch, paddedLength)` written at once, as blocks carry it: `u16 len ‖ u8 n ‖ large(t1) ‖ …
 * ‖ '#'…`. Throws PaddingError when the batch does not fit.
 */
export function encodePaddedBatch(group: readonly Uint8Array[], paddedLength: number): Uint8Array {
  const length = batchLength(group);
  if (group.length === 0 || group.length > MAX_BATCH_COUNT) {
    throw new RangeError("batch of 1 to 255 transmissions");
  }
  if (length > paddedLength - 2) {
    throw new PaddingError(`batch of ${length} bytes does not fit in ${paddedLength} padded bytes`);
  }
  const out = new Uint8Array(paddedLength);
  out[0] = length >>> 8;
  out[1] = length & 0xff;
  out[2] = group.length;
  let offset = 3;
  for (const t of group) {
    out[offset] = t.length >>> 8;
    out[offset + 1] = t.length & 0xff;
    out.set(t, offset + 2);
    offset += 2 + t.length;
  }
  out.fill(PAD_BYTE, offset);
  return out;
}

/** Splits a block's content into its transmissions; the whole content must be the batch. */
export function parseBatch(content: Uint8Array): ParseResult<Uint8Array[]> {
  return decode(content, (r) => r.nonEmpty((r) => r.largeBytes()));
}
