/**
 * A chunk in transit to a recipient (FGET, xftp.md §2.4): after the FILE block the server sends
 * `XSalsa20-stream ⊕ chunk ‖ tag(16)` under the raw X25519 secret of its per-download key and the
 * recipient's FGET key, with FILE's nonce. The recipient checks the length (`SIZE`), the tag
 * (`CRYPTO`) and the SHA-256 of the plaintext (`DIGEST`), as `receiveSbFile` does.
 */
import { constantTimeEqual } from "../encoding/bytes.ts";
import { createHasher } from "../crypto/hash.ts";
import { SecretStreamDecryptor, SecretStreamEncryptor, STREAM_TAG_LENGTH } from "../crypto/secret_stream.ts";
import { type XftpError, xftpError } from "./errors.ts";
import { type ByteSink, type ByteSource, FileSizeError } from "./file.ts";

export interface TransitParams {
  /** raw X25519 shared secret of the FILE key and the FGET key */
  readonly dhSecret: Uint8Array;
  /** FILE's 24-byte nonce */
  readonly nonce: Uint8Array;
  /** the chunk size */
  readonly size: number;
}

/** The response body after the FILE block: the encrypted chunk, then its tag. */
export async function* encryptChunkTransit(source: ByteSource, p: TransitParams): AsyncGenerator<Uint8Array> {
  const enc = new SecretStreamEncryptor(p.dhSecret, p.nonce);
  let read = 0;
  for await (const piece of source) {
    read += piece.length;
    if (read > p.size) throw new FileSizeError(`the chunk is longer than ${p.size} bytes`);
    yield enc.update(piece);
  }
  if (read !== p.size) throw new FileSizeError(`the chunk ended after ${read} of ${p.size} bytes`);
  yield enc.final();
}

/**
 * Decrypts a downloaded chunk, writing the plaintext (the stored chunk, i.e. a piece of the
 * encrypted file) as it goes; it is unverified until this returns undefined. Stops reading as
 * soon as the body is longer than the chunk and its tag.
 */
export async function decryptChunkTransit(
  source: ByteSource,
  p: TransitParams & { readonly digest: Uint8Array },
  write: ByteSink,
): Promise<XftpError | undefined> {
  const dec = new SecretStreamDecryptor(p.dhSecret, p.nonce);
  const hash = createHasher("sha256");
  const tag = new Uint8Array(STREAM_TAG_LENGTH);
  let read = 0;
  for await (const piece of source) {
    if (read + piece.length > p.size + STREAM_TAG_LENGTH) return xftpError("SIZE");
    const body = piece.subarray(0, Math.max(0, p.size - read));
    tag.set(piece.subarray(body.length), Math.max(0, read - p.size));
    read += piece.length;
    if (body.length === 0) continue;
    const plain = dec.update(body);
    hash.update(plain);
    await write(plain);
  }
  if (read < p.size) return xftpError("SIZE");
  if (read < p.size + STREAM_TAG_LENGTH || !dec.verify(tag)) return xftpError("CRYPTO");
  return constantTimeEqual(hash.digest(), p.digest) ? undefined : xftpError("DIGEST");
}
