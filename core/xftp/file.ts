/**
 * Whole-file encryption (FileTransfer/Crypto.hs, xftp.md §4.1). The encrypted file is exactly the
 * sum of its chunk sizes:
 *
 *   secretStream(key, nonce)(I64 fileSize' ‖ header ‖ content ‖ '#'…) ‖ tag(16)
 *
 * where `header = short(fileName) ‖ Maybe(short(fileExtra))` and `fileSize' = len(header) + len(content)`.
 * Both directions stream in pieces of 1 MiB, so memory stays bounded whatever the file size; the
 * description's SHA-512 (off the calling thread from 8 MiB on, core/crypto/background_hash.ts)
 * and each chunk's SHA-256 are computed on the way. The passes run on the blocking thread pool
 * where libsodium and libcrypto load, one piece hashed and written while the next is encrypted or
 * decrypted.
 */
import { decode, type ParseResult, Reader, Writer } from "../encoding/binary.ts";
import { concatBytes, constantTimeEqual, utf8 } from "../encoding/bytes.ts";
import { createHasher, type Hasher } from "../crypto/hash.ts";
import {
  type BackgroundHasher,
  createBackgroundHasher,
  createHeldHasher,
} from "../crypto/background_hash.ts";
import { SecretStreamDecryptor, SecretStreamEncryptor, STREAM_TAG_LENGTH } from "../crypto/secret_stream.ts";
import { prepareChunkSizes } from "./chunks.ts";
import { allSettled } from "../async.ts";

export interface FileHeader {
  /** the file name the recipient saves under (UTF-8, at most 255 bytes) */
  readonly fileName: string;
  /** reserved for extensions; absent in files the reference clients make */
  readonly fileExtra?: string;
}

/** The I64 that precedes the header. */
export const FILE_SIZE_LENGTH = 8;
/** Where the recipient looks for the header: the first 1024 bytes after the I64. */
export const MAX_HEADER_LENGTH = 1024;
/** The CLI's limit (`maxFileSize`); the agent's hard limit is 5 GB. */
export const MAX_FILE_SIZE = 1024 * 1024 * 1024;
/**
 * Encryption and decryption go in larger pieces: each is hashed and encrypted on threads of the
 * blocking pool (libcrypto, libsodium), and a hop there costs tens of microseconds.
 */
const LARGE_PIECE = 1 << 20;
const PAD_BYTE = 0x23;

export function encodeFileHeader(h: FileHeader): Uint8Array {
  return new Writer(64).shortBytes(utf8.encode(h.fileName))
    .maybe(h.fileExtra, (w, extra) => w.shortBytes(utf8.encode(extra))).finish();
}

/** Upstream decodes the text leniently (`safeDecodeUtf8`): invalid bytes become U+FFFD. */
function readText(r: Reader): string {
  return new TextDecoder().decode(r.shortBytes());
}

export function readFileHeader(r: Reader): FileHeader {
  const fileName = readText(r);
  const fileExtra = r.maybe(readText);
  return fileExtra === undefined ? { fileName } : { fileName, fileExtra };
}

export function parseFileHeader(bytes: Uint8Array): ParseResult<FileHeader> {
  return decode(bytes, readFileHeader);
}

/** The sizes the sender decides before encrypting. */
export interface FilePlan {
  readonly header: Uint8Array;
  /** `fileSize'`: header and content */
  readonly payloadSize: number;
  readonly chunkSizes: readonly number[];
  /** the encrypted size: the sum of the chunk sizes */
  readonly encSize: number;
}

export function planFile(header: FileHeader, fileSize: number): FilePlan {
  if (!Number.isSafeInteger(fileSize) || fileSize < 0) throw new RangeError(`bad file size: ${fileSize}`);
  const encodedHeader = encodeFileHeader(header);
  const payloadSize = encodedHeader.length + fileSize;
  const chunkSizes = prepareChunkSizes(payloadSize + FILE_SIZE_LENGTH + STREAM_TAG_LENGTH);
  return { header: encodedHeader, payloadSize, chunkSizes, encSize: chunkSizes.reduce((a, b) => a + b, 0) };
}

export interface FileKey {
  /** 32-byte secret box key */
  readonly key: Uint8Array;
  /** 24-byte nonce */
  readonly nonce: Uint8Array;
}

export interface EncryptedFile {
  readonly size: number;
  /** SHA-512 of the whole encrypted file (the description's `digest`) */
  readonly digest: Uint8Array;
  readonly chunkSizes: readonly number[];
  /** SHA-256 of each chunk (FNEW's digest, the replicas' `chunkDigest`) */
  readonly chunkDigests: readonly Uint8Array[];
}

export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/**
 * Receives output in order; awaited before the next piece is produced (back-pressure). A piece
 * is only valid until then (its memory is reused): copy what must be kept.
 */
export type ByteSink = (piece: Uint8Array) => void | Promise<void>;

/** Told when a chunk of the encrypted file is complete (all its bytes written), with its SHA-256. */
export type ChunkSink = (chunkIndex: number, digest: Uint8Array) => void | Promise<void>;

/**
 * Pieces of `size` bytes (the last may be shorter): longer input is cut into views of it, shorter
 * input gathered into a buffer of this function's (each passes to the blocking pool in one hop).
 * A piece is valid until the next is asked for.
 */
async function* largePieces(source: ByteSource, size: number): AsyncGenerator<Uint8Array> {
  let gathered: Uint8Array | undefined;
  let length = 0;
  for await (let chunk of source) {
    while (chunk.length > 0) {
      if (length === 0 && chunk.length >= size) {
        yield chunk.subarray(0, size);
        chunk = chunk.subarray(size);
        continue;
      }
      gathered ??= new Uint8Array(size);
      const n = Math.min(size - length, chunk.length);
      gathered.set(chunk.subarray(0, n), length);
      length += n;
      chunk = chunk.subarray(n);
      if (length === size) {
        yield gathered;
        length = 0;
      }
    }
  }
  if (length > 0) yield gathered!.subarray(0, length);
}

/**
 * Hashes the output and cuts it at chunk boundaries, so that each chunk gets its SHA-256. Both
 * digests of a piece run side by side, off the calling thread where libcrypto loads.
 */
class ChunkedOutput {
  readonly #fileHash: BackgroundHasher | Hasher;
  readonly #digests: Uint8Array[] = [];
  #chunkHash = createHeldHasher("sha256");
  #chunk = 0;
  #inChunk = 0;
  #written = 0;

  constructor(
    readonly chunkSizes: readonly number[],
    readonly write: ByteSink,
    readonly onChunk?: ChunkSink,
  ) {
    this.#fileHash = fileHasher(chunkSizes.reduce((a, b) => a + b, 0));
  }

  async push(bytes: Uint8Array): Promise<void> {
    while (bytes.length > 0) {
      const room = this.chunkSizes[this.#chunk] - this.#inChunk;
      const piece = bytes.subarray(0, room);
      bytes = bytes.subarray(piece.length);
      await allSettled([
        "updateHeld" in this.#fileHash ? this.#fileHash.updateHeld(piece) : this.#fileHash.update(piece),
        this.#chunkHash.updateHeld(piece),
      ]);
      this.#inChunk += piece.length;
      this.#written += piece.length;
      await this.write(piece);
      if (this.#inChunk === this.chunkSizes[this.#chunk]) {
        const digest = await this.#chunkHash.digest();
        this.#digests.push(digest);
        this.#chunkHash = createHeldHasher("sha256");
        await this.onChunk?.(this.#chunk, digest);
        this.#chunk++;
        this.#inChunk = 0;
      }
    }
  }

  async result(): Promise<EncryptedFile> {
    return {
      size: this.#written,
      digest: await this.#fileHash.digest(),
      chunkSizes: this.chunkSizes,
      chunkDigests: this.#digests,
    };
  }

  close(): void {
    if ("close" in this.#fileHash) this.#fileHash.close();
    this.#chunkHash.close();
  }
}

/** Files from this size on get their SHA-512 on a worker thread, beside the encryption. */
const BACKGROUND_DIGEST_SIZE = 8 * 1024 * 1024;

function fileHasher(size: number): BackgroundHasher | Hasher {
  return size >= BACKGROUND_DIGEST_SIZE ? createBackgroundHasher("sha512") : createHasher("sha512");
}

export class FileSizeError extends Error {
  override name = "FileSizeError";
}

/**
 * Encrypts `source`, which must hold exactly `fileSize` bytes (else FileSizeError), writing the
 * encrypted file to `write` in pieces that never cross a chunk boundary; `onChunk` hears of each
 * chunk as soon as it is complete, so that it can be sent before the rest is encrypted.
 */
export async function encryptFile(
  source: ByteSource,
  params: FileKey & { readonly header: FileHeader; readonly fileSize: number },
  write: ByteSink,
  onChunk?: ChunkSink,
): Promise<EncryptedFile> {
  const plan = planFile(params.header, params.fileSize);
  const out = new ChunkedOutput(plan.chunkSizes, write, onChunk);
  try {
    const enc = new SecretStreamEncryptor(params.key, params.nonce);
    await out.push(
      enc.update(new Writer(plan.header.length + 8).int64(plan.payloadSize).bytes(plan.header).finish()),
    );
    // a piece is encrypted into one buffer while the one before is hashed and written from the other
    const buffers = [0, 1].map(() => new Uint8Array(Math.min(LARGE_PIECE, plan.encSize)));
    const pushed: Promise<unknown>[] = [Promise.resolve(), Promise.resolve()];
    let pushing: Promise<void> = Promise.resolve();
    let count = 0;
    const encrypt = async (plaintext: Uint8Array) => {
      const slot = count++ % 2;
      await pushed[slot];
      const ciphertext = await enc.updateOffThread(plaintext, buffers[slot]);
      pushing = pushing.then(() => out.push(ciphertext));
      pushed[slot] = pushing;
      pushing.catch(() => {}); // awaited below
    };
    try {
      let read = 0;
      for await (const piece of largePieces(source, LARGE_PIECE)) {
        read += piece.length;
        if (read > params.fileSize) {
          throw new FileSizeError(`the file is longer than ${params.fileSize} bytes`);
        }
        await encrypt(piece);
      }
      if (read !== params.fileSize) {
        throw new FileSizeError(`the file ended after ${read} of ${params.fileSize} bytes`);
      }
      let padding = plan.encSize - STREAM_TAG_LENGTH - FILE_SIZE_LENGTH - plan.payloadSize;
      const hashes = new Uint8Array(Math.min(padding, LARGE_PIECE)).fill(PAD_BYTE);
      for (; padding > 0; padding -= hashes.length) await encrypt(hashes.subarray(0, padding));
    } finally {
      await pushing;
    }
    await out.push(enc.final());
    return await out.result();
  } finally {
    out.close();
  }
}

/**
 * Why a download does not decrypt: `SIZE` (not the described size), `DIGEST` (SHA-512 differs),
 * `CRYPTO` (the tag does not verify), `HEADER` (a bad length or file header inside).
 */
export type FileDecryptError = "SIZE" | "DIGEST" | "CRYPTO" | "HEADER";

export type DecryptedFile =
  | { readonly ok: true; readonly header: FileHeader; readonly fileSize: number }
  | { readonly ok: false; readonly error: FileDecryptError };

/** Plaintext bookkeeping: the I64 and the header first, then content up to the declared length. */
class PlaintextReader {
  #prefix: Uint8Array[] = [];
  #prefixLength = 0;
  header?: FileHeader;
  /** content bytes still to write; what follows them is padding */
  #remaining = 0;
  contentSize = 0;

  constructor(readonly maxPayload: number, readonly write: ByteSink) {}

  async push(plain: Uint8Array): Promise<FileDecryptError | undefined> {
    if (this.header) return await this.#content(plain);
    this.#prefix.push(plain.slice()); // the caller reuses its buffer
    this.#prefixLength += plain.length;
    if (
      this.#prefixLength < Math.min(FILE_SIZE_LENGTH + MAX_HEADER_LENGTH, this.maxPayload + FILE_SIZE_LENGTH)
    ) {
      return;
    }
    return await this.#start();
  }

  /** Reads the I64 and the header once enough plaintext has arrived (or all of it). */
  async #start(): Promise<FileDecryptError | undefined> {
    const prefix = concatBytes(...this.#prefix);
    this.#prefix = [];
    const parsed = decode(prefix, (r) => {
      const length = r.int64();
      const headerStart = r.offset;
      const window = new Reader(r.bytes(Math.min(MAX_HEADER_LENGTH, r.remaining)));
      const header = readFileHeader(window);
      return { length, header, contentStart: headerStart + window.offset };
    }, { allowTrailing: true });
    if (!parsed.ok) return "HEADER";
    const { length, header, contentStart } = parsed.value;
    const headerLength = contentStart - FILE_SIZE_LENGTH;
    if (length < BigInt(headerLength) || length > BigInt(this.maxPayload)) return "HEADER";
    this.header = header;
    this.contentSize = Number(length) - headerLength;
    this.#remaining = this.contentSize;
    return await this.#content(prefix.subarray(contentStart));
  }

  async #content(plain: Uint8Array): Promise<undefined> {
    const take = plain.subarray(0, this.#remaining);
    this.#remaining -= take.length;
    if (take.length > 0) await this.write(take);
  }

  /** Called at the end: a stream too short to hold its header is a bad header. */
  async finish(): Promise<FileDecryptError | undefined> {
    if (!this.header) return (await this.#start()) ?? (this.header ? undefined : "HEADER");
    return this.#remaining === 0 ? undefined : "HEADER";
  }
}

/**
 * Decrypts the concatenated chunks of a file of `size` bytes with SHA-512 `digest`, writing the
 * content to `write` as it goes. The content is unverified until the result is `ok`: write it
 * under a temporary name and discard it on failure. Reading stops early when the input is longer
 * than `size`.
 */
export async function decryptFile(
  source: ByteSource,
  params: FileKey & { readonly size: number; readonly digest: Uint8Array },
  write: ByteSink,
): Promise<DecryptedFile> {
  const fail = (error: FileDecryptError): DecryptedFile => ({ ok: false, error });
  const bodySize = params.size - STREAM_TAG_LENGTH;
  if (bodySize < FILE_SIZE_LENGTH) return fail("SIZE");
  const hash = fileHasher(params.size);
  try {
    return await decryptVerified(source, params, write, hash);
  } finally {
    if ("close" in hash) hash.close();
  }
}

async function decryptVerified(
  source: ByteSource,
  params: FileKey & { readonly size: number; readonly digest: Uint8Array },
  write: ByteSink,
  hash: BackgroundHasher | Hasher,
): Promise<DecryptedFile> {
  const fail = (error: FileDecryptError): DecryptedFile => ({ ok: false, error });
  const bodySize = params.size - STREAM_TAG_LENGTH;
  const dec = new SecretStreamDecryptor(params.key, params.nonce);
  const plain = new PlaintextReader(bodySize - FILE_SIZE_LENGTH, write);
  const tag = new Uint8Array(STREAM_TAG_LENGTH);
  // a piece is decrypted into one buffer while the one before is written from the other
  const buffers = [0, 1].map(() => new Uint8Array(Math.min(LARGE_PIECE, params.size)));
  const written: Promise<unknown>[] = [Promise.resolve(), Promise.resolve()];
  let writing: Promise<FileDecryptError | undefined> = Promise.resolve(undefined);
  let read = 0;
  let count = 0;
  let headerError: FileDecryptError | undefined;
  try {
    for await (const piece of largePieces(source, LARGE_PIECE)) {
      if (read + piece.length > params.size) return fail("SIZE");
      const body = piece.subarray(0, Math.max(0, bodySize - read));
      tag.set(piece.subarray(body.length), Math.max(0, read - bodySize));
      read += piece.length;
      const slot = count++ % 2;
      const output = buffers[slot];
      await written[slot];
      // the digest and the two passes of the decryption run side by side, off this thread where they can
      const [, decrypted] = await allSettled([
        "updateHeld" in hash ? hash.updateHeld(piece) : hash.update(piece),
        body.length > 0 ? dec.updateOffThread(body, output) : undefined,
      ]);
      if (decrypted) {
        writing = writing.then((error) => error ?? plain.push(decrypted));
        written[slot] = writing;
      }
    }
  } finally {
    headerError = await writing;
  }
  if (read !== params.size) return fail("SIZE");
  if (!constantTimeEqual(await hash.digest(), params.digest)) return fail("DIGEST");
  if (!dec.verify(tag)) return fail("CRYPTO");
  headerError ??= await plain.finish();
  if (headerError || !plain.header) return fail(headerError ?? "HEADER");
  return { ok: true, header: plain.header, fileSize: plain.contentSize };
}
