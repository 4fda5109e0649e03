/**
 * SimpleX padding (`Crypto.pad`/`unPad`, smp.md §0): `u16 len ‖ msg ‖ '#'…` up to a fixed size,
 * so that an observer learns nothing from a message's length.
 */

export const PAD_BYTE = 0x23; // '#'

export class PaddingError extends Error {
  override name = "PaddingError";
}

/** Pads `msg` to exactly `paddedLength` bytes; fails when it does not fit or exceeds 65533 bytes. */
export function pad(msg: Uint8Array, paddedLength: number): Uint8Array {
  const len = msg.length;
  if (len > paddedLength - 2 || len > 65533) {
    throw new PaddingError(`message of ${len} bytes does not fit in ${paddedLength} padded bytes`);
  }
  const out = new Uint8Array(paddedLength);
  out[0] = len >>> 8;
  out[1] = len & 0xff;
  out.set(msg, 2);
  out.fill(PAD_BYTE, 2 + len);
  return out;
}

/** Reads the length prefix and returns that many bytes; trailing bytes are ignored, as upstream does. */
export function unpad(padded: Uint8Array): Uint8Array {
  if (padded.length < 2) throw new PaddingError("padded message shorter than its length prefix");
  const len = (padded[0] << 8) | padded[1];
  if (padded.length - 2 < len) throw new PaddingError(`padded message declares ${len} bytes but has fewer`);
  return padded.subarray(2, 2 + len);
}
