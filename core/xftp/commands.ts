/**
 * XFTP commands and responses (`FileCommand`/`FileResponse` in FileTransfer/Protocol.hs,
 * xftp.md §2.2-2.3), each with one encoder and one parser, and the credential checks that run
 * before any lookup. The version matters only for ERR (BLOCKED → AUTH before v3).
 */
import { decode, type ParseResult, type Reader, Writer } from "../encoding/binary.ts";
import { isValidBasicAuth } from "../smp/commands.ts";
import { readXftpError, writeXftpError, xftpCmdError, type XftpError } from "./errors.ts";
import {
  type AuthPublicKey,
  type DhPublicKey,
  readAuthKey,
  readDhKey,
  writeKey,
} from "../crypto/keys_wire.ts";

export { isValidBasicAuth };

/** 24 random bytes that FILE carries for the transit encryption (§2.4). */
export const FILE_NONCE_LENGTH = 24;

export type FileCommand =
  | {
    readonly type: "FNEW";
    /** the chunk's new sender key; FNEW is signed with it */
    readonly sndKey: AuthPublicKey;
    /** chunk size in bytes (W32) */
    readonly size: number;
    /** SHA-256 of the chunk */
    readonly digest: Uint8Array;
    /** 1-255 recipient keys */
    readonly rcvKeys: readonly AuthPublicKey[];
    /** the server's `create_password`, when it has one */
    readonly basicAuth?: Uint8Array;
  }
  | { readonly type: "FADD"; readonly rcvKeys: readonly AuthPublicKey[] }
  | { readonly type: "FPUT" }
  | { readonly type: "FDEL" }
  | { readonly type: "FGET"; readonly dhKey: DhPublicKey }
  | { readonly type: "FACK" }
  | { readonly type: "PING" };

export type FileCommandType = FileCommand["type"];

/** Who a command comes from: sender commands name a sender ID, recipient ones a recipient ID. */
export const COMMAND_PARTY: Readonly<Record<FileCommandType, "sender" | "recipient">> = {
  FNEW: "sender",
  FADD: "sender",
  FPUT: "sender",
  FDEL: "sender",
  FGET: "recipient",
  FACK: "recipient",
  PING: "recipient",
};

export type FileResponse =
  | { readonly type: "SIDS"; readonly senderId: Uint8Array; readonly recipientIds: readonly Uint8Array[] }
  | { readonly type: "RIDS"; readonly recipientIds: readonly Uint8Array[] }
  | { readonly type: "FILE"; readonly dhKey: DhPublicKey; readonly nonce: Uint8Array }
  | { readonly type: "OK" }
  | { readonly type: "PONG" }
  | { readonly type: "ERR"; readonly error: XftpError };

export type FileResponseType = FileResponse["type"];

const writeKeys = (w: Writer, keys: readonly AuthPublicKey[]) => w.nonEmpty(keys, writeKey);
const readKeys = (r: Reader) => r.nonEmpty(readAuthKey);

function readBasicAuth(r: Reader): Uint8Array {
  const b = r.shortBytes().slice();
  return isValidBasicAuth(b) ? b : r.fail("invalid character in BasicAuth");
}

export function encodeFileCommand(cmd: FileCommand): Uint8Array {
  const w = new Writer(64).ascii(cmd.type);
  switch (cmd.type) {
    case "FNEW":
      writeKey(w.space(), cmd.sndKey);
      w.word32(cmd.size).shortBytes(cmd.digest);
      writeKeys(w, cmd.rcvKeys);
      w.maybe(cmd.basicAuth, (w, b) => w.shortBytes(b));
      break;
    case "FADD":
      writeKeys(w.space(), cmd.rcvKeys);
      break;
    case "FGET":
      writeKey(w.space(), cmd.dhKey);
      break;
  }
  return w.finish();
}

const COMMAND_TAGS: ReadonlySet<string> = new Set(Object.keys(COMMAND_PARTY));

function readCommandFields(r: Reader, type: FileCommandType): FileCommand {
  switch (type) {
    case "FNEW": {
      r.space();
      const sndKey = readAuthKey(r);
      const size = r.word32();
      const digest = r.shortBytes().slice();
      const rcvKeys = readKeys(r);
      const basicAuth = r.maybe(readBasicAuth);
      return basicAuth
        ? { type, sndKey, size, digest, rcvKeys, basicAuth }
        : { type, sndKey, size, digest, rcvKeys };
    }
    case "FADD":
      r.space();
      return { type, rcvKeys: readKeys(r) };
    case "FGET":
      r.space();
      return { type, dhKey: readDhKey(r) };
    default:
      return { type };
  }
}

export type FileCommandResult =
  | { readonly ok: true; readonly command: FileCommand }
  | { readonly ok: false; readonly error: XftpError };

/** The bytes before the first space (`parseProtocol` splits the tag there). */
function splitTag(bytes: Uint8Array): [string, Uint8Array] {
  let end = bytes.indexOf(0x20);
  if (end < 0) end = bytes.length;
  return [String.fromCharCode(...bytes.subarray(0, end)), bytes.subarray(end)];
}

/** Parses command bytes: an unknown tag is `CMD UNKNOWN`, anything else malformed `CMD SYNTAX`. */
export function parseFileCommand(bytes: Uint8Array): FileCommandResult {
  const [tag, params] = splitTag(bytes);
  if (!COMMAND_TAGS.has(tag)) return { ok: false, error: xftpCmdError("UNKNOWN") };
  const result = decode(params, (r) => readCommandFields(r, tag as FileCommandType));
  return result.ok ? { ok: true, command: result.value } : { ok: false, error: xftpCmdError("SYNTAX") };
}

/**
 * Which commands need an authorization and an entity ID (`checkCredentials`, xftp.md §2.2):
 * FNEW is signed with an empty entity, PING is unsigned with an empty entity, the rest are signed
 * and name a file. Returns the error to answer with, or undefined.
 */
export function checkCredentials(
  cmd: FileCommand,
  hasAuth: boolean,
  entityId: Uint8Array,
): XftpError | undefined {
  const hasEntity = entityId.length > 0;
  switch (cmd.type) {
    case "FNEW":
      if (!hasAuth) return xftpCmdError("NO_AUTH");
      return hasEntity ? xftpCmdError("HAS_AUTH") : undefined;
    case "PING":
      return !hasAuth && !hasEntity ? undefined : xftpCmdError("HAS_AUTH");
    default:
      return hasAuth && hasEntity ? undefined : xftpCmdError("NO_AUTH");
  }
}

/** Encodes a response as sent to a client at `version`. */
export function encodeFileResponse(version: number, resp: FileResponse): Uint8Array {
  const w = new Writer(64).ascii(resp.type);
  switch (resp.type) {
    case "SIDS":
      w.space().shortBytes(resp.senderId).nonEmpty(resp.recipientIds, (w, id) => w.shortBytes(id));
      break;
    case "RIDS":
      w.space().nonEmpty(resp.recipientIds, (w, id) => w.shortBytes(id));
      break;
    case "FILE":
      writeKey(w.space(), resp.dhKey);
      if (resp.nonce.length !== FILE_NONCE_LENGTH) throw new RangeError("FILE nonce must be 24 bytes");
      w.bytes(resp.nonce);
      break;
    case "ERR":
      writeXftpError(w.space(), version, resp.error);
      break;
  }
  return w.finish();
}

const RESPONSE_TAGS: ReadonlySet<string> = new Set(["SIDS", "RIDS", "FILE", "OK", "PONG", "ERR"]);

function readResponseFields(r: Reader, type: FileResponseType): FileResponse {
  switch (type) {
    case "SIDS": {
      r.space();
      const senderId = r.shortBytes().slice();
      return { type, senderId, recipientIds: r.nonEmpty((r) => r.shortBytes().slice()) };
    }
    case "RIDS":
      r.space();
      return { type, recipientIds: r.nonEmpty((r) => r.shortBytes().slice()) };
    case "FILE": {
      r.space();
      const dhKey = readDhKey(r);
      return { type, dhKey, nonce: r.bytes(FILE_NONCE_LENGTH).slice() };
    }
    case "ERR":
      r.space();
      return { type, error: readXftpError(r) };
    default:
      return { type };
  }
}

export type FileResponseResult =
  | { readonly ok: true; readonly response: FileResponse }
  | { readonly ok: false; readonly error: XftpError };

/** Parses response bytes: an unknown tag is `CMD UNKNOWN`, anything else malformed `CMD SYNTAX`. */
export function parseFileResponse(bytes: Uint8Array): FileResponseResult {
  const [tag, params] = splitTag(bytes);
  if (!RESPONSE_TAGS.has(tag)) return { ok: false, error: xftpCmdError("UNKNOWN") };
  const result: ParseResult<FileResponse> = decode(
    params,
    (r) => readResponseFields(r, tag as FileResponseType),
  );
  return result.ok ? { ok: true, response: result.value } : { ok: false, error: xftpCmdError("SYNTAX") };
}

/**
 * The client's entity check on a response (xftp.md §2.3): SIDS and PONG carry no entity, FILE, OK
 * and RIDS name one, ERR may do either.
 */
export function checkResponseCredentials(resp: FileResponse, entityId: Uint8Array): XftpError | undefined {
  const hasEntity = entityId.length > 0;
  switch (resp.type) {
    case "SIDS":
    case "PONG":
      return hasEntity ? xftpCmdError("HAS_AUTH") : undefined;
    case "ERR":
      return undefined;
    default:
      return hasEntity ? undefined : xftpCmdError("NO_ENTITY");
  }
}
