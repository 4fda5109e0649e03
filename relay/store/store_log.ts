/**
 * The migration path from and to the reference smp-server (smp.md §5.5): its queue store log
 * (`smp-server-store.log`), its undelivered-messages file (`smp-server-messages.log`) and its
 * pending-notifications file (`smp-server-ntfs.log`), one record per line in the SimpleX text
 * encoding (§0).
 *
 * Reading accepts what simplexmq 6.5.5's parsers accept (`StoreLogRecord`, `QueueRec`,
 * `MsgLogRecord` and `NtfLogRecord`), and the replay applies each record as its memory queue store
 * does on start, so a log folds to the same queues here as there. Writing is byte-for-byte their
 * `strEncode`, so the reference can start from what `exportReferenceStore` writes.
 */
import { decodeText, str, type TextReader } from "../../core/encoding/text.ts";
import type { ParseError, ParseResult } from "../../core/encoding/binary.ts";
import { bytesEqual } from "../../core/encoding/bytes.ts";
import { decodePublicKeyDer, encodePublicKeyDer, KeyError } from "../../core/crypto/keys.ts";
import { type BlockingInfo, decodeBlockingInfo, encodeBlockingInfo } from "../../core/smp/errors.ts";
import type { AuthPublicKey, QueueLinkData, QueueMode } from "../../core/smp/mod.ts";
import {
  type NotifierCredentials,
  type QueueRecord,
  type QueueStatus,
  type RelayStore,
  type ServiceRecord,
  ServiceRoleError,
  type StoredMessage,
  type StoredNotification,
} from "./types.ts";
import type { ServiceRole } from "../../core/smp/handshake.ts";

export type { ServiceRecord, ServiceRole };

// ---------------------------------------------------------------------------------------------
// Records

/** A notifier as the store log holds it: with the service it is associated with, if any. */
export type StoreLogNotifier = NotifierCredentials;

/** A queue as the store log holds it (`QueueRec`), service associations included. */
export type StoreLogQueue = QueueRecord;

/** One store log line (`StoreLogRecord`); every queue is named by its recipient ID. */
export type StoreLogRecord =
  | { readonly type: "CREATE"; readonly queue: StoreLogQueue }
  | {
    readonly type: "LINK";
    readonly recipientId: Uint8Array;
    readonly linkId: Uint8Array;
    readonly data: QueueLinkData;
  }
  | { readonly type: "LDELETE"; readonly recipientId: Uint8Array }
  | { readonly type: "SECURE"; readonly recipientId: Uint8Array; readonly senderKey: AuthPublicKey }
  | {
    readonly type: "KEYS";
    readonly recipientId: Uint8Array;
    readonly recipientKeys: readonly AuthPublicKey[];
  }
  | { readonly type: "NOTIFIER"; readonly recipientId: Uint8Array; readonly notifier: StoreLogNotifier }
  | { readonly type: "SUSPEND"; readonly recipientId: Uint8Array }
  | { readonly type: "BLOCK"; readonly recipientId: Uint8Array; readonly info: BlockingInfo }
  | { readonly type: "UNBLOCK"; readonly recipientId: Uint8Array }
  | { readonly type: "DELETE"; readonly recipientId: Uint8Array }
  | { readonly type: "NDELETE"; readonly recipientId: Uint8Array }
  | { readonly type: "TIME"; readonly recipientId: Uint8Array; readonly updatedAt: number }
  | { readonly type: "NEW_SERVICE"; readonly service: ServiceRecord }
  | {
    readonly type: "QUEUE_SERVICE";
    readonly recipientId: Uint8Array;
    /** R: the recipient's subscriptions; N: the notifier's */
    readonly party: "R" | "N";
    readonly serviceId?: Uint8Array;
  };

/** One line of the messages file (`MLRv3`). */
export interface MessageLogRecord {
  readonly recipientId: Uint8Array;
  readonly message: StoredMessage;
}

/** The reference's `MaxMessageLen`: a longer body does not parse. */
export const MAX_MESSAGE_LENGTH = 16088;

// ---------------------------------------------------------------------------------------------
// Store log encoding

const b64 = str.bytes;
const keyText = (k: AuthPublicKey): string => b64(encodePublicKeyDer(k));

/** Aeson omits a Nothing ttl (`notice={}`) where encodeBlockingInfo writes `"ttl":null`. */
function blockingInfoText(info: BlockingInfo): string {
  return info.notice?.ttl === null ? `reason=${info.reason},notice={}` : encodeBlockingInfo(info);
}

function statusText(s: QueueStatus): string {
  return s.type === "blocked" ? `blocked,${blockingInfoText(s.info)}` : s.type;
}

function notifierText(n: StoreLogNotifier): string {
  const service = n.ntfServiceId ? ` nsrv=${b64(n.ntfServiceId)}` : "";
  return `${b64(n.notifierId)} ${keyText(n.notifierKey)} ${b64(n.rcvNtfDhSecret)}${service}`;
}

/** `QueueRec` strEncode: optional fields are written only when present, `status=` only when not active. */
function queueText(q: StoreLogQueue): string {
  const parts = [
    `rk=${str.list(q.recipientKeys, keyText)}`,
    ` rdh=${b64(q.rcvDhSecret)}`,
    ` sid=${b64(q.senderId)}`,
    ` sk=${str.maybe(q.senderKey, keyText)}`,
  ];
  if (q.queueMode) parts.push(` queue_mode=${q.queueMode}`);
  if (q.link) {
    parts.push(` link_id=${b64(q.link.linkId)}`);
    parts.push(` queue_data=${b64(q.link.data.fixedData)} ${b64(q.link.data.userData)}`);
  }
  if (q.notifier) parts.push(` notifier=${notifierText(q.notifier)}`);
  if (q.updatedAt !== undefined) parts.push(` updated_at=${str.int(q.updatedAt)}`);
  if (q.status.type !== "active") parts.push(` status=${statusText(q.status)}`);
  if (q.rcvServiceId) parts.push(` rsrv=${b64(q.rcvServiceId)}`);
  return parts.join("");
}

function serviceText(s: ServiceRecord): string {
  return [
    `service_id=${b64(s.serviceId)}`,
    `role=${s.role}`,
    `cert=${str.list(s.certChain, b64)}`,
    `cert_hash=${b64(s.certHash)}`,
    `created_at=${str.int(s.createdAt)}`,
  ].join(" ");
}

/** One store log line, without the newline. */
export function encodeStoreLogRecord(r: StoreLogRecord): string {
  switch (r.type) {
    case "CREATE":
      return `CREATE rid=${b64(r.queue.recipientId)} ${queueText(r.queue)}`;
    case "LINK":
      return str.tuple(
        "LINK",
        b64(r.recipientId),
        b64(r.linkId),
        b64(r.data.fixedData),
        b64(r.data.userData),
      );
    case "SECURE":
      return str.tuple("SECURE", b64(r.recipientId), keyText(r.senderKey));
    case "KEYS":
      return str.tuple("KEYS", b64(r.recipientId), str.list(r.recipientKeys, keyText));
    case "NOTIFIER":
      return str.tuple("NOTIFIER", b64(r.recipientId), notifierText(r.notifier));
    case "BLOCK":
      return str.tuple("BLOCK", b64(r.recipientId), blockingInfoText(r.info));
    case "TIME":
      return str.tuple("TIME", b64(r.recipientId), str.int(r.updatedAt));
    case "NEW_SERVICE":
      return `NEW_SERVICE ${serviceText(r.service)}`;
    case "QUEUE_SERVICE":
      // an absent service ID is the empty string, so the line then ends with a space
      return str.tuple("QUEUE_SERVICE", b64(r.recipientId), r.party, str.maybe(r.serviceId, b64));
    default:
      return str.tuple(r.type, b64(r.recipientId));
  }
}

// ---------------------------------------------------------------------------------------------
// Store log parsing

/** `A.signed A.decimal`, as Int64 and SystemDate parse */
function readInt(r: TextReader): number {
  const sign = r.peek();
  if (sign !== "-" && sign !== "+") return r.decimal();
  r.char(sign);
  const n = r.decimal();
  return sign === "-" && n !== 0 ? -n : n;
}

function readAuthKey(r: TextReader): AuthPublicKey {
  const der = r.bytes();
  try {
    const key = decodePublicKeyDer(der);
    if (key.algorithm === "X448") return r.fail("X448 is not an authorization key");
    return key as AuthPublicKey;
  } catch (e) {
    if (e instanceof KeyError) return r.fail(e.message);
    throw e;
  }
}

/** an X25519 shared secret (`DhSecretX25519`) */
function readDhSecret(r: TextReader): Uint8Array {
  const secret = r.bytes();
  if (secret.length !== 32) r.fail("a DH secret must be 32 bytes");
  return secret;
}

function readKeys(r: TextReader): AuthPublicKey[] {
  return r.nonEmptyList(readAuthKey);
}

function oneOf<T extends string>(r: TextReader, choices: readonly T[], what: string): T {
  const c = choices.find((c) => r.input.startsWith(c, r.offset));
  if (c === undefined) return r.fail(`expected ${what}`);
  r.literal(c);
  return c;
}

/** `reason=…[,notice=<JSON>]`; the notice is the rest of the input, as upstream's `A.takeByteString`. */
function readBlockingInfo(r: TextReader): BlockingInfo {
  r.literal("reason=");
  const reason = oneOf(r, ["spam", "content"] as const, "spam or content");
  const notice = r.optional((r) => {
    r.literal(",notice=");
    const info = decodeBlockingInfo(`reason=${reason},notice=${r.takeUntil("")}`);
    return info?.notice ?? r.fail("bad notice JSON");
  });
  return notice ? { reason, notice } : { reason };
}

function readStatus(r: TextReader): QueueStatus {
  const s = oneOf(r, ["active", "blocked,", "off"] as const, "a queue status");
  if (s === "blocked,") return { type: "blocked", info: readBlockingInfo(r) };
  return { type: s };
}

function readNotifier(r: TextReader): StoreLogNotifier {
  const notifierId = r.bytes();
  r.space();
  const notifierKey = readAuthKey(r);
  r.space();
  const rcvNtfDhSecret = readDhSecret(r);
  const ntfServiceId = field(r, "nsrv", (r) => r.bytes());
  return defined({ notifierId, notifierKey, rcvNtfDhSecret, ntfServiceId });
}

/**
 * An optional ` name=value` field. Upstream backtracks when the value does not parse, but then no
 * later field can start there and the line fails anyway, so this commits once the name matches:
 * it accepts the same lines without an exception per absent field.
 */
function field<T>(r: TextReader, name: string, value: (r: TextReader) => T): T | undefined {
  const prefix = ` ${name}=`;
  if (!r.input.startsWith(prefix, r.offset)) return undefined;
  r.literal(prefix);
  return value(r);
}

/** an absent Maybe: nothing before the next space or the end */
function absent(r: TextReader): boolean {
  return r.atEnd() || r.peek() === " ";
}

function readQueue(r: TextReader): StoreLogQueue {
  r.literal("rid=");
  const recipientId = r.bytes();
  r.literal(" rk=");
  const recipientKeys = readKeys(r);
  r.literal(" rdh=");
  const rcvDhSecret = readDhSecret(r);
  r.literal(" sid=");
  const senderId = r.bytes();
  r.literal(" sk=");
  const senderKey = absent(r) ? undefined : readAuthKey(r);
  // before queue modes, `sndSecure=T` meant a messaging queue; no mode at all is a legacy queue
  const queueMode: QueueMode | undefined = field(r, "sndSecure", (r) => (r.bool() ? "M" : "C")) ??
    field(r, "queue_mode", (r) => oneOf(r, ["M", "C"] as const, "M or C"));
  const link = field(r, "link_id", (r) => {
    const linkId = r.bytes();
    r.literal(" queue_data=");
    const fixedData = r.bytes();
    r.space();
    return { linkId, data: { fixedData, userData: r.bytes() } };
  });
  const notifier = field(r, "notifier", readNotifier);
  const updatedAt = field(r, "updated_at", readInt);
  const status = field(r, "status", readStatus) ?? { type: "active" };
  const rcvServiceId = field(r, "rsrv", (r) => r.bytes());
  return defined({
    recipientId,
    recipientKeys,
    rcvDhSecret,
    senderId,
    senderKey,
    queueMode,
    link,
    notifier,
    status,
    updatedAt,
    rcvServiceId,
  });
}

function readService(r: TextReader): ServiceRecord {
  r.literal("service_id=");
  const serviceId = r.bytes();
  r.literal(" role=");
  const role = oneOf(r, ["M", "N", "P"] as const, "M, N or P");
  r.literal(" cert=");
  const certChain = r.list((r) => r.bytes());
  r.literal(" cert_hash=");
  const certHash = r.bytes();
  r.literal(" created_at=");
  return { serviceId, role, certChain, certHash, createdAt: readInt(r) };
}

const QUEUE_TAGS = [
  "LINK",
  "LDELETE",
  "SECURE",
  "KEYS",
  "NOTIFIER",
  "SUSPEND",
  "BLOCK",
  "UNBLOCK",
  "DELETE",
  "NDELETE",
  "TIME",
  "QUEUE_SERVICE",
] as const;

function readRecord(r: TextReader): StoreLogRecord {
  const tag = r.word();
  r.space();
  if (tag === "CREATE") return { type: "CREATE", queue: readQueue(r) };
  if (tag === "NEW_SERVICE") return { type: "NEW_SERVICE", service: readService(r) };
  const type = QUEUE_TAGS.find((t) => t === tag) ?? r.fail(`unknown record ${tag}`);
  const recipientId = r.bytes();
  if (
    type === "LDELETE" || type === "SUSPEND" || type === "UNBLOCK" || type === "DELETE" || type === "NDELETE"
  ) {
    return { type, recipientId };
  }
  r.space();
  switch (type) {
    case "LINK": {
      const linkId = r.bytes();
      r.space();
      const fixedData = r.bytes();
      r.space();
      return { type, recipientId, linkId, data: { fixedData, userData: r.bytes() } };
    }
    case "SECURE":
      return { type, recipientId, senderKey: readAuthKey(r) };
    case "KEYS":
      return { type, recipientId, recipientKeys: readKeys(r) };
    case "NOTIFIER":
      return { type, recipientId, notifier: readNotifier(r) };
    case "BLOCK":
      return { type, recipientId, info: readBlockingInfo(r) };
    case "TIME":
      return { type, recipientId, updatedAt: readInt(r) };
    case "QUEUE_SERVICE": {
      const party = oneOf(r, ["R", "N"] as const, "R or N");
      r.space();
      return defined({ type, recipientId, party, serviceId: absent(r) ? undefined : r.bytes() });
    }
  }
}

/** Parses one store log line (without its newline) as the reference does: all of it or nothing. */
export function decodeStoreLogRecord(line: string): ParseResult<StoreLogRecord> {
  return decodeText(line, readRecord);
}

// ---------------------------------------------------------------------------------------------
// Messages file

/** `v3 <rId> <msgId> <ts> flags=<T|F> <body>` or `v3 <rId> <msgId> <ts> quota`, without the newline. */
export function encodeMessageLogRecord({ recipientId, message: m }: MessageLogRecord): string {
  const head = str.tuple("v3", b64(recipientId), b64(m.msgId), str.int(m.ts));
  if (m.kind === "quota") return `${head} quota`;
  return `${head} flags=${str.bool(m.notification)} ${b64(m.body)}`;
}

function readMessageRecord(r: TextReader): MessageLogRecord {
  r.literal("v3 ");
  const recipientId = r.bytes();
  r.space();
  const msgId = r.bytes();
  r.space();
  const ts = readInt(r);
  r.space();
  if (r.input.startsWith("quota", r.offset)) {
    r.literal("quota");
    return { recipientId, message: { kind: "quota", msgId, ts } };
  }
  // older files have no flags; later versions may append flag characters after T/F
  const notification = r.input.startsWith("flags=", r.offset) ? readFlags(r) : undefined;
  // upstream cannot parse the empty body it writes for an empty SEND; it is accepted here
  const body = notification !== undefined && r.atEnd() ? new Uint8Array(0) : r.bytes();
  if (body.length > MAX_MESSAGE_LENGTH) r.fail(`message body longer than ${MAX_MESSAGE_LENGTH} bytes`);
  return { recipientId, message: { kind: "message", msgId, ts, notification: notification ?? false, body } };
}

function readFlags(r: TextReader): boolean {
  r.literal("flags=");
  const notification = r.bool();
  r.takeUntil(" ");
  r.space();
  return notification;
}

export function decodeMessageLogRecord(line: string): ParseResult<MessageLogRecord> {
  return decodeText(line, readMessageRecord);
}

// ---------------------------------------------------------------------------------------------
// Notifications file

/** `v1 <notifierId> <msgId> <ts> <nonce> <encMeta>`, without the newline. */
export function encodeNotificationLogRecord(n: StoredNotification): string {
  return str.tuple("v1", b64(n.notifierId), b64(n.msgId), str.int(n.ts), b64(n.nonce), b64(n.encMeta));
}

function readNotificationRecord(r: TextReader): StoredNotification {
  r.literal("v1 ");
  const notifierId = r.bytes();
  r.space();
  const msgId = r.bytes();
  r.space();
  const ts = readInt(r);
  r.space();
  // `cbNonce` cuts or zero-pads to the 24 bytes of a nonce
  const nonce = new Uint8Array(24);
  nonce.set(r.bytes().subarray(0, 24));
  r.space();
  return { notifierId, msgId, ts, nonce, encMeta: r.bytes() };
}

export function decodeNotificationLogRecord(line: string): ParseResult<StoredNotification> {
  return decodeText(line, readNotificationRecord);
}

// ---------------------------------------------------------------------------------------------
// Replay

export type IssueKind = "malformed" | "unknown queue" | "deleted queue" | "rejected";

/** A line that was skipped, and why. */
export interface LineIssue {
  readonly line: number;
  readonly kind: IssueKind;
  readonly detail: string;
}

export interface FileSummary {
  readonly lines: number;
  /** lines applied to the state */
  readonly applied: number;
  readonly skipped: Readonly<Record<IssueKind, number>>;
  /** the first MAX_REPORTED_ISSUES skipped lines, in file order */
  readonly issues: readonly LineIssue[];
}

export const MAX_REPORTED_ISSUES = 1000;

class FileTally {
  lines = 0;
  applied = 0;
  readonly skipped: Record<IssueKind, number> = {
    "malformed": 0,
    "unknown queue": 0,
    "deleted queue": 0,
    "rejected": 0,
  };
  readonly issues: LineIssue[] = [];

  skip(line: number, kind: IssueKind, detail: string): void {
    this.skipped[kind]++;
    if (this.issues.length < MAX_REPORTED_ISSUES) this.issues.push({ line, kind, detail });
  }

  malformed(line: Line, e: ParseError): void {
    const truncated = line.terminated ? "" : " (the last line has no newline: truncated file?)";
    this.skip(line.number, "malformed", `${e.message}${truncated}`);
  }

  summary(): FileSummary {
    return {
      lines: this.lines,
      applied: this.applied,
      skipped: { ...this.skipped },
      issues: [...this.issues],
    };
  }
}

type Refusal = { readonly kind: Exclude<IssueKind, "malformed">; readonly detail: string };

/**
 * The reference's memory queue store as the replay sees it (QueueStore/STM.hs). A deleted queue
 * keeps its recipient ID, so a later CREATE with it is refused, and keeps its link ID in the link
 * map; its sender and notifier IDs are released.
 */
class StoreLogState {
  readonly #queues = new Map<string, StoreLogQueue | null>();
  readonly #senders = new Set<string>();
  readonly #notifiers = new Set<string>();
  readonly #links = new Set<string>();
  readonly #services = new Map<string, ServiceRecord>();
  readonly #serviceByCert = new Map<string, string>();

  /** live queues in recipient ID byte order, as upstream's compaction writes them */
  queues(): StoreLogQueue[] {
    const live = [...this.#queues.values()].filter((q): q is StoreLogQueue => q !== null);
    return live.sort((a, b) => compareBytes(a.recipientId, b.recipientId));
  }

  services(): ServiceRecord[] {
    return [...this.#services.values()].sort((a, b) => compareBytes(a.serviceId, b.serviceId));
  }

  /** Applies one record; a refusal says why the reference would skip it too. */
  apply(r: StoreLogRecord): Refusal | undefined {
    if (r.type === "CREATE") return this.#create(r.queue);
    if (r.type === "NEW_SERVICE") return this.#newService(r.service);
    const rid = b64(r.recipientId);
    const q = this.#queues.get(rid);
    if (q === undefined) return { kind: "unknown queue", detail: `${r.type} for queue ${rid}` };
    if (q === null) return { kind: "deleted queue", detail: `${r.type} for deleted queue ${rid}` };
    const updated = this.#update(q, r);
    if (updated !== null && "kind" in updated) return updated;
    this.#queues.set(rid, updated);
  }

  #create(q: StoreLogQueue): Refusal | undefined {
    const rid = b64(q.recipientId);
    const taken = this.#queues.has(rid) || this.#senders.has(b64(q.senderId)) ||
      (q.notifier !== undefined && this.#notifiers.has(b64(q.notifier.notifierId))) ||
      (q.link !== undefined && this.#links.has(b64(q.link.linkId)));
    if (taken) return { kind: "rejected", detail: `CREATE of queue ${rid}: an ID is already in use` };
    this.#queues.set(rid, q);
    this.#senders.add(b64(q.senderId));
    if (q.notifier) this.#notifiers.add(b64(q.notifier.notifierId));
    if (q.link) this.#links.add(b64(q.link.linkId));
  }

  /** the queue after `r`, null when `r` deleted it */
  #update(
    q: StoreLogQueue,
    r: Exclude<StoreLogRecord, { type: "CREATE" | "NEW_SERVICE" }>,
  ): StoreLogQueue | null | Refusal {
    const refuse = (why: string): Refusal => ({
      kind: "rejected",
      detail: `${r.type} for queue ${b64(q.recipientId)}: ${why}`,
    });
    switch (r.type) {
      case "LINK":
        if (
          q.link &&
          !(bytesEqual(q.link.linkId, r.linkId) && bytesEqual(q.link.data.fixedData, r.data.fixedData))
        ) {
          return refuse("the queue has other link data");
        }
        this.#links.add(b64(r.linkId));
        return { ...q, link: { linkId: r.linkId, data: r.data } };
      case "LDELETE":
        if (q.link) this.#links.delete(b64(q.link.linkId));
        return withOut(q, "link");
      case "SECURE":
        if (q.senderKey && !sameKey(q.senderKey, r.senderKey)) return refuse("secured with another key");
        return { ...q, senderKey: r.senderKey };
      case "KEYS":
        return { ...q, recipientKeys: r.recipientKeys };
      case "NOTIFIER":
        if (this.#notifiers.has(b64(r.notifier.notifierId))) return refuse("the notifier ID is in use");
        if (q.notifier) this.#notifiers.delete(b64(q.notifier.notifierId));
        this.#notifiers.add(b64(r.notifier.notifierId));
        return { ...q, notifier: r.notifier };
      case "NDELETE":
        if (q.notifier) this.#notifiers.delete(b64(q.notifier.notifierId));
        return withOut(q, "notifier");
      case "SUSPEND":
        return { ...q, status: { type: "off" } };
      case "BLOCK":
        return { ...q, status: { type: "blocked", info: r.info } };
      case "UNBLOCK":
        return { ...q, status: { type: "active" } };
      case "TIME":
        return { ...q, updatedAt: r.updatedAt };
      case "QUEUE_SERVICE":
        if (r.party === "R") return defined({ ...q, rcvServiceId: r.serviceId });
        if (!q.notifier) return refuse("the queue has no notifier");
        return { ...q, notifier: defined({ ...q.notifier, ntfServiceId: r.serviceId }) };
      case "DELETE":
        this.#senders.delete(b64(q.senderId));
        if (q.notifier) this.#notifiers.delete(b64(q.notifier.notifierId));
        return null;
    }
  }

  /** `getCreateService`: a known certificate keeps its first service ID. */
  #newService(s: ServiceRecord): Refusal | undefined {
    const sid = b64(s.serviceId);
    const known = this.#serviceByCert.get(b64(s.certHash));
    const existing = known === undefined ? undefined : this.#services.get(known);
    if (existing) {
      if (existing.role !== s.role) return { kind: "rejected", detail: `NEW_SERVICE ${sid}: role differs` };
      if (known !== sid) {
        return { kind: "rejected", detail: `NEW_SERVICE ${sid}: certificate known as ${known}` };
      }
      return;
    }
    if (known === undefined && this.#services.has(sid)) {
      return { kind: "rejected", detail: `NEW_SERVICE ${sid}: the ID is in use` };
    }
    this.#services.set(sid, s);
    this.#serviceByCert.set(b64(s.certHash), sid);
  }
}

/** One line of a file, numbered from 1; `terminated` is false for a last line without a newline. */
interface Line {
  readonly text: string;
  readonly number: number;
  readonly terminated: boolean;
}

export interface StoreLogReplay {
  readonly queues: StoreLogQueue[];
  readonly services: ServiceRecord[];
  readonly summary: FileSummary;
}

function replayLines(lines: Iterable<Line>): StoreLogReplay {
  const state = new StoreLogState();
  const tally = new FileTally();
  for (const line of lines) {
    tally.lines++;
    const r = decodeStoreLogRecord(line.text);
    if (!r.ok) {
      tally.malformed(line, r.error);
      continue;
    }
    const refusal = state.apply(r.value);
    if (refusal === undefined) tally.applied++;
    else tally.skip(line.number, refusal.kind, refusal.detail);
  }
  return { queues: state.queues(), services: state.services(), summary: tally.summary() };
}

/** Folds a store log (the file's text) into its final queues and services, as the reference does on start. */
export function replayStoreLog(text: string): StoreLogReplay {
  return replayLines(splitLines(text));
}

/** The compacted store log upstream writes after replaying: services first, then one CREATE per live queue. */
export function* encodeCompactedStoreLog(
  state: { readonly queues: Iterable<StoreLogQueue>; readonly services?: Iterable<ServiceRecord> },
): Generator<string> {
  for (const service of state.services ?? []) yield encodeStoreLogRecord({ type: "NEW_SERVICE", service });
  for (const queue of state.queues) yield encodeStoreLogRecord({ type: "CREATE", queue });
}

// ---------------------------------------------------------------------------------------------
// Import and export

export interface ImportOptions {
  readonly storeLogPath: string;
  readonly messagesPath?: string;
  readonly notificationsPath?: string;
  /** messages sent before this time (seconds) are dropped, as `expire_messages_on_start` does */
  readonly expireBefore?: number;
}

export interface StoreLogImportSummary extends FileSummary {
  /** live queues added to the store */
  readonly queues: number;
  /** live queues not added because one of their IDs is already used in the store */
  readonly alreadyInStore: number;
  /** services added to the store (NEW_SERVICE) */
  readonly services: number;
  /** queues associated with a service (on their recipient or notifier side) */
  readonly serviceAssociations: number;
}

export interface MessagesImportSummary extends FileSummary {
  readonly restored: number;
  readonly quotaMarkers: number;
  /** messages older than `expireBefore`, not restored */
  readonly expired: number;
}

export interface ImportSummary {
  readonly storeLog: StoreLogImportSummary;
  readonly messages?: MessagesImportSummary;
  readonly notifications?: FileSummary;
}

/**
 * Imports the reference's store log and, optionally, its messages and notifications files into
 * `store`, in one transaction. The log is replayed in memory first, as the reference does on start.
 * Bad lines are skipped and reported; the files are only read.
 */
export function importReferenceStore(store: RelayStore, options: ImportOptions): ImportSummary {
  const replay = replayLines(readLines(options.storeLogPath));
  return store.transaction(() => {
    let queues = 0, alreadyInStore = 0, services = 0, serviceAssociations = 0;
    for (const s of replay.services) {
      try {
        if (bytesEqual(store.getCreateService(s), s.serviceId)) services++;
      } catch (e) {
        if (!(e instanceof ServiceRoleError)) throw e; // the store knows the certificate in another role
      }
    }
    for (const q of replay.queues) {
      if (!store.addQueue(q)) {
        alreadyInStore++;
        continue;
      }
      queues++;
      if (q.rcvServiceId || q.notifier?.ntfServiceId) serviceAssociations++;
    }
    const storeLog = { ...replay.summary, queues, alreadyInStore, services, serviceAssociations };
    const { messagesPath, notificationsPath, expireBefore } = options;
    return {
      storeLog,
      messages: messagesPath === undefined ? undefined : importMessages(store, messagesPath, expireBefore),
      notifications: notificationsPath === undefined
        ? undefined
        : importNotifications(store, notificationsPath),
    };
  });
}

function importMessages(store: RelayStore, path: string, expireBefore = -Infinity): MessagesImportSummary {
  const tally = new FileTally();
  let restored = 0, quotaMarkers = 0, expired = 0;
  let knownQueue: Uint8Array | undefined;
  for (const line of readLines(path)) {
    tally.lines++;
    const r = decodeMessageLogRecord(line.text);
    if (!r.ok) {
      tally.malformed(line, r.error);
      continue;
    }
    const { recipientId, message } = r.value;
    if (!(knownQueue && bytesEqual(knownQueue, recipientId))) {
      if (!store.getQueue("recipient", recipientId)) {
        tally.skip(line.number, "unknown queue", `message for queue ${b64(recipientId)}`);
        continue;
      }
      knownQueue = recipientId;
    }
    if (message.kind === "message" && message.ts < expireBefore) {
      expired++;
      continue;
    }
    if (message.kind === "quota") {
      // upstream drops a QUOTA marker at the head before restoring another one (`mergeQuotaMsgs`)
      const head = store.peekMessage(recipientId);
      if (head?.kind === "quota") store.deleteHead(recipientId, head.msgId);
      quotaMarkers++;
    } else {
      restored++;
    }
    store.importMessage(recipientId, message);
    tally.applied++;
  }
  return { ...tally.summary(), restored, quotaMarkers, expired };
}

/** Upstream keeps notifications for unknown notifiers until they expire; here they are skipped. */
function importNotifications(store: RelayStore, path: string): FileSummary {
  const tally = new FileTally();
  for (const line of readLines(path)) {
    tally.lines++;
    const r = decodeNotificationLogRecord(line.text);
    if (!r.ok) tally.malformed(line, r.error);
    else if (!store.getQueue("notifier", r.value.notifierId)) {
      tally.skip(line.number, "unknown queue", `notification for notifier ${b64(r.value.notifierId)}`);
    } else {
      store.addNotification(r.value);
      tally.applied++;
    }
  }
  return tally.summary();
}

export interface ExportOptions {
  readonly storeLogPath: string;
  readonly messagesPath: string;
  readonly notificationsPath?: string;
}

export interface ExportSummary {
  readonly queues: number;
  readonly messages: number;
  readonly quotaMarkers: number;
  readonly notifications: number;
}

/**
 * Writes the store as the reference's compacted store log, messages file and, optionally,
 * notifications file, from one consistent read. Each file is written to a temporary file beside it
 * (mode 0600: the log holds DH secrets), synced, and renamed over the destination.
 */
export function exportReferenceStore(store: RelayStore, options: ExportOptions): ExportSummary {
  return store.transaction(() => {
    const count = { queues: 0, messages: 0, quotaMarkers: 0, notifications: 0 };
    const queues = map(store.allQueues(), (queue) => {
      count.queues++;
      return queue;
    });
    writeFileAtomically(
      options.storeLogPath,
      encodeCompactedStoreLog({ queues, services: store.allServices() }),
    );
    writeFileAtomically(options.messagesPath, messageLines(store, count));
    if (options.notificationsPath !== undefined) {
      writeFileAtomically(
        options.notificationsPath,
        map(store.allNotifications(), (n) => {
          count.notifications++;
          return encodeNotificationLogRecord(n);
        }),
      );
    }
    return count;
  });
}

function* messageLines(
  store: RelayStore,
  count: { messages: number; quotaMarkers: number },
): Generator<string> {
  for (const { recipientId } of store.allQueues()) {
    for (const message of store.allMessages(recipientId)) {
      if (message.kind === "quota") count.quotaMarkers++;
      else count.messages++;
      yield encodeMessageLogRecord({ recipientId, message });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

function sameKey(a: AuthPublicKey, b: AuthPublicKey): boolean {
  return a.algorithm === b.algorithm && bytesEqual(a.raw, b.raw);
}

/** Byte order with a prefix first: Haskell's ByteString `Ord`, and SQLite's for BLOBs. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** the object without its undefined properties, so that absent fields compare equal however built */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function withOut<T extends object, K extends keyof T>(o: T, key: K): Omit<T, K> {
  const { [key]: _, ...rest } = o;
  return rest;
}

function* map<T, U>(items: Iterable<T>, f: (t: T) => U): Generator<U> {
  for (const t of items) yield f(t);
}

function* splitLines(text: string): Generator<Line> {
  const parts = text.split("\n");
  const terminated = parts.at(-1) === "";
  if (terminated) parts.pop();
  for (let i = 0; i < parts.length; i++) {
    yield { text: parts[i], number: i + 1, terminated: terminated || i < parts.length - 1 };
  }
}

/** Reads a file line by line without holding it all in memory (store logs run to gigabytes). */
function* readLines(path: string): Generator<Line> {
  const file = Deno.openSync(path, { read: true });
  const decoder = new TextDecoder();
  const chunk = new Uint8Array(1 << 16);
  let pending = new Uint8Array(0);
  let number = 0;
  try {
    for (let n = file.readSync(chunk); n !== null; n = file.readSync(chunk)) {
      const buf = new Uint8Array(pending.length + n);
      buf.set(pending);
      buf.set(chunk.subarray(0, n), pending.length);
      let start = 0;
      for (let end = buf.indexOf(10); end !== -1; end = buf.indexOf(10, start)) {
        yield { text: decoder.decode(buf.subarray(start, end)), number: ++number, terminated: true };
        start = end + 1;
      }
      pending = buf.slice(start);
    }
  } finally {
    file.close();
  }
  if (pending.length > 0) yield { text: decoder.decode(pending), number: ++number, terminated: false };
}

/** Writes `lines` to a 0600 temporary file beside `path`, syncs it, and renames it over `path`. */
function writeFileAtomically(path: string, lines: Iterable<string>): void {
  const tmp = `${path}.${crypto.randomUUID()}.tmp`;
  const file = Deno.openSync(tmp, { write: true, createNew: true, mode: 0o600 });
  try {
    if (Deno.build.os !== "windows") Deno.chmodSync(tmp, 0o600);
    const encoder = new TextEncoder();
    let buffer: string[] = [], size = 0;
    const flush = () => {
      const bytes = encoder.encode(buffer.join(""));
      for (let off = 0; off < bytes.length;) off += file.writeSync(bytes.subarray(off));
      buffer = [];
      size = 0;
    };
    for (const line of lines) {
      buffer.push(line, "\n");
      size += line.length + 1;
      if (size >= 1 << 16) flush();
    }
    flush();
    file.syncSync();
  } catch (e) {
    file.close();
    Deno.removeSync(tmp);
    throw e;
  }
  file.close();
  Deno.renameSync(tmp, path);
}
