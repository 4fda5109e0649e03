/**
 * XFTP command processing (Server.hs `processRequest`/`processXFTPRequest`, xftp.md §2, §3.1): a
 * request block, already past the handshake, becomes a response block, plus the chunk file to
 * stream after it for FGET. Holds the store, the quota, the store log and the counters.
 */
import { encodeBase64Url } from "../core/encoding/base64.ts";
import { constantTimeEqual } from "../core/encoding/bytes.ts";
import { sha256 } from "../core/crypto/hash.ts";
import { dh, generateKeyPair, type PrivateKey, type PublicKey, randomBytes } from "../core/crypto/keys.ts";
import { dummyVerifySignature } from "../core/crypto/dummy_verify.ts";
import type { BlockingInfo } from "../core/smp/errors.ts";
import {
  type AuthPublicKey,
  decodeCommandBlock,
  encodeResponseBlock,
  type FileCommand,
  type FileResponse,
  type SimpleXftpErrorType,
  verifyAuthorization,
  XFTP_BLOCK_SIZE,
  xftpError,
} from "../core/xftp/mod.ts";
import type { RequestBody } from "./body.ts";
import { commitChunk, receiveChunk } from "./chunk_files.ts";
import { FILE_TIME_PRECISION, type FileRec, FileStore } from "./store.ts";
import type { StoreLog } from "./store_log.ts";
import { FileServerStats } from "./stats.ts";

/** Chunk sizes a server accepts (`serverChunkSizes`): 64 KiB, 256 KiB, 1 MiB, 4 MiB. */
export const SERVER_CHUNK_SIZES: readonly number[] = [64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024];
/** Random sender and recipient IDs (`fileIdSize`). */
export const FILE_ID_SIZE = 16;
export const DEFAULT_FILE_TIMEOUT = 5 * 60_000;

export interface FileServerOptions {
  /** `[FILES] path` */
  readonly filesPath: string;
  readonly store?: FileStore;
  readonly storeLog?: StoreLog;
  readonly stats?: FileServerStats;
  /** bytes; unset: no quota */
  readonly storageQuota?: number;
  readonly allowNewFiles?: boolean;
  /** `[AUTH] create_password` */
  readonly createPassword?: Uint8Array;
  readonly allowedChunkSizes?: readonly number[];
  /** milliseconds to receive an FPUT body; default 5 minutes */
  readonly fileTimeout?: number;
  /** the clock, in milliseconds since the epoch (tests) */
  readonly now?: () => number;
  readonly log?: (line: string) => void;
}

/** One request as the command processor needs it. */
export interface FileRequest {
  readonly sessionId: Uint8Array;
  /** the negotiated version (1 for legacy connections without a handshake) */
  readonly version: number;
  /** the connection's handshake DH key, for X25519 authenticators */
  readonly serverDhKey?: PrivateKey<"X25519">;
  /** the first 16384 bytes of the request body (shorter when the body was) */
  readonly head: Uint8Array;
  readonly body: RequestBody;
}

/** What FGET streams after the response block. */
export interface ChunkDownload {
  readonly path: string;
  readonly size: number;
  readonly key: Uint8Array;
  readonly nonce: Uint8Array;
}

export interface FileReply {
  readonly block: Uint8Array;
  readonly download?: ChunkDownload;
  /** the client stalled sending its body: end the request instead of reading the rest */
  readonly abandonBody?: boolean;
}

const EMPTY = new Uint8Array(0);

export class FileServer {
  readonly store: FileStore;
  readonly stats: FileServerStats;
  usedStorage: number;
  readonly #o: FileServerOptions;

  constructor(options: FileServerOptions) {
    this.#o = options;
    this.store = options.store ?? new FileStore();
    this.stats = options.stats ?? new FileServerStats();
    this.usedStorage = this.store.usedStorage();
    this.stats.counters.filesCount = [...this.store.files.values()].filter((f) => f.filePath).length;
    this.stats.counters.filesSize = [...this.store.files.values()].reduce(
      (n, f) => n + (f.filePath ? f.info.size : 0),
      0,
    );
  }

  now(): number {
    return this.#o.now?.() ?? Date.now();
  }

  /** A request block (and body) to the response block, as `processRequest` does. */
  async process(req: FileRequest): Promise<FileReply> {
    const respond = (
      corrId: Uint8Array,
      entityId: Uint8Array,
      r: FileResponse,
      download?: ChunkDownload,
    ) => ({
      block: encodeResponseBlock(req.version, req.sessionId, corrId, entityId, r),
      download,
      abandonBody: r.type === "ERR" && r.error.type === "TIMEOUT",
    });
    if (req.head.length !== XFTP_BLOCK_SIZE) return respond(EMPTY, EMPTY, err("BLOCK"));
    const t = decodeCommandBlock(req.head, req.sessionId);
    if (!t.ok) return respond(t.corrId, t.entityId, { type: "ERR", error: t.error });
    const auth = { authorization: t.authorization, authorized: t.authorized, corrId: t.corrId };
    const cmd = t.command;
    if (cmd.type === "PING") return respond(t.corrId, t.entityId, { type: "PONG" });
    if (cmd.type === "FNEW") {
      const r = verifyAuthorization(cmd.sndKey, auth, req.serverDhKey) ? this.#createFile(cmd) : err("AUTH");
      return respond(t.corrId, t.entityId, r);
    }
    const party = cmd.type === "FGET" || cmd.type === "FACK" ? "recipient" : "sender";
    const found = this.store.getFile(party, t.entityId);
    if (!found.ok || found.value.file.status.type === "off") {
      dummyVerifySignature(auth.authorized, auth.authorization);
      return respond(t.corrId, t.entityId, err("AUTH"));
    }
    const { file, key } = found.value;
    if (file.status.type === "blocked") {
      return respond(t.corrId, t.entityId, {
        type: "ERR",
        error: { type: "BLOCKED", info: file.status.info },
      });
    }
    if (!verifyAuthorization(key as AuthPublicKey, auth, req.serverDhKey)) {
      return respond(t.corrId, t.entityId, err("AUTH"));
    }
    const [r, download] = await this.#fileCommand(cmd, file, t.entityId, req.body);
    return respond(t.corrId, t.entityId, r, download);
  }

  async #fileCommand(
    cmd: FileCommand,
    file: FileRec,
    entityId: Uint8Array,
    body: RequestBody,
  ): Promise<[FileResponse, ChunkDownload?]> {
    switch (cmd.type) {
      case "FADD": {
        const ids = this.#addRecipients(file.senderId, cmd.rcvKeys);
        return [ids ? { type: "RIDS", recipientIds: ids } : err("INTERNAL")];
      }
      case "FPUT":
        return [await this.#receiveFile(file, body)];
      case "FDEL":
        return [this.deleteFile(file)];
      case "FGET":
        return this.#sendFile(file, cmd.dhKey);
      case "FACK":
        this.#o.storeLog?.write({ type: "FACK", recipientId: entityId });
        this.store.ackFile(entityId);
        this.stats.inc("fileDownloadAcks");
        return [{ type: "OK" }];
      default:
        return [err("INTERNAL")];
    }
  }

  #createFile(cmd: Extract<FileCommand, { type: "FNEW" }>): FileResponse {
    const o = this.#o;
    const password = o.createPassword;
    const allowed = (o.allowNewFiles ?? true) &&
      (password === undefined ||
        (cmd.basicAuth !== undefined && constantTimeEqual(sha256(cmd.basicAuth), sha256(password))));
    if (!allowed) return err("AUTH");
    if (!(o.allowedChunkSizes ?? SERVER_CHUNK_SIZES).includes(cmd.size)) return err("SIZE");
    const createdAt = Math.floor(this.now() / 1000 / FILE_TIME_PRECISION) * FILE_TIME_PRECISION;
    const info = { sndKey: cmd.sndKey, size: cmd.size, digest: cmd.digest };
    const senderId = retryAdd((id) => this.store.addFile(id, info, createdAt, { type: "active" }).ok);
    if (!senderId) return err("INTERNAL");
    o.storeLog?.write({ type: "FNEW", senderId, info, createdAt, status: { type: "active" } });
    const recipientIds = this.#addRecipients(senderId, cmd.rcvKeys);
    if (!recipientIds) return err("INTERNAL");
    this.stats.inc("filesCreated");
    return { type: "SIDS", senderId, recipientIds };
  }

  #addRecipients(senderId: Uint8Array, keys: readonly PublicKey[]): Uint8Array[] | undefined {
    const recipients = [];
    for (const key of keys) {
      const recipientId = retryAdd((id) => this.store.addRecipient(senderId, { recipientId: id, key }).ok);
      if (!recipientId) return undefined;
      recipients.push({ recipientId, key });
    }
    this.#o.storeLog?.write({ type: "FADD", senderId, recipients });
    this.stats.inc("fileRecipients", keys.length);
    return recipients.map((r) => r.recipientId);
  }

  async #receiveFile(file: FileRec, body: RequestBody): Promise<FileResponse> {
    const { size, digest } = file.info;
    // a committed chunk never changes; the body is still read, or the client would block sending it
    if (file.filePath !== undefined) return (await body.drain()) === size ? { type: "OK" } : err("SIZE");
    const quota = this.#o.storageQuota ?? Infinity;
    if (this.usedStorage + size > quota) return err("QUOTA");
    this.usedStorage += size;
    const path = `${this.#o.filesPath}/${encodeBase64Url(file.senderId)}`;
    const r = await receiveChunk(body, {
      path,
      size,
      digest,
      timeout: this.#o.fileTimeout ?? DEFAULT_FILE_TIMEOUT,
    });
    if (!r.ok) {
      this.usedStorage -= size;
      return err(r.error);
    }
    if (file.filePath !== undefined) {
      // a concurrent upload of the same chunk committed first; same digest, same bytes
      this.usedStorage -= size;
      await Deno.remove(r.tmpPath).catch(() => {});
      return { type: "OK" };
    }
    if (!this.store.setFilePath(file.senderId, path).ok) {
      // deleted or blocked while uploading
      this.usedStorage -= size;
      await Deno.remove(r.tmpPath).catch(() => {});
      return err("AUTH");
    }
    commitChunk(r.tmpPath, path);
    this.#o.storeLog?.write({ type: "FPUT", senderId: file.senderId, path });
    this.stats.inc("filesUploaded");
    this.stats.inc("filesCount");
    this.stats.inc("filesSize", size);
    return { type: "OK" };
  }

  #sendFile(file: FileRec, clientKey: PublicKey<"X25519">): [FileResponse, ChunkDownload?] {
    const path = file.filePath;
    if (path === undefined) return [err("NO_FILE")];
    try {
      Deno.statSync(path);
    } catch {
      return [err("AUTH")];
    }
    const { publicKey, privateKey } = generateKeyPair("X25519");
    const nonce = randomBytes(24);
    this.stats.inc("fileDownloads");
    this.stats.filesDownloaded.add(file.senderId);
    return [
      { type: "FILE", dhKey: publicKey, nonce },
      { path, size: file.info.size, key: dh(clientKey, privateKey), nonce },
    ];
  }

  /** FDEL and the control port's `delete`: the record, its recipients and the chunk file. */
  deleteFile(file: FileRec): FileResponse {
    this.#o.storeLog?.write({ type: "FDEL", senderId: file.senderId });
    return this.#removeFile(file, "filesDeleted", () => this.store.deleteFile(file.senderId).ok);
  }

  /** The control port's `block`: the chunk file goes, the record stays with ERR BLOCKED. */
  blockFile(file: FileRec, info: BlockingInfo): FileResponse {
    this.#o.storeLog?.write({ type: "FBLK", senderId: file.senderId, info });
    return this.#removeFile(file, "filesBlocked", () => this.store.blockFile(file.senderId, info).ok);
  }

  #removeFile(file: FileRec, counter: "filesDeleted" | "filesBlocked", update: () => boolean): FileResponse {
    if (file.filePath !== undefined) {
      try {
        Deno.removeSync(file.filePath);
        this.stats.inc("filesCount", -1);
        this.stats.inc("filesSize", -file.info.size);
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) return err("FILE_IO");
      }
    }
    if (!update()) return err("AUTH");
    if (file.filePath !== undefined) this.usedStorage -= file.info.size;
    this.stats.inc(counter);
    return { type: "OK" };
  }

  /** Deletes files older than `ttl` seconds (`expireServerFiles`); returns how many. */
  expireFiles(ttl: number): number {
    const old = Math.floor(this.now() / 1000) - ttl;
    const expired = this.store.expiredFiles(old);
    for (const f of expired) {
      if (f.filePath !== undefined) {
        try {
          Deno.removeSync(f.filePath);
        } catch {
          // already gone
        }
        this.usedStorage -= f.info.size;
        this.stats.inc("filesCount", -1);
        this.stats.inc("filesSize", -f.info.size);
      }
      this.#o.storeLog?.write({ type: "FDEL", senderId: f.senderId });
      this.store.deleteFile(f.senderId);
      this.stats.inc("filesExpired");
    }
    if (expired.length > 0) this.#o.log?.(`expired ${expired.length} files`);
    return expired.length;
  }
}

function err(type: SimpleXftpErrorType): FileResponse {
  return { type: "ERR", error: xftpError(type) };
}

/** Tries fresh random IDs up to 3 times (`retryAdd`). */
function retryAdd(add: (id: Uint8Array) => boolean): Uint8Array | undefined {
  for (let i = 0; i < 3; i++) {
    const id = randomBytes(FILE_ID_SIZE);
    if (add(id)) return id;
  }
  return undefined;
}
