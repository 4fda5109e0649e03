/**
 * A TLS connection over any byte transport: drives the sans-I/O engine with a read pump,
 * serialises writes, and exposes the ways our callers read: exact lengths (16 KB transport blocks),
 * Web Streams, and a Node Duplex (so node:http2 can run on top, as XFTP does).
 */
import type { Duplex } from "node:stream";
import { TlsError } from "./errors.ts";
import type { CipherSuiteName } from "./_cipher_suite.ts";
import { ClientEngine, type ClientEngineOptions } from "./_client.ts";
import { toDuplex } from "./_duplex.ts";
import type { TlsEngine } from "./_engine.ts";
import { ServerEngine, type ServerEngineOptions } from "./_server.ts";
import { MAX_CIPHERTEXT, MAX_PLAINTEXT, RECORD_HEADER_LENGTH } from "./_record.ts";
import { LentReadBuffers } from "./_read_buffers.ts";
import { SealMemory } from "./_seal_buffers.ts";

/** The subset of Deno.Conn a TLS connection needs; any byte stream can provide it. */
export interface ByteTransport {
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  close(): void;
}

export interface ConnectionOptions {
  /** Milliseconds for the whole handshake; default 15000. A stalled handshake fails with handshake_timeout. */
  readonly handshakeTimeout?: number;
  /**
   * The largest transport read, which a busy connection grows to (default 64 KiB); bulk transfers
   * (XFTP chunks) take fewer reads with more.
   */
  readonly maxReadSize?: number;
}

const DEFAULT_HANDSHAKE_TIMEOUT = 15_000;
/** Received plaintext held before the pump stops reading the socket (backpressure). */
const READ_HIGH_WATER = 1 << 20;
/** Reads start small and grow while the peer keeps the socket busy, so an idle connection holds little. */
const READ_BUFFER_MIN = 1 << 10;
const DEFAULT_MAX_READ_SIZE = 1 << 16;

export class TlsConnection {
  private readonly queue: Uint8Array[] = [];
  private queueOffset = 0;
  private queued = 0;
  /** bytes a pending readExactly needs */
  private wanted = 0;
  private eof = false;
  private failure: TlsError | undefined;
  private waiters: (() => void)[] = [];
  private resumePump: (() => void) | undefined;
  private writing: Promise<void> = Promise.resolve();
  private transportClosed = false;
  private closing: Promise<void> | undefined;
  private streams: { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> } | undefined;
  private duplexView: Duplex | undefined;
  private readonly handshakeDone: Promise<void>;
  private readonly maxReadSize: number;
  /** the read buffers' reuse, while the plaintext has only ever been read through `readLent` */
  private lending: LentReadBuffers | undefined;
  /** plaintext was read by a method whose results may be kept: read buffers are never reused */
  private readsKept = false;

  constructor(
    private readonly engine: TlsEngine,
    private readonly transport: ByteTransport,
    options: ConnectionOptions = {},
  ) {
    this.maxReadSize = Math.max(READ_BUFFER_MIN, options.maxReadSize ?? DEFAULT_MAX_READ_SIZE);
    this.handshakeDone = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => this.fail(new TlsError("handshake_timeout", "the handshake did not complete in time")),
        options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT,
      );
      this.onHandshakeSettled = (error) => {
        // once settled, the timer and the promise's functions are not needed by an idle connection
        this.onHandshakeSettled = () => {};
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      };
    });
    this.handshakeDone.catch(() => {}); // observed through handshake()
    this.flush().catch(() => {}); // a failed write fails the handshake, reported there
    this.pump();
  }

  private onHandshakeSettled: (error?: TlsError) => void = () => {};

  /** Resolves once the handshake completed; rejects with the TlsError that ended it. */
  handshake(): Promise<void> {
    return this.handshakeDone;
  }

  /** The client's Finished verify_data (RFC 8446 §4.4.4): SimpleX's session identifier. */
  get sessionId(): Uint8Array {
    if (this.engine.sessionId === undefined) {
      throw new TlsError("unexpected_message", "handshake not complete");
    }
    return this.engine.sessionId;
  }

  get alpn(): string | undefined {
    return this.engine.alpn;
  }

  /** The SNI host name (sent by the client, read by the server). */
  get sni(): string | undefined {
    return this.engine.serverName;
  }

  /** The peer's DER certificate chain, leaf first; empty for a client that presented none. */
  get peerCertificates(): readonly Uint8Array[] {
    return this.engine.peerCertificates;
  }

  /** A client's: whether the server requested a certificate and this connection sent its own. */
  get certificateSent(): boolean {
    return this.engine instanceof ClientEngine && this.engine.certificateSent;
  }

  get cipherSuite(): CipherSuiteName | undefined {
    return this.engine.cipherSuite?.name;
  }

  /**
   * The next chunk of application data, or null at the end of the stream (close_notify or EOF).
   * With `max`, as much of what has arrived as fits in `max` bytes (joined into one array), unless
   * the next chunk is already larger than one record's content: then that chunk alone, uncopied.
   */
  read(max?: number): Promise<Uint8Array | null> {
    this.keepReads();
    // not async functions: a suspended one costs an idle connection far more than a callback
    return this.waitFor(1).then(() => {
      if (this.queued === 0) return null;
      const head = this.queue[0].length - this.queueOffset;
      const join = max !== undefined && head <= MAX_PLAINTEXT;
      return this.take(join ? Math.max(head, Math.min(this.queued, max)) : head);
    });
  }

  /**
   * Everything received so far, in the pieces the records carried (nothing copied), or null at
   * the end of the stream: for readers with a framing of their own, such as HTTP/2. The pieces
   * are lent: the reader is done with them by its next call, when their memory may be reused
   * for later reads (a bulk download reads into the same few buffers). Once another read method
   * has been used, whose results may be kept, memory is never reused.
   */
  readLent(): Promise<Uint8Array[] | null> {
    if (!this.readsKept) {
      this.lending ??= new LentReadBuffers(this.maxReadSize + RECORD_HEADER_LENGTH + MAX_CIPHERTEXT);
    }
    this.lending?.returned();
    return this.waitFor(1).then(() => {
      this.lending?.handedOut();
      if (this.queued === 0) return null;
      const out = this.queue.splice(0);
      if (this.queueOffset > 0) out[0] = out[0].subarray(this.queueOffset);
      this.queueOffset = 0;
      this.queued = 0;
      this.resume();
      return out;
    });
  }

  /** Exactly n bytes; throws TlsError("connection_closed") if the stream ends first. */
  readExactly(n: number): Promise<Uint8Array> {
    this.keepReads();
    return this.waitFor(n).then(() => {
      if (this.queued < n) {
        throw new TlsError("connection_closed", `stream ended after ${this.queued} of ${n} bytes`);
      }
      return this.take(n);
    });
  }

  /** Sends application data (parts are sent as one, not joined first); resolves when it has been written to the transport. */
  write(data: Uint8Array | readonly Uint8Array[]): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const memory = new SealMemory();
    try {
      this.engine.write(data, memory);
    } catch (e) {
      return Promise.reject(e); // part of the buffer may be queued: it is not given back
    }
    const written = this.flush();
    // the sealed records are in this flush's output, whatever it was joined with
    written.then(() => memory.release(), () => memory.release());
    return written;
  }

  /** Sends KeyUpdate; `requestPeer` asks the peer to update its sending key too (RFC 8446 §4.6.3). */
  updateKeys(requestPeer = false): Promise<void> {
    this.engine.updateKeys(requestPeer);
    return this.flush();
  }

  /** Sends close_notify and closes the transport. */
  close(): Promise<void> {
    if (this.closing === undefined) {
      this.engine.close();
      this.closing = this.flush().catch(() => {}).then(() => this.closeTransport());
    }
    return this.closing;
  }

  get readable(): ReadableStream<Uint8Array> {
    return this.webStreams().readable;
  }

  get writable(): WritableStream<Uint8Array> {
    return this.webStreams().writable;
  }

  /** A Node Duplex over this connection (one per connection). */
  get duplex(): Duplex {
    this.duplexView ??= toDuplex(this);
    return this.duplexView;
  }

  private webStreams() {
    this.streams ??= {
      readable: new ReadableStream<Uint8Array>({
        pull: async (controller) => {
          const chunk = await this.read();
          if (chunk === null) controller.close();
          else controller.enqueue(chunk);
        },
        cancel: () => this.close(),
      }),
      writable: new WritableStream<Uint8Array>({
        write: (chunk) => this.write(chunk),
        close: () => this.close(),
        abort: () => this.close(),
      }),
    };
    return this.streams;
  }

  /**
   * The reader keeps what it reads (or was lent): read buffers are never reused from now on. The
   * read methods but `readLent` call it themselves.
   */
  keepReads(): void {
    this.readsKept = true;
    this.lending = undefined; // what it had lent or retired never goes back to the pool
  }

  /** Resolves once n bytes are queued, or at the end of the stream; rejects on a failure first. */
  private waitFor(n: number): Promise<void> {
    // a reader waiting for more than the high-water mark raises it, or the pump would wait for it
    this.wanted = n;
    this.resume();
    return new Promise<void>((resolve, reject) => {
      const check = () => {
        if (this.queued < n && !this.eof && !this.failure) {
          this.waiters.push(check);
          return;
        }
        this.wanted = 0;
        if (this.queued < n && this.failure) reject(this.failure);
        else resolve();
      };
      check();
    });
  }

  private take(n: number): Uint8Array {
    let out: Uint8Array;
    const head = this.queue[0];
    if (head.length - this.queueOffset >= n) {
      out = head.subarray(this.queueOffset, this.queueOffset + n);
      // a block from a larger read is copied out: parts of it the caller keeps (keys, ids) must
      // not keep the whole read buffer alive; bulk runs hand out most of their buffer anyway
      if (out.buffer.byteLength > 2 * n) out = out.slice();
      this.queueOffset += n;
      if (this.queueOffset === head.length) {
        this.queue.shift();
        this.queueOffset = 0;
      }
    } else {
      out = new Uint8Array(n);
      let filled = 0;
      while (filled < n) {
        const chunk = this.queue[0];
        const part = Math.min(chunk.length - this.queueOffset, n - filled);
        out.set(chunk.subarray(this.queueOffset, this.queueOffset + part), filled);
        filled += part;
        this.queueOffset += part;
        if (this.queueOffset === chunk.length) {
          this.queue.shift();
          this.queueOffset = 0;
        }
      }
    }
    this.queued -= n;
    if (this.queued < READ_HIGH_WATER) this.resume();
    return out;
  }

  private resume(): void {
    const resume = this.resumePump;
    this.resumePump = undefined;
    resume?.();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Writes whatever the engine has queued, in order. */
  private flush(): Promise<void> {
    const out = this.engine.takeOutput();
    if (out === null) return this.writing;
    this.writing = this.writing.then(() => this.writeAll(out));
    return this.writing;
  }

  private async writeAll(bytes: Uint8Array): Promise<void> {
    if (this.transportClosed) throw this.failure ?? new TlsError("connection_closed", "transport closed");
    try {
      for (let offset = 0; offset < bytes.length;) {
        offset += await this.transport.write(bytes.subarray(offset));
      }
    } catch (e) {
      const error = new TlsError("connection_closed", "transport write failed", undefined, { cause: e });
      this.fail(error);
      throw error;
    }
  }

  private async pump(): Promise<void> {
    let size = READ_BUFFER_MIN;
    while (!this.failure && !this.eof) {
      while (this.queued >= Math.max(READ_HIGH_WATER, this.wanted) && !this.failure) {
        await new Promise<void>((resolve) => (this.resumePump = resolve));
      }
      // a buffer per read, from the engine (records are decrypted where they lie in it): fresh,
      // or a recycled one for a `readLent` reader once the handshake (whose messages are kept)
      // is over; an idle connection waits holding a small one
      const lending = this.engine.state === "connected" ? this.lending : undefined;
      const buffer = this.engine.reserve(size, lending);
      let n: number | null;
      try {
        n = await this.transport.read(buffer);
      } catch (e) {
        n = null;
        if (!this.transportClosed) {
          this.fail(new TlsError("connection_closed", "transport read failed", undefined, { cause: e }));
          return;
        }
      }
      if (n === null) {
        if (this.engine.state === "handshaking") {
          this.fail(new TlsError("connection_closed", "the peer closed during the handshake"));
        }
        this.endOfStream();
        return;
      }
      const received = n;
      if (!this.absorb(() => this.engine.receiveReserved(received))) return;
      lending?.filled();
      // a read that drained the socket means the next one probably waits: wait on a small buffer;
      // a full one means more is there: take it in big reads
      size = n < size ? READ_BUFFER_MIN : size === READ_BUFFER_MIN ? this.maxReadSize : size;
    }
  }

  /**
   * Hands received bytes to the engine and queues the plaintext; false when the connection failed.
   * Not async, so that nothing of one read stays referenced while the pump waits for the next.
   */
  private absorb(receive: () => void): boolean {
    const engine = this.engine;
    const wasHandshaking = engine.state === "handshaking";
    try {
      receive();
    } catch (e) {
      this.flush().catch(() => {});
      this.fail(e instanceof TlsError ? e : engine.abort(e));
      return false;
    }
    this.flush().catch(() => {});
    for (const chunk of engine.takeApplicationData()) {
      this.queue.push(chunk);
      this.queued += chunk.length;
    }
    if (wasHandshaking && engine.state === "connected") this.onHandshakeSettled();
    if (engine.peerClosed && engine.state === "handshaking") {
      this.fail(new TlsError("connection_closed", "the peer sent close_notify during the handshake"));
    }
    if (engine.peerClosed) this.endOfStream();
    this.wake();
    return true;
  }

  private endOfStream(): void {
    this.eof = true;
    this.wake();
  }

  /** Ends the connection with an error: pending readers see it, the transport is closed after any alert. */
  private fail(error: TlsError): void {
    if (this.failure) return;
    this.failure = error;
    this.engine.abort(error);
    this.onHandshakeSettled(error);
    this.flush().catch(() => {}).finally(() => this.closeTransport());
    this.wake();
    this.resume();
  }

  private closeTransport(): void {
    if (this.transportClosed) return;
    this.transportClosed = true;
    try {
      this.transport.close();
    } catch {
      // already closed by the peer or the runtime
    }
  }
}

/** Runs a TLS client over any byte transport and completes the handshake. */
export async function connectOver(
  transport: ByteTransport,
  options: ClientEngineOptions & ConnectionOptions,
): Promise<TlsConnection> {
  const connection = new TlsConnection(new ClientEngine(options), transport, options);
  await connection.handshake();
  return connection;
}

/** Runs a TLS server over any byte transport and completes the handshake. */
export async function acceptOver(
  transport: ByteTransport,
  options: ServerEngineOptions & ConnectionOptions,
): Promise<TlsConnection> {
  const connection = new TlsConnection(new ServerEngine(options), transport, options);
  await connection.handshake();
  return connection;
}
