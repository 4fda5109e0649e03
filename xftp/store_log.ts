/**
 * The reference store log (`file-server-store.log`, Server/StoreLog.hs, xftp.md §3.2): one text
 * line per change, replayed into the memory store at start and then compacted. Compaction goes
 * through `<log>.start`, so that a crash while rewriting leaves the previous state to restore.
 */
import { decodeBase64Url, encodeBase64Url } from "../core/encoding/base64.ts";
import { utf8 } from "../core/encoding/bytes.ts";
import { str } from "../core/encoding/text.ts";
import { decodePublicKeyDer, encodePublicKeyDer, type PublicKey } from "../core/crypto/keys.ts";
import { type BlockingInfo, decodeBlockingInfo, encodeBlockingInfo } from "../core/smp/errors.ts";
import type { FileInfo, FileRecipient, FileStatus, FileStore } from "./store.ts";

export type StoreLogRecord =
  | {
    readonly type: "FNEW";
    readonly senderId: Uint8Array;
    readonly info: FileInfo;
    readonly createdAt: number;
    readonly status: FileStatus;
  }
  | { readonly type: "FPUT"; readonly senderId: Uint8Array; readonly path: string }
  | { readonly type: "FADD"; readonly senderId: Uint8Array; readonly recipients: readonly FileRecipient[] }
  | { readonly type: "FDEL"; readonly senderId: Uint8Array }
  | { readonly type: "FBLK"; readonly senderId: Uint8Array; readonly info: BlockingInfo }
  | { readonly type: "FACK"; readonly recipientId: Uint8Array };

const b64 = encodeBase64Url;
const key = (k: PublicKey) => b64(encodePublicKeyDer(k));

function encodeStatus(s: FileStatus): string {
  return s.type === "blocked" ? `blocked,${encodeBlockingInfo(s.info)}` : s.type;
}

export function encodeStoreLogRecord(r: StoreLogRecord): string {
  switch (r.type) {
    case "FNEW": {
      const { sndKey, size, digest } = r.info;
      return `FNEW ${b64(r.senderId)} ${key(sndKey)} ${size} ${b64(digest)} ${r.createdAt} ${
        encodeStatus(r.status)
      }`;
    }
    case "FPUT":
      // a String's text encoding is base64url of its bytes
      return `FPUT ${b64(r.senderId)} ${b64(utf8.encode(r.path))}`;
    case "FADD":
      return `FADD ${b64(r.senderId)} ${
        r.recipients.map((x) => `${b64(x.recipientId)}:${key(x.key)}`).join(",")
      }`;
    case "FDEL":
      return `FDEL ${b64(r.senderId)}`;
    case "FBLK":
      return `FBLK ${b64(r.senderId)} ${encodeBlockingInfo(r.info)}`;
    case "FACK":
      return `FACK ${b64(r.recipientId)}`;
  }
}

class LogLineError extends Error {}

function id(text: string | undefined): Uint8Array {
  if (text === undefined || !/^[A-Za-z0-9_-]+={0,2}$/.test(text)) throw new LogLineError("bad ID");
  return decodeBase64Url(text);
}

function publicKey(text: string | undefined): PublicKey {
  return decodePublicKeyDer(id(text));
}

function decodeStatus(text: string | undefined): FileStatus {
  if (text === undefined || text === "active") return { type: "active" };
  if (text === "off") return { type: "off" };
  const info = text.startsWith("blocked,") ? decodeBlockingInfo(text.slice(8)) : undefined;
  if (!info) throw new LogLineError("bad status");
  return { type: "blocked", info };
}

function decimal(text: string | undefined): number {
  if (text === undefined || !/^-?\d+$/.test(text)) throw new LogLineError("bad number");
  return Number(text);
}

/** Parses one line; undefined when it is not a store log record. */
export function decodeStoreLogRecord(line: string): StoreLogRecord | undefined {
  const [tag, ...f] = line.split(" ");
  try {
    switch (tag) {
      case "FNEW": {
        if (f.length < 5 || f.length > 6) return undefined;
        const info = { sndKey: publicKey(f[1]), size: decimal(f[2]), digest: id(f[3]) };
        return {
          type: "FNEW",
          senderId: id(f[0]),
          info,
          createdAt: decimal(f[4]),
          status: decodeStatus(f[5]),
        };
      }
      case "FPUT":
        return f.length === 2 ? { type: "FPUT", senderId: id(f[0]), path: utf8.decode(id(f[1])) } : undefined;
      case "FADD": {
        if (f.length !== 2) return undefined;
        const recipients = f[1].split(",").map((p) => {
          const [rId, rKey, ...rest] = p.split(":");
          if (rest.length > 0) throw new LogLineError("bad recipient");
          return { recipientId: id(rId), key: publicKey(rKey) };
        });
        return { type: "FADD", senderId: id(f[0]), recipients };
      }
      case "FDEL":
        return f.length === 1 ? { type: "FDEL", senderId: id(f[0]) } : undefined;
      case "FBLK": {
        const info = f.length === 2 ? decodeBlockingInfo(f[1]) : undefined;
        return info ? { type: "FBLK", senderId: id(f[0]), info } : undefined;
      }
      case "FACK":
        return f.length === 1 ? { type: "FACK", recipientId: id(f[0]) } : undefined;
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

/** Replays one record into the store; false when it does not apply (as upstream, it is skipped). */
export function applyStoreLogRecord(store: FileStore, r: StoreLogRecord): boolean {
  switch (r.type) {
    case "FNEW":
      return r.info.size > 0 && store.addFile(r.senderId, r.info, r.createdAt, r.status).ok;
    case "FPUT":
      return store.setFilePath(r.senderId, r.path).ok;
    case "FADD":
      return r.recipients.every((x) => store.addRecipient(r.senderId, x).ok);
    case "FDEL":
      return store.deleteFile(r.senderId).ok;
    case "FBLK":
      return store.blockFile(r.senderId, r.info).ok;
    case "FACK":
      return store.ackFile(r.recipientId).ok;
  }
}

/** The records that recreate the store's live state (`writeFileStore`). */
export function* storeSnapshot(store: FileStore): Generator<StoreLogRecord> {
  for (const f of store.files.values()) {
    yield { type: "FNEW", senderId: f.senderId, info: f.info, createdAt: f.createdAt, status: f.status };
    const recipients: FileRecipient[] = [];
    for (const rId of f.recipientIds) {
      const r = store.recipients.get(rId);
      if (r) recipients.push({ recipientId: decodeBase64Url(rId), key: r.key });
    }
    if (recipients.length > 0) yield { type: "FADD", senderId: f.senderId, recipients };
    if (f.filePath !== undefined) yield { type: "FPUT", senderId: f.senderId, path: f.filePath };
  }
}

/** An open store log: each record is one line, written before the change is acknowledged. */
export class StoreLog {
  #file: Deno.FsFile | undefined;

  constructor(readonly path: string, append = true) {
    this.#file = Deno.openSync(path, { write: true, create: true, append, truncate: !append, mode: 0o600 });
  }

  write(r: StoreLogRecord): void {
    const file = this.#file;
    if (!file) return;
    const bytes = utf8.encode(encodeStoreLogRecord(r) + "\n");
    for (let off = 0; off < bytes.length;) off += file.writeSync(bytes.subarray(off));
  }

  close(): void {
    this.#file?.close();
    this.#file = undefined;
  }
}

export interface StoreLogSummary {
  readonly lines: number;
  readonly skipped: number;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function replay(path: string, store: FileStore, log: (line: string) => void): StoreLogSummary {
  const lines = Deno.readTextFileSync(path).split("\n").filter((l) => l !== "");
  let skipped = 0;
  for (const line of lines) {
    const r = decodeStoreLogRecord(line.endsWith("\r") ? line.slice(0, -1) : line);
    if (r && applyStoreLogRecord(store, r)) continue;
    skipped++;
    // the record type only: lines hold IDs and keys
    log(`store log: skipped a ${r ? `${r.type} record that does not apply` : "malformed line"}`);
  }
  return { lines: lines.length, skipped };
}

/**
 * `readWriteStoreLog`: restores `<path>.start` if the last compaction crashed, replays the log into
 * the store, rewrites it with the live state and keeps the old one as `<path>.<ISO time>`.
 */
export function openStoreLog(
  path: string,
  store: FileStore,
  log: (line: string) => void = () => {},
  now: () => Date = () => new Date(),
): { storeLog: StoreLog; summary?: StoreLogSummary } {
  const start = `${path}.start`;
  if (exists(start)) {
    log(`store log: the server stopped while compacting; restoring ${start}`);
    if (exists(path)) Deno.renameSync(path, `${path}.bak`);
    Deno.renameSync(start, path);
  }
  let summary: StoreLogSummary | undefined;
  if (exists(path)) {
    summary = replay(path, store, log);
    Deno.renameSync(path, start);
  }
  const storeLog = new StoreLog(path, false);
  for (const r of storeSnapshot(store)) storeLog.write(r);
  if (summary) {
    Deno.renameSync(start, `${path}.${str.utcTime(now())}`);
    removeOldBackups(path, now());
  }
  return { storeLog, summary };
}

const DAY = 86_400_000;

/** Keeps backups from the last day, and at least 3 older ones; deletes those older than 21 days. */
export function removeOldBackups(path: string, now: Date): void {
  const slash = path.lastIndexOf("/");
  const dir = slash < 0 ? "." : path.slice(0, slash) || "/";
  const prefix = `${path.slice(slash + 1)}.`;
  const backups: { name: string; time: number }[] = [];
  for (const e of Deno.readDirSync(dir)) {
    if (!e.isFile || !e.name.startsWith(prefix)) continue;
    const time = Date.parse(e.name.slice(prefix.length));
    if (/^\d{4}-\d\d-\d\dT/.test(e.name.slice(prefix.length)) && !Number.isNaN(time)) {
      backups.push({ name: e.name, time });
    }
  }
  backups.sort((a, b) => a.time - b.time);
  const older = backups.filter((b) => b.time < now.getTime() - DAY);
  const candidates = older.slice(0, Math.max(0, older.length - 3));
  for (const b of candidates) {
    if (b.time < now.getTime() - 21 * DAY) Deno.removeSync(`${dir}/${b.name}`);
  }
}
