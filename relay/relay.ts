/**
 * The SMP relay: accepts sessions, verifies and executes commands, keeps subscriptions and
 * delivers messages one at a time per subscription (Server.hs, smp.md §3-§5).
 *
 * Blocks that arrive together, from any connections, are processed synchronously in one store
 * transaction (a group commit), each block inside a savepoint of its own. The transaction commits
 * before any response leaves: a client told `OK` can rely on it. A block the store refuses is
 * rolled back alone and disconnects its client; a failed commit discards the whole group and
 * disconnects every client in it.
 */
import { bytesEqual, concatBytes, constantTimeEqual, toHex } from "../core/encoding/bytes.ts";
import { encode } from "../core/encoding/binary.ts";
import { pad, PAD_BYTE, PaddingError } from "../core/encoding/padding.ts";
import {
  decodePublicKeyDer,
  dh,
  generateKeyPair,
  type PublicKey,
  randomBytes,
  SIGNATURE_LENGTH,
  verify,
} from "../core/crypto/keys.ts";
import type { ServiceRole } from "../core/smp/handshake.ts";
import {
  cbDecrypt,
  cbDecryptNoPad,
  cbEncrypt,
  cbEncryptNoPad,
  cbNonce,
  cryptoBox,
  reverseNonce,
} from "../core/crypto/box.ts";
import { sha3_384 } from "../core/crypto/hash.ts";
import {
  type AuthPublicKey,
  type BlockingInfo,
  type BrokerMsg,
  checkCredentials,
  cmdError,
  type Command,
  type DhPublicKey,
  encodeBrokerMsg,
  encodeServerTransmission,
  maxMessageLength,
  type NewQueueRequest,
  parseCommand,
  parseTransmission,
  type RawTransmission,
  type SmpError,
  type TransmissionParams,
} from "../core/smp/mod.ts";
import { batchTransmissions, parseBatch } from "../core/transport/batch.ts";
import { type BlockStream, HandshakeFailure, smpServerHandshake } from "../core/transport/smp_handshake.ts";
import { SmpTransport } from "../core/transport/smp_transport.ts";
import { decode } from "../core/encoding/binary.ts";
import { setImmediate } from "node:timers";
import { authorizationKind, AuthorizationVerifier } from "./authorization.ts";
import { event, type Outgoing, RelayClient, type Subscription } from "./client.ts";
import { RelayStats, type ServiceCounter } from "./stats.ts";
import type { QueueRecord, RelayStore, StoredMessage, StoredNotification } from "./store/types.ts";
import type { ServerIdentity } from "../core/server/identity_files.ts";

export interface RelayClientInfo {
  readonly clientId: number;
  readonly sessionId: Uint8Array;
  readonly connected: boolean;
  readonly createdAt: number;
  readonly rcvActiveAt: number;
  readonly sndActiveAt: number;
  readonly subscriptions: number;
  readonly ntfSubscriptions: number;
}

export type RelayIdentity = ServerIdentity;

/** The reference's default `[PROXY] client_concurrency`. */
export const DEFAULT_PROXY_CLIENT_CONCURRENCY = 32;

export interface RelayOptions {
  readonly store: RelayStore;
  readonly identity: RelayIdentity;
  readonly quota?: number;
  /** messages older than this many seconds are removed; undefined keeps them forever */
  readonly messageTtl?: number;
  readonly expireOnSend?: boolean;
  readonly allowNewQueues?: boolean;
  /** `[AUTH] create_password`: NEW and PRXY must carry it */
  readonly createPassword?: Uint8Array;
  readonly notificationTtl?: number;
  readonly notificationIntervalMs?: number;
  readonly handshakeTimeoutMs?: number;
  /** the private-routing role: opens sessions to other relays for PRXY/PFWD */
  readonly proxy?: ProxyAgent;
  /**
   * `[PROXY] client_concurrency`: the most PRXY/PFWD of one client running at once; the next wait
   * their turn, and the client's blocks are not read meanwhile
   */
  readonly proxyClientConcurrency?: number;
  readonly stats?: RelayStats;
  /** seconds since the epoch (tests move time) */
  readonly now?: () => number;
}

/** What the relay needs from its outgoing SMP client to act as a proxy (relay/proxy.ts). */
export interface ProxyAgent {
  /** PRXY: a session to the destination relay; resolves to PKEY or an error */
  connect(cmd: Command & { type: "PRXY" }): Promise<BrokerMsg>;
  /** PFWD: forward to the relay session `sessionId`; resolves to PRES or an error */
  forward(sessionId: Uint8Array, corrId: Uint8Array, cmd: Command & { type: "PFWD" }): Promise<BrokerMsg>;
}

/** An accepted connection: a block stream plus what TLS established. */
export interface RelayConnection extends BlockStream {
  readonly sessionId: Uint8Array;
  readonly alpnNegotiated: boolean;
  /** the certificate chain the client presented in TLS: a service's (empty for other clients) */
  readonly peerCertificates?: readonly Uint8Array[];
}

const NO_ID = new Uint8Array(0);
const DAY = 86400;
/** `paddedProxiedTLength`: forwarded transmissions are padded to this */
export const PROXIED_T_LENGTH = 16226;
/** MSG plaintext is padded to `MaxRcvMessageLen + 2` whatever the version */
export const RCV_MESSAGE_PADDED_LENGTH = 16106;

/** The service role whose sessions may send a command (`partyClientRole`); PING is anyone's. */
const COMMAND_ROLE: Partial<Record<Command["type"], ServiceRole>> = {
  NEW: "M",
  SUB: "M",
  SUBS: "M",
  KEY: "M",
  RKEY: "M",
  LSET: "M",
  LDEL: "M",
  NKEY: "M",
  NDEL: "M",
  GET: "M",
  ACK: "M",
  OFF: "M",
  DEL: "M",
  QUE: "M",
  SKEY: "M",
  SEND: "M",
  LKEY: "M",
  LGET: "M",
  PRXY: "M",
  PFWD: "M",
  NSUB: "N",
  NSUBS: "N",
  RFWD: "P",
};
/** Commands a service session signs with its service key beside the queue key (`useServiceAuth`). */
const SERVICE_SIGNED = new Set<Command["type"]>(["NEW", "SUB", "NSUB"]);

/** An event for another connection (or the same one), sent once the transaction committed. */
interface Effect {
  readonly to: RelayClient;
  readonly event: Outgoing;
}

/** A block read from a client, waiting for the next group commit. */
interface PendingBlock {
  readonly client: RelayClient;
  /** undefined for a block that failed to decrypt or parse: answered with `ERR BLOCK` */
  readonly transmissions: Uint8Array[] | undefined;
  readonly done: (sent: Promise<void>) => void;
}

/**
 * Blocks, and transmissions in them, a connection may have read and not yet had answered. Reading
 * ahead lets the blocks a client sent together share a group commit and their responses share
 * blocks; a block of many commands is answered before the next is read, as it holds the most.
 */
const READ_AHEAD_BLOCKS = 8;
const READ_AHEAD_TRANSMISSIONS = 32;
/**
 * Transmissions one group commit takes at most (the first block always goes whole): groups of
 * single-command blocks share their commit, while bursts of batched commands (NEW by the hundred)
 * are not all held and answered at once.
 */
const GROUP_TRANSMISSIONS = 256;

/** A response, optionally followed by events for the same client (SUB's waiting message). */
type Reply = BrokerMsg | { readonly msg: BrokerMsg; readonly followUp: Outgoing[] } | undefined;

interface Processing {
  readonly client: RelayClient;
  readonly params: TransmissionParams;
  readonly out: Outgoing[];
  readonly effects: Effect[];
  /** commands that wait on the network (proxying); answered when they complete */
  readonly later: Promise<Outgoing>[];
  /** processing a command a proxy forwarded (RFWD): events never go to the proxy's connection */
  readonly forwarded?: boolean;
}

export class Relay {
  readonly stats: RelayStats;
  readonly #store: RelayStore;
  readonly #o:
    & Required<Omit<RelayOptions, "createPassword" | "messageTtl" | "proxy" | "stats">>
    & RelayOptions;
  readonly #clients = new Set<RelayClient>();
  /** recipient ID (hex) → the connection subscribed to it */
  readonly #subscribers = new Map<string, RelayClient>();
  /** notifier ID (hex) → the connection subscribed to its notifications */
  readonly #notifierSubscribers = new Map<string, RelayClient>();
  /** by service ID: the client subscribed as that notifier service (NSUB as the service, or NSUBS) */
  readonly #ntfServiceSubscribers = new Map<string, RelayClient>();
  #nextClientId = 1;
  #pending: PendingBlock[] = [];
  #timers: ReturnType<typeof setInterval>[] = [];

  constructor(options: RelayOptions) {
    this.#o = {
      quota: 128,
      expireOnSend: true,
      allowNewQueues: true,
      notificationTtl: DAY,
      notificationIntervalMs: 1500,
      handshakeTimeoutMs: 120_000,
      proxyClientConcurrency: DEFAULT_PROXY_CLIENT_CONCURRENCY,
      now: () => Math.floor(Date.now() / 1000),
      ...options,
    };
    this.#store = options.store;
    this.stats = options.stats ?? new RelayStats();
    this.#timers.push(setInterval(() => this.flushNotifications(), this.#o.notificationIntervalMs));
  }

  get clientCount(): number {
    return this.#clients.size;
  }

  get subscriptionCount(): number {
    return this.#subscribers.size;
  }

  /** Runs one connection until it closes; never rejects. */
  async serve(conn: RelayConnection): Promise<void> {
    let client: RelayClient | undefined;
    try {
      const session = await withTimeout(
        smpServerHandshake(conn, {
          sessionId: conn.sessionId,
          alpnNegotiated: conn.alpnNegotiated,
          keyHash: this.#o.identity.keyHash,
          chain: this.#o.identity.chain,
          signKey: this.#o.identity.signKey,
          peerChain: conn.peerCertificates,
          getService: (role, chain, certHash) =>
            this.#store.transaction(() =>
              this.#store.getCreateService({
                serviceId: randomBytes(24),
                role,
                certChain: chain,
                certHash,
                createdAt: this.#o.now(),
              })
            ),
        }),
        this.#o.handshakeTimeoutMs,
      );
      const transport = new SmpTransport(conn, session);
      client = new RelayClient(
        this.#nextClientId++,
        transport,
        new AuthorizationVerifier(session.sessionKey.privateKey),
      );
      this.#clients.add(client);
      await this.#readBlocks(client);
    } catch (e) {
      // one connection's failure must not reach the others: report the unexpected, never rethrow
      if (!(e instanceof HandshakeFailure || isDisconnect(e))) {
        console.error(`relay: connection closed after an internal error: ${(e as Error)?.message ?? e}`);
      }
    } finally {
      if (client) this.#disconnect(client);
      await conn.close().catch(() => {});
    }
  }

  /** Reads blocks until the connection ends; the blocks read are processed before this returns. */
  async #readBlocks(client: RelayClient): Promise<void> {
    const inFlight: { readonly answered: Promise<void>; readonly transmissions: number }[] = [];
    let transmissions = 0;
    try {
      while (!client.closed) {
        // while proxied commands wait for their turn (client_concurrency), read no more of this client
        await client.proxiedCaughtUp();
        const block = await client.transport.read();
        client.lastActiveAt = Date.now();
        const t = block.ok ? block.transmissions : undefined;
        inFlight.push({ answered: this.#submit(client, t), transmissions: t?.length ?? 1 });
        transmissions += t?.length ?? 1;
        while (inFlight.length >= READ_AHEAD_BLOCKS || transmissions >= READ_AHEAD_TRANSMISSIONS) {
          const oldest = inFlight.shift()!;
          await oldest.answered;
          transmissions -= oldest.transmissions;
        }
      }
    } finally {
      await Promise.all(inFlight.map((b) => b.answered));
    }
  }

  /** Queues a block for the next group commit; resolves once its responses are written. */
  #submit(client: RelayClient, transmissions: Uint8Array[] | undefined): Promise<void> {
    return new Promise((done) => {
      // after the reads that completed together, whatever connections they came from
      if (this.#pending.length === 0) setImmediate(() => this.#commitGroup());
      this.#pending.push({ client, transmissions, done });
    });
  }

  /** Processes the blocks waiting (up to a group's worth) in one transaction, then answers them. */
  #commitGroup(): void {
    let taken = 0;
    for (let n = 0; taken < this.#pending.length && n < GROUP_TRANSMISSIONS; taken++) {
      n += this.#pending[taken].transmissions?.length ?? 1;
    }
    const blocks = this.#pending.splice(0, taken);
    if (this.#pending.length > 0) setImmediate(() => this.#commitGroup());
    let processed: Processing[] = [];
    try {
      this.#store.transaction(() => {
        for (const { client, transmissions } of blocks) {
          if (client.closed) continue; // its blocks are not answered, so they are not executed
          const p: Processing = { client, params: client.transport.session, out: [], effects: [], later: [] };
          if (!transmissions) {
            p.out.push({ corrId: NO_ID, entityId: NO_ID, msg: err({ type: "BLOCK" }) });
          } else if (!this.#processBlock(p, transmissions)) continue;
          processed.push(p);
        }
      });
    } catch (e) {
      // the commit failed (e.g. a full disk): nothing of this group happened; its clients must retry
      console.error(`relay: store error, closing ${blocks.length} clients: ${(e as Error).message}`);
      for (const { client } of blocks) client.close();
      processed = [];
    }
    // in the order of processing, as if each block had been answered on its own; one write per client
    const outbox = new Map<RelayClient, Outgoing[]>();
    const post = (to: RelayClient, items: readonly Outgoing[]) => {
      const queued = outbox.get(to);
      if (queued) queued.push(...items);
      else outbox.set(to, [...items]);
    };
    for (const p of processed) {
      post(p.client, p.out);
      for (const e of p.effects) post(e.to, [e.event]);
      for (const later of p.later) later.then((o) => p.client.send([o]));
    }
    const sent = new Map<RelayClient, Promise<void>>();
    for (const [client, items] of outbox) sent.set(client, client.send(items));
    for (const b of blocks) b.done(sent.get(b.client) ?? Promise.resolve());
  }

  /** One block in a savepoint; false when the store refused it (then its client is closed). */
  #processBlock(p: Processing, transmissions: Uint8Array[]): boolean {
    try {
      this.#store.transaction(() => {
        for (const t of transmissions) this.#processTransmission(p, t);
      });
      return true;
    } catch (e) {
      // nothing of this block happened; the client must retry
      console.error(`relay: store error, closing client ${p.client.id}: ${(e as Error).message}`);
      p.client.close();
      return false;
    }
  }

  #processTransmission(p: Processing, raw: Uint8Array): void {
    const parsed = parseTransmission(p.params, raw);
    if (!parsed.ok) return void p.out.push({ corrId: NO_ID, entityId: NO_ID, msg: err({ type: "BLOCK" }) });
    const t = parsed.value;
    const reply = (msg: BrokerMsg, entityId = t.entityId) => p.out.push({ corrId: t.corrId, entityId, msg });
    if (t.sessionId && !bytesEqual(t.sessionId, p.params.sessionId)) {
      return void reply(err({ type: "SESSION" }), NO_ID);
    }
    if (authorizationKind(t.authorization) === "malformed") return void reply(err({ type: "BLOCK" }), NO_ID);
    const cmd = parseCommand(p.params.version, t.command);
    if (!cmd.ok) return void reply(err(cmd.error));
    const credentials = checkCredentials(cmd.command, t.authorization.length > 0, t.entityId);
    if (credentials) return void reply(err(credentials));
    const result = this.#execute(p, t, cmd.command, p.client.verifier);
    if (result === undefined) return;
    if ("followUp" in result) {
      reply(result.msg);
      p.out.push(...result.followUp);
    } else reply(result);
  }

  /** Verifies and executes one command; returns the response, or undefined when it comes later. */
  #execute(p: Processing, t: RawTransmission, cmd: Command, verifier: AuthorizationVerifier): Reply {
    const service = p.client.transport.session.service;
    // a service session may only use its role's commands, and signs NEW/SUB/NSUB with its
    // service key too; no other command carries a service signature (Server.hs verifyQueueTransmission)
    const role = COMMAND_ROLE[cmd.type];
    if (service && role && service.role !== role) return err(cmdError("PROHIBITED"));
    if (!SERVICE_SIGNED.has(cmd.type) || !service) {
      if (t.serviceSignature) return err({ type: "SERVICE" });
    } else if (!t.serviceSignature || !verify(service.key, t.authorized, t.serviceSignature)) {
      return err({ type: "SERVICE" });
    }
    // with a service signature the queue key signs the service's certificate hash too
    const authorized = service && t.serviceSignature
      ? concatBytes(service.certHash, t.authorized)
      : t.authorized;
    const auth = { bytes: t.authorization, authorized, corrId: t.corrId };
    const authFailed = (): BrokerMsg => {
      this.#countAuthFailure(cmd);
      return err({ type: "AUTH" });
    };
    switch (cmd.type) {
      case "PING":
        return { type: "PONG" };
      case "NEW":
        if (!verifier.verify(auth, cmd.req.rcvAuthKey)) return authFailed();
        return this.#createQueue(p, t, cmd.req);
      case "SUBS":
        return err(cmdError("PROHIBITED"));
      case "NSUBS": {
        // signed by the service key alone, for the service's own ID
        const signed = service && t.authorization.length === SIGNATURE_LENGTH.Ed25519 &&
          bytesEqual(t.entityId, service.id) && verify(service.key, t.authorized, t.authorization);
        return signed ? this.#subscribeService(p, service.id) : err({ type: "SERVICE" });
      }
      case "PRXY":
      case "PFWD":
        return this.#proxyCommand(p, t, cmd);
      case "RFWD":
        return this.#forwarded(p, t, cmd.encForward);
    }
    const party = cmd.type === "SKEY" || cmd.type === "SEND"
      ? "sender"
      : cmd.type === "LKEY" || cmd.type === "LGET"
      ? "link"
      : cmd.type === "NSUB"
      ? "notifier"
      : "recipient";
    const q = this.#store.getQueue(party, t.entityId);
    if (!q) {
      verifier.dummyVerify(auth);
      return authFailed();
    }
    switch (cmd.type) {
      case "SEND":
        if (q.senderKey ? !verifier.verify(auth, q.senderKey) : t.authorization.length > 0) {
          return authFailed();
        }
        return this.#send(p, q, cmd.notification, cmd.body);
      case "SKEY":
      case "LKEY": {
        const allowed = q.queueMode === "M" && (!q.senderKey || sameKey(q.senderKey, cmd.key));
        if (!allowed) {
          verifier.dummyVerify(auth);
          return authFailed();
        }
        if (!verifier.verify(auth, cmd.key)) return authFailed();
        return this.#withQueue(q, () => {
          const secured = this.#secure(q, cmd.key);
          if (secured.type !== "OK" || cmd.type === "SKEY") return secured;
          return this.#linkData(this.#store.getQueue("recipient", q.recipientId) ?? q, t.entityId);
        });
      }
      case "LGET":
        if (!isContactQueue(q)) return authFailed();
        return this.#withQueue(q, () => this.#linkData(q, t.entityId));
      case "NSUB":
        if (!q.notifier || !verifier.verify(auth, q.notifier.notifierKey)) {
          if (!q.notifier) verifier.dummyVerify(auth);
          return authFailed();
        }
        return this.#subscribeNotifier(p, q);
    }
    if (!q.recipientKeys.some((k) => verifier.verify(auth, k))) return authFailed();
    switch (cmd.type) {
      case "OFF":
        this.#store.setStatus(q.recipientId, { type: "off" });
        return { type: "OK" };
      case "DEL":
        return this.#deleteQueue(p, q);
      case "SUB":
        return this.#withQueue(q, () => this.#subscribe(p, t, q));
      case "GET":
        return this.#withQueue(q, () => this.#get(p, q));
      case "ACK":
        return this.#withQueue(q, () => this.#ack(p, q, cmd.msgId));
      case "KEY":
        return this.#withQueue(q, () => this.#secure(q, cmd.key));
      case "RKEY":
        return this.#withQueue(q, () => {
          if (q.queueMode !== "C") return err({ type: "AUTH" });
          this.#store.setRecipientKeys(q.recipientId, cmd.keys);
          return { type: "OK" };
        });
      case "LSET":
        return this.#withQueue(q, () => {
          if (isSecuredMessagingQueue(q)) return err({ type: "AUTH" });
          if (q.link && !bytesEqual(q.link.linkId, cmd.linkId)) return err({ type: "AUTH" });
          if (q.link && !bytesEqual(q.link.data.fixedData, cmd.data.fixedData)) return err({ type: "AUTH" });
          return this.#store.setLink(q.recipientId, cmd.linkId, cmd.data)
            ? { type: "OK" }
            : err({ type: "AUTH" });
        });
      case "LDEL":
        return this.#withQueue(q, () => {
          if (q.link) this.#store.deleteLink(q.recipientId);
          return { type: "OK" };
        });
      case "NKEY":
        return this.#withQueue(q, () => this.#addNotifier(p, q, cmd.key, cmd.dhKey));
      case "NDEL":
        return this.#withQueue(q, () => {
          if (q.notifier) {
            this.#store.deleteNotifier(q.recipientId);
            this.#endNotifierSubscription(p.effects, q.notifier, { type: "DELD" });
            this.stats.inc("ntfDeleted");
          }
          return { type: "OK" };
        });
      case "QUE":
        return this.#withQueue(q, () => ({ type: "INFO", json: this.#queueInfo(p.client, q) }));
    }
    return err({ type: "INTERNAL" });
  }

  #countAuthFailure(cmd: Command): void {
    if (cmd.type === "SEND") this.stats.inc("msgSentAuth");
    else if (cmd.type === "SUB") this.stats.inc("qSubAuth");
    else if (cmd.type === "NSUB") this.stats.inc("ntfSubAuth");
    else if (cmd.type === "GET") this.stats.inc("msgGetAuth");
  }

  /** `withQueue_`: blocked queues refuse; the day of last use is kept current. */
  #withQueue(q: QueueRecord, action: () => Reply): Reply {
    if (q.status.type === "blocked") return err({ type: "BLOCKED", info: q.status.info });
    this.#touch(q);
    return action();
  }

  #touch(q: QueueRecord): void {
    const today = Math.floor(this.#o.now() / DAY) * DAY;
    if (q.updatedAt !== today) this.#store.setUpdatedAt(q.recipientId, today);
  }

  #createQueue(p: Processing, t: RawTransmission, req: NewQueueRequest): BrokerMsg {
    const password = this.#o.createPassword;
    const passwordOk = !password ||
      (req.basicAuth !== undefined && constantTimeEqual(req.basicAuth, password));
    if (!this.#o.allowNewQueues || !passwordOk) return err({ type: "AUTH" });
    const serviceId = p.client.transport.session.service?.id;
    if (serviceId && req.subMode !== "S") return err(cmdError("PROHIBITED"));
    const serverDh = generateKeyPair("X25519");
    const ntf = req.ntfCreds && { creds: req.ntfCreds, key: generateKeyPair("X25519") };
    const link = req.queueReqData?.link;
    if (link && !bytesEqual(link.senderId, sha3_384(t.corrId).subarray(0, 24))) {
      return err(cmdError("PROHIBITED"));
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      const senderId = link ? link.senderId : randomBytes(24);
      const linkId = !link ? undefined : "linkId" in link ? link.linkId : randomBytes(24);
      const notifierId = ntf ? randomBytes(24) : undefined;
      const q: QueueRecord = {
        recipientId: randomBytes(24),
        recipientKeys: [req.rcvAuthKey],
        rcvDhSecret: dh(req.rcvDhKey, serverDh.privateKey),
        senderId,
        queueMode: req.queueReqData?.mode,
        link: link && linkId ? { linkId, data: link.data } : undefined,
        notifier: ntf && notifierId
          ? {
            notifierId,
            notifierKey: ntf.creds.authKey,
            rcvNtfDhSecret: dh(ntf.creds.dhKey, ntf.key.privateKey),
          }
          : undefined,
        status: { type: "active" },
        updatedAt: Math.floor(this.#o.now() / DAY) * DAY,
        rcvServiceId: serviceId,
      };
      if (!this.#store.addQueue(q)) {
        if (link) return err({ type: "AUTH" }); // client-chosen IDs are not retried
        continue;
      }
      this.stats.inc("qCreated");
      if (ntf) this.stats.inc("ntfNewCreated");
      if (req.subMode === "S") this.#registerSubscriber(p, q.recipientId, { mode: "sub" });
      return {
        type: "IDS",
        ids: {
          rcvId: q.recipientId,
          sndId: q.senderId,
          srvDhKey: serverDh.publicKey,
          queueMode: q.queueMode,
          linkId: q.link?.linkId,
          serviceId,
          serverNtfCreds: ntf && notifierId ? { notifierId, srvNtfDhKey: ntf.key.publicKey } : undefined,
        },
      };
    }
    return err({ type: "INTERNAL" });
  }

  /** Makes `p.client` the subscriber of a queue; the previous subscriber gets END. */
  #registerSubscriber(p: Processing, recipientId: Uint8Array, sub: Subscription): void {
    const key = toHex(recipientId);
    p.client.subscriptions.set(key, sub);
    const previous = this.#subscribers.get(key);
    this.#subscribers.set(key, p.client);
    if (previous && previous !== p.client) {
      previous.subscriptions.delete(key);
      this.stats.inc("qSubEnd");
      p.effects.push({ to: previous, event: event(recipientId, { type: "END" }) });
    }
  }

  #subscribe(p: Processing, t: RawTransmission, q: QueueRecord): Reply {
    const key = toHex(q.recipientId);
    let sub = p.client.subscriptions.get(key);
    if (sub?.mode === "get") {
      this.stats.inc("qSubProhibited");
      return err(cmdError("PROHIBITED"));
    }
    if (sub) {
      this.stats.inc("qSubDuplicate");
      sub.delivered = undefined;
    } else {
      sub = { mode: "sub" };
      this.#registerSubscriber(p, q.recipientId, sub);
      this.stats.inc("qSub");
    }
    const head = this.#store.peekMessage(q.recipientId);
    const sok: BrokerMsg = { type: "SOK", serviceId: p.client.transport.session.service?.id };
    if (!head) return sok;
    sub.delivered = { msgId: head.msgId, ts: this.#o.now() };
    return { msg: sok, followUp: [event(t.entityId, this.#encryptMsg(q, head))] };
  }

  #get(p: Processing, q: QueueRecord): BrokerMsg {
    const key = toHex(q.recipientId);
    let sub = p.client.subscriptions.get(key);
    if (sub?.mode === "sub") {
      this.stats.inc("msgGetProhibited");
      return err(cmdError("PROHIBITED"));
    }
    const duplicate = sub?.delivered !== undefined;
    if (!sub) {
      // a polling connection is not a subscriber: it gets no END and cannot SUB this queue
      sub = { mode: "get" };
      p.client.subscriptions.set(key, sub);
    }
    sub.delivered = undefined;
    const head = this.#store.peekMessage(q.recipientId);
    if (!head) {
      this.stats.inc("msgGetNoMsg");
      return { type: "OK" };
    }
    this.stats.inc(duplicate ? "msgGetDuplicate" : "msgGet");
    sub.delivered = { msgId: head.msgId, ts: this.#o.now() };
    return this.#encryptMsg(q, head);
  }

  #ack(p: Processing, q: QueueRecord, msgId: Uint8Array): BrokerMsg {
    const sub = p.client.subscriptions.get(toHex(q.recipientId));
    const delivered = sub?.delivered;
    // an empty msgId clears the mark without deleting: the head is sent again
    if (!sub || !delivered || !(msgId.length === 0 || bytesEqual(msgId, delivered.msgId))) {
      return err({ type: "NO_MSG" });
    }
    sub.delivered = undefined;
    const deleted = this.#store.deleteHead(q.recipientId, msgId);
    if (deleted?.kind === "message") {
      this.stats.inc("msgRecv");
      if (sub.mode === "get") this.stats.inc("msgRecvGet");
      this.stats.activeQueues.add(q.recipientId);
      if (deleted.notification) {
        this.stats.inc("msgRecvNtf");
        this.stats.activeQueuesNtf.add(q.recipientId);
      }
      this.stats.msgRecvAckTimes.add(delivered.ts, this.#o.now());
    }
    if (sub.mode === "get") return { type: "OK" };
    const next = this.#store.peekMessage(q.recipientId);
    if (!next) return { type: "OK" };
    sub.delivered = { msgId: next.msgId, ts: this.#o.now() };
    return this.#encryptMsg(q, next);
  }

  #secure(q: QueueRecord, key: AuthPublicKey): BrokerMsg {
    if (q.senderKey) return sameKey(q.senderKey, key) ? { type: "OK" } : err({ type: "AUTH" });
    this.#store.setSenderKey(q.recipientId, key);
    this.stats.inc("qSecured");
    return { type: "OK" };
  }

  #linkData(q: QueueRecord, linkId: Uint8Array): BrokerMsg {
    if (!q.link || !bytesEqual(q.link.linkId, linkId)) return err({ type: "AUTH" });
    return { type: "LNK", senderId: q.senderId, data: q.link.data };
  }

  #send(p: Processing, q: QueueRecord, notification: boolean, body: Uint8Array): BrokerMsg {
    if (body.length > maxMessageLength(p.params.version)) {
      this.stats.inc("msgSentLarge");
      return err({ type: "LARGE_MSG" });
    }
    this.#touch(q);
    if (q.status.type === "off") {
      this.stats.inc("msgSentAuth");
      return err({ type: "AUTH" });
    }
    if (q.status.type === "blocked") {
      this.stats.inc("msgSentBlock");
      return err({ type: "BLOCKED", info: q.status.info });
    }
    // a secured messaging queue needs its invitation link no more
    if (q.link && isSecuredMessagingQueue(q)) this.#store.deleteLink(q.recipientId);
    const now = this.#o.now();
    if (this.#o.expireOnSend && this.#o.messageTtl !== undefined) {
      this.stats.inc("msgExpired", this.#store.expireMessages(q.recipientId, now - this.#o.messageTtl));
    }
    const message = { kind: "message" as const, msgId: randomBytes(24), ts: now, notification, body };
    const written = this.#store.writeMessage(q.recipientId, message, this.#o.quota);
    if (written.type === "quota") {
      this.stats.inc("msgSentQuota");
      return err({ type: "QUOTA" });
    }
    if (written.wasEmpty) this.#tryDeliver(p, q, message);
    this.stats.activeQueues.add(q.recipientId);
    if (notification) this.stats.activeQueuesNtf.add(q.recipientId);
    if (notification && q.notifier) {
      this.#storeNotification(q, message);
      this.stats.inc("msgSentNtf");
    }
    this.stats.inc("msgSent");
    return { type: "OK" };
  }

  /** Pushes a new message to the subscriber when nothing else is in flight for it. */
  #tryDeliver(p: Processing, q: QueueRecord, message: StoredMessage): void {
    const key = toHex(q.recipientId);
    const subscriber = this.#subscribers.get(key);
    const sub = subscriber?.subscriptions.get(key);
    if (!subscriber || !sub || sub.mode !== "sub" || sub.delivered) return;
    sub.delivered = { msgId: message.msgId, ts: this.#o.now() };
    const msg = this.#encryptMsg(q, message);
    if (subscriber === p.client && !p.forwarded) p.out.push(event(q.recipientId, msg));
    else p.effects.push({ to: subscriber, event: event(q.recipientId, msg) });
  }

  #storeNotification(q: QueueRecord, m: StoredMessage): void {
    const nonce = randomBytes(24);
    const meta = encode((w) => w.shortBytes(m.msgId).systemTime(m.ts));
    const encMeta = cbEncrypt(q.notifier!.rcvNtfDhSecret, nonce, meta, 128);
    this.#store.addNotification({
      notifierId: q.notifier!.notifierId,
      msgId: m.msgId,
      ts: m.ts,
      nonce,
      encMeta,
    });
  }

  /** MSG body: `cryptoBox(rcvDhSecret, msgId, pad(ts ‖ flag ‖ ' ' ‖ body, 16106))` (smp.md §4.5). */
  #encryptMsg(q: QueueRecord, m: StoredMessage): BrokerMsg {
    const padded = m.kind === "quota"
      ? pad(encode((w) => w.ascii("QUOTA").space().systemTime(m.ts)), RCV_MESSAGE_PADDED_LENGTH)
      : padParts([encode((w) => w.systemTime(m.ts).bool(m.notification).space()), m.body]);
    const encBody = cryptoBox(q.rcvDhSecret, cbNonce(m.msgId), padded);
    return { type: "MSG", msgId: m.msgId, encBody };
  }

  #deleteQueue(p: Processing, q: QueueRecord): BrokerMsg {
    this.#store.deleteQueue(q.recipientId);
    this.stats.inc("qDeletedAll");
    this.stats.inc(q.senderKey ? "qDeletedSecured" : "qDeletedNew");
    const key = toHex(q.recipientId);
    p.client.subscriptions.delete(key);
    const subscriber = this.#subscribers.get(key);
    this.#subscribers.delete(key);
    if (subscriber && subscriber !== p.client) {
      subscriber.subscriptions.delete(key);
      p.effects.push({ to: subscriber, event: event(q.recipientId, { type: "DELD" }) });
    }
    if (q.notifier) this.#endNotifierSubscription(p.effects, q.notifier, { type: "DELD" });
    return { type: "OK" };
  }

  #addNotifier(p: Processing, q: QueueRecord, key: AuthPublicKey, dhKey: DhPublicKey): BrokerMsg {
    const serverKey = generateKeyPair("X25519");
    const rcvNtfDhSecret = dh(dhKey, serverKey.privateKey);
    for (let attempt = 0; attempt < 3; attempt++) {
      const notifierId = randomBytes(24);
      if (!this.#store.setNotifier(q.recipientId, { notifierId, notifierKey: key, rcvNtfDhSecret })) continue;
      if (q.notifier) this.#endNotifierSubscription(p.effects, q.notifier, { type: "DELD" });
      this.stats.inc("ntfCreated");
      return { type: "NID", notifierId, srvNtfDhKey: serverKey.publicKey };
    }
    return err({ type: "INTERNAL" });
  }

  /**
   * The notifier is deleted (DELD) or subscribed elsewhere (END): tells its subscriber, one
   * subscribed to it alone or the notifier service it is associated with.
   */
  #endNotifierSubscription(
    effects: Effect[],
    notifier: { readonly notifierId: Uint8Array; readonly ntfServiceId?: Uint8Array },
    msg: BrokerMsg,
    except?: RelayClient,
  ): void {
    const key = toHex(notifier.notifierId);
    const subscriber = this.#notifierSubscribers.get(key);
    if (subscriber && subscriber !== except) {
      this.#notifierSubscribers.delete(key);
      subscriber.notifierSubscriptions.delete(key);
      effects.push({ to: subscriber, event: event(notifier.notifierId, msg) });
    }
    if (notifier.ntfServiceId) {
      this.#endServiceQueue(effects, notifier.ntfServiceId, notifier.notifierId, msg, except);
    }
  }

  /** One queue leaves the service's subscription: END or DELD for it to the service's client. */
  #endServiceQueue(
    effects: Effect[],
    serviceId: Uint8Array,
    notifierId: Uint8Array,
    msg: BrokerMsg,
    except?: RelayClient,
  ): void {
    const serviceClient = this.#ntfServiceSubscribers.get(toHex(serviceId));
    if (!serviceClient || serviceClient === except) return;
    serviceClient.ntfServiceSubsCount = Math.max(0, serviceClient.ntfServiceSubsCount - 1);
    effects.push({ to: serviceClient, event: event(notifierId, msg) });
  }

  /**
   * `client` is now the one subscribed as the service; the client that was (another one) gets
   * ENDS with the count of queues it had (Server.hs `cancelServiceSubs`).
   */
  #takeServiceSubscription(effects: Effect[], serviceId: Uint8Array, client: RelayClient): void {
    const key = toHex(serviceId);
    const previous = this.#ntfServiceSubscribers.get(key);
    this.#ntfServiceSubscribers.set(key, client);
    if (!previous || previous === client) return;
    const count = previous.ntfServiceSubsCount;
    previous.ntfServiceSubsCount = 0;
    previous.ntfServiceSubscribed = false;
    effects.push({ to: previous, event: event(serviceId, { type: "ENDS", count: BigInt(count) }) });
  }

  #subscribeNotifier(p: Processing, q: QueueRecord): BrokerMsg {
    const notifier = q.notifier!;
    const service = p.client.transport.session.service;
    if (service) return this.#subscribeNotifierAsService(p, q, notifier, service.id);
    if (notifier.ntfServiceId) {
      // the queue leaves its service: subscribed alone from now on
      this.#store.setQueueService(q.recipientId, "notifier", undefined);
      this.stats.incService("ntfServices", "assocRemoved");
      this.#endServiceQueue(p.effects, notifier.ntfServiceId, notifier.notifierId, { type: "END" }, p.client);
    }
    const key = toHex(notifier.notifierId);
    const previous = this.#notifierSubscribers.get(key);
    if (previous === p.client) {
      this.stats.inc("ntfSubDuplicate");
      return { type: "SOK" };
    }
    if (previous) {
      this.#endNotifierSubscription(p.effects, { notifierId: notifier.notifierId }, { type: "END" });
    }
    this.#notifierSubscribers.set(key, p.client);
    p.client.notifierSubscriptions.add(key);
    this.stats.inc("ntfSub");
    return { type: "SOK" };
  }

  /** NSUB in a notifier service's session: the queue is associated with the service (Server.hs `subscribeNotifications`). */
  #subscribeNotifierAsService(
    p: Processing,
    q: QueueRecord,
    notifier: NonNullable<QueueRecord["notifier"]>,
    serviceId: Uint8Array,
  ): BrokerMsg {
    const previousService = notifier.ntfServiceId;
    const same = previousService !== undefined && bytesEqual(previousService, serviceId);
    // counted as the reference counts (Server.hs subscribeNotifications)
    const count = (c: ServiceCounter) => this.stats.incService("ntfServices", c);
    const subscribed = p.client.ntfServiceSubsCount > 0;
    count(same ? "assocDuplicate" : previousService ? "assocUpdated" : "assocNew");
    // a repeated association (a response that was lost) subscribes only a client not yet subscribed
    if (same && subscribed) return { type: "SOK", serviceId };
    if (!subscribed) count("subCount");
    count("subQueues");
    if (!same) this.#store.setQueueService(q.recipientId, "notifier", serviceId);
    if (previousService && !same) {
      this.#endServiceQueue(p.effects, previousService, notifier.notifierId, { type: "END" }, p.client);
    }
    // whoever was subscribed to this queue alone is not any more
    this.#endNotifierSubscription(p.effects, { notifierId: notifier.notifierId }, { type: "END" });
    p.client.ntfServiceSubsCount++;
    this.#takeServiceSubscription(p.effects, serviceId, p.client);
    return { type: "SOK", serviceId };
  }

  /** NSUBS: every queue associated with the service, as one subscription (SOKS count). */
  #subscribeService(p: Processing, serviceId: Uint8Array): BrokerMsg {
    const client = p.client;
    if (client.ntfServiceSubscribed) return { type: "SOKS", count: BigInt(client.ntfServiceSubsCount) };
    const count = this.#store.serviceNotifierCount(serviceId);
    client.ntfServiceSubscribed = true;
    client.ntfServiceSubsCount = count;
    this.#takeServiceSubscription(p.effects, serviceId, client);
    return { type: "SOKS", count: BigInt(count) };
  }

  #queueInfo(client: RelayClient, q: QueueRecord): string {
    const sub = client.subscriptions.get(toHex(q.recipientId));
    const head = this.#store.peekMessage(q.recipientId);
    const b64 = (b: Uint8Array) => btoa(String.fromCharCode(...b));
    return JSON.stringify({
      qiSnd: q.senderKey !== undefined,
      qiNtf: q.notifier !== undefined,
      qiSub: sub && {
        qSubThread: sub.mode === "get" ? "prohibitSub" : "noSub",
        qDelivered: sub.delivered && b64(sub.delivered.msgId),
      },
      qiSize: this.#store.queueSize(q.recipientId),
      qiMsg: head && {
        msgId: b64(head.msgId),
        msgTs: new Date(head.ts * 1000).toISOString().replace(".000Z", "Z"),
        msgType: head.kind === "quota" ? "quota" : "message",
      },
    });
  }

  /** PRXY/PFWD: this relay acts as a proxy towards another relay (answered asynchronously). */
  #proxyCommand(p: Processing, t: RawTransmission, cmd: Command & { type: "PRXY" | "PFWD" }): Reply {
    const proxy = this.#o.proxy;
    if (!proxy) return err({ type: "PROXY", error: { type: "BROKER", error: { type: "NO_SERVICE" } } });
    if (cmd.type === "PRXY") {
      const password = this.#o.createPassword;
      if (password && !(cmd.basicAuth && constantTimeEqual(cmd.basicAuth, password))) {
        return err({ type: "PROXY", error: { type: "BASIC_AUTH" } });
      }
    }
    const corrId = t.corrId.slice();
    const entityId = cmd.type === "PRXY" ? NO_ID : t.entityId.slice();
    const forwardTo = t.entityId.slice();
    const result = p.client.runProxied(
      this.#o.proxyClientConcurrency,
      () => cmd.type === "PRXY" ? proxy.connect(cmd) : proxy.forward(forwardTo, corrId, cmd),
    );
    p.later.push(
      result.catch((): BrokerMsg => err({ type: "INTERNAL" })).then((msg) => ({ corrId, entityId, msg })),
    );
    return undefined;
  }

  /**
   * RFWD: a proxy forwards a sender's command (smp.md §4.9). Two layers of encryption are removed:
   * the proxy↔relay session layer and the sender's own, keyed by its per-command key; the response
   * goes back under both, with byte-reversed nonces.
   */
  #forwarded(p: Processing, t: RawTransmission, encForward: Uint8Array): BrokerMsg {
    const session = p.client.transport.session;
    if (!session.dhSecret) {
      return err({
        type: "PROXY",
        error: { type: "BROKER", error: { type: "TRANSPORT", error: { type: "NO_AUTH" } } },
      });
    }
    const proxyNonce = cbNonce(t.corrId);
    const opened = cbDecryptNoPad(session.dhSecret, proxyNonce, encForward);
    if (!opened.ok) return err({ type: "CRYPTO" });
    const fwd = decode(opened.value, (r) => ({
      corrId: r.shortBytes().slice(),
      version: r.word16(),
      key: r.shortBytes().slice(),
      et: r.tail().slice(),
    }));
    if (!fwd.ok) return err(cmdError("SYNTAX"));
    let clientSecret: Uint8Array;
    try {
      const key = decodePublicKeyDer(fwd.value.key);
      if (key.algorithm !== "X25519") return err(cmdError("SYNTAX"));
      clientSecret = dh(key as PublicKey<"X25519">, session.sessionKey.privateKey);
    } catch {
      return err(cmdError("SYNTAX"));
    }
    const clientNonce = cbNonce(fwd.value.corrId);
    const inner = cbDecrypt(clientSecret, clientNonce, fwd.value.et);
    if (!inner.ok) return err({ type: "CRYPTO" });
    const params: TransmissionParams = { version: fwd.value.version, sessionId: session.sessionId };
    const batch = parseBatch(inner.value);
    if (!batch.ok || batch.value.length !== 1) return err({ type: "BLOCK" });
    const forwarded: Processing = { ...p, params, out: [], forwarded: true };
    const response = this.#forwardedTransmission(forwarded, batch.value[0]);
    const r = encodeServerTransmission(
      params,
      response.corrId,
      response.entityId,
      encodeBrokerMsg(params.version, response.msg),
    );
    const { batches } = batchTransmissions([r]);
    if (batches.length !== 1) return err({ type: "BLOCK" });
    let r2: Uint8Array;
    try {
      r2 = cbEncrypt(clientSecret, reverseNonce(clientNonce), batches[0], PROXIED_T_LENGTH);
    } catch {
      return err({ type: "BLOCK" });
    }
    const fr = encode((w) => w.shortBytes(fwd.value.corrId).bytes(r2));
    this.stats.inc("pMsgFwdsRecv");
    return { type: "RRES", encResponse: cbEncryptNoPad(session.dhSecret, reverseNonce(proxyNonce), fr) };
  }

  /** One forwarded transmission: parsed and verified like a direct one; only sender commands pass. */
  #forwardedTransmission(p: Processing, raw: Uint8Array): Outgoing {
    const parsed = parseTransmission(p.params, raw);
    if (!parsed.ok) return { corrId: NO_ID, entityId: NO_ID, msg: err({ type: "BLOCK" }) };
    const t = parsed.value;
    const reply = (msg: BrokerMsg, entityId = t.entityId): Outgoing => ({ corrId: t.corrId, entityId, msg });
    if (authorizationKind(t.authorization) === "malformed") return reply(err({ type: "BLOCK" }), NO_ID);
    const cmd = parseCommand(p.params.version, t.command);
    if (!cmd.ok) return reply(err(cmd.error));
    const credentials = checkCredentials(cmd.command, t.authorization.length > 0, t.entityId);
    if (credentials) return reply(err(credentials));
    if (!["SEND", "SKEY", "LKEY", "LGET"].includes(cmd.command.type)) {
      return reply(err(cmdError("PROHIBITED")));
    }
    const result = this.#execute(p, t, cmd.command, p.client.verifier);
    if (result === undefined) return reply(err({ type: "INTERNAL" }));
    return reply("followUp" in result ? result.msg : result);
  }

  /** Sends pending notifications to their subscribers (every `notificationIntervalMs`). */
  flushNotifications(): void {
    for (const [key, client] of this.#notifierSubscribers) {
      const notifierId = fromHexId(key);
      this.#sendNotifications(client, () => this.#store.takeNotifications(notifierId));
    }
    for (const [key, client] of this.#ntfServiceSubscribers) {
      const serviceId = fromHexId(key);
      this.#sendNotifications(client, () => this.#store.takeServiceNotifications(serviceId));
    }
  }

  /** Takes the pending notifications and sends the unexpired ones to `client` as NMSG. */
  #sendNotifications(client: RelayClient, take: () => StoredNotification[]): void {
    const now = this.#o.now();
    const pending = this.#store.transaction(take);
    const fresh = pending.filter((n) => n.ts >= now - this.#o.notificationTtl);
    if (fresh.length < pending.length) this.stats.inc("msgNtfExpired", pending.length - fresh.length);
    if (fresh.length === 0) return;
    this.stats.inc("msgNtfs", fresh.length);
    client.send(fresh.map((n) => event(n.notifierId, { type: "NMSG", nonce: n.nonce, encMeta: n.encMeta })));
  }

  /** Removes expired messages and notifications from every queue (every 2 hours, and at start). */
  expire(): void {
    const now = this.#o.now();
    this.#store.transaction(() => {
      if (this.#o.messageTtl !== undefined) {
        this.stats.inc("msgExpired", this.#store.expireAllMessages(now - this.#o.messageTtl));
      }
      this.stats.inc("msgNtfExpired", this.#store.expireNotifications(now - this.#o.notificationTtl));
    });
  }

  /** Clients with no subscriptions and no traffic for `idleSeconds` (`[INACTIVE_CLIENTS]`). */
  disconnectInactive(idleSeconds: number): number {
    let n = 0;
    const cutoff = Date.now() - idleSeconds * 1000;
    for (const c of this.#clients) {
      if (c.subscriptions.size === 0 && c.notifierSubscriptions.size === 0 && c.lastActiveAt < cutoff) {
        c.close();
        n++;
      }
    }
    return n;
  }

  /** The queue an operator names by its sender ID, or by its short-link ID (`getSenderQueue`). */
  operatorQueue(id: Uint8Array): QueueRecord | undefined {
    return this.#store.getQueue("sender", id) ?? this.#store.getQueue("link", id);
  }

  /** Control port `block`: every later command gets `ERR BLOCKED`, and so does the current subscriber. */
  blockQueue(q: QueueRecord, info: BlockingInfo): void {
    this.#store.transaction(() => this.#store.setStatus(q.recipientId, { type: "blocked", info }));
    this.stats.inc("qBlocked");
    const subscriber = this.#subscribers.get(toHex(q.recipientId));
    subscriber?.send([event(q.recipientId, err({ type: "BLOCKED", info }))]);
  }

  unblockQueue(q: QueueRecord): void {
    this.#store.transaction(() => this.#store.setStatus(q.recipientId, { type: "active" }));
  }

  /** Control port `delete`: removes the queue; its subscribers get DELD. Returns the messages removed. */
  deleteQueueByOperator(q: QueueRecord): number {
    const effects: Effect[] = [];
    const messages = this.#store.queueSize(q.recipientId);
    this.#store.transaction(() => {
      this.#store.deleteQueue(q.recipientId);
      this.stats.inc("qDeletedAll");
      const key = toHex(q.recipientId);
      const subscriber = this.#subscribers.get(key);
      this.#subscribers.delete(key);
      if (subscriber) {
        subscriber.subscriptions.delete(key);
        effects.push({ to: subscriber, event: event(q.recipientId, { type: "DELD" }) });
      }
      if (q.notifier) this.#endNotifierSubscription(effects, q.notifier, { type: "DELD" });
    });
    for (const e of effects) e.to.send([e.event]);
    return messages;
  }

  /** Connected clients for the control port: counts and times, never addresses. */
  clientsInfo(): RelayClientInfo[] {
    return [...this.#clients].map((c) => ({
      clientId: c.id,
      sessionId: c.transport.sessionId,
      connected: !c.closed,
      createdAt: Math.floor(c.connectedAt / 1000),
      rcvActiveAt: Math.floor(c.lastActiveAt / 1000),
      sndActiveAt: Math.floor(c.lastSentAt / 1000),
      subscriptions: c.subscriptions.size,
      ntfSubscriptions: c.notifierSubscriptions.size,
    }));
  }

  subscribers(): {
    queues: number;
    clients: number[];
    notifiers: number;
    /** clients subscribed to notifiers alone or as a notifier service */
    notifierClients: number[];
    notifierServices: number;
  } {
    const ids = (...maps: Map<string, RelayClient>[]) => [
      ...new Set(maps.flatMap((m) => [...m.values()].map((c) => c.id))),
    ];
    return {
      queues: this.#subscribers.size,
      clients: ids(this.#subscribers),
      notifiers: this.#notifierSubscribers.size,
      notifierClients: ids(this.#notifierSubscribers, this.#ntfServiceSubscribers),
      notifierServices: this.#ntfServiceSubscribers.size,
    };
  }

  #disconnect(client: RelayClient): void {
    this.#clients.delete(client);
    client.close();
    for (const key of client.subscriptions.keys()) {
      if (this.#subscribers.get(key) === client) this.#subscribers.delete(key);
    }
    for (const key of client.notifierSubscriptions) {
      if (this.#notifierSubscribers.get(key) === client) this.#notifierSubscribers.delete(key);
    }
    const service = client.transport.session.service;
    if (service && this.#ntfServiceSubscribers.get(toHex(service.id)) === client) {
      this.#ntfServiceSubscribers.delete(toHex(service.id));
    }
  }

  /** Stops timers and closes every client connection. */
  close(): void {
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    for (const c of [...this.#clients]) this.#disconnect(c);
  }
}

/** `pad(concat(parts), RCV_MESSAGE_PADDED_LENGTH)` without the copy of a whole body in between. */
function padParts(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  if (length > RCV_MESSAGE_PADDED_LENGTH - 2) {
    throw new PaddingError(`message of ${length} bytes does not fit`);
  }
  const out = new Uint8Array(RCV_MESSAGE_PADDED_LENGTH);
  out[0] = length >>> 8;
  out[1] = length & 0xff;
  let offset = 2;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  out.fill(PAD_BYTE, offset);
  return out;
}

function err(error: SmpError): BrokerMsg {
  return { type: "ERR", error };
}

function sameKey(a: PublicKey, b: PublicKey): boolean {
  return a.algorithm === b.algorithm && bytesEqual(a.raw, b.raw);
}

/** Contact queues: mode C, or legacy queues with no mode and no sender key (pre-SKEY addresses). */
function isContactQueue(q: QueueRecord): boolean {
  return q.queueMode === "C" || (q.queueMode === undefined && q.senderKey === undefined);
}

function isSecuredMessagingQueue(q: QueueRecord): boolean {
  return q.queueMode !== "C" && q.senderKey !== undefined;
}

function fromHexId(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
}

function isDisconnect(e: unknown): boolean {
  return e instanceof Deno.errors.UnexpectedEof || e instanceof Deno.errors.BrokenPipe ||
    e instanceof Deno.errors.ConnectionReset || e instanceof Deno.errors.Interrupted ||
    (e instanceof Error && (e.name === "TlsError" || e.name === "TimeoutError" || e.name === "BadResource"));
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DOMException("handshake timed out", "TimeoutError")), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
