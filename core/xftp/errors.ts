/**
 * XFTP error values and their wire encoding (`XFTPErrorType` in FileTransfer/Transport.hs,
 * xftp.md §2.3). `ERR <error>` ends a response, so BLOCKED's notice runs to the end of input.
 */
import { decode, type ParseResult, type Reader, Writer } from "../encoding/binary.ts";
import { utf8 } from "../encoding/bytes.ts";
import {
  type BlockingInfo,
  type CommandError,
  decodeBlockingInfo,
  encodeBlockingInfo,
} from "../smp/errors.ts";
import { XFTP_VERSION } from "./version.ts";

export type { BlockingInfo, CommandError };

/** Errors without a parameter, in upstream's order. */
export const SIMPLE_XFTP_ERRORS = [
  "BLOCK",
  "SESSION",
  "HANDSHAKE",
  "AUTH",
  "SIZE",
  "QUOTA",
  "DIGEST",
  "CRYPTO",
  "NO_FILE",
  "HAS_FILE",
  "FILE_IO",
  "TIMEOUT",
  "INTERNAL",
  "DUPLICATE_",
] as const;
export type SimpleXftpErrorType = (typeof SIMPLE_XFTP_ERRORS)[number];

export type XftpError =
  | { readonly type: SimpleXftpErrorType }
  | { readonly type: "CMD"; readonly error: CommandError }
  | { readonly type: "BLOCKED"; readonly info: BlockingInfo };

const COMMAND_ERRORS: readonly string[] = [
  "UNKNOWN",
  "SYNTAX",
  "PROHIBITED",
  "NO_AUTH",
  "HAS_AUTH",
  "NO_ENTITY",
];

export const xftpError = (type: SimpleXftpErrorType): XftpError => ({ type });
export const xftpCmdError = (error: CommandError): XftpError => ({ type: "CMD", error });

/** Writes the error as sent at `version`: BLOCKED becomes AUTH before v3 (blockedFiles). */
export function writeXftpError(w: Writer, version: number, e: XftpError): void {
  if (e.type === "BLOCKED" && version < XFTP_VERSION.blockedFiles) {
    w.ascii("AUTH");
    return;
  }
  w.ascii(e.type);
  if (e.type === "CMD") w.space().ascii(e.error);
  else if (e.type === "BLOCKED") w.space().bytes(utf8.encode(encodeBlockingInfo(e.info)));
}

export function readXftpError(r: Reader): XftpError {
  const tag = r.tag();
  if ((SIMPLE_XFTP_ERRORS as readonly string[]).includes(tag)) return { type: tag as SimpleXftpErrorType };
  if (tag === "CMD") {
    r.space();
    const error = r.tag();
    if (error === "NO_QUEUE") return xftpCmdError("NO_ENTITY");
    if (!COMMAND_ERRORS.includes(error)) r.fail("bad CommandError");
    return xftpCmdError(error as CommandError);
  }
  if (tag === "BLOCKED") {
    r.space();
    let text: string;
    try {
      text = utf8.decode(r.tail());
    } catch {
      return r.fail("invalid UTF-8 in BlockingInfo");
    }
    return { type: "BLOCKED", info: decodeBlockingInfo(text) ?? r.fail("bad BlockingInfo") };
  }
  return r.fail("bad XFTP error type");
}

export function encodeXftpError(version: number, e: XftpError): Uint8Array {
  const w = new Writer(32);
  writeXftpError(w, version, e);
  return w.finish();
}

export function parseXftpError(bytes: Uint8Array): ParseResult<XftpError> {
  return decode(bytes, readXftpError);
}

/** The text form (`strEncode`), e.g. for logs and CLI messages: `CMD SYNTAX`, `BLOCKED reason=spam`. */
export function xftpErrorText(e: XftpError): string {
  if (e.type === "CMD") return `CMD ${e.error}`;
  if (e.type === "BLOCKED") return `BLOCKED ${encodeBlockingInfo(e.info)}`;
  return e.type;
}
