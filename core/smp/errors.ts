/**
 * SMP error values and their wire encoding (`ErrorType` in Protocol.hs, smp.md §4.6).
 * `ERR <error>` is the last field of a response, so STORE's text runs to the end of input.
 */
import { type Reader, Writer } from "../encoding/binary.ts";
import { utf8 } from "../encoding/bytes.ts";

export type CommandError = "UNKNOWN" | "SYNTAX" | "PROHIBITED" | "NO_AUTH" | "HAS_AUTH" | "NO_ENTITY";
export type HandshakeError = "PARSE" | "IDENTITY" | "BAD_AUTH" | "BAD_SERVICE";

export type TransportError =
  | { type: "BLOCK" }
  | { type: "VERSION" }
  | { type: "LARGE_MSG" }
  | { type: "SESSION" }
  | { type: "NO_AUTH" }
  | { type: "HANDSHAKE"; error: HandshakeError };

export type NetworkError =
  | { type: "CONNECT"; message: string }
  | { type: "TLS"; message: string }
  | { type: "UNKNOWNCA" }
  | { type: "FAILED" }
  | { type: "TIMEOUT" }
  | { type: "SUBSCRIBE"; message: string };

export type BrokerError =
  | { type: "RESPONSE"; message: string }
  | { type: "UNEXPECTED"; message: string }
  | { type: "TRANSPORT"; error: TransportError }
  /** sent without detail (upstream keeps the detail local until all clients upgrade) */
  | { type: "NETWORK"; error?: NetworkError }
  | { type: "TIMEOUT" }
  | { type: "HOST" }
  | { type: "NO_SERVICE" };

export type ProxyError =
  | { type: "PROTOCOL"; error: SmpError }
  | { type: "BROKER"; error: BrokerError }
  | { type: "BASIC_AUTH" }
  | { type: "NO_SESSION" };

export interface BlockingInfo {
  readonly reason: "spam" | "content";
  /** client notice (v18+): `{"ttl": seconds | null}` */
  readonly notice?: { readonly ttl: number | null };
}

/**
 * A queue's or file's status on its server (`ServerEntityStatus`: EntityActive, EntityOff,
 * EntityBlocked): a blocked entity answers `ERR BLOCKED` with its BlockingInfo.
 */
export type EntityStatus =
  | { readonly type: "active" }
  | { readonly type: "off" }
  | { readonly type: "blocked"; readonly info: BlockingInfo };

export type SmpError =
  | { type: "BLOCK" }
  | { type: "SESSION" }
  | { type: "CMD"; error: CommandError }
  | { type: "PROXY"; error: ProxyError }
  | { type: "AUTH" }
  | { type: "BLOCKED"; info: BlockingInfo }
  | { type: "SERVICE" }
  | { type: "CRYPTO" }
  | { type: "QUOTA" }
  | { type: "STORE"; message: string }
  | { type: "EXPIRED" }
  | { type: "NO_MSG" }
  | { type: "LARGE_MSG" }
  | { type: "INTERNAL" }
  | { type: "DUPLICATE_" };

const COMMAND_ERRORS: readonly CommandError[] = [
  "UNKNOWN",
  "SYNTAX",
  "PROHIBITED",
  "NO_AUTH",
  "HAS_AUTH",
  "NO_ENTITY",
];
const HANDSHAKE_ERRORS: readonly HandshakeError[] = ["PARSE", "IDENTITY", "BAD_AUTH", "BAD_SERVICE"];

export const cmdError = (error: CommandError): SmpError => ({ type: "CMD", error });

export function writeSmpError(w: Writer, e: SmpError): void {
  w.ascii(e.type);
  switch (e.type) {
    case "CMD":
      w.space().ascii(e.error);
      break;
    case "PROXY":
      w.space();
      writeProxyError(w, e.error);
      break;
    case "BLOCKED":
      w.space().bytes(utf8.encode(encodeBlockingInfo(e.info)));
      break;
    case "STORE":
      w.space().bytes(utf8.encode(e.message));
      break;
  }
}

function writeProxyError(w: Writer, e: ProxyError): void {
  w.ascii(e.type);
  if (e.type === "PROTOCOL") {
    w.space();
    writeSmpError(w, e.error);
  } else if (e.type === "BROKER") {
    w.space();
    writeBrokerError(w, e.error);
  }
}

function writeBrokerError(w: Writer, e: BrokerError): void {
  w.ascii(e.type);
  if (e.type === "RESPONSE" || e.type === "UNEXPECTED") w.space().shortBytes(utf8.encode(e.message));
  else if (e.type === "TRANSPORT") {
    w.space();
    writeTransportError(w, e.error);
  }
}

export function writeTransportError(w: Writer, e: TransportError): void {
  w.ascii(e.type);
  if (e.type === "HANDSHAKE") w.space().ascii(e.error);
}

export function readSmpError(r: Reader): SmpError {
  const tag = r.tag();
  switch (tag) {
    case "BLOCK":
    case "SESSION":
    case "AUTH":
    case "SERVICE":
    case "CRYPTO":
    case "QUOTA":
    case "EXPIRED":
    case "NO_MSG":
    case "LARGE_MSG":
    case "INTERNAL":
    case "DUPLICATE_":
      return { type: tag };
    case "CMD": {
      r.space();
      const error = r.tag();
      if (error === "NO_QUEUE") return cmdError("NO_ENTITY"); // older relays
      if (!(COMMAND_ERRORS as readonly string[]).includes(error)) r.fail("bad CommandError");
      return cmdError(error as CommandError);
    }
    case "PROXY":
      r.space();
      return { type: "PROXY", error: readProxyError(r) };
    case "BLOCKED":
      r.space();
      return {
        type: "BLOCKED",
        info: decodeBlockingInfo(utf8Text(r, r.tail())) ?? r.fail("bad BlockingInfo"),
      };
    case "STORE":
      r.space();
      return { type: "STORE", message: new TextDecoder().decode(r.tail()) };
    default:
      return r.fail("bad ErrorType");
  }
}

function readProxyError(r: Reader): ProxyError {
  const tag = r.tag();
  switch (tag) {
    case "PROTOCOL":
      r.space();
      return { type: "PROTOCOL", error: readSmpError(r) };
    case "BROKER":
      r.space();
      return { type: "BROKER", error: readBrokerError(r) };
    case "BASIC_AUTH":
    case "NO_SESSION":
      return { type: tag };
    default:
      return r.fail("bad ProxyError");
  }
}

function readBrokerError(r: Reader): BrokerError {
  const tag = r.tag();
  switch (tag) {
    case "RESPONSE":
    case "UNEXPECTED":
      r.space();
      return { type: tag, message: utf8Text(r, r.shortBytes()) };
    case "TRANSPORT":
      r.space();
      return { type: "TRANSPORT", error: readTransportError(r) };
    case "NETWORK":
      if (r.peekByte() === 0x20) {
        r.space();
        return { type: "NETWORK", error: readNetworkError(r) };
      }
      return { type: "NETWORK" };
    case "TIMEOUT":
    case "HOST":
    case "NO_SERVICE":
      return { type: tag };
    default:
      return r.fail("bad BrokerErrorType");
  }
}

function readNetworkError(r: Reader): NetworkError {
  const tag = r.tag();
  switch (tag) {
    case "CONNECT":
    case "TLS":
    case "SUBSCRIBE":
      r.space();
      return { type: tag, message: utf8Text(r, r.shortBytes()) };
    case "UNKNOWNCA":
    case "FAILED":
    case "TIMEOUT":
      return { type: tag };
    default:
      return r.fail("bad NetworkError");
  }
}

export function readTransportError(r: Reader): TransportError {
  const tag = r.tag();
  switch (tag) {
    case "BLOCK":
    case "VERSION":
    case "LARGE_MSG":
    case "SESSION":
    case "NO_AUTH":
      return { type: tag };
    case "HANDSHAKE": {
      r.space();
      const error = r.tag();
      if (!(HANDSHAKE_ERRORS as readonly string[]).includes(error)) r.fail("bad HandshakeError");
      return { type: "HANDSHAKE", error: error as HandshakeError };
    }
    default:
      return r.fail("bad TransportError");
  }
}

/** `reason=spam|content[,notice={"ttl":n}]` (also the control port's `block` argument). */
export function encodeBlockingInfo(info: BlockingInfo): string {
  // Aeson omits a Nothing field: no ttl is `{}`, not `{"ttl":null}`
  const notice = info.notice
    ? `,notice=${JSON.stringify(info.notice.ttl === null ? {} : { ttl: info.notice.ttl })}`
    : "";
  return `reason=${info.reason}${notice}`;
}

/** Parses `reason=…[,notice=…]`, or undefined when malformed. */
export function decodeBlockingInfo(text: string): BlockingInfo | undefined {
  const m = /^reason=(spam|content)(?:,notice=(.*))?$/s.exec(text);
  if (!m) return undefined;
  const reason = m[1] as BlockingInfo["reason"];
  if (m[2] === undefined) return { reason };
  let notice: unknown;
  try {
    notice = JSON.parse(m[2]);
  } catch {
    return undefined;
  }
  if (typeof notice !== "object" || notice === null) return undefined;
  const ttl = (notice as { ttl?: unknown }).ttl;
  if (!(ttl === null || ttl === undefined || Number.isInteger(ttl))) return undefined;
  return { reason, notice: { ttl: (ttl as number | undefined) ?? null } };
}

function utf8Text(r: Reader, bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    return r.fail("invalid UTF-8");
  }
}

export function encodeSmpError(e: SmpError): Uint8Array {
  const w = new Writer(32);
  writeSmpError(w, e);
  return w.finish();
}
