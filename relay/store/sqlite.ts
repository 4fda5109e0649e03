/**
 * The embedded default store: SQLite through `node:sqlite`, WAL mode. Queues, undelivered
 * messages and pending notifications live in one database file, so everything a client was
 * told `OK` about survives a restart and a `kill -9` (the reference keeps messages in memory).
 *
 * Lookups go by primary or unique key; only the records of the queues used last are kept in
 * process memory (queue_cache.ts), which keeps an idle relay small however many queues it holds.
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { decode, encode } from "../../core/encoding/binary.ts";
import { decodePublicKeyDer, encodePublicKeyDer } from "../../core/crypto/keys.ts";
import type { AuthPublicKey, QueueLinkData } from "../../core/smp/mod.ts";
import { decodeBlockingInfo, encodeBlockingInfo } from "../../core/smp/errors.ts";
import { bytesEqual } from "../../core/encoding/bytes.ts";
import { QueueCache } from "./queue_cache.ts";
import {
  type DeletedMessage,
  type NotifierCredentials,
  type QueueParty,
  type QueueRecord,
  type QueueStatus,
  type RelayStore,
  type ServiceCounts,
  type ServiceRecord,
  ServiceRoleError,
  type StoredMessage,
  type StoredNotification,
  type WriteResult,
} from "./types.ts";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS queues (
  recipient_id BLOB PRIMARY KEY,
  recipient_keys BLOB NOT NULL,
  rcv_dh_secret BLOB NOT NULL,
  sender_id BLOB NOT NULL UNIQUE,
  sender_key BLOB,
  queue_mode TEXT,
  link_id BLOB UNIQUE,
  link_fixed BLOB,
  link_user BLOB,
  notifier_id BLOB UNIQUE,
  notifier_key BLOB,
  rcv_ntf_dh_secret BLOB,
  status TEXT NOT NULL DEFAULT 'active',
  blocked_info TEXT,
  updated_at INTEGER,
  ntf_service_id BLOB,
  rcv_service_id BLOB
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS services (
  service_id BLOB PRIMARY KEY,
  role TEXT NOT NULL,
  cert_hash BLOB NOT NULL UNIQUE,
  cert_chain BLOB NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  recipient_id BLOB NOT NULL,
  msg_id BLOB NOT NULL,
  ts INTEGER NOT NULL,
  quota INTEGER NOT NULL DEFAULT 0,
  notification INTEGER NOT NULL DEFAULT 0,
  body BLOB
);
CREATE INDEX IF NOT EXISTS messages_by_queue ON messages (recipient_id, seq);
CREATE TABLE IF NOT EXISTS notifications (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  notifier_id BLOB NOT NULL,
  msg_id BLOB NOT NULL,
  ts INTEGER NOT NULL,
  nonce BLOB NOT NULL,
  enc_meta BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS notifications_by_notifier ON notifications (notifier_id, seq);
CREATE INDEX IF NOT EXISTS notifications_by_ts ON notifications (ts);
`;

/** Columns added after the first release: added to databases made before them. */
const ADDED_COLUMNS = [["queues", "ntf_service_id", "BLOB"], ["queues", "rcv_service_id", "BLOB"]] as const;
const INDEXES = "CREATE INDEX IF NOT EXISTS queues_by_ntf_service ON queues (ntf_service_id);";

type Row = Record<string, unknown>;

function encodeKeys(keys: readonly AuthPublicKey[]): Uint8Array {
  return encode((w) => w.list(keys, (w, k) => w.shortBytes(encodePublicKeyDer(k))));
}

function encodeChain(chain: readonly Uint8Array[]): Uint8Array {
  return encode((w) => w.list(chain, (w, c) => w.largeBytes(c)));
}

function decodeChain(bytes: Uint8Array): Uint8Array[] {
  const r = decode(bytes, (r) => r.list((r) => r.largeBytes().slice()));
  if (!r.ok) throw new Error(`corrupt service certificate chain in store: ${r.error.message}`);
  return r.value;
}

function decodeKeys(bytes: Uint8Array): AuthPublicKey[] {
  const r = decode(bytes, (r) => r.list((r) => decodePublicKeyDer(r.shortBytes()) as AuthPublicKey));
  if (!r.ok) throw new Error(`corrupt recipient keys in store: ${r.error.message}`);
  return r.value;
}

function statusOf(row: Row): QueueStatus {
  if (row.status === "off") return { type: "off" };
  if (row.status === "blocked") {
    return { type: "blocked", info: decodeBlockingInfo(String(row.blocked_info)) ?? { reason: "spam" } };
  }
  return { type: "active" };
}

function queueFromRow(row: Row): QueueRecord {
  const bytes = (k: string) => row[k] as Uint8Array;
  const link = row.link_id
    ? { linkId: bytes("link_id"), data: { fixedData: bytes("link_fixed"), userData: bytes("link_user") } }
    : undefined;
  const notifier: NotifierCredentials | undefined = row.notifier_id
    ? {
      notifierId: bytes("notifier_id"),
      notifierKey: decodePublicKeyDer(bytes("notifier_key")) as AuthPublicKey,
      rcvNtfDhSecret: bytes("rcv_ntf_dh_secret"),
      ...(row.ntf_service_id ? { ntfServiceId: bytes("ntf_service_id") } : {}),
    }
    : undefined;
  return {
    recipientId: bytes("recipient_id"),
    recipientKeys: decodeKeys(bytes("recipient_keys")),
    rcvDhSecret: bytes("rcv_dh_secret"),
    senderId: bytes("sender_id"),
    senderKey: row.sender_key ? decodePublicKeyDer(bytes("sender_key")) as AuthPublicKey : undefined,
    queueMode: (row.queue_mode ?? undefined) as QueueRecord["queueMode"],
    link,
    notifier,
    status: statusOf(row),
    updatedAt: (row.updated_at ?? undefined) as number | undefined,
    ...(row.rcv_service_id ? { rcvServiceId: bytes("rcv_service_id") } : {}),
  };
}

function messageFromRow(row: Row): StoredMessage {
  return row.quota ? { kind: "quota", msgId: row.msg_id as Uint8Array, ts: row.ts as number } : {
    kind: "message",
    msgId: row.msg_id as Uint8Array,
    ts: row.ts as number,
    notification: row.notification === 1,
    body: row.body as Uint8Array,
  };
}

function notificationFromRow(r: Row): StoredNotification {
  return {
    notifierId: r.notifier_id as Uint8Array,
    msgId: r.msg_id as Uint8Array,
    ts: r.ts as number,
    nonce: r.nonce as Uint8Array,
    encMeta: r.enc_meta as Uint8Array,
  };
}

const PARTY_COLUMN: Record<QueueParty, string> = {
  recipient: "recipient_id",
  sender: "sender_id",
  notifier: "notifier_id",
  link: "link_id",
};

export interface SqliteStoreOptions {
  /** `FULL` syncs every commit to disk (survives power loss); `NORMAL` survives process crashes */
  readonly synchronous?: "NORMAL" | "FULL";
  /** queue records kept in memory, by the party they were looked up as (default 2048) */
  readonly cachedQueues?: number;
}

export class SqliteRelayStore implements RelayStore {
  readonly #db: DatabaseSync;
  readonly #stmt: Map<string, StatementSync> = new Map();
  readonly #queues: QueueCache;
  #depth = 0;

  constructor(path: string, options: SqliteStoreOptions = {}) {
    // queue records hold DH secrets: the file is the operator's alone from the moment it exists
    if (path !== ":memory:") Deno.writeFileSync(path, new Uint8Array(), { append: true, mode: 0o600 });
    this.#queues = new QueueCache(options.cachedQueues ?? 2048);
    this.#db = new DatabaseSync(path);
    this.#db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = ${options.synchronous ?? "NORMAL"};`);
    this.#db.exec("PRAGMA foreign_keys = OFF; PRAGMA cache_size = -2000;");
    this.#db.exec(SCHEMA);
    for (const [table, column, type] of ADDED_COLUMNS) {
      const columns = this.#db.prepare(`PRAGMA table_info(${table})`).all() as Row[];
      if (!columns.some((c) => c.name === column)) {
        this.#db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
      }
    }
    this.#db.exec(INDEXES);
  }

  #q(sql: string): StatementSync {
    let s = this.#stmt.get(sql);
    if (!s) {
      s = this.#db.prepare(sql);
      this.#stmt.set(sql, s);
    }
    return s;
  }

  /** A transaction; nested, a savepoint, so that an inner failure undoes only the inner part. */
  transaction<T>(fn: () => T): T {
    const nested = this.#depth > 0;
    this.#q(nested ? "SAVEPOINT nested" : "BEGIN IMMEDIATE").run();
    this.#depth++;
    try {
      const result = fn();
      this.#q(nested ? "RELEASE nested" : "COMMIT").run();
      return result;
    } catch (e) {
      this.#queues.clear(); // it may hold what was rolled back
      try {
        if (nested) {
          this.#q("ROLLBACK TO nested").run();
          this.#q("RELEASE nested").run();
        } else this.#q("ROLLBACK").run();
      } catch {
        // a failed COMMIT may have rolled back already; the original error is the one to report
      }
      throw e;
    } finally {
      this.#depth--;
    }
  }

  addQueue(q: QueueRecord): boolean {
    try {
      this.#q(
        `INSERT INTO queues (recipient_id, recipient_keys, rcv_dh_secret, sender_id, sender_key, queue_mode,
          link_id, link_fixed, link_user, notifier_id, notifier_key, rcv_ntf_dh_secret, status, blocked_info, updated_at,
          ntf_service_id, rcv_service_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        q.recipientId,
        encodeKeys(q.recipientKeys),
        q.rcvDhSecret,
        q.senderId,
        q.senderKey ? encodePublicKeyDer(q.senderKey) : null,
        q.queueMode ?? null,
        q.link?.linkId ?? null,
        q.link?.data.fixedData ?? null,
        q.link?.data.userData ?? null,
        q.notifier?.notifierId ?? null,
        q.notifier ? encodePublicKeyDer(q.notifier.notifierKey) : null,
        q.notifier?.rcvNtfDhSecret ?? null,
        q.status.type,
        q.status.type === "blocked" ? encodeBlockingInfo(q.status.info) : null,
        q.updatedAt ?? null,
        q.notifier?.ntfServiceId ?? null,
        q.rcvServiceId ?? null,
      );
      return true;
    } catch (e) {
      if (isUniqueViolation(e) || this.#idInUse(q)) return false;
      throw e;
    }
  }

  /** Sender IDs, link IDs and notifier IDs share one namespace with recipient IDs upstream. */
  #idInUse(q: QueueRecord): boolean {
    return [q.recipientId, q.senderId, q.link?.linkId, q.notifier?.notifierId]
      .some((id) => id !== undefined && this.#anyParty(id));
  }

  #anyParty(id: Uint8Array): boolean {
    return (Object.keys(PARTY_COLUMN) as QueueParty[]).some((p) => this.getQueue(p, id) !== undefined);
  }

  getQueue(party: QueueParty, id: Uint8Array): QueueRecord | undefined {
    if (id.length === 0) return undefined;
    const cached = this.#queues.get(party, id);
    if (cached) return cached;
    const row = this.#q(`SELECT * FROM queues WHERE ${PARTY_COLUMN[party]} = ?`).get(id) as Row | undefined;
    if (!row) return undefined;
    const q = queueFromRow(row);
    this.#queues.set(party, id, q);
    return q;
  }

  setSenderKey(recipientId: Uint8Array, key: AuthPublicKey): void {
    this.#queues.forget(recipientId);
    this.#q("UPDATE queues SET sender_key = ? WHERE recipient_id = ?").run(
      encodePublicKeyDer(key),
      recipientId,
    );
  }

  setRecipientKeys(recipientId: Uint8Array, keys: readonly AuthPublicKey[]): void {
    this.#queues.forget(recipientId);
    this.#q("UPDATE queues SET recipient_keys = ? WHERE recipient_id = ?").run(encodeKeys(keys), recipientId);
  }

  setLink(recipientId: Uint8Array, linkId: Uint8Array, data: QueueLinkData): boolean {
    this.#queues.forget(recipientId);
    try {
      this.#q("UPDATE queues SET link_id = ?, link_fixed = ?, link_user = ? WHERE recipient_id = ?")
        .run(linkId, data.fixedData, data.userData, recipientId);
      return true;
    } catch (e) {
      if (isUniqueViolation(e)) return false;
      throw e;
    }
  }

  deleteLink(recipientId: Uint8Array): void {
    this.#queues.forget(recipientId);
    this.#q("UPDATE queues SET link_id = NULL, link_fixed = NULL, link_user = NULL WHERE recipient_id = ?")
      .run(recipientId);
  }

  setNotifier(recipientId: Uint8Array, n: NotifierCredentials): boolean {
    if (this.#anyParty(n.notifierId)) return false;
    const old = this.getQueue("recipient", recipientId)?.notifier;
    if (old) this.#q("DELETE FROM notifications WHERE notifier_id = ?").run(old.notifierId);
    this.#q(
      "UPDATE queues SET notifier_id = ?, notifier_key = ?, rcv_ntf_dh_secret = ?, ntf_service_id = NULL WHERE recipient_id = ?",
    )
      .run(n.notifierId, encodePublicKeyDer(n.notifierKey), n.rcvNtfDhSecret, recipientId);
    this.#queues.forget(recipientId);
    return true;
  }

  deleteNotifier(recipientId: Uint8Array): void {
    const old = this.getQueue("recipient", recipientId)?.notifier;
    if (old) this.#q("DELETE FROM notifications WHERE notifier_id = ?").run(old.notifierId);
    this.#q(
      "UPDATE queues SET notifier_id = NULL, notifier_key = NULL, rcv_ntf_dh_secret = NULL, ntf_service_id = NULL WHERE recipient_id = ?",
    ).run(recipientId);
    this.#queues.forget(recipientId);
  }

  getCreateService(candidate: ServiceRecord): Uint8Array {
    const row = this.#q("SELECT service_id, role FROM services WHERE cert_hash = ?").get(
      candidate.certHash,
    ) as
      | Row
      | undefined;
    if (row) {
      if (row.role !== candidate.role) {
        throw new ServiceRoleError("the certificate belongs to a service of another role");
      }
      return row.service_id as Uint8Array;
    }
    this.#q(
      "INSERT INTO services (service_id, role, cert_hash, cert_chain, created_at) VALUES (?, ?, ?, ?, ?)",
    )
      .run(
        candidate.serviceId,
        candidate.role,
        candidate.certHash,
        encodeChain(candidate.certChain),
        candidate.createdAt,
      );
    return candidate.serviceId;
  }

  *allServices(): Iterable<ServiceRecord> {
    for (const row of this.#q("SELECT * FROM services ORDER BY service_id").all() as Row[]) {
      yield {
        serviceId: row.service_id as Uint8Array,
        role: row.role as ServiceRecord["role"],
        certChain: decodeChain(row.cert_chain as Uint8Array),
        certHash: row.cert_hash as Uint8Array,
        createdAt: row.created_at as number,
      };
    }
  }

  setQueueService(
    recipientId: Uint8Array,
    side: "recipient" | "notifier",
    serviceId: Uint8Array | undefined,
  ): void {
    this.#queues.forget(recipientId);
    const column = side === "recipient" ? "rcv_service_id" : "ntf_service_id";
    this.#q(`UPDATE queues SET ${column} = ? WHERE recipient_id = ?`).run(serviceId ?? null, recipientId);
  }

  serviceNotifierCount(serviceId: Uint8Array): number {
    return (this.#q("SELECT count(*) AS n FROM queues WHERE ntf_service_id = ?").get(serviceId) as {
      n: number;
    }).n;
  }

  serviceCounts(): ServiceCounts {
    const row = this.#q(
      `SELECT (SELECT count(*) FROM services WHERE role = 'M') AS rcvServiceCount,
        (SELECT count(*) FROM services WHERE role = 'N') AS ntfServiceCount,
        (SELECT count(*) FROM queues WHERE rcv_service_id IS NOT NULL) AS rcvServiceQueuesCount,
        (SELECT count(*) FROM queues WHERE ntf_service_id IS NOT NULL) AS ntfServiceQueuesCount`,
    ).get() as unknown as ServiceCounts;
    return { ...row };
  }

  setStatus(recipientId: Uint8Array, status: QueueStatus): void {
    this.#queues.forget(recipientId);
    const info = status.type === "blocked" ? encodeBlockingInfo(status.info) : null;
    this.#q("UPDATE queues SET status = ?, blocked_info = ? WHERE recipient_id = ?").run(
      status.type,
      info,
      recipientId,
    );
  }

  setUpdatedAt(recipientId: Uint8Array, day: number): void {
    this.#queues.forget(recipientId);
    this.#q("UPDATE queues SET updated_at = ? WHERE recipient_id = ?").run(day, recipientId);
  }

  deleteQueue(recipientId: Uint8Array): void {
    const q = this.getQueue("recipient", recipientId);
    if (!q) return;
    if (q.notifier) this.#q("DELETE FROM notifications WHERE notifier_id = ?").run(q.notifier.notifierId);
    this.#q("DELETE FROM messages WHERE recipient_id = ?").run(recipientId);
    this.#q("DELETE FROM queues WHERE recipient_id = ?").run(recipientId);
    this.#queues.forget(recipientId);
  }

  /**
   * A queue's size and fullness are read from its messages, so that a message written or removed
   * touches no queue row: the queue is full from the QUOTA marker until it is drained.
   */
  writeMessage(recipientId: Uint8Array, m: StoredMessage & { kind: "message" }, quota: number): WriteResult {
    const { size, full } = this.#q(
      "SELECT count(*) AS size, max(quota) AS full FROM messages WHERE recipient_id = ?",
    ).get(recipientId) as { size: number; full: number | null };
    if (full) return { type: "quota" };
    const insert = this.#q(
      "INSERT INTO messages (recipient_id, msg_id, ts, quota, notification, body) VALUES (?, ?, ?, ?, ?, ?)",
    );
    if (size >= quota) {
      insert.run(recipientId, m.msgId, m.ts, 1, 0, null);
      return { type: "quota" };
    }
    insert.run(recipientId, m.msgId, m.ts, 0, m.notification ? 1 : 0, m.body);
    return { type: "written", message: m, wasEmpty: size === 0 };
  }

  peekMessage(recipientId: Uint8Array): StoredMessage | undefined {
    const row = this.#q("SELECT * FROM messages WHERE recipient_id = ? ORDER BY seq LIMIT 1").get(
      recipientId,
    ) as
      | Row
      | undefined;
    return row ? messageFromRow(row) : undefined;
  }

  deleteHead(recipientId: Uint8Array, msgId: Uint8Array): DeletedMessage | undefined {
    const row = this.#q(
      "SELECT seq, msg_id, ts, quota, notification FROM messages WHERE recipient_id = ? ORDER BY seq LIMIT 1",
    ).get(recipientId) as Row | undefined;
    if (!row || !bytesEqual(row.msg_id as Uint8Array, msgId)) return undefined;
    this.#deleteMessages([row.seq as number]);
    return {
      kind: row.quota ? "quota" : "message",
      msgId,
      ts: row.ts as number,
      notification: row.notification === 1,
    };
  }

  #deleteMessages(seqs: number[]): void {
    if (seqs.length === 0) return;
    const del = this.#q("DELETE FROM messages WHERE seq = ?");
    for (const seq of seqs) del.run(seq);
  }

  expireMessages(recipientId: Uint8Array, before: number): number {
    const rows = this.#q("SELECT seq, ts, quota FROM messages WHERE recipient_id = ? ORDER BY seq").all(
      recipientId,
    ) as Row[];
    const expired: number[] = [];
    for (const r of rows) {
      // expiry stops at the first message that is still fresh, and at a QUOTA marker
      if (r.quota || (r.ts as number) >= before) break;
      expired.push(r.seq as number);
    }
    this.#deleteMessages(expired);
    return expired.length;
  }

  expireAllMessages(before: number): number {
    const queues = this.#q("SELECT DISTINCT recipient_id FROM messages WHERE ts < ?").all(before) as Row[];
    let n = 0;
    for (const q of queues) n += this.expireMessages(q.recipient_id as Uint8Array, before);
    return n;
  }

  addNotification(n: StoredNotification): void {
    this.#q("INSERT INTO notifications (notifier_id, msg_id, ts, nonce, enc_meta) VALUES (?, ?, ?, ?, ?)")
      .run(n.notifierId, n.msgId, n.ts, n.nonce, n.encMeta);
  }

  takeNotifications(notifierId: Uint8Array): StoredNotification[] {
    const rows = this.#q("SELECT * FROM notifications WHERE notifier_id = ? ORDER BY seq").all(
      notifierId,
    ) as Row[];
    if (rows.length > 0) this.#q("DELETE FROM notifications WHERE notifier_id = ?").run(notifierId);
    return rows.map(notificationFromRow);
  }

  takeServiceNotifications(serviceId: Uint8Array): StoredNotification[] {
    const rows = this.#q(
      `SELECT n.* FROM notifications n JOIN queues q ON q.notifier_id = n.notifier_id
       WHERE q.ntf_service_id = ? ORDER BY n.seq`,
    ).all(serviceId) as Row[];
    if (rows.length > 0) {
      this.#q(
        "DELETE FROM notifications WHERE notifier_id IN (SELECT notifier_id FROM queues WHERE ntf_service_id = ?)",
      ).run(serviceId);
    }
    return rows.map(notificationFromRow);
  }

  expireNotifications(before: number): number {
    return Number(this.#q("DELETE FROM notifications WHERE ts < ?").run(before).changes);
  }

  queueSize(recipientId: Uint8Array): number {
    const row = this.#q("SELECT count(*) AS n FROM messages WHERE recipient_id = ?").get(recipientId);
    return (row as { n: number }).n;
  }

  queueCount(): number {
    return (this.#q("SELECT count(*) AS n FROM queues").get() as { n: number }).n;
  }

  notifierCount(): number {
    return (this.#q("SELECT count(*) AS n FROM queues WHERE notifier_id IS NOT NULL").get() as { n: number })
      .n;
  }

  notificationCount(): number {
    return (this.#q("SELECT count(*) AS n FROM notifications").get() as { n: number }).n;
  }

  messageCount(): number {
    return (this.#q("SELECT count(*) AS n FROM messages WHERE quota = 0").get() as { n: number }).n;
  }

  *allQueues(): Iterable<QueueRecord> {
    // a statement of its own: the cached one may be reset by a lookup while this one is iterated
    const rows = this.#db.prepare("SELECT * FROM queues ORDER BY recipient_id").iterate() as Iterable<Row>;
    for (const row of rows) yield queueFromRow(row);
  }

  allMessages(recipientId: Uint8Array): StoredMessage[] {
    const rows = this.#q("SELECT * FROM messages WHERE recipient_id = ? ORDER BY seq").all(
      recipientId,
    ) as Row[];
    return rows.map(messageFromRow);
  }

  importMessage(recipientId: Uint8Array, m: StoredMessage): void {
    const quota = m.kind === "quota";
    if (!this.#q("SELECT 1 FROM queues WHERE recipient_id = ?").get(recipientId)) {
      throw new Error("importMessage: no such queue");
    }
    this.#q(
      "INSERT INTO messages (recipient_id, msg_id, ts, quota, notification, body) VALUES (?, ?, ?, ?, ?, ?)",
    ).run(
      recipientId,
      m.msgId,
      m.ts,
      quota ? 1 : 0,
      m.kind === "message" && m.notification ? 1 : 0,
      m.kind === "message" ? m.body : null,
    );
  }

  *allNotifications(): Iterable<StoredNotification> {
    const rows = this.#db.prepare("SELECT * FROM notifications ORDER BY notifier_id, seq")
      .iterate() as Iterable<Row>;
    for (const r of rows) yield notificationFromRow(r);
  }

  close(): void {
    this.#stmt.clear();
    this.#db.close();
  }
}

function isUniqueViolation(e: unknown): boolean {
  return e instanceof Error && /UNIQUE constraint failed/.test(e.message);
}
