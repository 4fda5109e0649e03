/**
 * What the control port (and the stats files) read from a running relay: the bridge between
 * relay/control.ts and the relay, its store and its listeners.
 */
import type { BlockingInfo } from "../core/smp/errors.ts";
import {
  type BlockResult,
  type ControlTarget,
  DailyBlockQuota,
  type DeleteResult,
  type QueueChangeResult,
  type QueueStatusResult,
} from "./control.ts";
import type { RelayGauges, SocketCounts } from "./metrics.ts";
import { statsSnapshot } from "./metrics.ts";
import type { Relay } from "./relay.ts";
import type { RelayStore } from "./store/types.ts";
import { VERSION } from "../core/version.ts";
import type { PanelOverview } from "../core/server/panel_source.ts";

export interface SocketCounter extends SocketCounts {
  accepted: number;
  closed: number;
  active: number;
}

export function relayGauges(relay: Relay, store: RelayStore, sockets: readonly SocketCounts[]): RelayGauges {
  const subs = relay.subscribers();
  return {
    version: VERSION,
    queueCount: store.queueCount(),
    notifierCount: store.notifierCount(),
    messageCount: store.messageCount(),
    ntfCount: store.notificationCount(),
    clients: relay.clientCount,
    smpSubscriptions: { subscriptions: subs.queues, clients: subs.clients.length },
    ntfSubscriptions: {
      subscriptions: subs.notifiers,
      clients: subs.notifierClients.length,
      services: subs.notifierServices,
    },
    serviceCounts: store.serviceCounts(),
    sockets,
  };
}

const notFound = { type: "error", error: { type: "AUTH" } } as const;

export function relayControlTarget(
  relay: Relay,
  store: RelayStore,
  sockets: () => readonly SocketCounts[],
  options: { dailyBlockQuota: number; save: () => Promise<void>; overview?: () => PanelOverview },
): ControlTarget {
  const quota = new DailyBlockQuota(options.dailyBlockQuota);
  return {
    stats: () => statsSnapshot(relay.stats, relayGauges(relay, store, sockets())),
    clients: () => relay.clientsInfo(),
    sockets,
    serverInfo: () => {
      const subs = relay.subscribers();
      return {
        clients: relay.clientCount,
        smp: { subscriptions: subs.queues, subscribedClients: subs.clients },
        ntf: { subscriptions: subs.notifiers, subscribedClients: subs.notifierClients },
      };
    },
    status(senderId): QueueStatusResult {
      const q = relay.operatorQueue(senderId);
      if (!q) return notFound;
      return { type: "found", status: q.status, updatedAt: q.updatedAt, queueMode: q.queueMode };
    },
    block(senderId, info: BlockingInfo): BlockResult {
      const q = relay.operatorQueue(senderId);
      if (!q) return notFound;
      if (options.dailyBlockQuota < 0 || (q.status.type === "active" && !quota.allows())) {
        return { type: "quotaExceeded", quota: options.dailyBlockQuota };
      }
      if (q.status.type === "active") quota.record();
      relay.blockQueue(q, info);
      return { type: "changed", previous: q.status };
    },
    unblock(senderId): QueueChangeResult {
      const q = relay.operatorQueue(senderId);
      if (!q) return notFound;
      if (q.status.type === "blocked") relay.unblockQueue(q);
      return { type: "changed", previous: q.status };
    },
    delete(id): DeleteResult {
      const q = relay.operatorQueue(id);
      if (!q) return notFound;
      return { type: "deleted", messages: relay.deleteQueueByOperator(q) };
    },
    save: options.save,
    overview: options.overview,
  };
}
