/**
 * Chunk bodies on disk (xftp.md §2.2 FPUT/FGET, §3.1): an upload streams into a temporary file
 * beside its final name and becomes visible only once its size and SHA-256 match; a download
 * streams the file through the per-download secret stream, ending with the tail tag.
 */
import { createHasher } from "../core/crypto/hash.ts";
import { SecretStreamEncryptor } from "../core/crypto/secret_stream.ts";
import { constantTimeEqual } from "../core/encoding/bytes.ts";
import type { RequestBody } from "./body.ts";

/** Read and send size of file streaming (`fileBlockSize`). */
export const FILE_BLOCK_SIZE = 16384;
/** Disk I/O in larger pieces than HTTP/2 hands over (≈8 KB frames): far fewer system calls. */
const DISK_IO_SIZE = 256 * 1024;
/** Temporary upload files end with this; a start-up sweep removes leftovers. */
export const PARTIAL_SUFFIX = ".part";

export type ReceiveError = "SIZE" | "DIGEST" | "TIMEOUT" | "FILE_IO";

export interface ReceiveSpec {
  readonly path: string;
  readonly size: number;
  readonly digest: Uint8Array;
  /** milliseconds for the whole body */
  readonly timeout: number;
}

const TIMED_OUT = Symbol("timeout");

/**
 * Writes the body to `<path>.<random>.part`, checking that it is exactly `size` bytes with the
 * expected SHA-256. On success the caller commits it with `commitChunk`; on failure nothing is
 * left on disk. A body longer than `size` is read to its end (the client is still sending) and
 * refused with SIZE.
 */
export async function receiveChunk(
  body: RequestBody,
  spec: ReceiveSpec,
): Promise<{ ok: true; tmpPath: string } | { ok: false; error: ReceiveError }> {
  const tmpPath = `${spec.path}.${crypto.randomUUID()}${PARTIAL_SUFFIX}`;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), spec.timeout);
  });
  let file: Deno.FsFile | undefined;
  let error: ReceiveError | undefined;
  try {
    file = await Deno.open(tmpPath, { write: true, createNew: true, mode: 0o600 });
    const hasher = createHasher("sha256");
    const pending = new Uint8Array(DISK_IO_SIZE);
    let pendingLength = 0;
    const flush = async () => {
      for (let off = 0; off < pendingLength;) off += await file!.write(pending.subarray(off, pendingLength));
      pendingLength = 0;
    };
    let received = 0;
    while (true) {
      const c = await Promise.race([body.next(), deadline]);
      if (c === TIMED_OUT) {
        error = "TIMEOUT";
        break;
      }
      if (c === null) break;
      received += c.length;
      if (received > spec.size) continue; // keep reading: the answer waits for the end of the body
      hasher.update(c);
      if (pendingLength + c.length > pending.length) await flush();
      if (c.length >= pending.length) {
        for (let off = 0; off < c.length;) off += await file.write(c.subarray(off));
      } else {
        pending.set(c, pendingLength);
        pendingLength += c.length;
      }
    }
    if (!error) await flush();
    if (!error && received !== spec.size) error = "SIZE";
    if (!error && !constantTimeEqual(hasher.digest(), spec.digest)) error = "DIGEST";
  } catch {
    error ??= "FILE_IO";
  } finally {
    clearTimeout(timer);
    file?.close();
  }
  if (error) {
    await Deno.remove(tmpPath).catch(() => {});
    return { ok: false, error };
  }
  return { ok: true, tmpPath };
}

/** Makes a received chunk visible under its final name (synchronously, so no request runs in between). */
export function commitChunk(tmpPath: string, path: string): void {
  Deno.renameSync(tmpPath, path);
}

/** Removes upload leftovers of a previous run (temporary files are never referenced by records). */
export async function removePartialChunks(dir: string): Promise<number> {
  let removed = 0;
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && e.name.endsWith(PARTIAL_SUFFIX)) {
      await Deno.remove(`${dir}/${e.name}`).catch(() => {});
      removed++;
    }
  }
  return removed;
}

/**
 * Streams `size` bytes of the file encrypted with the secret stream (key = raw X25519 secret),
 * then the 16-byte tag. `send` resolves once the transport is done with the bytes it was given.
 * Two buffers take turns: the next piece is read and encrypted in place in one while the other
 * is being sent, and it is handed over once that send is done, so that the transport gets one
 * piece at a time (node:http2 would join pieces queued behind each other into a fresh copy).
 */
export async function sendEncryptedChunk(
  path: string,
  size: number,
  key: Uint8Array,
  nonce: Uint8Array,
  send: (bytes: Uint8Array) => Promise<void>,
): Promise<void> {
  const encryptor = new SecretStreamEncryptor(key, nonce);
  using file = await Deno.open(path, { read: true });
  const length = Math.min(DISK_IO_SIZE, Math.max(size, 1));
  const buffers = [new Uint8Array(length), new Uint8Array(size > length ? length : 0)];
  let sending: Promise<void> = Promise.resolve();
  try {
    let left = size;
    for (let i = 0; left > 0; i++) {
      const buffer = buffers[i % 2];
      const n = await file.read(buffer.subarray(0, Math.min(length, left)));
      if (n === null) throw new Error("chunk file is shorter than its record");
      const piece = encryptor.update(buffer.subarray(0, n), buffer);
      await sending; // the other buffer's piece is sent: this one goes next
      sending = send(piece);
      sending.catch(() => {}); // awaited before the next piece, or below
      left -= n;
    }
    await sending;
    await send(encryptor.final());
  } finally {
    await sending.catch(() => {});
  }
}
