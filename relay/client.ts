/**
 * One connected client of the relay: its SMP session, its subscriptions, and a bounded queue of
 * what the relay sends it. A client that stops reading is disconnected rather than allowed to
 * make the relay buffer without limit.
 */
import type { SmpTransport } from "../core/transport/smp_transport.ts";
import { type BrokerMsg, encodeBrokerTransmission } from "../core/smp/responses.ts";
import type { AuthorizationVerifier } from "./authorization.ts";

/** One queue this connection receives from: by subscription (SUB) or by polling (GET). */
export interface Subscription {
  readonly mode: "sub" | "get";
  /** the message sent and not yet acknowledged */
  delivered?: { readonly msgId: Uint8Array; readonly ts: number };
}

export interface Outgoing {
  readonly corrId: Uint8Array;
  readonly entityId: Uint8Array;
  readonly msg: BrokerMsg;
}

const NO_ID = new Uint8Array(0);

export const event = (entityId: Uint8Array, msg: BrokerMsg): Outgoing => ({ corrId: NO_ID, entityId, msg });

/** Unsent batches allowed before a client is considered stuck and disconnected. */
export const MAX_PENDING_WRITES = 256;

export class RelayClient {
  readonly subscriptions = new Map<string, Subscription>();
  readonly notifierSubscriptions = new Set<string>();
  /** in a notifier service's session: the queues it is subscribed to as the service */
  ntfServiceSubsCount = 0;
  /** in a notifier service's session: NSUBS subscribed it to all of the service's queues */
  ntfServiceSubscribed = false;
  readonly connectedAt = Date.now();
  lastActiveAt = Date.now();
  lastSentAt = Date.now();
  #pending = 0;
  #closed = false;
  /** PRXY/PFWD of this client running, those waiting for their turn, and the reader waiting for them */
  #proxied = 0;
  readonly #proxyQueue: (() => void)[] = [];
  #proxyReader: (() => void) | undefined;

  constructor(
    readonly id: number,
    readonly transport: SmpTransport,
    readonly verifier: AuthorizationVerifier,
  ) {}

  get version(): number {
    return this.transport.version;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Encodes for this client's version and queues for sending; never blocks the caller. */
  send(items: readonly Outgoing[]): Promise<void> {
    if (this.#closed || items.length === 0) return Promise.resolve();
    if (this.#pending >= MAX_PENDING_WRITES) {
      this.close();
      return Promise.resolve();
    }
    const params = this.transport.session;
    const encoded = items.map((o) => encodeBrokerTransmission(params, o.corrId, o.entityId, o.msg));
    this.#pending++;
    return this.transport.write(encoded).then(
      () => {
        this.#pending--;
        this.lastSentAt = Date.now();
      },
      () => {
        this.#pending--;
        this.close();
      },
    );
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // the proxied commands still waiting would only open connections for nobody
    this.#proxyQueue.length = 0;
    this.#wakeReader();
    this.transport.close().catch(() => {});
  }

  /**
   * Runs a proxied command (PRXY/PFWD) now if fewer than `limit` of this client's are running,
   * or once one of them ends, in order.
   */
  runProxied<T>(limit: number, start: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const run = () => {
        this.#proxied++;
        start().then(resolve, reject).finally(() => {
          this.#proxied--;
          this.#proxyQueue.shift()?.();
          if (this.#proxyQueue.length === 0) this.#wakeReader();
        });
      };
      if (this.#proxied < limit && this.#proxyQueue.length === 0) run();
      else this.#proxyQueue.push(run);
    });
  }

  /** Resolves when no proxied command waits for its turn (or the client closed). */
  async proxiedCaughtUp(): Promise<void> {
    while (this.#proxyQueue.length > 0 && !this.#closed) {
      await new Promise<void>((resolve) => (this.#proxyReader = resolve));
    }
  }

  #wakeReader(): void {
    const wake = this.#proxyReader;
    this.#proxyReader = undefined;
    wake?.();
  }
}
