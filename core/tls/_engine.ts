/**
 * The sans-I/O core shared by client and server: bytes in (`receive`), bytes out (`takeOutput`),
 * application data out (`takeApplicationData`). It owns the record layer, alerts (RFC 8446 §6),
 * KeyUpdate (§4.6.3) and close_notify; the subclasses own the handshake state machines.
 */
import { AlertDescription, alertName, TlsError } from "./errors.ts";
import { fail } from "./errors.ts";
import type { CipherSuite } from "./_cipher_suite.ts";
import { nextTrafficSecret } from "./_key_schedule.ts";
import { decodeHandshake, encodeHandshake, type Handshake, HandshakeReader } from "./_messages.ts";
import {
  type BufferProvider,
  ContentType,
  MAX_PLAINTEXT,
  plaintextRecord,
  protectedLength,
  RecordProtection,
  RecordReader,
  type TlsRecord,
} from "./_record.ts";

/** Records per key before we rotate it: well under the AES-GCM limit of 2^24.5 (RFC 8446 §5.5). */
const KEY_UPDATE_AFTER_RECORDS = 2 ** 24;

export type EngineState = "handshaking" | "connected" | "failed";

export abstract class TlsEngine {
  state: EngineState = "handshaking";
  /** the fatal error that ended this connection, if any */
  error: TlsError | undefined;
  /** client Finished verify_data, set when the handshake completes */
  sessionId: Uint8Array | undefined;
  alpn: string | undefined;
  serverName: string | undefined;
  /** DER certificates the peer presented, leaf first (empty if it presented none) */
  peerCertificates: Uint8Array[] = [];
  cipherSuite: CipherSuite | undefined;
  /** true once the peer's close_notify arrived: no more data will come */
  peerClosed = false;
  /** true once our close_notify was queued: no more data may be sent */
  localClosed = false;

  private readonly records = new RecordReader();
  private readonly handshakes = new HandshakeReader();
  private readProtection: RecordProtection | undefined;
  private writeProtection: RecordProtection | undefined;
  private output: Uint8Array[] = [];
  private outputLength = 0;
  private received: Uint8Array[] = [];
  /** where the record just processed ended in its buffer, when it continued a run of application data; else -1 */
  private lastDataRecordEnd = -1;
  /** bytes of undecryptable 0-RTT records still to drop after declining early data */
  protected earlyDataToSkip = 0;
  /** the peer's Finished has been processed: application data and post-handshake messages may follow */
  protected peerFinished = false;

  /** Handles one handshake message of the handshake proper (before both Finished). */
  protected abstract onHandshake(message: Handshake, raw: Uint8Array): void;

  /** Feeds bytes from the transport. Throws TlsError on a fatal error, after queuing our alert. */
  receive(bytes: Uint8Array): void {
    this.process(() => this.records.push(bytes));
  }

  /**
   * Room to read up to `size` bytes of the stream into, then handed over with `receiveReserved`:
   * the bytes are not copied on the way in, and records are decrypted where they lie.
   */
  reserve(size: number, memory?: BufferProvider): Uint8Array {
    return this.records.reserve(size, memory);
  }

  /** Processes the first `n` bytes read into the last `reserve`. */
  receiveReserved(n: number): void {
    this.process(() => this.records.commit(n));
  }

  private process(take: () => void): void {
    if (this.state === "failed") throw this.error!;
    if (this.peerClosed) return; // nothing after close_notify counts (RFC 8446 §6.1)
    try {
      take();
      for (let r = this.records.next(); r !== null; r = this.records.next()) {
        this.onRecord(r);
        if (this.peerClosed) break;
      }
    } catch (e) {
      throw this.abort(e);
    }
  }

  /** Pending bytes for the transport, or null. */
  takeOutput(): Uint8Array | null {
    if (this.output.length === 0) return null;
    const out = this.output.length === 1 ? this.output[0] : concatChunks(this.output, this.outputLength);
    this.output = [];
    this.outputLength = 0;
    return out;
  }

  /** Application data received since the last call, in order. */
  takeApplicationData(): Uint8Array[] {
    const out = this.received;
    this.received = [];
    this.lastDataRecordEnd = -1;
    return out;
  }

  /**
   * Encrypts application data, in records of at most 2^14 bytes sealed straight from the given
   * parts into one buffer: fresh, or from `memory`.
   */
  write(data: Uint8Array | readonly Uint8Array[], memory?: BufferProvider): void {
    if (this.state !== "connected") {
      throw this.error ?? new TlsError("unexpected_message", "handshake not complete");
    }
    if (this.localClosed) throw new TlsError("connection_closed", "write after close_notify");
    const parts = data instanceof Uint8Array ? [data] : data;
    let length = 0;
    for (const part of parts) length += part.length;
    if (length === 0) return;
    // all records of one write go into one buffer: one allocation, one transport write
    const sealed = length + Math.ceil(length / MAX_PLAINTEXT) * protectedLength(0);
    const out = memory?.allocate(sealed) ?? new Uint8Array(sealed);
    let start = 0;
    let offset = 0;
    for (const content of recordContents(parts, MAX_PLAINTEXT)) {
      if (this.writeProtection!.count >= KEY_UPDATE_AFTER_RECORDS) {
        this.pushOutput(out.subarray(start, offset)); // KeyUpdate must follow the records before it
        this.updateKeys(false);
        start = offset;
      }
      let contentLength = 0;
      for (const piece of content) contentLength += piece.length;
      this.writeProtection!.protectInto(ContentType.application_data, content, out.subarray(offset));
      offset += protectedLength(contentLength);
    }
    this.pushOutput(out.subarray(start, offset));
  }

  close(): void {
    if (this.localClosed || this.state === "failed") return;
    this.localClosed = true;
    this.sendAlert(AlertDescription.close_notify);
  }

  /** Sends KeyUpdate and switches to the next sending key; `requestPeer` asks the peer to do the same. */
  updateKeys(requestPeer: boolean): void {
    if (this.state !== "connected") {
      throw new TlsError("unexpected_message", "KeyUpdate before the handshake completed");
    }
    if (this.localClosed) throw new TlsError("connection_closed", "KeyUpdate after close_notify");
    this.sendHandshake({ type: "key_update", updateRequested: requestPeer });
    this.writeProtection = new RecordProtection(
      this.writeProtection!.suite,
      nextTrafficSecret(this.writeProtection!.secret),
    );
  }

  /** Ends the connection with a fatal error: queues its alert and remembers it. */
  abort(e: unknown): TlsError {
    if (this.state === "failed") return this.error!;
    const error = e instanceof TlsError
      ? e
      : new TlsError("internal_error", String(e), AlertDescription.internal_error, { cause: e });
    this.state = "failed";
    this.error = error;
    if (
      error.code !== "peer_alert" && error.code !== "connection_closed" && error.code !== "handshake_timeout"
    ) {
      this.sendAlert(error.alert);
    }
    return error;
  }

  protected setReadKeys(suite: CipherSuite, secret: Uint8Array): void {
    // handshake messages must not span a key change (RFC 8446 §5.1)
    if (this.handshakes.hasPartial) fail("unexpected_message", "handshake data left over at a key change");
    this.readProtection = new RecordProtection(suite, secret);
  }

  protected setWriteKeys(suite: CipherSuite, secret: Uint8Array): void {
    this.writeProtection = new RecordProtection(suite, secret);
  }

  /** Sends a handshake message; returns its encoding for the transcript. */
  protected sendHandshake(message: Handshake, version = 0x0303): Uint8Array {
    return this.sendHandshakeBytes(encodeHandshake(message), version);
  }

  /** Puts encoded handshake bytes into records under the current write keys. */
  protected sendHandshakeBytes(raw: Uint8Array, version = 0x0303): Uint8Array {
    if (this.writeProtection === undefined) {
      for (let i = 0; i < raw.length; i += MAX_PLAINTEXT) {
        this.pushOutput(plaintextRecord(ContentType.handshake, raw.subarray(i, i + MAX_PLAINTEXT), version));
      }
    } else {
      for (let i = 0; i < raw.length; i += MAX_PLAINTEXT) {
        this.pushOutput(
          this.writeProtection.protect(ContentType.handshake, raw.subarray(i, i + MAX_PLAINTEXT)),
        );
      }
    }
    return raw;
  }

  protected completeHandshake(): void {
    this.state = "connected";
  }

  private sendAlert(alert: number): void {
    // fatal alerts and close_notify are level 2/1; TLS 1.3 ignores the level (RFC 8446 §6)
    const body = Uint8Array.of(alert === AlertDescription.close_notify ? 1 : 2, alert);
    this.pushOutput(
      this.writeProtection === undefined
        ? plaintextRecord(ContentType.alert, body)
        : this.writeProtection.protect(ContentType.alert, body),
    );
  }

  private pushOutput(bytes: Uint8Array): void {
    this.output.push(bytes);
    this.outputLength += bytes.length;
  }

  private onRecord(record: TlsRecord): void {
    const previousEnd = this.lastDataRecordEnd;
    this.lastDataRecordEnd = -1; // any record but application data ends a run (keepApplicationData)
    if (record.type === ContentType.change_cipher_spec) {
      // middlebox compatibility (RFC 8446 §5, D.4): one byte 0x01, only during the handshake
      if (this.peerFinished || record.fragment.length !== 1 || record.fragment[0] !== 1) {
        fail("unexpected_message", "change_cipher_spec outside the handshake");
      }
      return;
    }
    let type: number = record.type;
    let content = record.fragment;
    if (this.readProtection !== undefined) {
      if (record.type === ContentType.alert && !this.peerFinished) {
        // a peer that failed before deriving keys sends its alert in the clear
        content = record.fragment;
      } else if (this.earlyDataToSkip > 0) {
        // 0-RTT data we declined (RFC 8446 §4.2.10): drop what does not open, up to a bound
        try {
          ({ type, content } = this.readProtection.unprotect(record));
          this.earlyDataToSkip = 0;
        } catch (e) {
          if (!(e instanceof TlsError) || e.code !== "bad_record_mac") throw e;
          this.earlyDataToSkip -= record.fragment.length;
          return;
        }
      } else {
        ({ type, content } = this.readProtection.unprotect(record));
      }
    } else if (record.type === ContentType.application_data) {
      if (this.earlyDataToSkip > 0) {
        // 0-RTT records sent with a ClientHello we answered with HelloRetryRequest (§4.2.10)
        this.earlyDataToSkip -= record.fragment.length;
        return;
      }
      fail("unexpected_message", "application data before keys were established");
    } else if (record.fragment.length > MAX_PLAINTEXT) {
      fail("record_overflow", "plaintext record over 2^14 bytes");
    } else {
      content = record.fragment.slice(); // handshake messages are kept; the record is the stream's
    }
    switch (type) {
      case ContentType.alert:
        return this.onAlert(content);
      case ContentType.handshake:
        if (content.length === 0) fail("unexpected_message", "empty handshake record");
        return this.onHandshakeBytes(content);
      case ContentType.application_data:
        if (!this.peerFinished) fail("unexpected_message", "application data before Finished");
        return this.keepApplicationData(record, content, previousEnd);
      default:
        fail("unexpected_message", `content type ${type}`);
    }
  }

  /**
   * Keeps decrypted application data for the reader. Records decrypted in place, one right after
   * the other in the stream's buffer, become one run: the content moves down over the tag and
   * header between them, so what one large read brought in leaves as one array, never copied into
   * fresh memory. `previousEnd` is where the record before this one ended, when it was such a run.
   */
  private keepApplicationData(record: TlsRecord, content: Uint8Array, previousEnd: number): void {
    if (content.length === 0) return;
    const inPlace = content.buffer === record.header.buffer;
    const last = this.received[this.received.length - 1];
    if (inPlace && previousEnd === record.header.byteOffset && last?.buffer === content.buffer) {
      const end = last.byteOffset + last.length;
      new Uint8Array(content.buffer).copyWithin(end, content.byteOffset, content.byteOffset + content.length);
      this.received[this.received.length - 1] = new Uint8Array(
        content.buffer,
        last.byteOffset,
        last.length + content.length,
      );
    } else {
      this.received.push(content);
    }
    if (inPlace) this.lastDataRecordEnd = record.fragment.byteOffset + record.fragment.length;
  }

  private onAlert(content: Uint8Array): void {
    if (content.length !== 2) fail("decode_error", "malformed alert");
    const description = content[1];
    if (description === AlertDescription.close_notify) {
      this.peerClosed = true;
      return;
    }
    if (description === AlertDescription.user_canceled) return; // a warning, close_notify follows
    throw new TlsError(
      "peer_alert",
      `peer sent ${alertName(description)}`,
      description as AlertDescription,
    );
  }

  private onHandshakeBytes(content: Uint8Array): void {
    this.handshakes.push(content);
    for (let m = this.handshakes.next(); m !== null; m = this.handshakes.next()) {
      const message = decodeHandshake(m.msgType, m.body);
      if (this.state === "connected" && this.peerFinished) this.onPostHandshake(message);
      else this.onHandshake(message, m.raw);
    }
  }

  /** NewSessionTicket is ignored (no resumption); KeyUpdate ratchets the receiving key (§4.6.3). */
  private onPostHandshake(message: Handshake): void {
    switch (message.type) {
      case "new_session_ticket":
        return;
      case "key_update":
        this.setReadKeys(this.readProtection!.suite, nextTrafficSecret(this.readProtection!.secret));
        if (message.updateRequested && !this.localClosed) this.updateKeys(false);
        return;
      default:
        fail("unexpected_message", `${message.type} after the handshake`);
    }
  }
}

function concatChunks(chunks: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

/** The parts cut into record contents of at most `max` bytes, each a list of views of the parts. */
function* recordContents(parts: readonly Uint8Array[], max: number): Generator<Uint8Array[]> {
  let content: Uint8Array[] = [];
  let room = max;
  for (const part of parts) {
    for (let offset = 0; offset < part.length;) {
      const piece = part.subarray(offset, offset + room);
      content.push(piece);
      offset += piece.length;
      room -= piece.length;
      if (room === 0) {
        yield content;
        content = [];
        room = max;
      }
    }
  }
  if (content.length > 0) yield content;
}
