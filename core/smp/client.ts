/**
 * An SMP client over an established session: sends commands (batched when sent together),
 * matches responses by corrId, and hands server-initiated events (MSG, END, DELD, NMSG…) to a
 * listener. Used by tests, by the relay's proxy role and by chat.
 */
import { cbAuthenticate } from "../crypto/authenticator.ts";
import { cbNonce, cryptoBoxOpen } from "../crypto/box.ts";
import { type PrivateKey, randomBytes, sign, type SignatureAlgorithm } from "../crypto/keys.ts";
import { decode } from "../encoding/binary.ts";
import { concatBytes, toHex } from "../encoding/bytes.ts";
import { unpad } from "../encoding/padding.ts";
import type { ClientSession } from "../transport/smp_handshake.ts";
import { SmpTransport } from "../transport/smp_transport.ts";
import type { BlockStream } from "../transport/smp_handshake.ts";
import { type Command, encodeCommand } from "./commands.ts";
import { type BrokerMsg, parseBrokerMsg } from "./responses.ts";
import { encodeTransmission, parseTransmission, transmissionForAuth } from "./transmission.ts";

/** Commands a service session signs with its service key too. */
const SERVICE_SIGNED = new Set(["NEW", "SUB", "NSUB"]);
/** Commands only the service key signs (entity: the service ID). */
const SERVICE_COMMANDS = new Set(["SUBS", "NSUBS"]);

/** A key that authorizes commands: a signature key or an X25519 key (authenticator). */
export type AuthPrivateKey = PrivateKey<SignatureAlgorithm | "X25519">;

export interface SmpRequest {
  readonly entityId: Uint8Array;
  readonly command: Command;
  readonly key?: AuthPrivateKey;
  /** defaults to 24 random bytes, as official clients send */
  readonly corrId?: Uint8Array;
}

export interface SmpEvent {
  readonly entityId: Uint8Array;
  readonly msg: BrokerMsg;
}

export class SmpClientError extends Error {
  override name = "SmpClientError";
}

export class SmpClient {
  readonly #transport: SmpTransport;
  readonly #pending = new Map<string, { resolve: (e: SmpEvent) => void; reject: (e: Error) => void }>();
  readonly #events: SmpEvent[] = [];
  #eventWaiter?: () => void;
  #closed = false;
  /** resolves when the connection ends */
  readonly done: Promise<void>;

  /**
   * `serviceKey`: in a service session, the Ed25519 key whose signature NEW, SUB and NSUB carry
   * beside the queue key's (and SUBS/NSUBS alone)
   */
  constructor(
    stream: BlockStream,
    readonly session: ClientSession,
    private readonly serviceKey?: PrivateKey<"Ed25519">,
  ) {
    this.#transport = new SmpTransport(stream, session);
    this.done = this.#readLoop();
  }

  get version(): number {
    return this.session.version;
  }

  /** Sends one command and waits for its response. */
  request(
    entityId: Uint8Array,
    command: Command,
    key?: AuthPrivateKey,
    corrId?: Uint8Array,
  ): Promise<BrokerMsg> {
    return this.requests([{ entityId, command, key, corrId }])[0];
  }

  /** Sends commands in as few blocks as possible; one promise per command, in order. */
  requests(requests: readonly SmpRequest[]): Promise<BrokerMsg>[] {
    const encoded = requests.map((r) => this.encode(r));
    return this.sendEncoded(encoded).map((p) => p.then((e) => e.msg));
  }

  /**
   * Sends encoded transmissions (also malformed ones, for tests) and resolves each with the
   * response that echoes its corrId, entity included.
   */
  sendEncoded(encoded: readonly { corrId: Uint8Array; bytes: Uint8Array }[]): Promise<SmpEvent>[] {
    const promises = encoded.map(({ corrId }) =>
      new Promise<SmpEvent>((resolve, reject) => {
        if (this.#closed) return reject(new SmpClientError("connection closed"));
        this.#pending.set(toHex(corrId), { resolve, reject });
      })
    );
    this.#transport.write(encoded.map((e) => e.bytes)).then((tooLarge) => {
      for (const i of tooLarge) this.#settle(encoded[i].corrId, new SmpClientError("transmission too large"));
    }, (e) => this.#failAll(e));
    return promises;
  }

  /** Encodes and authorizes one transmission (exposed for tests that send raw bytes). */
  encode(r: SmpRequest): { corrId: Uint8Array; bytes: Uint8Array } {
    const corrId = r.corrId ?? randomBytes(24);
    const cmd = encodeCommand(this.version, r.command);
    const { authorized, toSend } = transmissionForAuth(this.session, corrId, r.entityId, cmd);
    const service = this.session.service;
    if (service && this.serviceKey && SERVICE_SIGNED.has(r.command.type) && r.key) {
      // a service session: the queue key signs the certificate hash and the transmission, the
      // service key the transmission (Server.hs verifyQueueTransmission)
      const queueAuth = this.#authorize(r.key, corrId, concatBytes(service.certHash, authorized));
      return {
        corrId,
        bytes: encodeTransmission(this.session, toSend, queueAuth, sign(this.serviceKey, authorized)),
      };
    }
    const key = r.key ?? (service && SERVICE_COMMANDS.has(r.command.type) ? this.serviceKey : undefined);
    return {
      corrId,
      bytes: encodeTransmission(this.session, toSend, this.#authorize(key, corrId, authorized)),
    };
  }

  #authorize(key: AuthPrivateKey | undefined, corrId: Uint8Array, authorized: Uint8Array): Uint8Array {
    if (!key) return new Uint8Array(0);
    if (key.algorithm === "X25519") {
      const serverKey = this.session.peerSessionKey;
      if (!serverKey) throw new SmpClientError("the server sent no session key for authenticators");
      return cbAuthenticate(serverKey, key as PrivateKey<"X25519">, cbNonce(corrId), authorized);
    }
    return sign(key as PrivateKey<SignatureAlgorithm>, authorized);
  }

  /** The next server-initiated event (MSG pushed after SEND, END, DELD, NMSG…). */
  async nextEvent(timeoutMs = 5000): Promise<SmpEvent> {
    const deadline = Date.now() + timeoutMs;
    while (this.#events.length === 0) {
      if (this.#closed) throw new SmpClientError("connection closed");
      const left = deadline - Date.now();
      if (left <= 0) throw new SmpClientError("no event in time");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#eventWaiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.#events.shift()!;
  }

  /** Events received and not yet taken. */
  get pendingEvents(): number {
    return this.#events.length;
  }

  async #readLoop(): Promise<void> {
    try {
      while (!this.#closed) {
        const block = await this.#transport.read();
        if (!block.ok) continue;
        for (const raw of block.transmissions) this.#onTransmission(raw);
      }
    } catch (e) {
      this.#failAll(e instanceof Error ? e : new SmpClientError(String(e)));
    }
  }

  #onTransmission(raw: Uint8Array): void {
    const t = parseTransmission(this.session, raw);
    if (!t.ok) return;
    const msg = parseBrokerMsg(this.version, t.value.command);
    const value: BrokerMsg = msg.ok ? msg.value : { type: "ERR", error: { type: "BLOCK" } };
    const pending = t.value.corrId.length > 0 ? this.#pending.get(toHex(t.value.corrId)) : undefined;
    if (pending) {
      this.#pending.delete(toHex(t.value.corrId));
      pending.resolve({ entityId: t.value.entityId.slice(), msg: value });
      return;
    }
    this.#events.push({ entityId: t.value.entityId.slice(), msg: value });
    this.#eventWaiter?.();
  }

  #settle(corrId: Uint8Array, e: Error): void {
    const p = this.#pending.get(toHex(corrId));
    this.#pending.delete(toHex(corrId));
    p?.reject(e);
  }

  #failAll(e: Error): void {
    this.#closed = true;
    for (const p of this.#pending.values()) p.reject(new SmpClientError(`connection closed: ${e.message}`));
    this.#pending.clear();
    this.#eventWaiter?.();
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#transport.close().catch(() => {});
    this.#failAll(new SmpClientError("closed"));
  }
}

export type RcvMessageBody =
  | {
    readonly type: "message";
    readonly ts: number;
    readonly notification: boolean;
    readonly body: Uint8Array;
  }
  | { readonly type: "quota"; readonly ts: number };

/** Decrypts a MSG body with the queue's DH secret (`clientRcvMsgBodyP`); undefined when it fails. */
export function decryptMsgBody(
  rcvDhSecret: Uint8Array,
  msgId: Uint8Array,
  encBody: Uint8Array,
): RcvMessageBody | undefined {
  const opened = cryptoBoxOpen(rcvDhSecret, cbNonce(msgId), encBody);
  if (!opened.ok) return undefined;
  let plain: Uint8Array;
  try {
    plain = unpad(opened.value);
  } catch {
    return undefined;
  }
  const r = decode(plain, (r) => {
    if (plain.length >= 5 && String.fromCharCode(...plain.subarray(0, 5)) === "QUOTA") {
      r.literal("QUOTA");
      r.space();
      return { type: "quota" as const, ts: r.systemTime() };
    }
    const ts = r.systemTime();
    const notification = r.bool();
    while (r.peekByte() !== undefined && r.peekByte() !== 0x20) r.byte();
    r.space();
    return { type: "message" as const, ts, notification, body: r.tail().slice() };
  });
  return r.ok ? r.value : undefined;
}
