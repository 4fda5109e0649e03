/**
 * What the operators' web panel reads from and does to a server (issue #6). Plain data only, so
 * that the same interface fits an in-process relay (`relay_source.ts`) and a remote server reached
 * over its control port (admin/control_client.ts). Nothing here names a client address or links
 * one queue to another.
 */
import type { BlockingInfo } from "../../core/smp/errors.ts";

type Awaitable<T> = T | Promise<T>;

export type QueueCreation = "open" | "password" | "closed";

export interface PanelOverview {
  readonly version: string;
  readonly startedAt: Date;
  /** `smp://<fingerprint>@<host>[:<port>]`, without the queue-creation password */
  readonly serverAddress: string;
  readonly fingerprint: string;
  /** "persistent" keeps queues and messages on disk, "memory" loses them on restart */
  readonly storage: "persistent" | "memory";
  readonly queueCreation: QueueCreation;
}

export interface LiveFigures {
  readonly at: Date;
  readonly clients: number;
  readonly queues: number;
  readonly messages: number;
  readonly subscriptions: number;
  /** counters since `fromTime` (the reference's names: qCreated, msgSent, msgRecv…) */
  readonly fromTime: Date;
  readonly counters: Readonly<Record<string, number>>;
}

/** One line of the daily stats log (smp.md §5.8). */
export interface DailyFigures {
  /** YYYY-MM-DD (UTC) */
  readonly day: string;
  readonly qCreated: number;
  readonly msgSent: number;
  readonly msgRecv: number;
  readonly queues: number;
  readonly messages: number;
}

export type QueueLookup =
  | {
    readonly type: "found";
    readonly status: "active" | "off" | "blocked";
    readonly blocking?: BlockingInfo;
    /** the day the queue was last used (UTC), when known */
    readonly updatedAt?: Date;
  }
  | { readonly type: "notFound" };

export type QueueAction =
  | { readonly type: "done" }
  | { readonly type: "notFound" }
  | { readonly type: "quotaExceeded"; readonly quota: number };

/** An effective setting; secrets are masked by the source, never sent in the clear. */
export interface ConfigEntry {
  readonly section: string;
  readonly key: string;
  readonly value: string;
}

export interface PanelSource {
  overview(): Awaitable<PanelOverview>;
  live(): Awaitable<LiveFigures>;
  /** oldest first */
  history(): Awaitable<readonly DailyFigures[]>;
  /** queue commands take the sender ID (or short-link ID), as the control port does */
  lookupQueue(id: Uint8Array): Awaitable<QueueLookup>;
  blockQueue(id: Uint8Array, info: BlockingInfo): Awaitable<QueueAction>;
  unblockQueue(id: Uint8Array): Awaitable<QueueAction>;
  deleteQueue(id: Uint8Array): Awaitable<QueueAction>;
  configuration(): Awaitable<readonly ConfigEntry[]>;
  /** Prometheus text exposition, the reference's metric names */
  prometheus(): Awaitable<string>;
}

export const MASKED = "********";
