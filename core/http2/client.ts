/**
 * An HTTP/2 client connection (RFC 9113) over any byte transport that hands over what it has
 * received in pieces: for the XFTP client, over our TLS. It keeps to what a client of one server
 * needs: requests with streamed bodies, responses streamed to a callback or gathered, both sides'
 * flow control, SETTINGS, PING, RST_STREAM and GOAWAY; no server push, no priorities.
 *
 * Bulk bodies never pass through an intermediate buffer: an upload's pieces are framed where they
 * lie and sealed by the transport in the same call, a download's DATA payloads reach the caller
 * as views of the received records.
 */
import { concatBytes } from "../encoding/bytes.ts";
import { Http2Error, Http2ErrorCode, http2ErrorName } from "./errors.ts";
import {
  CLIENT_PREFACE,
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_WINDOW_SIZE,
  Flag,
  frame,
  frameHeader,
  FrameReader,
  type FrameSink,
  FrameType,
  goawayFrame,
  headersFragment,
  MAX_ALLOWED_FRAME_SIZE,
  MAX_WINDOW_SIZE,
  parseSettings,
  rstStreamFrame,
  Setting,
  settingsFrame,
  uint31,
  uint32,
  windowUpdateFrame,
} from "./frame.ts";
import { encodeHeaders, type HeaderField, HpackDecoder } from "./hpack.ts";

/** What the connection runs over: a TlsConnection fits. */
export interface Http2Transport {
  /**
   * Everything received so far, in the pieces it came in; null at the end of the stream. The
   * pieces are the session's only until it calls again (the transport may reuse their memory),
   * so it copies what it keeps.
   */
  readLent(): Promise<Uint8Array[] | null>;
  /** Sends the parts as one; they may be reused once this returns (the promise is for back-pressure). */
  write(parts: readonly Uint8Array[]): Promise<void>;
  close(): Promise<void>;
}

export interface Http2ClientOptions {
  /** :authority of the requests */
  readonly authority: string;
  /** each stream's receive window (SETTINGS_INITIAL_WINDOW_SIZE); default 65535 */
  readonly streamWindow?: number;
  /** the connection's receive window; default 65535 */
  readonly connectionWindow?: number;
}

/** A request body: the bytes, or a function that streams them (each piece may be reused once the next is asked for). */
export type RequestBody = Uint8Array | (() => AsyncIterable<Uint8Array> | Iterable<Uint8Array>);

export interface Http2Request {
  readonly method: string;
  readonly path: string;
  readonly headers?: readonly HeaderField[];
  readonly body?: RequestBody;
  /**
   * Takes the response body as it arrives, else it is gathered. Each piece is valid only during
   * the call (its memory may be reused for later reads): copy what is kept.
   */
  readonly onData?: (piece: Uint8Array) => void;
}

export interface Http2Response {
  readonly status: number;
  readonly headers: readonly HeaderField[];
  /** The gathered body; empty when `onData` took it. */
  readonly body: Uint8Array;
}

/** Frames of an upload gathered into one transport write, at most. */
const WRITE_BATCH = 256 * 1024;

class ClientStream {
  /** what we may still send (the peer's window for this stream) */
  sendWindow: number;
  /** what the peer may still send before our next WINDOW_UPDATE */
  receiveWindow: number;
  /** received since our last WINDOW_UPDATE */
  unacknowledged = 0;
  status: number | undefined;
  headers: HeaderField[] = [];
  readonly parts: Uint8Array[] = [];
  localEnded = false;
  done = false;

  constructor(
    readonly id: number,
    sendWindow: number,
    receiveWindow: number,
    readonly request: Http2Request,
    readonly resolve: (r: Http2Response) => void,
    readonly reject: (e: Error) => void,
  ) {
    this.sendWindow = sendWindow;
    this.receiveWindow = receiveWindow;
  }
}

export class Http2ClientSession implements FrameSink {
  private readonly reader: FrameReader;
  private readonly decoder = new HpackDecoder();
  private readonly streams = new Map<number, ClientStream>();
  private nextStreamId = 1;
  // the peer's settings
  private peerInitialWindow = DEFAULT_WINDOW_SIZE;
  private peerMaxFrame = DEFAULT_MAX_FRAME_SIZE;
  private peerMaxStreams = Infinity;
  /** what we may still send on the connection */
  private sendWindow = DEFAULT_WINDOW_SIZE;
  private receiveWindow: number;
  private unacknowledged = 0;
  private readonly streamWindow: number;
  private readonly connectionWindow: number;
  /** a header block split over CONTINUATION frames */
  private continuing: { streamId: number; flags: number; fragments: Uint8Array[] } | undefined;
  /** control frames to send once the received bytes are processed */
  private control: Uint8Array[] = [];
  /** streams whose receive window wants an update */
  private readonly consumed = new Set<ClientStream>();
  /** woken when a send window opens, a stream slot frees up, or the connection ends */
  private waiters: (() => void)[] = [];
  private failure: Error | undefined;
  private goingAway = false;
  private closing: Promise<void> | undefined;
  readonly closed: Promise<void>;

  private constructor(
    private readonly transport: Http2Transport,
    private readonly options: Http2ClientOptions,
  ) {
    this.streamWindow = options.streamWindow ?? DEFAULT_WINDOW_SIZE;
    this.connectionWindow = Math.max(DEFAULT_WINDOW_SIZE, options.connectionWindow ?? DEFAULT_WINDOW_SIZE);
    this.receiveWindow = this.connectionWindow;
    this.reader = new FrameReader(this);
    this.closed = this.readLoop();
  }

  /** Sends the preface and our SETTINGS over an open transport and starts reading. */
  static open(transport: Http2Transport, options: Http2ClientOptions): Http2ClientSession {
    const session = new Http2ClientSession(transport, options);
    const preface = [
      CLIENT_PREFACE,
      settingsFrame([[Setting.ENABLE_PUSH, 0], [Setting.INITIAL_WINDOW_SIZE, session.streamWindow]]),
    ];
    if (session.connectionWindow > DEFAULT_WINDOW_SIZE) {
      preface.push(windowUpdateFrame(0, session.connectionWindow - DEFAULT_WINDOW_SIZE));
    }
    session.send(preface);
    return session;
  }

  /** One request; resolves with the response once its body ended (or was handed to `onData`). */
  async request(request: Http2Request): Promise<Http2Response> {
    while (this.streams.size >= this.peerMaxStreams && !this.failure && !this.goingAway) await this.wait();
    if (this.failure) throw this.failure;
    if (this.goingAway) throw new Http2Error(Http2ErrorCode.REFUSED_STREAM, "the connection is closing");
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    let stream!: ClientStream;
    const response = new Promise<Http2Response>((resolve, reject) => {
      stream = new ClientStream(id, this.peerInitialWindow, this.streamWindow, request, resolve, reject);
    });
    this.streams.set(id, stream);
    const block = encodeHeaders([
      [":method", request.method],
      [":scheme", "https"],
      [":authority", this.options.authority],
      [":path", request.path],
      ...(request.headers ?? []),
    ]);
    const body = request.body;
    const empty = body === undefined || (body instanceof Uint8Array && body.length === 0);
    this.sendHeaders(id, block, empty);
    if (empty) stream.localEnded = true;
    else {
      this.sendBody(stream, body).catch((e) => {
        if (stream.done) return;
        this.send([rstStreamFrame(id, Http2ErrorCode.CANCEL)]);
        this.finish(stream, e instanceof Error ? e : new Error(String(e)));
      });
    }
    return await response;
  }

  /** Sends GOAWAY, fails what is still open, and closes the transport. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (!this.failure) {
        this.goingAway = true;
        await this.transport.write([goawayFrame(0, Http2ErrorCode.NO_ERROR)]).catch(() => {});
      }
      this.terminate(new Http2Error(Http2ErrorCode.CANCEL, "the connection was closed"));
      await this.transport.close().catch(() => {});
      await this.closed;
    })();
    return this.closing;
  }

  private sendHeaders(id: number, block: Uint8Array, endStream: boolean): void {
    const frames: Uint8Array[] = [];
    const max = this.peerMaxFrame;
    for (let offset = 0; offset === 0 || offset < block.length; offset += max) {
      const fragment = block.subarray(offset, offset + max);
      const last = offset + max >= block.length;
      const type = offset === 0 ? FrameType.HEADERS : FrameType.CONTINUATION;
      const flags = (last ? Flag.END_HEADERS : 0) | (offset === 0 && endStream ? Flag.END_STREAM : 0);
      frames.push(frame(type, flags, id, fragment));
    }
    this.send(frames);
  }

  private async sendBody(stream: ClientStream, body: RequestBody): Promise<void> {
    let batch: Uint8Array[] = [];
    let batched = 0;
    let inFlight: Promise<void> | undefined;
    // sealed now, so the pieces may be reused; at most two writes wait for the transport
    const flush = async (endStream: boolean) => {
      if (endStream) batch.push(frameHeader(0, FrameType.DATA, Flag.END_STREAM, stream.id));
      if (batch.length === 0) return;
      const written = this.transport.write(batch);
      batch = [];
      batched = 0;
      const previous = inFlight;
      inFlight = written;
      await previous;
    };
    const pieces = body instanceof Uint8Array ? [body] : body();
    for await (const piece of pieces) {
      for (let offset = 0; offset < piece.length;) {
        if (stream.done) return;
        if (this.failure) throw this.failure;
        const n = Math.min(this.sendWindow, stream.sendWindow, this.peerMaxFrame, piece.length - offset);
        if (n <= 0) {
          await flush(false);
          await this.wait();
          continue;
        }
        batch.push(frameHeader(n, FrameType.DATA, 0, stream.id), piece.subarray(offset, offset + n));
        this.sendWindow -= n;
        stream.sendWindow -= n;
        offset += n;
        batched += n;
        if (batched >= WRITE_BATCH) await flush(false);
      }
      await flush(false);
    }
    if (stream.done) return;
    stream.localEnded = true;
    await flush(true);
    await inFlight;
  }

  private wait(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private send(frames: Uint8Array[]): void {
    if (this.failure) return;
    this.transport.write(frames).catch((e) => this.terminate(e));
  }

  private async readLoop(): Promise<void> {
    try {
      for (;;) {
        const pieces = await this.transport.readLent();
        if (pieces === null) break;
        for (const piece of pieces) this.reader.push(piece);
        this.acknowledgeReceived();
        if (this.control.length > 0) {
          this.send(this.control);
          this.control = [];
        }
        if (this.goingAway && this.streams.size === 0) break;
      }
      this.terminate(new Http2Error(Http2ErrorCode.CANCEL, "the connection ended"));
    } catch (e) {
      if (e instanceof Http2Error && !this.failure) {
        // our own complaint about the peer's frames: tell it why before closing
        await this.transport.write([goawayFrame(this.nextStreamId - 2, e.code)]).catch(() => {});
      }
      this.terminate(e instanceof Error ? e : new Error(String(e)));
    }
    await this.transport.close().catch(() => {});
  }

  /** WINDOW_UPDATEs once half a window has been taken, so the peer never waits on a full one. */
  private acknowledgeReceived(): void {
    if (this.unacknowledged >= this.connectionWindow / 2) {
      this.control.push(windowUpdateFrame(0, this.unacknowledged));
      this.receiveWindow += this.unacknowledged;
      this.unacknowledged = 0;
    }
    for (const s of this.consumed) {
      if (!s.done && s.unacknowledged >= this.streamWindow / 2) {
        this.control.push(windowUpdateFrame(s.id, s.unacknowledged));
        s.receiveWindow += s.unacknowledged;
        s.unacknowledged = 0;
      }
    }
    this.consumed.clear();
  }

  private terminate(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const s of this.streams.values()) this.finish(s, error);
    this.wake();
  }

  /** Ends a stream: with its response, or with an error. */
  private finish(stream: ClientStream, error?: Error): void {
    if (stream.done) return;
    stream.done = true;
    this.streams.delete(stream.id);
    this.consumed.delete(stream);
    if (error) stream.reject(error);
    else {
      stream.resolve({
        status: stream.status ?? 0,
        headers: stream.headers,
        body: concatBytes(...stream.parts),
      });
    }
    this.wake();
  }

  // FrameSink: the reader's frames, in order

  dataStart(streamId: number, length: number): void {
    this.expectNoContinuation(FrameType.DATA);
    if (streamId === 0) throw new Http2Error(Http2ErrorCode.PROTOCOL_ERROR, "DATA on stream 0");
    this.receiveWindow -= length;
    this.unacknowledged += length;
    if (this.receiveWindow < 0) {
      throw new Http2Error(Http2ErrorCode.FLOW_CONTROL_ERROR, "DATA beyond the connection window");
    }
    const stream = this.streams.get(streamId);
    if (!stream) return; // one we reset: its window no longer matters
    stream.receiveWindow -= length;
    stream.unacknowledged += length;
    this.consumed.add(stream);
    if (stream.receiveWindow < 0) {
      this.resetStream(stream, Http2ErrorCode.FLOW_CONTROL_ERROR, "DATA beyond the stream window");
    } else if (stream.status === undefined) {
      this.resetStream(stream, Http2ErrorCode.PROTOCOL_ERROR, "DATA before the response headers");
    }
  }

  data(streamId: number, piece: Uint8Array): void {
    const stream = this.streams.get(streamId);
    if (!stream) return;
    if (stream.request.onData) {
      try {
        stream.request.onData(piece);
      } catch (e) {
        this.resetStream(stream, Http2ErrorCode.CANCEL, e instanceof Error ? e : new Error(String(e)));
      }
    } else stream.parts.push(piece.slice()); // the piece is lent (Http2Transport.readLent)
  }

  dataEnd(streamId: number, flags: number): void {
    const stream = this.streams.get(streamId);
    if (stream && flags & Flag.END_STREAM) this.remoteEnded(stream);
  }

  frame(type: number, flags: number, streamId: number, payload: Uint8Array): void {
    this.expectNoContinuation(type);
    switch (type) {
      case FrameType.HEADERS:
        if (streamId === 0) throw new Http2Error(Http2ErrorCode.PROTOCOL_ERROR, "HEADERS on stream 0");
        this.continuing = { streamId, flags, fragments: [headersFragment(flags, payload)] };
        if (flags & Flag.END_HEADERS) this.headerBlock();
        return;
      case FrameType.CONTINUATION:
        if (this.continuing?.streamId !== streamId) {
          throw new Http2Error(Http2ErrorCode.PROTOCOL_ERROR, "CONTINUATION without HEADERS");
        }
        this.continuing.fragments.push(payload);
        if (flags & Flag.END_HEADERS) this.headerBlock();
        return;
      case FrameType.SETTINGS:
        return this.settings(flags, streamId, payload);
      case FrameType.WINDOW_UPDATE:
        return this.windowUpdate(streamId, payload);
      case FrameType.PING:
        if (streamId !== 0) throw new Http2Error(Http2ErrorCode.PROTOCOL_ERROR, "PING on a stream");
        if (payload.length !== 8) {
          throw new Http2Error(Http2ErrorCode.FRAME_SIZE_ERROR, "PING is not 8 bytes");
        }
        if (!(flags & Flag.ACK)) this.control.push(frame(FrameType.PING, Flag.ACK, 0, payload));
        return;
      case FrameType.RST_STREAM: {
        if (streamId === 0) throw new Http2Error(Http2ErrorCode.PROTOCOL_ERROR, "RST_STREAM on stream 0");
        if (payload.length !== 4) {
          throw new Http2Error(Http2ErrorCode.FRAME_SIZE_ERROR, "RST_STREAM is not 4 bytes");
        }
        const stream = this.streams.get(streamId);
        const code = uint32(payload);
        if (stream) {
          this.finish(stream, new Http2Error(code, `the server reset the stream (${http2ErrorName(code)})`));
        }
        return;
      }
      case FrameType.GOAWAY:
        return this.goaway(streamId, payload);
      case FrameType.PUSH_PROMISE:
        throw new Http2Error(Http2ErrorCode.PROTOCOL_ERROR, "PUSH_PROMISE although push is disabled");
      default:
        return; // PRIORITY and unknown types carry nothing a client must act on
    }
  }

  private expectNoContinuation(type: number): void {
    if (this.continuing && type !== FrameType.CONTINUATION) {
      throw new Http2Error(Http2ErrorCode.PROTOCOL_ERROR, "a header block interrupted");
    }
  }

  private headerBlock(): void {
    const { streamId, flags, fragments } = this.continuing!;
    this.continuing = undefined;
    // decoded even for a stream we dropped: the table must stay in step with the server's
    const fields = this.decoder.decode(concatBytes(...fragments));
    const stream = this.streams.get(streamId);
    if (!stream) return;
    if (stream.status === undefined) {
      const status = Number(fields.find(([name]) => name === ":status")?.[1]);
      if (!Number.isInteger(status)) {
        return this.resetStream(stream, Http2ErrorCode.PROTOCOL_ERROR, "a response without :status");
      }
      // interim responses (1xx) precede the real one
      if (status >= 200) {
        stream.status = status;
        stream.headers = fields.filter(([name]) => !name.startsWith(":"));
      }
    }
    if (flags & Flag.END_STREAM) this.remoteEnded(stream);
  }

  private remoteEnded(stream: ClientStream): void {
    if (stream.status === undefined) {
      return this.resetStream(stream, Http2ErrorCode.PROTOCOL_ERROR, "the response ended before its headers");
    }
    // a server may answer before the whole request is sent (§8.1): stop sending it
    if (!stream.localEnded) this.control.push(rstStreamFrame(stream.id, Http2ErrorCode.CANCEL));
    this.finish(stream);
  }

  private resetStream(stream: ClientStream, code: number, reason: string | Error): void {
    this.control.push(rstStreamFrame(stream.id, code));
    this.finish(stream, reason instanceof Error ? reason : new Http2Error(code, reason));
  }

  private settings(flags: number, streamId: number, payload: Uint8Array): void {
    if (streamId !== 0) throw new Http2Error(Http2ErrorCode.PROTOCOL_ERROR, "SETTINGS on a stream");
    if (flags & Flag.ACK) {
      if (payload.length !== 0) {
        throw new Http2Error(Http2ErrorCode.FRAME_SIZE_ERROR, "SETTINGS ACK with a payload");
      }
      return;
    }
    for (const [id, value] of parseSettings(payload)) {
      if (id === Setting.INITIAL_WINDOW_SIZE) {
        if (value > MAX_WINDOW_SIZE) {
          throw new Http2Error(Http2ErrorCode.FLOW_CONTROL_ERROR, "SETTINGS_INITIAL_WINDOW_SIZE too large");
        }
        // the change applies to every open stream's window (§6.9.2)
        for (const s of this.streams.values()) s.sendWindow += value - this.peerInitialWindow;
        this.peerInitialWindow = value;
      } else if (id === Setting.MAX_FRAME_SIZE) {
        if (value < DEFAULT_MAX_FRAME_SIZE || value > MAX_ALLOWED_FRAME_SIZE) {
          throw new Http2Error(Http2ErrorCode.PROTOCOL_ERROR, "SETTINGS_MAX_FRAME_SIZE out of range");
        }
        this.peerMaxFrame = value;
      } else if (id === Setting.MAX_CONCURRENT_STREAMS) this.peerMaxStreams = value;
      else if (id === Setting.ENABLE_PUSH && value > 1) {
        throw new Http2Error(Http2ErrorCode.PROTOCOL_ERROR, "SETTINGS_ENABLE_PUSH not 0 or 1");
      }
    }
    this.control.push(frame(FrameType.SETTINGS, Flag.ACK, 0));
    this.wake();
  }

  private windowUpdate(streamId: number, payload: Uint8Array): void {
    if (payload.length !== 4) {
      throw new Http2Error(Http2ErrorCode.FRAME_SIZE_ERROR, "WINDOW_UPDATE is not 4 bytes");
    }
    const increment = uint31(payload);
    if (streamId === 0) {
      if (increment === 0) throw new Http2Error(Http2ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE of 0");
      this.sendWindow += increment;
      if (this.sendWindow > MAX_WINDOW_SIZE) {
        throw new Http2Error(Http2ErrorCode.FLOW_CONTROL_ERROR, "the connection window overflowed");
      }
    } else {
      const stream = this.streams.get(streamId);
      if (!stream) return;
      if (increment === 0) {
        return this.resetStream(stream, Http2ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE of 0");
      }
      stream.sendWindow += increment;
      if (stream.sendWindow > MAX_WINDOW_SIZE) {
        return this.resetStream(stream, Http2ErrorCode.FLOW_CONTROL_ERROR, "the stream window overflowed");
      }
    }
    this.wake();
  }

  private goaway(streamId: number, payload: Uint8Array): void {
    if (streamId !== 0) throw new Http2Error(Http2ErrorCode.PROTOCOL_ERROR, "GOAWAY on a stream");
    if (payload.length < 8) {
      throw new Http2Error(Http2ErrorCode.FRAME_SIZE_ERROR, "GOAWAY shorter than 8 bytes");
    }
    const last = uint31(payload);
    const code = uint32(payload, 4);
    this.goingAway = true;
    // streams after the last one the server took were never processed, so may be retried
    for (const s of this.streams.values()) {
      if (s.id > last) {
        this.finish(
          s,
          new Http2Error(Http2ErrorCode.REFUSED_STREAM, `the server is going away (${http2ErrorName(code)})`),
        );
      }
    }
    this.wake();
  }
}
