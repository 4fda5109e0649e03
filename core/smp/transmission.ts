/**
 * One SMP transmission inside a batch (`transmissionP`, `tEncodeAuth`, smp.md §3.1):
 *
 *   short(authorization) ‖ [v≥16, auth non-empty: maybe(short(serviceSig))]
 *   ‖ [v<7: short(sessionId)] ‖ short(corrId) ‖ short(entityId) ‖ command
 *
 * What gets signed ("authorized") is always `short(sessionId) ‖ short(corrId) ‖ short(entityId) ‖ command`;
 * from v7 the sessionId is implied (signed but not sent).
 */
import { decode, EncodeError, type ParseResult, Writer } from "../encoding/binary.ts";
import { SMP_VERSION } from "./version.ts";

/** What the two ends agreed in the handshake that shapes every transmission. */
export interface TransmissionParams {
  readonly version: number;
  readonly sessionId: Uint8Array;
}

export const impliesSessionId = (p: TransmissionParams): boolean => p.version >= SMP_VERSION.authCommands;
export const hasServiceAuth = (p: TransmissionParams): boolean => p.version >= SMP_VERSION.serviceCerts;

export interface RawTransmission {
  /** empty = none; 64/114 bytes = Ed25519/Ed448 signature; 80 bytes = X25519 authenticator */
  readonly authorization: Uint8Array;
  readonly serviceSignature?: Uint8Array;
  /** the bytes the authorization covers, with the sessionId prepended when implied */
  readonly authorized: Uint8Array;
  /** the sessionId carried on the wire (v < 7), else undefined */
  readonly sessionId?: Uint8Array;
  readonly corrId: Uint8Array;
  readonly entityId: Uint8Array;
  readonly command: Uint8Array;
}

export function parseTransmission(p: TransmissionParams, t: Uint8Array): ParseResult<RawTransmission> {
  return decode(t, (r) => {
    const authorization = r.shortBytes();
    const serviceSignature = hasServiceAuth(p) && authorization.length > 0
      ? r.maybe((r) => r.shortBytes())
      : undefined;
    const rest = r.offset;
    const sessionId = impliesSessionId(p) ? undefined : r.shortBytes();
    const corrId = r.shortBytes();
    const entityId = r.shortBytes();
    const command = r.tail();
    const wire = t.subarray(rest);
    const authorized = impliesSessionId(p) ? withShortPrefix(p.sessionId, wire) : wire;
    return { authorization, serviceSignature, authorized, sessionId, corrId, entityId, command };
  });
}

/** The signed bytes and the bytes that follow the authorization on the wire. */
export interface TransmissionForAuth {
  readonly authorized: Uint8Array;
  readonly toSend: Uint8Array;
}

export function transmissionForAuth(
  p: TransmissionParams,
  corrId: Uint8Array,
  entityId: Uint8Array,
  command: Uint8Array,
): TransmissionForAuth {
  const body = new Writer(command.length + corrId.length + entityId.length + 2)
    .shortBytes(corrId).shortBytes(entityId).bytes(command).finish();
  const authorized = withShortPrefix(p.sessionId, body);
  return { authorized, toSend: impliesSessionId(p) ? body : authorized };
}

/** `short(authorization) ‖ [maybe(serviceSig)] ‖ toSend`. */
export function encodeTransmission(
  p: TransmissionParams,
  toSend: Uint8Array,
  authorization: Uint8Array = new Uint8Array(0),
  serviceSignature?: Uint8Array,
): Uint8Array {
  const w = new Writer(toSend.length + authorization.length + 4).shortBytes(authorization);
  if (hasServiceAuth(p) && authorization.length > 0) w.maybe(serviceSignature, (w, s) => w.shortBytes(s));
  return w.bytes(toSend).finish();
}

/** A server → client transmission: empty authorization, then (v<7) the sessionId, corrId, entityId, message. */
export function encodeServerTransmission(
  p: TransmissionParams,
  corrId: Uint8Array,
  entityId: Uint8Array,
  message: Uint8Array,
): Uint8Array {
  const w = new Writer(message.length + corrId.length + entityId.length + 36).byte(0);
  if (!impliesSessionId(p)) w.shortBytes(p.sessionId);
  return w.shortBytes(corrId).shortBytes(entityId).bytes(message).finish();
}

/** `short(prefix) ‖ rest` in one copy (a SEND is most of a block). */
function withShortPrefix(prefix: Uint8Array, rest: Uint8Array): Uint8Array {
  if (prefix.length > 255) throw new EncodeError(`short byte string of ${prefix.length} bytes (max 255)`);
  const out = new Uint8Array(1 + prefix.length + rest.length);
  out[0] = prefix.length;
  out.set(prefix, 1);
  out.set(rest, 1 + prefix.length);
  return out;
}
