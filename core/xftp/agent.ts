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
import { decryptFile, encryptFile, MAX_FILE_SIZE } from "./file.ts";
import {
  createFileDescriptions,
  type FileDescription,
  parseValidFileDescription,
  type SentChunk,
} from "./description.ts";
import { type XftpServer } from "./server.ts";
import { XftpClient, XftpClientError } from "./client.ts";

export interface XftpServerWithAuth {
  readonly server: XftpServer;
  readonly basicAuth?: string;
}

export type Progress = (done: number, total: number) => void;

/** Chunks requested ahead of the one being written (each holds up to 4 MiB). */
const DOWNLOAD_AHEAD = 2;

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

  async drop(server: XftpServer): Promise<void> {
    const k = this.key(server);
    const c = this.#clients.get(k);
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
      try {
        return await action(await this.get(server));
      } catch (e) {
        last = e;
        // a protocol refusal (AUTH, SIZE, DIGEST…) will not change on retry
        if (
          e instanceof XftpClientError && e.error && e.error.type !== "SESSION" &&
          e.error.type !== "HANDSHAKE"
        ) throw e;
        await this.drop(server);
      }
    }
    throw last;
  }
}

export interface SendOptions {
  readonly servers: readonly XftpServerWithAuth[];
  readonly recipients: number;
  readonly retries: number;
  readonly tmpDir: string;
  readonly onEncrypted?: () => void;
  readonly onProgress?: Progress;
}

export interface SentFile {
  readonly sender: FileDescription;
  readonly recipients: FileDescription[];
}

/** Encrypts and uploads `path`; returns the sender description and one per recipient. */
export async function sendFile(path: string, o: SendOptions): Promise<SentFile> {
  if (o.servers.length === 0) throw new XftpAgentError("no XFTP servers to send to");
  if (o.recipients < 1 || o.recipients > 200) {
    throw new XftpAgentError("the number of recipients must be 1-200");
  }
  const fileSize = (await Deno.stat(path)).size;
  if (fileSize > MAX_FILE_SIZE) throw new XftpAgentError("Files bigger than 1gb are not supported");
  const key = randomBytes(32);
  const nonce = randomBytes(24);
  const encPath = await Deno.makeTempFile({ dir: o.tmpDir, prefix: "xftp.", suffix: ".encrypted" });
  const connections = new Connections();
  try {
    const encrypted = await encryptToFile(path, encPath, { key, nonce, fileSize, name: basename(path) });
    o.onEncrypted?.();
    let offset = 0;
    const plan = encrypted.chunkSizes.map((size, i) => {
      const chunk = {
        chunkNo: i + 1,
        size,
        offset,
        digest: encrypted.chunkDigests[i],
        target: o.servers[Math.floor(Math.random() * o.servers.length)],
      };
      offset += size;
      return chunk;
    });
    let uploaded = 0;
    const byServer = new Map<string, typeof plan>();
    for (const c of plan) {
      byServer.set(connections.key(c.target.server), [
        ...(byServer.get(connections.key(c.target.server)) ?? []),
        c,
      ]);
    }
    const sent: SentChunk[] = [];
    // sequential within a server, concurrent across servers
    await Promise.all([...byServer.values()].map(async (chunks) => {
      for (const c of chunks) {
        const sender = generateKeyPair("Ed25519");
        const recipients = Array.from({ length: o.recipients }, () => generateKeyPair("Ed25519"));
        const server = c.target.server;
        const ids = await connections.withRetry(
          server,
          o.retries,
          (x) =>
            x.createChunk(
              sender.privateKey,
              sender.publicKey,
              recipients.map((r) => r.publicKey),
              c.size,
              c.digest,
              c.target.basicAuth,
            ),
        );
        await connections.withRetry(
          server,
          o.retries,
          (x) => x.uploadChunk(sender.privateKey, ids.senderId, () => readSlice(encPath, c.offset, c.size)),
        );
        uploaded += c.size;
        o.onProgress?.(uploaded, encrypted.size);
        sent.push({
          chunkNo: c.chunkNo,
          chunkSize: c.size,
          digest: c.digest,
          server,
          senderId: ids.senderId,
          senderKey: sender.privateKey,
          recipients: ids.recipientIds.map((id, i) => ({ id, key: recipients[i].privateKey })),
        });
      }
    }));
    sent.sort((a, b) => a.chunkNo - b.chunkNo);
    return createFileDescriptions(
      { size: encrypted.size, digest: encrypted.digest, key, nonce, chunkSize: encrypted.chunkSizes[0] },
      sent,
    );
  } finally {
    await connections.closeAll();
    await Deno.remove(encPath).catch(() => {});
  }
}

async function encryptToFile(
  path: string,
  encPath: string,
  p: { key: Uint8Array; nonce: Uint8Array; fileSize: number; name: string },
) {
  const input = await Deno.open(path, { read: true });
  const output = await Deno.open(encPath, { write: true, truncate: true });
  try {
    return await encryptFile(input.readable, {
      key: p.key,
      nonce: p.nonce,
      fileSize: p.fileSize,
      header: { fileName: p.name },
    }, async (piece) => {
      for (let off = 0; off < piece.length;) off += await output.write(piece.subarray(off));
    });
  } finally {
    output.close();
  }
}

async function* readSlice(path: string, offset: number, size: number): AsyncGenerator<Uint8Array> {
  const f = await Deno.open(path, { read: true });
  try {
    await f.seek(offset, Deno.SeekMode.Start);
    let left = size;
    const buf = new Uint8Array(65536);
    while (left > 0) {
      const n = await f.read(buf.subarray(0, Math.min(buf.length, left)));
      if (n === null) throw new XftpAgentError("the encrypted file is shorter than planned");
      left -= n;
      yield buf.slice(0, n);
    }
  } finally {
    f.close();
  }
}

export interface ReceiveOptions {
  readonly retries: number;
  readonly tmpDir: string;
  /** where to save: the file is named by the sender's file name, made unique */
  readonly outputDir: string;
  readonly onProgress?: Progress;
}

/** Downloads, verifies and decrypts; returns the path of the saved file. */
export async function receiveFile(fd: FileDescription, o: ReceiveOptions, depth = 0): Promise<string> {
  if (fd.party !== "recipient") throw new XftpAgentError("a recipient file description is needed to receive");
  const connections = new Connections();
  const encPath = await Deno.makeTempFile({ dir: o.tmpDir, prefix: "xftp.", suffix: ".encrypted" });
  try {
    const out = await Deno.open(encPath, { write: true, truncate: true });
    let done = 0;
    try {
      // the next chunk is requested while this one is written: the connection never idles,
      // and at most DOWNLOAD_AHEAD chunks are held in memory
      const fetch = (chunk: (typeof fd.chunks)[number]) => {
        const replica = chunk.replicas[0];
        if (!replica) return Promise.reject(new XftpAgentError(`chunk ${chunk.chunkNo} has no replicas`));
        return connections.withRetry(
          replica.server,
          o.retries,
          (c) =>
            c.downloadChunk(
              replica.replicaKey as PrivateKey<SignatureAlgorithm>,
              replica.replicaId,
              chunk.chunkSize,
              chunk.digest,
            ),
        );
      };
      // a queue, so a written chunk is no longer referenced
      const inFlight = fd.chunks.slice(0, DOWNLOAD_AHEAD).map(fetch);
      inFlight.forEach((p) => p.catch(() => {}));
      for (let i = 0; i < fd.chunks.length; i++) {
        const data = await inFlight.shift()!;
        const next = fd.chunks[i + DOWNLOAD_AHEAD];
        if (next) {
          const p = fetch(next);
          p.catch(() => {});
          inFlight.push(p);
        }
        for (let off = 0; off < data.length;) off += await out.write(data.subarray(off));
        done += data.length;
        o.onProgress?.(done, fd.size);
      }
    } finally {
      out.close();
    }
    // decryption checks the whole-file SHA-512 before it reports success
    if (done !== fd.size) throw new XftpAgentError("File size mismatch");
    if (fd.redirect) {
      if (depth > 0) throw new XftpAgentError("Redirect chain too long");
      const yaml = await decryptToMemory(encPath, fd);
      const inner = parseValidFileDescription(new TextDecoder().decode(yaml), "recipient");
      if (!inner.ok) throw new XftpAgentError(`Redirect: invalid file description: ${inner.error}`);
      if (inner.value.size !== fd.redirect.size || !bytesEqual(inner.value.digest, fd.redirect.digest)) {
        throw new XftpAgentError("Redirect: the file description does not match");
      }
      const path = await receiveFile(inner.value, o, depth + 1);
      await ackChunks(connections, fd, o.retries);
      return path;
    }
    const path = await decryptToOutput(encPath, fd, o.outputDir);
    await ackChunks(connections, fd, o.retries);
    return path;
  } finally {
    await connections.closeAll();
    await Deno.remove(encPath).catch(() => {});
  }
}

async function ackChunks(connections: Connections, fd: FileDescription, retries: number): Promise<void> {
  for (const chunk of fd.chunks) {
    const r = chunk.replicas[0];
    await connections.withRetry(
      r.server,
      retries,
      (c) => c.ackChunk(r.replicaKey as PrivateKey<SignatureAlgorithm>, r.replicaId),
    );
  }
}

async function decryptToMemory(encPath: string, fd: FileDescription): Promise<Uint8Array> {
  const input = await Deno.open(encPath, { read: true });
  const parts: Uint8Array[] = [];
  const r = await decryptFile(input.readable, {
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
async function decryptToOutput(encPath: string, fd: FileDescription, outputDir: string): Promise<string> {
  await Deno.mkdir(outputDir, { recursive: true });
  const partial = await Deno.makeTempFile({ dir: outputDir, prefix: ".xftp-", suffix: ".partial" });
  const output = await Deno.open(partial, { write: true, truncate: true });
  let result;
  try {
    const input = await Deno.open(encPath, { read: true });
    result = await decryptFile(input.readable, {
      key: fd.key,
      nonce: fd.nonce,
      size: fd.size,
      digest: fd.digest,
    }, async (p) => {
      for (let off = 0; off < p.length;) off += await output.write(p.subarray(off));
    });
  } finally {
    output.close();
  }
  if (!result.ok) {
    await Deno.remove(partial).catch(() => {});
    throw new XftpAgentError(`Error decrypting file: ${result.error}`);
  }
  const path = await uniquePath(outputDir, safeFileName(result.header.fileName));
  await Deno.rename(partial, path);
  return path;
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
