/**
 * SMP server messages (`BrokerMsg` in Protocol.hs, smp.md §4.2-4.4) with one encoder and one
 * parser, both taking the negotiated version.
 */
import { decode, type ParseResult, type Reader, type VersionRange, Writer } from "../encoding/binary.ts";
import { readSmpError, type SmpError, writeSmpError } from "./errors.ts";
import { type DhPublicKey, readDhKey, writeKey } from "../crypto/keys_wire.ts";
import type { QueueLinkData, QueueMode } from "./commands.ts";
import { SMP_VERSION } from "./version.ts";
import { impliesSessionId, type TransmissionParams } from "./transmission.ts";

/** A certificate chain and a key signed by its leaf (server hello, PKEY). */
export interface CertChainPubKey {
  /** DER certificates, leaf first */
  readonly chain: readonly Uint8Array[];
  /** DER of the X.509 `SignedExact PubKey` wrapping the session X25519 key */
  readonly signedKey: Uint8Array;
}

export interface QueueIds {
  readonly rcvId: Uint8Array;
  readonly sndId: Uint8Array;
  readonly srvDhKey: DhPublicKey;
  readonly queueMode?: QueueMode;
  readonly linkId?: Uint8Array;
  readonly serviceId?: Uint8Array;
  readonly serverNtfCreds?: { readonly notifierId: Uint8Array; readonly srvNtfDhKey: DhPublicKey };
}

export type BrokerMsg =
  | { readonly type: "IDS"; readonly ids: QueueIds }
  | { readonly type: "LNK"; readonly senderId: Uint8Array; readonly data: QueueLinkData }
  | { readonly type: "SOK"; readonly serviceId?: Uint8Array }
  | { readonly type: "SOKS"; readonly count: bigint }
  | { readonly type: "MSG"; readonly msgId: Uint8Array; readonly encBody: Uint8Array }
  | { readonly type: "NID"; readonly notifierId: Uint8Array; readonly srvNtfDhKey: DhPublicKey }
  | { readonly type: "NMSG"; readonly nonce: Uint8Array; readonly encMeta: Uint8Array }
  | {
    readonly type: "PKEY";
    readonly sessionId: Uint8Array;
    readonly versions: VersionRange;
    readonly certKey: CertChainPubKey;
  }
  | { readonly type: "RRES"; readonly encResponse: Uint8Array }
  | { readonly type: "PRES"; readonly encResponse: Uint8Array }
  | { readonly type: "END" }
  | { readonly type: "ENDS"; readonly count: bigint }
  | { readonly type: "DELD" }
  | { readonly type: "INFO"; readonly json: string }
  | { readonly type: "OK" }
  | { readonly type: "ERR"; readonly error: SmpError }
  | { readonly type: "PONG" };

export function writeCertChainPubKey(w: Writer, c: CertChainPubKey): void {
  w.nonEmpty(c.chain, (w, der) => w.largeBytes(der));
  w.largeBytes(c.signedKey);
}

export function readCertChainPubKey(r: Reader): CertChainPubKey {
  const chain = r.nonEmpty((r) => r.largeBytes().slice());
  return { chain, signedKey: r.largeBytes().slice() };
}

function readQueueMode(r: Reader): QueueMode {
  const c = r.byte();
  if (c === 0x4d) return "M";
  if (c === 0x43) return "C";
  return r.fail("bad QueueMode");
}

function writeIds(w: Writer, v: number, ids: QueueIds): void {
  w.shortBytes(ids.rcvId).shortBytes(ids.sndId);
  writeKey(w, ids.srvDhKey);
  if (v >= SMP_VERSION.shortLinks) {
    w.maybe(ids.queueMode, (w, m) => w.ascii(m));
    w.maybe(ids.linkId, (w, id) => w.shortBytes(id));
    if (v >= SMP_VERSION.serviceCerts) w.maybe(ids.serviceId, (w, id) => w.shortBytes(id));
    if (v >= SMP_VERSION.newNotifierCredentials) {
      w.maybe(ids.serverNtfCreds, (w, c) => {
        w.shortBytes(c.notifierId);
        writeKey(w, c.srvNtfDhKey);
      });
    }
  } else if (v >= SMP_VERSION.senderAuthKey) {
    w.bool(ids.queueMode === "M");
  }
}

function readIds(r: Reader, v: number): QueueIds {
  const rcvId = r.shortBytes().slice();
  const sndId = r.shortBytes().slice();
  const srvDhKey = readDhKey(r);
  if (v >= SMP_VERSION.shortLinks) {
    const queueMode = r.maybe(readQueueMode);
    const linkId = r.maybe((r) => r.shortBytes().slice());
    const serviceId = v >= SMP_VERSION.serviceCerts ? r.maybe((r) => r.shortBytes().slice()) : undefined;
    const serverNtfCreds = v >= SMP_VERSION.newNotifierCredentials
      ? r.maybe((r) => ({ notifierId: r.shortBytes().slice(), srvNtfDhKey: readDhKey(r) }))
      : undefined;
    return { rcvId, sndId, srvDhKey, queueMode, linkId, serviceId, serverNtfCreds };
  }
  if (v >= SMP_VERSION.senderAuthKey) return { rcvId, sndId, srvDhKey, queueMode: r.bool() ? "M" : "C" };
  return { rcvId, sndId, srvDhKey };
}

/** Downgrades what an older client cannot parse (`encodeProtocol` for BrokerMsg). */
function errorForVersion(v: number, e: SmpError): SmpError {
  if (e.type !== "BLOCKED") return e;
  if (v < SMP_VERSION.blockedEntity) return { type: "AUTH" };
  if (v < SMP_VERSION.clientNotices) return { type: "BLOCKED", info: { reason: e.info.reason } };
  return e;
}

export function encodeBrokerMsg(v: number, msg: BrokerMsg): Uint8Array {
  const w = new Writer(encodedSizeHint(msg));
  writeBrokerMsg(w, v, msg);
  return w.finish();
}

/**
 * A server → client transmission of `msg` in one buffer (`encodeServerTransmission` of
 * `encodeBrokerMsg`, without the copy of the message in between; a MSG is a whole block).
 */
export function encodeBrokerTransmission(
  p: TransmissionParams,
  corrId: Uint8Array,
  entityId: Uint8Array,
  msg: BrokerMsg,
): Uint8Array {
  const w = new Writer(encodedSizeHint(msg) + corrId.length + entityId.length + 36).byte(0);
  if (!impliesSessionId(p)) w.shortBytes(p.sessionId);
  w.shortBytes(corrId).shortBytes(entityId);
  writeBrokerMsg(w, p.version, msg);
  return w.finish();
}

function encodedSizeHint(msg: BrokerMsg): number {
  return msg.type === "MSG" ? msg.encBody.length + 48 : 64;
}

function writeBrokerMsg(w: Writer, v: number, msg: BrokerMsg): void {
  switch (msg.type) {
    case "IDS":
      w.ascii("IDS").space();
      writeIds(w, v, msg.ids);
      break;
    case "LNK":
      w.ascii("LNK").space().shortBytes(msg.senderId).largeBytes(msg.data.fixedData).largeBytes(
        msg.data.userData,
      );
      break;
    case "SOK":
      if (v >= SMP_VERSION.serviceCerts) {
        w.ascii("SOK").space().maybe(msg.serviceId, (w, id) => w.shortBytes(id));
      } else w.ascii("OK");
      break;
    case "SOKS":
    case "ENDS":
      w.ascii(msg.type).space().int64(msg.count);
      break;
    case "MSG":
      w.ascii("MSG").space().shortBytes(msg.msgId).bytes(msg.encBody);
      break;
    case "NID":
      w.ascii("NID").space().shortBytes(msg.notifierId);
      writeKey(w, msg.srvNtfDhKey);
      break;
    case "NMSG":
      if (msg.nonce.length !== 24) throw new RangeError("NMSG nonce must be 24 bytes");
      w.ascii("NMSG").space().bytes(msg.nonce).shortBytes(msg.encMeta);
      break;
    case "PKEY":
      w.ascii("PKEY").space().shortBytes(msg.sessionId).versionRange(msg.versions);
      writeCertChainPubKey(w, msg.certKey);
      break;
    case "RRES":
    case "PRES":
      w.ascii(msg.type).space().bytes(msg.encResponse);
      break;
    case "DELD":
      w.ascii(v >= SMP_VERSION.deletedEvent ? "DELD" : "END");
      break;
    case "INFO":
      w.ascii("INFO").space().bytes(new TextEncoder().encode(msg.json));
      break;
    case "ERR":
      w.ascii("ERR").space();
      writeSmpError(w, errorForVersion(v, msg.error));
      break;
    case "END":
    case "OK":
    case "PONG":
      w.ascii(msg.type);
      break;
  }
}

function readBrokerMsg(r: Reader, v: number): BrokerMsg {
  const type = r.tag();
  switch (type) {
    case "END":
    case "DELD":
    case "OK":
    case "PONG":
      return { type };
  }
  r.space();
  switch (type) {
    case "IDS":
      return { type, ids: readIds(r, v) };
    case "LNK":
      return {
        type,
        senderId: r.shortBytes().slice(),
        data: { fixedData: r.largeBytes().slice(), userData: r.largeBytes().slice() },
      };
    case "SOK":
      return { type, serviceId: r.maybe((r) => r.shortBytes().slice()) };
    case "SOKS":
    case "ENDS":
      return { type, count: r.int64() };
    case "MSG":
      return { type, msgId: r.shortBytes().slice(), encBody: r.tail().slice() };
    case "NID":
      return { type, notifierId: r.shortBytes().slice(), srvNtfDhKey: readDhKey(r) };
    case "NMSG":
      return { type, nonce: r.bytes(24).slice(), encMeta: r.shortBytes().slice() };
    case "PKEY":
      return {
        type,
        sessionId: r.shortBytes().slice(),
        versions: r.versionRange(),
        certKey: readCertChainPubKey(r),
      };
    case "RRES":
    case "PRES":
      return { type, encResponse: r.tail().slice() };
    case "INFO":
      return { type, json: new TextDecoder().decode(r.tail()) };
    case "ERR":
      return { type, error: readSmpError(r) };
    default:
      return r.fail("unknown server message");
  }
}

export function parseBrokerMsg(v: number, bytes: Uint8Array): ParseResult<BrokerMsg> {
  return decode(bytes, (r) => readBrokerMsg(r, v));
}
