/**
 * An XFTP client (xftp.md §1-§2): HTTP/2 over our TLS with ALPN `xftp/1`, the native handshake
 * (empty POST → server hello; padded client handshake → empty answer), then one POST per
 * command. Uploads stream the chunk after the command block; downloads stream and decrypt the
 * per-download transit encryption, checking the tag and the chunk's SHA-256.
 */
import { connect as tlsConnect } from "../tls/mod.ts";
import { Http2ClientSession } from "../http2/client.ts";
import { validateChain } from "../x509/chain.ts";
import {
  dh,
  generateKeyPair,
  type PrivateKey,
  type PublicKey,
  randomBytes,
  type SignatureAlgorithm,
} from "../crypto/keys.ts";
import { SecretStreamDecryptor, STREAM_TAG_LENGTH } from "../crypto/secret_stream.ts";
import { digestOffThread } from "../crypto/background_hash.ts";
import { constantTimeEqual } from "../encoding/bytes.ts";
import { CLIENT_XFTP_VERSIONS } from "./version.ts";
import {
  encodeClientHandshake,
  parseHandshakeError,
  parseServerHello,
  verifyServerHello,
} from "./handshake.ts";
import {
  decodeResponseBlock,
  encodeCommandBlock,
  XFTP_BLOCK_SIZE,
  type XftpAuthKey,
} from "./transmission.ts";
import type { FileCommand, FileResponse } from "./commands.ts";
import { type XftpError, xftpErrorText } from "./errors.ts";
import { DEFAULT_XFTP_PORT, type XftpServer } from "./server.ts";

/** HTTP/2 stream window for chunk transfers (HTTP/2's default is 64 KiB). */
const H2_WINDOW = 8 * 1024 * 1024;
/** Socket reads of up to 256 KiB while a chunk streams in (the TLS default is 64 KiB). */
const TLS_MAX_READ = 256 * 1024;
/** A downloaded chunk is decrypted in batches of this size as it arrives. */
const TRANSIT_BATCH = 1 << 20;

export class XftpClientError extends Error {
  override name = "XftpClientError";
  constructor(message: string, readonly error?: XftpError) {
    super(message);
  }
}

/** A chunk upload source: the bytes, or a function that streams exactly `size` bytes. */
export type ChunkSource = Uint8Array | (() => AsyncIterable<Uint8Array> | Iterable<Uint8Array>);

/** The server's error as an exception (commands that must succeed). */
function fail(r: FileResponse, what: string): never {
  if (r.type === "ERR") throw new XftpClientError(`${what}: ${xftpErrorText(r.error)}`, r.error);
  throw new XftpClientError(`${what}: unexpected ${r.type}`);
}

export class XftpClient {
  private constructor(
    readonly server: XftpServer,
    private readonly session: Http2ClientSession,
    readonly sessionId: Uint8Array,
    readonly version: number,
    readonly serverDhKey: PublicKey<"X25519">,
  ) {}

  static async connect(server: XftpServer, options: { timeoutMs?: number } = {}): Promise<XftpClient> {
    const tls = await tlsConnect({
      hostname: server.hosts[0],
      port: server.port ?? DEFAULT_XFTP_PORT,
      alpnProtocols: ["xftp/1"],
      verifyServerChain: (chain) => void validateChain(chain, server.keyHash),
      handshakeTimeout: options.timeoutMs,
      maxReadSize: TLS_MAX_READ,
    });
    // a 4 MiB chunk arrives without waiting for window updates
    const session = Http2ClientSession.open(tls, {
      authority: server.hosts[0],
      streamWindow: H2_WINDOW,
      connectionWindow: 2 * H2_WINDOW,
    });
    try {
      const hello = parseServerHello(await post(session, new Uint8Array(0)));
      if (!hello.ok) throw new XftpClientError(`bad server hello: ${hello.error.message}`);
      const verified = verifyServerHello(hello.value, server.keyHash, {
        tlsChain: tls.peerCertificates,
        tlsUnique: tls.sessionId,
        versions: CLIENT_XFTP_VERSIONS,
      });
      if (!verified.ok) {
        throw new XftpClientError(`server hello refused (${verified.error}): ${verified.message}`);
      }
      const ack = await post(
        session,
        encodeClientHandshake({ version: verified.version, keyHash: server.keyHash }),
      );
      if (ack.length !== 0) {
        const e = parseHandshakeError(ack);
        throw new XftpClientError(`handshake refused${e ? `: ${xftpErrorText(e)}` : ""}`, e);
      }
      return new XftpClient(
        server,
        session,
        hello.value.sessionId,
        verified.version,
        verified.serverDhKey,
      );
    } catch (e) {
      await session.close();
      throw e;
    }
  }

  /** One command; `upload` follows the block in the request body (FPUT). */
  async command(
    entityId: Uint8Array,
    command: FileCommand,
    key?: XftpAuthKey,
    upload?: ChunkSource,
  ): Promise<FileResponse> {
    const block = encodeCommandBlock(this.sessionId, new Uint8Array(0), entityId, command, key);
    const body = await post(this.session, block, upload);
    const decoded = decodeResponseBlock(body.subarray(0, XFTP_BLOCK_SIZE), this.sessionId);
    if (!decoded.ok) {
      throw new XftpClientError(`bad response: ${xftpErrorText(decoded.error)}`, decoded.error);
    }
    return decoded.response;
  }

  async ping(): Promise<void> {
    const r = await this.command(new Uint8Array(0), { type: "PING" });
    if (r.type !== "PONG") fail(r, "PING");
  }

  /** FNEW: registers a chunk with its sender and recipient keys; returns the IDs. */
  async createChunk(
    sender: PrivateKey<SignatureAlgorithm>,
    senderPublic: PublicKey<SignatureAlgorithm>,
    recipients: readonly PublicKey<SignatureAlgorithm>[],
    size: number,
    digest: Uint8Array,
    basicAuth?: string,
  ): Promise<{ senderId: Uint8Array; recipientIds: readonly Uint8Array[] }> {
    const r = await this.command(new Uint8Array(0), {
      type: "FNEW",
      sndKey: senderPublic,
      size,
      digest,
      rcvKeys: recipients,
      basicAuth: basicAuth ? new TextEncoder().encode(basicAuth) : undefined,
    }, sender);
    if (r.type !== "SIDS") fail(r, "FNEW");
    return { senderId: r.senderId, recipientIds: r.recipientIds };
  }

  async addRecipients(
    sender: PrivateKey<SignatureAlgorithm>,
    senderId: Uint8Array,
    recipients: readonly PublicKey<SignatureAlgorithm>[],
  ): Promise<readonly Uint8Array[]> {
    const r = await this.command(senderId, { type: "FADD", rcvKeys: recipients }, sender);
    if (r.type !== "RIDS") fail(r, "FADD");
    return r.recipientIds;
  }

  async uploadChunk(
    sender: PrivateKey<SignatureAlgorithm>,
    senderId: Uint8Array,
    chunk: ChunkSource,
  ): Promise<void> {
    const r = await this.command(senderId, { type: "FPUT" }, sender, chunk);
    if (r.type !== "OK") fail(r, "FPUT");
  }

  /**
   * FGET: downloads a chunk of `size` bytes, decrypting the transit layer, and returns it once its
   * tag and SHA-256 `digest` check out: in `into` (at least `size` bytes, reused by the caller)
   * when given, else in a fresh array.
   */
  async downloadChunk(
    recipient: PrivateKey<SignatureAlgorithm>,
    recipientId: Uint8Array,
    size: number,
    digest: Uint8Array,
    into?: Uint8Array,
  ): Promise<Uint8Array> {
    if (into && into.length < size) throw new RangeError("the chunk buffer is too small");
    const ours = generateKeyPair("X25519");
    const block = encodeCommandBlock(
      this.sessionId,
      new Uint8Array(0),
      recipientId,
      { type: "FGET", dhKey: ours.publicKey },
      recipient,
    );
    // the chunk is decrypted as its DATA frames arrive, straight into the buffer it is returned in
    const transit = new TransitReceiver(into?.subarray(0, size) ?? new Uint8Array(size), (head) => {
      const decoded = decodeResponseBlock(head, this.sessionId);
      if (!decoded.ok) {
        throw new XftpClientError(`bad response: ${xftpErrorText(decoded.error)}`, decoded.error);
      }
      const response = decoded.response;
      if (response.type !== "FILE") fail(response, "FGET");
      return new SecretStreamDecryptor(dh(response.dhKey, ours.privateKey), response.nonce);
    });
    try {
      await post(this.session, block, undefined, (piece) => transit.push(piece));
    } catch (e) {
      await transit.settled(); // the chunk buffer is the caller's again only once no batch is being decrypted
      throw e;
    }
    const plain = await transit.finish();
    const h = await digestOffThread("sha256", plain);
    if (!constantTimeEqual(h, digest)) {
      throw new XftpClientError("FGET: the chunk digest differs", { type: "DIGEST" });
    }
    return plain;
  }

  async deleteChunk(sender: PrivateKey<SignatureAlgorithm>, senderId: Uint8Array): Promise<void> {
    const r = await this.command(senderId, { type: "FDEL" }, sender);
    if (r.type !== "OK") fail(r, "FDEL");
  }

  async ackChunk(recipient: PrivateKey<SignatureAlgorithm>, recipientId: Uint8Array): Promise<void> {
    const r = await this.command(recipientId, { type: "FACK" }, recipient);
    if (r.type !== "OK") fail(r, "FACK");
  }

  async close(): Promise<void> {
    await this.session.close();
  }
}

/**
 * An FGET response body as it arrives: the response block, then `size` bytes of transit
 * ciphertext and the 16-byte tag (xftp.md §2.4). `start` reads the block and returns the
 * decryptor, or throws the server's error. The ciphertext is gathered into the buffer the chunk
 * is returned in and decrypted there a batch at a time, off this thread where the backend can,
 * while the next DATA frames arrive.
 */
class TransitReceiver {
  readonly #head = new Uint8Array(XFTP_BLOCK_SIZE);
  #headLength = 0;
  readonly #chunk: Uint8Array;
  readonly #tag = new Uint8Array(STREAM_TAG_LENGTH);
  #received = 0;
  /** bytes of #chunk handed to the decryptor */
  #decrypted = 0;
  #decryptor: SecretStreamDecryptor | undefined;
  /** the batches handed to the decryptor, one after another */
  #decrypting: Promise<void> = Promise.resolve();
  #error: unknown;

  readonly size: number;

  /** `chunk`: where the chunk goes, exactly as long as it. */
  constructor(chunk: Uint8Array, readonly start: (head: Uint8Array) => SecretStreamDecryptor) {
    this.#chunk = chunk;
    this.size = chunk.length;
  }

  push(piece: Uint8Array): void {
    if (this.#error !== undefined) return;
    try {
      if (this.#headLength < XFTP_BLOCK_SIZE) {
        const take = Math.min(piece.length, XFTP_BLOCK_SIZE - this.#headLength);
        this.#head.set(piece.subarray(0, take), this.#headLength);
        this.#headLength += take;
        piece = piece.subarray(take);
        if (this.#headLength === XFTP_BLOCK_SIZE) this.#decryptor = this.start(this.#head);
      }
      if (piece.length === 0) return;
      const size = this.size;
      const read = this.#received;
      this.#received += piece.length;
      if (this.#received > size + STREAM_TAG_LENGTH) return;
      const body = piece.subarray(0, Math.max(0, size - read));
      this.#chunk.set(body, read);
      this.#tag.set(piece.subarray(body.length), Math.max(0, read - size));
      if (Math.min(this.#received, size) - this.#decrypted >= TRANSIT_BATCH) this.#decryptReceived();
    } catch (e) {
      this.#error = e;
    }
  }

  /** Queues the decryption of the body received so far. */
  #decryptReceived(): void {
    const batch = this.#chunk.subarray(this.#decrypted, Math.min(this.#received, this.size));
    if (batch.length === 0) return;
    this.#decrypted += batch.length;
    const decryptor = this.#decryptor!;
    this.#decrypting = this.#decrypting.then(async () => void await decryptor.updateOffThread(batch, batch));
    this.#decrypting.catch((e) => (this.#error ??= e));
  }

  /** Resolves once no batch is being decrypted. */
  async settled(): Promise<void> {
    await this.#decrypting.catch(() => {});
  }

  /** The decrypted chunk once its length and tag check out. */
  async finish(): Promise<Uint8Array> {
    if (this.#error === undefined && this.#headLength === XFTP_BLOCK_SIZE) this.#decryptReceived();
    await this.settled();
    if (this.#error !== undefined) throw this.#error;
    if (this.#headLength < XFTP_BLOCK_SIZE) {
      this.start(this.#head.slice(0, this.#headLength)); // throws the block's own error
      throw new XftpClientError("bad response: no response block", { type: "BLOCK" });
    }
    if (this.#received !== this.size + STREAM_TAG_LENGTH) {
      throw new XftpClientError(
        `FGET: the chunk has ${this.#received - STREAM_TAG_LENGTH} bytes, expected ${this.size}`,
        { type: "SIZE" },
      );
    }
    if (!this.#decryptor!.verify(this.#tag)) {
      throw new XftpClientError("FGET: the chunk does not decrypt", { type: "CRYPTO" });
    }
    return this.#chunk;
  }
}

/**
 * One POST: the body (and an optional streamed upload after it). Resolves to the whole response
 * body, or, when `onBody` takes the pieces as they arrive, to an empty array.
 */
async function post(
  session: Http2ClientSession,
  body: Uint8Array,
  upload?: ChunkSource,
  onBody?: (piece: Uint8Array) => void,
): Promise<Uint8Array> {
  const pieces = upload === undefined ? body : async function* () {
    yield body;
    if (upload instanceof Uint8Array) yield upload;
    else yield* upload();
  };
  try {
    return (await session.request({ method: "POST", path: "/", body: pieces, onData: onBody })).body;
  } catch (e) {
    throw new XftpClientError(`request failed: ${e instanceof Error ? e.message : e}`);
  }
}

export function randomCorrId(): Uint8Array {
  return randomBytes(24);
}
