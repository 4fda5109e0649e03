/** HTTP/2 error codes (RFC 9113 §7) and the error that carries one. */
export const Http2ErrorCode = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
  INADEQUATE_SECURITY: 0xc,
  HTTP_1_1_REQUIRED: 0xd,
} as const;
export type Http2ErrorCode = (typeof Http2ErrorCode)[keyof typeof Http2ErrorCode];

export function http2ErrorName(code: number): string {
  return Object.entries(Http2ErrorCode).find(([, c]) => c === code)?.[0] ?? `error 0x${code.toString(16)}`;
}

export class Http2Error extends Error {
  override name = "Http2Error";
  constructor(readonly code: number, message: string) {
    super(message);
  }
}
