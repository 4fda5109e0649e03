/**
 * HTTP/2 frames (RFC 9113 §4, §6): the 9-byte header, the encoders a client needs, and a reader
 * that splits a byte stream into frames. DATA payloads are handed on in the pieces they arrived
 * in, never gathered, so a bulk download is copied once, by its consumer.
 */
import { Http2Error, Http2ErrorCode } from "./errors.ts";

export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

export const Flag = {
  END_STREAM: 0x1,
  /** SETTINGS and PING */
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

export const Setting = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
} as const;

const FRAME_HEADER_LENGTH = 9;
/** SETTINGS_MAX_FRAME_SIZE's initial value and least allowed value */
export const DEFAULT_MAX_FRAME_SIZE = 16384;
export const MAX_ALLOWED_FRAME_SIZE = (1 << 24) - 1;
export const DEFAULT_WINDOW_SIZE = 65535;
export const MAX_WINDOW_SIZE = 2 ** 31 - 1;

/** The client connection preface (§3.4), before the client's first SETTINGS frame. */
export const CLIENT_PREFACE = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

export function frameHeader(length: number, type: number, flags: number, streamId: number): Uint8Array {
  const h = new Uint8Array(FRAME_HEADER_LENGTH);
  h[0] = length >>> 16;
  h[1] = length >>> 8;
  h[2] = length;
  h[3] = type;
  h[4] = flags;
  new DataView(h.buffer).setUint32(5, streamId & MAX_WINDOW_SIZE);
  return h;
}

export function frame(
  type: number,
  flags: number,
  streamId: number,
  payload: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_LENGTH + payload.length);
  out.set(frameHeader(payload.length, type, flags, streamId));
  out.set(payload, FRAME_HEADER_LENGTH);
  return out;
}

export function settingsFrame(settings: readonly (readonly [id: number, value: number])[]): Uint8Array {
  const payload = new Uint8Array(6 * settings.length);
  const view = new DataView(payload.buffer);
  settings.forEach(([id, value], i) => {
    view.setUint16(6 * i, id);
    view.setUint32(6 * i + 2, value);
  });
  return frame(FrameType.SETTINGS, 0, 0, payload);
}

export function parseSettings(payload: Uint8Array): [id: number, value: number][] {
  if (payload.length % 6 !== 0) {
    throw new Http2Error(Http2ErrorCode.FRAME_SIZE_ERROR, "SETTINGS length is not a multiple of 6");
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.length);
  const out: [number, number][] = [];
  for (let i = 0; i < payload.length; i += 6) out.push([view.getUint16(i), view.getUint32(i + 2)]);
  return out;
}

/** A 31-bit value after a reserved bit: WINDOW_UPDATE's increment, GOAWAY's last stream id. */
export function uint31(payload: Uint8Array, offset = 0): number {
  return new DataView(payload.buffer, payload.byteOffset, payload.length).getUint32(offset) & MAX_WINDOW_SIZE;
}

export function uint32(payload: Uint8Array, offset = 0): number {
  return new DataView(payload.buffer, payload.byteOffset, payload.length).getUint32(offset);
}

function withUint32s(type: number, streamId: number, values: readonly number[]): Uint8Array {
  const payload = new Uint8Array(4 * values.length);
  const view = new DataView(payload.buffer);
  values.forEach((v, i) => view.setUint32(4 * i, v));
  return frame(type, 0, streamId, payload);
}

export const windowUpdateFrame = (streamId: number, increment: number) =>
  withUint32s(FrameType.WINDOW_UPDATE, streamId, [increment]);
export const rstStreamFrame = (streamId: number, code: number) =>
  withUint32s(FrameType.RST_STREAM, streamId, [code]);
export const goawayFrame = (lastStreamId: number, code: number) =>
  withUint32s(FrameType.GOAWAY, 0, [lastStreamId, code]);

/** What the reader hands on, in stream order. */
export interface FrameSink {
  /** A frame other than DATA, whole. */
  frame(type: number, flags: number, streamId: number, payload: Uint8Array): void;
  /** A DATA frame begins: `length` is its whole payload, padding included (flow control counts it). */
  dataStart(streamId: number, length: number): void;
  /** Part of a DATA frame's content (padding removed), a view into the bytes pushed. */
  data(streamId: number, piece: Uint8Array): void;
  /** A DATA frame ended. */
  dataEnd(streamId: number, flags: number): void;
}

/** Splits pushed bytes into frames; throws Http2Error on a frame larger than `maxFrameSize` or bad padding. */
export class FrameReader {
  private readonly header = new Uint8Array(FRAME_HEADER_LENGTH);
  private headerFill = 0;
  private type = 0;
  private flags = 0;
  private streamId = 0;
  /** payload bytes of the current frame still to come */
  private remaining = 0;
  private inFrame = false;
  // a non-DATA payload being gathered
  private payload = new Uint8Array(0);
  private payloadFill = 0;
  // DATA: whether the pad length is still to come, and the content bytes left before the padding
  private awaitingPadLength = false;
  private content = 0;

  constructor(private readonly sink: FrameSink, private readonly maxFrameSize = DEFAULT_MAX_FRAME_SIZE) {}

  push(bytes: Uint8Array): void {
    let offset = 0;
    while (offset < bytes.length || (this.inFrame && this.remaining === 0)) {
      if (!this.inFrame) {
        const take = Math.min(FRAME_HEADER_LENGTH - this.headerFill, bytes.length - offset);
        this.header.set(bytes.subarray(offset, offset + take), this.headerFill);
        this.headerFill += take;
        offset += take;
        if (this.headerFill < FRAME_HEADER_LENGTH) return;
        this.headerFill = 0;
        this.begin();
        continue;
      }
      const take = Math.min(this.remaining, bytes.length - offset);
      const piece = bytes.subarray(offset, offset + take);
      offset += take;
      this.remaining -= take;
      if (this.type === FrameType.DATA) this.dataPiece(piece);
      else {
        this.payload.set(piece, this.payloadFill);
        this.payloadFill += take;
      }
      if (this.remaining === 0) this.end();
    }
  }

  private begin(): void {
    const h = this.header;
    const length = (h[0] << 16) | (h[1] << 8) | h[2];
    this.type = h[3];
    this.flags = h[4];
    this.streamId = uint31(h, 5);
    if (length > this.maxFrameSize) {
      throw new Http2Error(Http2ErrorCode.FRAME_SIZE_ERROR, `a frame of ${length} bytes`);
    }
    this.remaining = length;
    this.inFrame = true;
    if (this.type === FrameType.DATA) {
      this.awaitingPadLength = (this.flags & Flag.PADDED) !== 0;
      this.content = length;
      if (this.awaitingPadLength && length === 0) {
        throw new Http2Error(Http2ErrorCode.FRAME_SIZE_ERROR, "a padded DATA frame without its pad length");
      }
      this.sink.dataStart(this.streamId, length);
    } else {
      this.payload = new Uint8Array(length);
      this.payloadFill = 0;
    }
  }

  private dataPiece(piece: Uint8Array): void {
    if (piece.length === 0) return;
    if (this.awaitingPadLength) {
      this.awaitingPadLength = false;
      const padding = piece[0];
      // the pad length byte and the padding come out of the frame's length (§6.1)
      this.content -= 1 + padding;
      if (this.content < 0) {
        throw new Http2Error(Http2ErrorCode.PROTOCOL_ERROR, "padding longer than the frame");
      }
      piece = piece.subarray(1);
    }
    const take = Math.min(piece.length, this.content);
    if (take > 0) {
      this.content -= take;
      this.sink.data(this.streamId, piece.subarray(0, take));
    }
  }

  private end(): void {
    this.inFrame = false;
    if (this.type === FrameType.DATA) this.sink.dataEnd(this.streamId, this.flags);
    else this.sink.frame(this.type, this.flags, this.streamId, this.payload);
  }
}

/** The field block of a HEADERS frame's payload, without its padding and priority fields (§6.2). */
export function headersFragment(flags: number, payload: Uint8Array): Uint8Array {
  let start = 0;
  let end = payload.length;
  if (flags & Flag.PADDED) {
    if (payload.length < 1) {
      throw new Http2Error(Http2ErrorCode.FRAME_SIZE_ERROR, "HEADERS without its pad length");
    }
    end -= payload[0];
    start = 1;
  }
  if (flags & Flag.PRIORITY) start += 5;
  if (end < start) {
    throw new Http2Error(Http2ErrorCode.PROTOCOL_ERROR, "HEADERS padding longer than the frame");
  }
  return payload.subarray(start, end);
}
