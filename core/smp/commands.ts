/**
 * SMP client commands (`Command p` in Protocol.hs, smp.md §4.2-4.3, §4.9) with one encoder and
 * one parser, both taking the negotiated version for the layouts that changed over time.
 */
import { decode, type Reader, Writer } from "../encoding/binary.ts";
import { cmdError, type SmpError } from "./errors.ts";
import {
  type AuthPublicKey,
  type DhPublicKey,
  readAuthKey,
  readDhKey,
  writeKey,
} from "../crypto/keys_wire.ts";
import { SMP_VERSION } from "./version.ts";

export type SubscriptionMode = "S" | "C"; // subscribe on creation | only create
export type QueueMode = "M" | "C"; // messaging (sender can secure) | contact

export interface QueueLinkData {
  readonly fixedData: Uint8Array;
  readonly userData: Uint8Array;
}

export type QueueRequestData =
  | { readonly mode: "M"; readonly link?: { readonly senderId: Uint8Array; readonly data: QueueLinkData } }
  | {
    readonly mode: "C";
    readonly link?: {
      readonly linkId: Uint8Array;
      readonly senderId: Uint8Array;
      readonly data: QueueLinkData;
    };
  };

export interface NewQueueRequest {
  readonly rcvAuthKey: AuthPublicKey;
  readonly rcvDhKey: DhPublicKey;
  readonly basicAuth?: Uint8Array;
  readonly subMode: SubscriptionMode;
  readonly queueReqData?: QueueRequestData;
  readonly ntfCreds?: { readonly authKey: AuthPublicKey; readonly dhKey: DhPublicKey };
}

/** An SMP server address inside PRXY: hosts, port (text, may be empty), key hash. */
export interface SmpServerRef {
  readonly hosts: readonly string[];
  readonly port: string;
  readonly keyHash: Uint8Array;
}

export type Command =
  | { readonly type: "NEW"; readonly req: NewQueueRequest }
  | { readonly type: "SUB" }
  | { readonly type: "SUBS" }
  | { readonly type: "KEY"; readonly key: AuthPublicKey }
  | { readonly type: "RKEY"; readonly keys: readonly AuthPublicKey[] }
  | { readonly type: "LSET"; readonly linkId: Uint8Array; readonly data: QueueLinkData }
  | { readonly type: "LDEL" }
  | { readonly type: "NKEY"; readonly key: AuthPublicKey; readonly dhKey: DhPublicKey }
  | { readonly type: "NDEL" }
  | { readonly type: "GET" }
  | { readonly type: "ACK"; readonly msgId: Uint8Array }
  | { readonly type: "OFF" }
  | { readonly type: "DEL" }
  | { readonly type: "QUE" }
  | { readonly type: "SKEY"; readonly key: AuthPublicKey }
  | { readonly type: "SEND"; readonly notification: boolean; readonly body: Uint8Array }
  | { readonly type: "PING" }
  | { readonly type: "LKEY"; readonly key: AuthPublicKey }
  | { readonly type: "LGET" }
  | { readonly type: "NSUB" }
  | { readonly type: "NSUBS" }
  | { readonly type: "PRXY"; readonly server: SmpServerRef; readonly basicAuth?: Uint8Array }
  | {
    readonly type: "PFWD";
    readonly version: number;
    readonly key: DhPublicKey;
    readonly encTransmission: Uint8Array;
  }
  | { readonly type: "RFWD"; readonly encForward: Uint8Array };

export type CommandType = Command["type"];

const COMMAND_TAGS: ReadonlySet<string> = new Set<CommandType>([
  "NEW",
  "SUB",
  "SUBS",
  "KEY",
  "RKEY",
  "LSET",
  "LDEL",
  "NKEY",
  "NDEL",
  "GET",
  "ACK",
  "OFF",
  "DEL",
  "QUE",
  "SKEY",
  "SEND",
  "PING",
  "LKEY",
  "LGET",
  "NSUB",
  "NSUBS",
  "PRXY",
  "PFWD",
  "RFWD",
]);

/** `basicAuth`: printable ASCII without whitespace, '@', ':' or '/'. */
export function isValidBasicAuth(b: Uint8Array): boolean {
  return b.every((c) => c > 0x20 && c < 0x7f && c !== 0x40 && c !== 0x3a && c !== 0x2f);
}

function writeLinkData(w: Writer, d: QueueLinkData): void {
  w.largeBytes(d.fixedData).largeBytes(d.userData);
}

function readLinkData(r: Reader): QueueLinkData {
  return { fixedData: r.largeBytes().slice(), userData: r.largeBytes().slice() };
}

function writeQueueRequestData(w: Writer, q: QueueRequestData): void {
  w.ascii(q.mode);
  if (q.mode === "M") {
    w.maybe(q.link, (w, l) => {
      w.shortBytes(l.senderId);
      writeLinkData(w, l.data);
    });
  } else {
    w.maybe(q.link, (w, l) => {
      w.shortBytes(l.linkId).shortBytes(l.senderId);
      writeLinkData(w, l.data);
    });
  }
}

function readQueueRequestData(r: Reader): QueueRequestData {
  const mode = r.byte();
  if (mode === 0x4d) { // 'M'
    const link = r.maybe((r) => ({ senderId: r.shortBytes().slice(), data: readLinkData(r) }));
    return link ? { mode: "M", link } : { mode: "M" };
  }
  if (mode === 0x43) { // 'C'
    const link = r.maybe((r) => ({
      linkId: r.shortBytes().slice(),
      senderId: r.shortBytes().slice(),
      data: readLinkData(r),
    }));
    return link ? { mode: "C", link } : { mode: "C" };
  }
  return r.fail("bad QueueReqData");
}

function readBasicAuth(r: Reader): Uint8Array {
  const b = r.shortBytes().slice();
  if (!isValidBasicAuth(b)) r.fail("invalid character in BasicAuth");
  return b;
}

function readSubMode(r: Reader): SubscriptionMode {
  const c = r.byte();
  if (c === 0x53) return "S";
  if (c === 0x43) return "C";
  return r.fail("bad SubscriptionMode");
}

export function queueModeOf(req: NewQueueRequest): QueueMode | undefined {
  return req.queueReqData?.mode;
}

function writeNew(w: Writer, v: number, req: NewQueueRequest): void {
  writeKey(w, req.rcvAuthKey);
  writeKey(w, req.rcvDhKey);
  const auth = (w: Writer, b: Uint8Array) => w.shortBytes(b);
  if (v >= SMP_VERSION.senderAuthKey) {
    w.maybe(req.basicAuth, auth).ascii(req.subMode);
    if (v >= SMP_VERSION.shortLinks) {
      w.maybe(req.queueReqData, writeQueueRequestData);
      if (v >= SMP_VERSION.newNotifierCredentials) {
        w.maybe(req.ntfCreds, (w, c) => {
          writeKey(w, c.authKey);
          writeKey(w, c.dhKey);
        });
      }
    } else {
      w.bool(req.queueReqData?.mode === "M");
    }
  } else {
    if (req.basicAuth) w.ascii("A").shortBytes(req.basicAuth);
    w.ascii(req.subMode);
  }
}

function readNew(r: Reader, v: number): NewQueueRequest {
  const rcvAuthKey = readAuthKey(r);
  const rcvDhKey = readDhKey(r);
  let basicAuth: Uint8Array | undefined;
  let queueReqData: QueueRequestData | undefined;
  let ntfCreds: NewQueueRequest["ntfCreds"];
  if (v >= SMP_VERSION.senderAuthKey) {
    basicAuth = r.maybe(readBasicAuth);
  } else if (r.peekByte() === 0x41) { // 'A'
    r.byte();
    basicAuth = readBasicAuth(r);
  }
  const subMode = readSubMode(r);
  if (v >= SMP_VERSION.shortLinks) {
    queueReqData = r.maybe(readQueueRequestData);
    if (v >= SMP_VERSION.newNotifierCredentials) {
      ntfCreds = r.maybe((r) => ({ authKey: readAuthKey(r), dhKey: readDhKey(r) }));
    }
  } else if (v >= SMP_VERSION.senderAuthKey) {
    queueReqData = { mode: r.bool() ? "M" : "C" };
  }
  return { rcvAuthKey, rcvDhKey, basicAuth, subMode, queueReqData, ntfCreds };
}

function writeServerRef(w: Writer, s: SmpServerRef): void {
  w.nonEmpty(s.hosts, (w, h) => w.shortBytes(new TextEncoder().encode(h)));
  w.shortBytes(new TextEncoder().encode(s.port)).shortBytes(s.keyHash);
}

const HOST_FORBIDDEN = /[:#,;/ \n\r\t]/;

function readServerRef(r: Reader): SmpServerRef {
  const text = (b: Uint8Array) => String.fromCharCode(...b);
  const hosts = r.nonEmpty((r) => {
    const h = text(r.shortBytes());
    // IPv6 hosts are bracketed or bare hex with colons; anything else must be a plain name
    if (h === "" || (HOST_FORBIDDEN.test(h) && !/^(\[[0-9a-fA-F:.]+\]|[0-9a-fA-F:]+)$/.test(h))) {
      r.fail("bad host");
    }
    return h;
  });
  const port = text(r.shortBytes());
  if (!/^\d*$/.test(port)) r.fail("bad port");
  return { hosts, port, keyHash: r.shortBytes().slice() };
}

/** The command bytes `TAG[ SP fields]` at protocol version `v`. */
export function encodeCommand(v: number, cmd: Command): Uint8Array {
  const w = new Writer(64);
  w.ascii(cmd.type);
  switch (cmd.type) {
    case "NEW":
      w.space();
      writeNew(w, v, cmd.req);
      break;
    case "KEY":
    case "SKEY":
    case "LKEY":
      w.space();
      writeKey(w, cmd.key);
      break;
    case "RKEY":
      w.space().nonEmpty(cmd.keys, writeKey);
      break;
    case "LSET":
      w.space().shortBytes(cmd.linkId);
      writeLinkData(w, cmd.data);
      break;
    case "NKEY":
      w.space();
      writeKey(w, cmd.key);
      writeKey(w, cmd.dhKey);
      break;
    case "ACK":
      w.space().shortBytes(cmd.msgId);
      break;
    case "SEND":
      w.space().bool(cmd.notification).space().bytes(cmd.body);
      break;
    case "PRXY":
      w.space();
      writeServerRef(w, cmd.server);
      w.maybe(cmd.basicAuth, (w, b) => w.shortBytes(b));
      break;
    case "PFWD":
      w.space().word16(cmd.version);
      writeKey(w, cmd.key);
      w.bytes(cmd.encTransmission);
      break;
    case "RFWD":
      w.space().bytes(cmd.encForward);
      break;
  }
  return w.finish();
}

function readFields(r: Reader, type: CommandType, v: number): Command {
  switch (type) {
    case "SUB":
    case "SUBS":
    case "LDEL":
    case "NDEL":
    case "GET":
    case "OFF":
    case "DEL":
    case "QUE":
    case "PING":
    case "LGET":
    case "NSUB":
    case "NSUBS":
      return { type };
  }
  r.space();
  switch (type) {
    case "NEW":
      return { type, req: readNew(r, v) };
    case "KEY":
    case "SKEY":
    case "LKEY":
      return { type, key: readAuthKey(r) };
    case "RKEY":
      return { type, keys: r.nonEmpty(readAuthKey) };
    case "LSET":
      return { type, linkId: r.shortBytes().slice(), data: readLinkData(r) };
    case "NKEY":
      return { type, key: readAuthKey(r), dhKey: readDhKey(r) };
    case "ACK":
      return { type, msgId: r.shortBytes().slice() };
    case "SEND": {
      const notification = r.bool();
      // reserved flag bytes up to the space are skipped (MsgFlags parser)
      while (r.peekByte() !== undefined && r.peekByte() !== 0x20) r.byte();
      r.space();
      return { type, notification, body: r.tail().slice() };
    }
    case "PRXY":
      return { type, server: readServerRef(r), basicAuth: r.maybe(readBasicAuth) };
    case "PFWD":
      return { type, version: r.word16(), key: readDhKey(r), encTransmission: r.tail().slice() };
    case "RFWD":
      return { type, encForward: r.tail().slice() };
  }
}

export type CommandResult = { ok: true; command: Command } | { ok: false; error: SmpError };

/** Parses command bytes: an unknown tag is `CMD UNKNOWN`, anything else malformed `CMD SYNTAX`. */
export function parseCommand(v: number, bytes: Uint8Array): CommandResult {
  let end = bytes.indexOf(0x20);
  if (end < 0) end = bytes.length;
  const tag = String.fromCharCode(...bytes.subarray(0, end));
  if (!COMMAND_TAGS.has(tag)) return { ok: false, error: cmdError("UNKNOWN") };
  const result = decode(bytes.subarray(end), (r) => readFields(r, tag as CommandType, v));
  return result.ok ? { ok: true, command: result.value } : { ok: false, error: cmdError("SYNTAX") };
}

/**
 * Which commands need an authorization and an entity (`checkCredentials`, smp.md §3.2); checked
 * before any queue lookup.
 */
export function checkCredentials(cmd: Command, hasAuth: boolean, entityId: Uint8Array): SmpError | undefined {
  const hasEntity = entityId.length > 0;
  switch (cmd.type) {
    case "NEW":
      if (!hasAuth) return cmdError("NO_AUTH");
      return hasEntity ? cmdError("HAS_AUTH") : undefined;
    case "SEND":
      return hasEntity ? undefined : cmdError("NO_ENTITY");
    case "LGET":
    case "PFWD":
      if (!hasEntity) return cmdError("NO_ENTITY");
      return hasAuth ? cmdError("HAS_AUTH") : undefined;
    case "PING":
    case "PRXY":
    case "RFWD":
      return !hasAuth && !hasEntity ? undefined : cmdError("HAS_AUTH");
    default:
      return hasAuth && hasEntity ? undefined : cmdError("NO_AUTH");
  }
}
