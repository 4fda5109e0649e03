/**
 * Sending, receiving and deleting whole files over XFTP (xftp.md §4): encrypt the file with a
 * random key, cut it into chunks, spread them over servers, and describe the result; or fetch
 * the chunks a description names, verify every digest, and decrypt. Memory stays bounded by a
 * few chunks whatever the file size; a received file appears under its final name only after
 * the whole-file digest and the tag have verified.
 */
import { basename, join } from "node:path";
import { generateKeyPair, type PrivateKey, randomBytes, type SignatureAlgorithm } from "../crypto/keys.ts";
import { bytesEqual } from "../encoding/bytes.ts";
import { decryptFile, encryptFile, MAX_FILE_SIZE, planFile } from "./file.ts";
import {
  createFileDescriptions,
  type FileDescription,
  parseValidFileDescription,
  type SentChunk,
} from "./description.ts";
import { type XftpServer } from "./server.ts";
import { XftpClient, XftpClientError } from "./client.ts";
import { allSettled } from "../async.ts";

export interface XftpServerWithAuth {
  readonly server: XftpServer;
  readonly basicAuth?: string;
}

export type Progress = (done: number, total: number) => void;

/** Chunk downloads in flight at once (each holds up to 4 MiB). */
const DOWNLOADS_AT_ONCE = 2;
/** Downloaded chunks that may wait for the decryption, which runs behind the downloads (each up to 4 MiB). */
const DOWNLOADED_AHEAD = 2;
/** FACK requests in flight at once (the reference CLI downloads 16 chunks at a time). */
const ACKS_AT_ONCE = 16;
/** Chunk uploads in flight while the next chunk is encrypted (each holds up to 4 MiB). */
const UPLOADS_AHEAD = 2;
/** FPUT bodies go to HTTP/2 in pieces of this size, each written once the previous one was taken. */
const UPLOAD_PIECE = 256 * 1024;
/** Reads and writes of the plaintext file: large, for few system calls. */
const FILE_IO_SIZE = 1 << 20;

export class XftpAgentError extends Error {
  override name = "XftpAgentError";
}

/** One connection per server, reconnected after a failure. */
class Connections {
  readonly #clients = new Map<string, Promise<XftpClient>>();

  key(s: XftpServer): string {
    return `${s.hosts.join(",")}:${s.port ?? 443}`;
  }

  get(server: XftpServer): Promise<XftpClient> {
    const k = this.key(server);
    let c = this.#clients.get(k);
    if (!c) {
      c = XftpClient.connect(server);
      this.#clients.set(k, c);
      c.catch(() => this.#clients.delete(k));
    }
    return c;
  }

  /** Closes the server's connection; given `failed`, only if it is still that one (requests run side by side). */
  async drop(server: XftpServer, failed?: Promise<XftpClient>): Promise<void> {
    const k = this.key(server);
    const c = this.#clients.get(k);
    if (failed && c !== failed) return;
    this.#clients.delete(k);
    await c?.then((c) => c.close()).catch(() => {});
  }

  async closeAll(): Promise<void> {
    const all = [...this.#clients.values()];
    this.#clients.clear();
    await Promise.allSettled(all.map(async (c) => (await c).close()));
  }

  /** Runs `action` on the server's connection, reconnecting and retrying up to `retries` times. */
  async withRetry<T>(server: XftpServer, retries: number, action: (c: XftpClient) => Promise<T>): Promise<T> {
    let last: unknown;
    for (let attempt = 0; attempt < Math.max(1, retries); attempt++) {
      const client = this.get(server);
      try {
        return await action(await client);
      } catch (e) {
        last = e;
        // a protocol refusal (AUTH, SIZE, DIGEST…) will not change on retry
        if (
          e instanceof XftpClientError && e.error && e.error.type !== "SESSION" &&
          e.error.type !== "HANDSHAKE"
        ) throw e;
        await this.drop(server, client);
      }
    }
    throw last;
  }
}

export interface SendOptions {
  readonly servers: readonly XftpServerWithAuth[];
  readonly recipients: number;
  readonly retries: number;
  /** unused: the encrypted file passes through memory, a few chunks at a time (kept for callers) */
  readonly tmpDir: string;
  readonly onEncrypted?: () => void;
  readonly onProgress?: Progress;
}

export interface SentFile {
  readonly sender: FileDescription;
  readonly recipients: FileDescription[];
}

/**
 * Encrypts and uploads `path`; returns the sender description and one per recipient. Each chunk
 * is sent (FNEW, then FPUT) as soon as it is encrypted, while the next ones are encrypted, with
 * at most UPLOADS_AHEAD chunks in flight: memory holds a few chunks whatever the file size.
 */
export async function sendFile(path: string, o: SendOptions): Promise<SentFile> {
  if (o.servers.length === 0) throw new XftpAgentError("no XFTP servers to send to");
  if (o.recipients < 1 || o.recipients > 200) {
    throw new XftpAgentError("the number of recipients must be 1-200");
  }
  const fileSize = (await Deno.stat(path)).size;
  if (fileSize > MAX_FILE_SIZE) throw new XftpAgentError("Files bigger than 1gb are not supported");
  const key = randomBytes(32);
  const nonce = randomBytes(24);
  const header = { fileName: basename(path) };
  const { chunkSizes, encSize } = planFile(header, fileSize);
  const connections = new Connections();
  const uploads = new ChunkUploads();
  const sent: SentChunk[] = [];
  let uploaded = 0;
  try {
    const buffers = new BufferPool(UPLOADS_AHEAD + 1, chunkSizes[0]);
    let chunk = buffers.take(chunkSizes[0]);
    let filled = 0;
    const encrypted = await encryptFile(readFile(path), { key, nonce, fileSize, header }, (piece) => {
      chunk.set(piece, filled);
      filled += piece.length;
    }, async (index, digest) => {
      const bytes = chunk;
      const target = o.servers[Math.floor(Math.random() * o.servers.length)];
      await uploads.add(async () => {
        try {
          sent.push({ chunkNo: index + 1, ...await uploadChunk(connections, o, target, bytes, digest) });
        } finally {
          buffers.give(bytes);
        }
        uploaded += bytes.length;
        o.onProgress?.(uploaded, encSize);
      });
      if (index + 1 < chunkSizes.length) chunk = await buffers.takeWhenFree(chunkSizes[index + 1]);
      filled = 0;
    });
    o.onEncrypted?.();
    await uploads.done();
    sent.sort((a, b) => a.chunkNo - b.chunkNo);
    return createFileDescriptions(
      { size: encrypted.size, digest: encrypted.digest, key, nonce, chunkSize: encrypted.chunkSizes[0] },
      sent,
    );
  } finally {
    await uploads.settled();
    await connections.closeAll();
  }
}

/** FNEW with fresh keys, then FPUT of the chunk, on the target server. */
async function uploadChunk(
  connections: Connections,
  o: SendOptions,
  target: XftpServerWithAuth,
  bytes: Uint8Array,
  digest: Uint8Array,
): Promise<Omit<SentChunk, "chunkNo">> {
  const sender = generateKeyPair("Ed25519");
  const recipients = Array.from({ length: o.recipients }, () => generateKeyPair("Ed25519"));
  const server = target.server;
  const ids = await connections.withRetry(
    server,
    o.retries,
    (x) =>
      x.createChunk(
        sender.privateKey,
        sender.publicKey,
        recipients.map((r) => r.publicKey),
        bytes.length,
        digest,
        target.basicAuth,
      ),
  );
  await connections.withRetry(
    server,
    o.retries,
    (x) => x.uploadChunk(sender.privateKey, ids.senderId, () => slices(bytes, UPLOAD_PIECE)),
  );
  return {
    chunkSize: bytes.length,
    digest,
    server,
    senderId: ids.senderId,
    senderKey: sender.privateKey,
    recipients: ids.recipientIds.map((id, i) => ({ id, key: recipients[i].privateKey })),
  };
}

/** Chunk uploads running concurrently, at most UPLOADS_AHEAD; the first failure fails the rest. */
class ChunkUploads {
  readonly #running = new Set<Promise<void>>();
  #failure: { error: unknown } | undefined;

  /** Starts `upload` once fewer than UPLOADS_AHEAD run; throws the failure of an earlier one. */
  async add(upload: () => Promise<void>): Promise<void> {
    while (this.#running.size >= UPLOADS_AHEAD && !this.#failure) await Promise.race(this.#running);
    this.#throwFailure();
    const p: Promise<void> = upload().catch((error) => void (this.#failure ??= { error })).finally(() =>
      this.#running.delete(p)
    );
    this.#running.add(p);
  }

  async done(): Promise<void> {
    await this.settled();
    this.#throwFailure();
  }

  async settled(): Promise<void> {
    while (this.#running.size > 0) await Promise.all(this.#running);
  }

  #throwFailure(): void {
    if (this.#failure) throw this.#failure.error;
  }
}

/** Views of `bytes`, written one after another: HTTP/2 frames a piece at a time, not a whole chunk. */
function* slices(bytes: Uint8Array, size: number): Generator<Uint8Array> {
  for (let off = 0; off < bytes.length; off += size) yield bytes.subarray(off, off + size);
}

/** A few chunk-sized buffers, made as needed and reused, so that a large file does not churn 4 MiB allocations. */
class BufferPool {
  readonly #free: Uint8Array[] = [];
  readonly #waiters: (() => void)[] = [];
  #made = 0;

  constructor(readonly count: number, readonly size: number) {}

  /** A buffer of `length` (at most `size`) bytes; the caller keeps to at most `count` taken at once. */
  take(length: number): Uint8Array {
    let buffer = this.#free.pop();
    if (!buffer) {
      if (this.#made === this.count) throw new Error("buffer pool exhausted");
      this.#made++;
      buffer = new Uint8Array(this.size);
    }
    return buffer.subarray(0, length);
  }

  async takeWhenFree(length: number): Promise<Uint8Array> {
    while (this.#free.length === 0 && this.#made === this.count) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    return this.take(length);
  }

  give(bytes: Uint8Array): void {
    this.#free.push(new Uint8Array(bytes.buffer, 0, this.size));
    this.#waiters.shift()?.();
  }
}

/** The file in large reads into one buffer: each piece is consumed before the next read. */
async function* readFile(path: string): AsyncGenerator<Uint8Array> {
  using file = await Deno.open(path, { read: true });
  const buffer = new Uint8Array(FILE_IO_SIZE);
  for (let n = await file.read(buffer); n !== null; n = await file.read(buffer)) yield buffer.subarray(0, n);
}

export interface ReceiveOptions {
  readonly retries: number;
  /** unused: the encrypted file passes through memory, a few chunks at a time (kept for callers) */
  readonly tmpDir: string;
  /** where to save: the file is named by the sender's file name, made unique */
  readonly outputDir: string;
  /** told of each chunk downloaded and verified (its decryption into the file follows) */
  readonly onProgress?: Progress;
}

/**
 * Downloads, verifies and decrypts; returns the path of the saved file. Chunks are fetched a few
 * ahead and decrypted in order as they arrive, into a hidden file that takes its final name only
 * once the whole-file SHA-512 and the tag have verified.
 */
export async function receiveFile(fd: FileDescription, o: ReceiveOptions, depth = 0): Promise<string> {
  if (fd.party !== "recipient") throw new XftpAgentError("a recipient file description is needed to receive");
  const connections = new Connections();
  try {
    const chunks = downloadChunks(connections, fd, o);
    if (fd.redirect) {
      if (depth > 0) throw new XftpAgentError("Redirect chain too long");
      const yaml = await decryptToMemory(chunks, fd);
      const inner = parseValidFileDescription(new TextDecoder().decode(yaml), "recipient");
      if (!inner.ok) throw new XftpAgentError(`Redirect: invalid file description: ${inner.error}`);
      if (inner.value.size !== fd.redirect.size || !bytesEqual(inner.value.digest, fd.redirect.digest)) {
        throw new XftpAgentError("Redirect: the file description does not match");
      }
      const path = await receiveFile(inner.value, o, depth + 1);
      await ackChunks(connections, fd, o.retries);
      return path;
    }
    const path = await decryptToOutput(chunks, fd, o.outputDir);
    await ackChunks(connections, fd, o.retries);
    return path;
  } finally {
    await connections.closeAll();
  }
}

/**
 * The described chunks in order, each verified (transit tag and SHA-256) by the client. Downloads
 * go on while the consumer decrypts: DOWNLOADS_AT_ONCE are in flight, and up to DOWNLOADED_AHEAD
 * finished ones wait for the consumer, so neither the connection nor the decryption idles.
 */
async function* downloadChunks(
  connections: Connections,
  fd: FileDescription,
  o: ReceiveOptions,
): AsyncGenerator<Uint8Array> {
  // every chunk but perhaps the last has the first one's size
  const buffers = new BufferPool(DOWNLOADS_AT_ONCE + DOWNLOADED_AHEAD + 1, fd.chunks[0]?.chunkSize ?? 0);
  const fetch = async (chunk: (typeof fd.chunks)[number]): Promise<{ data: Uint8Array; pooled: boolean }> => {
    const replica = chunk.replicas[0];
    if (!replica) throw new XftpAgentError(`chunk ${chunk.chunkNo} has no replicas`);
    const into = chunk.chunkSize <= buffers.size ? buffers.take(chunk.chunkSize) : undefined;
    try {
      const data = await connections.withRetry(
        replica.server,
        o.retries,
        (c) =>
          c.downloadChunk(
            replica.replicaKey as PrivateKey<SignatureAlgorithm>,
            replica.replicaId,
            chunk.chunkSize,
            chunk.digest,
            into,
          ),
      );
      return { data, pooled: into !== undefined };
    } catch (e) {
      if (into) buffers.give(into);
      throw e;
    }
  };
  // a queue in chunk order, so that a consumed chunk is no longer referenced
  const requested: Promise<{ data: Uint8Array; pooled: boolean }>[] = [];
  let next = 0;
  let consumed = 0;
  let downloading = 0;
  let downloaded = 0;
  let stopped = false;
  const request = () => {
    while (
      !stopped && next < fd.chunks.length && downloading < DOWNLOADS_AT_ONCE &&
      next - consumed < DOWNLOADS_AT_ONCE + DOWNLOADED_AHEAD
    ) {
      downloading++;
      const p = fetch(fd.chunks[next++]);
      p.then(({ data }) => {
        downloaded += data.length;
        o.onProgress?.(downloaded, fd.size);
      }, () => {}).finally(() => {
        downloading--;
        request();
      });
      requested.push(p);
    }
  };
  try {
    for (let i = 0; i < fd.chunks.length; i++) {
      request();
      const { data, pooled } = await requested.shift()!;
      consumed++;
      yield data;
      // the consumer is done with it: it asked for the next one
      if (pooled) buffers.give(data);
    }
  } finally {
    stopped = true;
  }
}

/** FACK for every chunk, up to ACKS_AT_ONCE at a time: each is a round trip, and HTTP/2 runs them side by side. */
async function ackChunks(connections: Connections, fd: FileDescription, retries: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < fd.chunks.length) {
      const r = fd.chunks[next++].replicas[0];
      await connections.withRetry(
        r.server,
        retries,
        (c) => c.ackChunk(r.replicaKey as PrivateKey<SignatureAlgorithm>, r.replicaId),
      );
    }
  };
  await allSettled(Array.from({ length: Math.min(ACKS_AT_ONCE, fd.chunks.length) }, worker));
}

async function decryptToMemory(chunks: AsyncIterable<Uint8Array>, fd: FileDescription): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const r = await decryptFile(chunks, {
    key: fd.key,
    nonce: fd.nonce,
    size: fd.size,
    digest: fd.digest,
  }, (p) => {
    parts.push(p.slice());
  });
  if (!r.ok) throw new XftpAgentError(`Error decrypting file: ${r.error}`);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Decrypts into a temporary file beside the destination and renames it only once verified. */
async function decryptToOutput(
  chunks: AsyncIterable<Uint8Array>,
  fd: FileDescription,
  outputDir: string,
): Promise<string> {
  await Deno.mkdir(outputDir, { recursive: true });
  const partial = await Deno.makeTempFile({ dir: outputDir, prefix: ".xftp-", suffix: ".partial" });
  let result;
  try {
    // no O_TRUNC on the new, empty file: after one, ext4 (auto_da_alloc) flushes the whole file
    // to disk on close, which took 40 ms for 100 MiB
    const output = await Deno.open(partial, { write: true });
    try {
      const writer = new BufferedWriter(output, FILE_IO_SIZE);
      result = await decryptFile(chunks, {
        key: fd.key,
        nonce: fd.nonce,
        size: fd.size,
        digest: fd.digest,
      }, (p) => writer.write(p));
      await writer.flush();
    } finally {
      output.close();
    }
  } catch (e) {
    await Deno.remove(partial).catch(() => {});
    throw e;
  }
  if (!result.ok) {
    await Deno.remove(partial).catch(() => {});
    throw new XftpAgentError(`Error decrypting file: ${result.error}`);
  }
  const path = await uniquePath(outputDir, safeFileName(result.header.fileName));
  await Deno.rename(partial, path);
  return path;
}

/** Collects small pieces into large writes. */
class BufferedWriter {
  readonly #buffer: Uint8Array;
  #length = 0;

  constructor(readonly file: Deno.FsFile, size: number) {
    this.#buffer = new Uint8Array(size);
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.#length + bytes.length > this.#buffer.length) await this.flush();
    if (bytes.length >= this.#buffer.length) return await writeAll(this.file, bytes);
    this.#buffer.set(bytes, this.#length);
    this.#length += bytes.length;
  }

  async flush(): Promise<void> {
    await writeAll(this.file, this.#buffer.subarray(0, this.#length));
    this.#length = 0;
  }
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.length;) off += await file.write(bytes.subarray(off));
}

/** A file name from a description cannot climb out of the output directory. */
function safeFileName(name: string): string {
  const base = basename(name.replaceAll("\\", "/"));
  return base === "" || base === "." || base === ".." ? "file" : base;
}

export async function uniquePath(dir: string, name: string): Promise<string> {
  const dot = name.lastIndexOf(".");
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ""];
  for (let i = 0;; i++) {
    const candidate = join(dir, i === 0 ? name : `${stem}_${i}${ext}`);
    try {
      await Deno.lstat(candidate);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return candidate;
      throw e;
    }
  }
}

/** Deletes every chunk a sender description names. */
export async function deleteFile(fd: FileDescription, retries: number): Promise<void> {
  if (fd.party !== "sender") throw new XftpAgentError("a sender file description is needed to delete");
  const connections = new Connections();
  try {
    for (const chunk of fd.chunks) {
      const r = chunk.replicas[0];
      if (!r) throw new XftpAgentError("chunk has no replicas");
      await connections.withRetry(
        r.server,
        retries,
        (c) => c.deleteChunk(r.replicaKey as PrivateKey<SignatureAlgorithm>, r.replicaId),
      );
    }
  } finally {
    await connections.closeAll();
  }
}
