/**
 * The XFTP block (xftp.md §1.5): every request and response head is exactly 16384 bytes,
 *
 *   pad(0x01 ‖ large(short(authorization) ‖ short(sessionId) ‖ short(corrId) ‖ short(entityId) ‖ cmd))
 *
 * i.e. SMP's batch of one with the sessionId always on the wire. The authorization covers every
 * byte after it ("authorized"): an Ed25519/Ed448 signature, or (v2+) an X25519 authenticator
 * keyed by the server's handshake DH key with nonce = corrId.
 */
import { decode, ParseError, type ParseResult, Writer } from "../encoding/binary.ts";
import { bytesEqual } from "../encoding/bytes.ts";
import { pad, PaddingError, unpad } from "../encoding/padding.ts";
import { cbNonce } from "../crypto/box.ts";
import { CB_AUTHENTICATOR_LENGTH, cbAuthenticate, cbVerify } from "../crypto/authenticator.ts";
import {
  type PrivateKey,
  type PublicKey,
  sign,
  SIGNATURE_LENGTH,
  type SignatureAlgorithm,
  verify,
} from "../crypto/keys.ts";
import {
  checkCredentials,
  checkResponseCredentials,
  encodeFileCommand,
  encodeFileResponse,
  type FileCommand,
  type FileResponse,
  parseFileCommand,
  parseFileResponse,
} from "./commands.ts";
import { type XftpError, xftpError } from "./errors.ts";
import type { AuthPublicKey } from "../crypto/keys_wire.ts";

export const XFTP_BLOCK_SIZE = 16384;

const EMPTY = new Uint8Array(0);

/** One transmission as it sits in a block, before its command is parsed. */
export interface RawXftpTransmission {
  /** empty = unsigned; 64/114 bytes = Ed25519/Ed448 signature; 80 bytes = X25519 authenticator */
  readonly authorization: Uint8Array;
  /** the bytes the authorization covers: short(sessionId) ‖ short(corrId) ‖ short(entityId) ‖ cmd */
  readonly authorized: Uint8Array;
  readonly sessionId: Uint8Array;
  readonly corrId: Uint8Array;
  readonly entityId: Uint8Array;
  /** the command or response bytes */
  readonly command: Uint8Array;
}

/** The signed part of a transmission: `short(sessionId) ‖ short(corrId) ‖ short(entityId) ‖ cmd`. */
export function transmissionForAuth(
  sessionId: Uint8Array,
  corrId: Uint8Array,
  entityId: Uint8Array,
  command: Uint8Array,
): Uint8Array {
  return new Writer(command.length + sessionId.length + corrId.length + entityId.length + 3)
    .shortBytes(sessionId).shortBytes(corrId).shortBytes(entityId).bytes(command).finish();
}

/**
 * `pad(0x01 ‖ large(short(authorization) ‖ authorized))`. Throws PaddingError when it does not fit
 * (upstream's LARGE_MSG: a sender bug, e.g. FNEW with too many keys).
 */
export function encodeXftpBlock(authorized: Uint8Array, authorization: Uint8Array = EMPTY): Uint8Array {
  const t = new Writer(authorized.length + authorization.length + 1)
    .shortBytes(authorization).bytes(authorized).finish();
  return pad(new Writer(t.length + 3).byte(1).largeBytes(t).finish(), XFTP_BLOCK_SIZE);
}

/** Splits a block into its single transmission; any unpad or batch failure is `BLOCK`. */
export function parseXftpBlock(block: Uint8Array): ParseResult<RawXftpTransmission> {
  if (block.length !== XFTP_BLOCK_SIZE) {
    return { ok: false, error: new ParseError(`an XFTP block is ${XFTP_BLOCK_SIZE} bytes`, block.length) };
  }
  let content: Uint8Array;
  try {
    content = unpad(block);
  } catch (e) {
    if (e instanceof PaddingError) return { ok: false, error: new ParseError(e.message, 0) };
    throw e;
  }
  return decode(content, (r) => {
    if (r.byte() !== 1) r.fail("an XFTP block carries exactly one transmission");
    const t = r.largeBytes();
    const inner = decode(t, (r) => {
      const authorization = r.shortBytes();
      const start = r.offset;
      const sessionId = r.shortBytes();
      const corrId = r.shortBytes();
      const entityId = r.shortBytes();
      return { authorization, authorized: t.subarray(start), sessionId, corrId, entityId, command: r.tail() };
    });
    if (!inner.ok) throw inner.error;
    return inner.value;
  });
}

/** A private key that can authorize a command, with what the X25519 authenticator needs. */
export type XftpAuthKey =
  | PrivateKey<SignatureAlgorithm>
  | {
    /** the client's X25519 key (v2+ `authCmds`) */
    readonly key: PrivateKey<"X25519">;
    /** the server's DH key from the hello's signedDhKey */
    readonly serverDhKey: PublicKey<"X25519">;
  };

/** The authorization of `authorized` with `key`; the authenticator's nonce is the corrId. */
export function authorize(key: XftpAuthKey, authorized: Uint8Array, corrId: Uint8Array): Uint8Array {
  if ("kind" in key) return sign(key, authorized);
  return cbAuthenticate(key.serverDhKey, key.key, cbNonce(corrId), authorized);
}

/**
 * Whether `authorization` is a valid authorization of `authorized` by `authKey` (the file's sender
 * or recipient key). An X25519 key needs the server's handshake DH private key for the connection.
 */
export function verifyAuthorization(
  authKey: AuthPublicKey,
  t: Pick<RawXftpTransmission, "authorization" | "authorized" | "corrId">,
  serverDhKey?: PrivateKey<"X25519">,
): boolean {
  if (authKey.algorithm === "X25519") {
    if (!serverDhKey || t.authorization.length !== CB_AUTHENTICATOR_LENGTH) return false;
    return cbVerify(
      authKey as PublicKey<"X25519">,
      serverDhKey,
      cbNonce(t.corrId),
      t.authorization,
      t.authorized,
    );
  }
  return verify(authKey as PublicKey<SignatureAlgorithm>, t.authorized, t.authorization);
}

/** Authorization lengths a server accepts at all (`decodeTAuthBytes`); anything else is `BLOCK`. */
function isWellFormedAuthorization(a: Uint8Array): boolean {
  return a.length === 0 || a.length === CB_AUTHENTICATOR_LENGTH || a.length === SIGNATURE_LENGTH.Ed25519 ||
    a.length === SIGNATURE_LENGTH.Ed448;
}

/** A client request block: the command, signed with `key` unless it is undefined (PING). */
export function encodeCommandBlock(
  sessionId: Uint8Array,
  corrId: Uint8Array,
  entityId: Uint8Array,
  command: FileCommand,
  key?: XftpAuthKey,
): Uint8Array {
  const authorized = transmissionForAuth(sessionId, corrId, entityId, encodeFileCommand(command));
  return encodeXftpBlock(authorized, key ? authorize(key, authorized, corrId) : EMPTY);
}

/** A server response block (unsigned), with ERR encoded for the client's `version`. */
export function encodeResponseBlock(
  version: number,
  sessionId: Uint8Array,
  corrId: Uint8Array,
  entityId: Uint8Array,
  response: FileResponse,
): Uint8Array {
  return encodeXftpBlock(
    transmissionForAuth(sessionId, corrId, entityId, encodeFileResponse(version, response)),
  );
}

/**
 * A request block as the server sees it (`xftpDecodeTServer`). On failure the error is what to
 * answer, with `corrId` and `entityId` to echo: BLOCK (both empty, or the corrId when only the
 * authorization is malformed), SESSION (corrId), CMD UNKNOWN/SYNTAX/NO_AUTH/HAS_AUTH (both).
 */
export type DecodedCommand =
  & { readonly corrId: Uint8Array; readonly entityId: Uint8Array }
  & (
    | {
      readonly ok: true;
      readonly command: FileCommand;
      readonly authorization: Uint8Array;
      readonly authorized: Uint8Array;
    }
    | { readonly ok: false; readonly error: XftpError }
  );

export function decodeCommandBlock(block: Uint8Array, sessionId: Uint8Array): DecodedCommand {
  const parsed = parseXftpBlock(block);
  if (!parsed.ok) return { ok: false, corrId: EMPTY, entityId: EMPTY, error: xftpError("BLOCK") };
  const t = parsed.value;
  const corrId = t.corrId.slice();
  if (!bytesEqual(t.sessionId, sessionId)) {
    return { ok: false, corrId, entityId: EMPTY, error: xftpError("SESSION") };
  }
  if (!isWellFormedAuthorization(t.authorization)) {
    return { ok: false, corrId, entityId: EMPTY, error: xftpError("BLOCK") };
  }
  const entityId = t.entityId.slice();
  const cmd = parseFileCommand(t.command);
  if (!cmd.ok) return { ok: false, corrId, entityId, error: cmd.error };
  const denied = checkCredentials(cmd.command, t.authorization.length > 0, entityId);
  if (denied) return { ok: false, corrId, entityId, error: denied };
  return {
    ok: true,
    corrId,
    entityId,
    command: cmd.command,
    authorization: t.authorization.slice(),
    authorized: t.authorized.slice(),
  };
}

/**
 * A response block as the client sees it (`xftpDecodeTClient`): a block or session failure, a
 * response that does not parse, or a response with the wrong kind of entity is an error value.
 * An `ERR` response is returned as a response.
 */
export type DecodedResponse =
  & { readonly corrId: Uint8Array; readonly entityId: Uint8Array }
  & ({ readonly ok: true; readonly response: FileResponse } | {
    readonly ok: false;
    readonly error: XftpError;
  });

export function decodeResponseBlock(block: Uint8Array, sessionId: Uint8Array): DecodedResponse {
  const parsed = parseXftpBlock(block);
  if (!parsed.ok) return { ok: false, corrId: EMPTY, entityId: EMPTY, error: xftpError("BLOCK") };
  const t = parsed.value;
  const corrId = t.corrId.slice();
  if (!bytesEqual(t.sessionId, sessionId)) {
    return { ok: false, corrId, entityId: EMPTY, error: xftpError("SESSION") };
  }
  const entityId = t.entityId.slice();
  const resp = parseFileResponse(t.command);
  if (!resp.ok) return { ok: false, corrId, entityId, error: resp.error };
  const denied = checkResponseCredentials(resp.response, entityId);
  if (denied) return { ok: false, corrId, entityId, error: denied };
  return { ok: true, corrId, entityId, response: resp.response };
}
