/**
 * An SMP client that stays connected: when the connection drops it reconnects with exponential
 * backoff and subscribes again to every queue (and notifier) it was subscribed to, so a relay
 * restart costs a recipient nothing but a short delay. Chat and the relay's tests use it.
 */
import { toHex } from "../encoding/bytes.ts";
import type { SmpServerAddress } from "./address.ts";
import { type AuthPrivateKey, type SmpClient, SmpClientError, type SmpEvent } from "./client.ts";
import type { Command } from "./commands.ts";
import { connectSmp, type SmpConnectOptions } from "./connect.ts";
import type { BrokerMsg } from "./responses.ts";

export interface ReconnectOptions extends SmpConnectOptions {
  /** first retry delay; doubles up to `maxDelayMs` */
  readonly minDelayMs?: number;
  readonly maxDelayMs?: number;
  /** how a connection is made (tests substitute their own) */
  readonly connect?: (server: SmpServerAddress, options: SmpConnectOptions) => Promise<SmpClient>;
  /** told about each (re)connection and each drop */
  readonly onStatus?: (status: "connected" | "disconnected") => void;
}

interface Subscription {
  readonly entityId: Uint8Array;
  readonly command: Command & { type: "SUB" | "NSUB" };
  readonly key: AuthPrivateKey;
}

export class ReconnectingSmpClient {
  readonly #subscriptions = new Map<string, Subscription>();
  readonly #events: SmpEvent[] = [];
  #eventWaiter?: () => void;
  #client?: SmpClient;
  #connected?: Promise<SmpClient>;
  #resolveConnected?: (c: SmpClient) => void;
  #closed = false;
  readonly #loop: Promise<void>;

  constructor(readonly server: SmpServerAddress, readonly options: ReconnectOptions = {}) {
    this.#resetConnected();
    this.#loop = this.#run();
  }

  #resetConnected(): void {
    this.#connected = new Promise((resolve) => (this.#resolveConnected = resolve));
  }

  async #run(): Promise<void> {
    const min = this.options.minDelayMs ?? 250;
    const max = this.options.maxDelayMs ?? 30_000;
    let delay = min;
    while (!this.#closed) {
      let client: SmpClient;
      try {
        client = await (this.options.connect ?? connectSmp)(this.server, this.options);
      } catch {
        await sleep(delay);
        delay = Math.min(max, delay * 2);
        continue;
      }
      if (this.#closed) {
        await client.close();
        break;
      }
      delay = min;
      this.#client = client;
      const pump = this.#pumpEvents(client);
      try {
        await this.#resubscribe(client);
      } catch {
        // the connection dropped while resubscribing: the loop reconnects
      }
      this.#resolveConnected!(client);
      this.options.onStatus?.("connected");
      await client.done;
      await pump;
      this.#client = undefined;
      this.#resetConnected();
      if (!this.#closed) this.options.onStatus?.("disconnected");
    }
  }

  async #pumpEvents(client: SmpClient): Promise<void> {
    for (;;) {
      let ev: SmpEvent;
      try {
        ev = await client.nextEvent(60_000);
      } catch (e) {
        if (e instanceof SmpClientError && /no event in time/.test(e.message)) continue;
        return;
      }
      this.#events.push(ev);
      this.#eventWaiter?.();
    }
  }

  async #resubscribe(client: SmpClient): Promise<void> {
    const subs = [...this.#subscriptions.values()];
    if (subs.length === 0) return;
    await Promise.all(
      client.requests(subs.map((s) => ({ entityId: s.entityId, command: s.command, key: s.key }))),
    );
  }

  /** Waits for a connection, then sends one command. Rejects if the connection drops meanwhile. */
  async request(entityId: Uint8Array, command: Command, key?: AuthPrivateKey): Promise<BrokerMsg> {
    if (this.#closed) throw new SmpClientError("closed");
    const client = this.#client ?? await this.#connected!;
    return await client.request(entityId, command, key);
  }

  /** SUB (or NSUB for a notifier), remembered and repeated after every reconnection. */
  async subscribe(entityId: Uint8Array, key: AuthPrivateKey, notifier = false): Promise<BrokerMsg> {
    const command = { type: notifier ? "NSUB" : "SUB" } as const;
    this.#subscriptions.set(toHex(entityId), { entityId: entityId.slice(), command, key });
    return await this.request(entityId, command, key);
  }

  /** Forgets a subscription (after DEL, or when the queue is no longer used). */
  forget(entityId: Uint8Array): void {
    this.#subscriptions.delete(toHex(entityId));
  }

  get connected(): boolean {
    return this.#client !== undefined;
  }

  /** The next server event (MSG, END, DELD, NMSG…), across reconnections. */
  async nextEvent(timeoutMs = 5000): Promise<SmpEvent> {
    const deadline = Date.now() + timeoutMs;
    while (this.#events.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0 || this.#closed) throw new SmpClientError(this.#closed ? "closed" : "no event in time");
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#eventWaiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    return this.#events.shift()!;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#eventWaiter?.();
    await this.#client?.close();
    await this.#loop;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
