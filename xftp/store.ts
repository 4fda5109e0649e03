/**
 * File records in memory (Server/Store.hs `STMFileStore`, xftp.md §3.1): one record per chunk,
 * keyed by its sender ID, and a recipient index. Missing records are AUTH, as upstream answers;
 * an ID already taken is DUPLICATE_ so that the caller retries with a fresh one.
 */
import { encodeBase64Url } from "../core/encoding/base64.ts";
import type { PublicKey } from "../core/crypto/keys.ts";
import type { BlockingInfo, EntityStatus } from "../core/smp/errors.ts";

export type FileStatus = EntityStatus;

export interface FileInfo {
  readonly sndKey: PublicKey;
  readonly size: number;
  /** SHA-256 of the chunk */
  readonly digest: Uint8Array;
}

export interface FileRec {
  readonly senderId: Uint8Array;
  readonly info: FileInfo;
  /** seconds since the epoch, rounded down to the hour */
  readonly createdAt: number;
  status: FileStatus;
  /** set once the chunk is uploaded and committed */
  filePath?: string;
  /** b64u recipient IDs */
  readonly recipientIds: Set<string>;
}

export interface FileRecipient {
  readonly recipientId: Uint8Array;
  readonly key: PublicKey;
}

export type StoreError = "AUTH" | "DUPLICATE_";
export type StoreResult<T = void> = { ok: true; value: T } | { ok: false; error: StoreError };

const ok = <T>(value: T): StoreResult<T> => ({ ok: true, value });
const fail = (error: StoreError): StoreResult<never> => ({ ok: false, error });

export type FileParty = "sender" | "recipient";

/** Rounding of `createdAt` (`RoundedSystemTime 3600`). */
export const FILE_TIME_PRECISION = 3600;

export class FileStore {
  readonly files = new Map<string, FileRec>();
  readonly recipients = new Map<string, { readonly senderId: Uint8Array; readonly key: PublicKey }>();

  addFile(senderId: Uint8Array, info: FileInfo, createdAt: number, status: FileStatus): StoreResult {
    const id = encodeBase64Url(senderId);
    if (this.files.has(id)) return fail("DUPLICATE_");
    this.files.set(id, { senderId, info, createdAt, status, recipientIds: new Set() });
    return ok(undefined);
  }

  /** Records the committed chunk; a second upload or an inactive file is AUTH. */
  setFilePath(senderId: Uint8Array, path: string): StoreResult {
    const f = this.files.get(encodeBase64Url(senderId));
    if (!f || f.filePath !== undefined || f.status.type !== "active") return fail("AUTH");
    f.filePath = path;
    return ok(undefined);
  }

  addRecipient(senderId: Uint8Array, r: FileRecipient): StoreResult {
    const f = this.files.get(encodeBase64Url(senderId));
    if (!f) return fail("AUTH");
    const rId = encodeBase64Url(r.recipientId);
    if (f.recipientIds.has(rId) || this.recipients.has(rId)) return fail("DUPLICATE_");
    f.recipientIds.add(rId);
    this.recipients.set(rId, { senderId, key: r.key });
    return ok(undefined);
  }

  deleteFile(senderId: Uint8Array): StoreResult {
    const id = encodeBase64Url(senderId);
    const f = this.files.get(id);
    if (!f) return fail("AUTH");
    this.files.delete(id);
    for (const rId of f.recipientIds) this.recipients.delete(rId);
    return ok(undefined);
  }

  blockFile(senderId: Uint8Array, info: BlockingInfo): StoreResult {
    const f = this.files.get(encodeBase64Url(senderId));
    if (!f) return fail("AUTH");
    f.status = { type: "blocked", info };
    return ok(undefined);
  }

  /** The record and the key that authorizes `party` on it. */
  getFile(party: FileParty, id: Uint8Array): StoreResult<{ file: FileRec; key: PublicKey }> {
    if (party === "sender") {
      const file = this.files.get(encodeBase64Url(id));
      return file ? ok({ file, key: file.info.sndKey }) : fail("AUTH");
    }
    const r = this.recipients.get(encodeBase64Url(id));
    const file = r && this.files.get(encodeBase64Url(r.senderId));
    return r && file ? ok({ file, key: r.key }) : fail("AUTH");
  }

  ackFile(recipientId: Uint8Array): StoreResult {
    const rId = encodeBase64Url(recipientId);
    const r = this.recipients.get(rId);
    if (!r) return fail("AUTH");
    this.recipients.delete(rId);
    const f = this.files.get(encodeBase64Url(r.senderId));
    if (!f) return fail("AUTH");
    f.recipientIds.delete(rId);
    return ok(undefined);
  }

  /** Records created before `old` (seconds), as upstream compares: `createdAt + precision < old`. */
  expiredFiles(old: number): FileRec[] {
    return [...this.files.values()].filter((f) => f.createdAt + FILE_TIME_PRECISION < old);
  }

  /** The sum of the sizes of all records, uploaded or not (what the quota counts at start). */
  usedStorage(): number {
    let used = 0;
    for (const f of this.files.values()) used += f.info.size;
    return used;
  }

  get fileCount(): number {
    return this.files.size;
  }
}
