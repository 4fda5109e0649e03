/**
 * The panel's view of a relay running in this process: the same state the control port reads
 * (relay/control_target.ts), the stats files' figures (relay/metrics.ts) and the effective config.
 */
import { encodeBase64Url } from "../../core/encoding/base64.ts";
import type { RelayConfig } from "../../relay/config.ts";
import { DEFAULT_SMP_PORT } from "../../relay/config.ts";
import type { ControlTarget } from "../../relay/control.ts";
import { relayControlTarget, relayGauges } from "../../relay/control_target.ts";
import { renderPrometheus, type SocketCounts, STATS_DAILY_FILE, statsSnapshot } from "../../relay/metrics.ts";
import type { Relay } from "../../relay/relay.ts";
import type { RelayStore } from "../../relay/store/types.ts";
import type {
  ConfigEntry,
  DailyFigures,
  LiveFigures,
  PanelOverview,
  PanelSource,
  QueueAction,
  QueueLookup,
} from "./source.ts";
import { MASKED } from "./source.ts";

export interface RelayPanelSourceOptions {
  readonly relay: Relay;
  readonly store: RelayStore;
  readonly config: RelayConfig;
  /** SHA-256 of the identity certificate (the relay identity's `keyHash`) */
  readonly keyHash: Uint8Array;
  readonly sockets?: () => readonly SocketCounts[];
  /** the control port's target when there is one, so that both share the daily block quota */
  readonly target?: ControlTarget;
}

export function relayPanelSource(o: RelayPanelSourceOptions): PanelSource {
  const { relay, store, config } = o;
  const sockets = o.sockets ?? (() => []);
  const target = o.target ?? relayControlTarget(relay, store, sockets, {
    dailyBlockQuota: config.dailyBlockQuota,
    save: () => Promise.resolve(),
  });
  const snapshot = () => statsSnapshot(relay.stats, relayGauges(relay, store, sockets()));
  const fingerprint = encodeBase64Url(o.keyHash);
  return {
    overview: (): PanelOverview => ({
      version: relayGauges(relay, store, []).version,
      startedAt: relay.stats.startedAt,
      serverAddress: panelServerAddress(fingerprint, config.host, config.ports),
      fingerprint,
      storage: config.persistence ? "persistent" : "memory",
      queueCreation: !config.newQueues ? "closed" : config.createPassword ? "password" : "open",
    }),
    live: (): LiveFigures => {
      const s = snapshot();
      return {
        at: s.at,
        clients: s.clients,
        queues: s.queueCount,
        messages: s.messageCount,
        subscriptions: s.smpSubscriptions.subscriptions,
        fromTime: s.fromTime,
        counters: s.counters,
      };
    },
    history: () => config.persistence ? readDailyLog(`${config.logDir}/${STATS_DAILY_FILE}`) : [],
    async lookupQueue(id): Promise<QueueLookup> {
      const r = await target.status(id);
      if (r.type !== "found") return { type: "notFound" };
      return {
        type: "found",
        status: r.status.type,
        blocking: r.status.type === "blocked" ? r.status.info : undefined,
        updatedAt: r.updatedAt !== undefined ? new Date(r.updatedAt * 1000) : undefined,
      };
    },
    async blockQueue(id, info): Promise<QueueAction> {
      const r = await target.block(id, info);
      return r.type === "changed" ? { type: "done" } : r.type === "quotaExceeded" ? r : { type: "notFound" };
    },
    async unblockQueue(id): Promise<QueueAction> {
      const r = await target.unblock(id);
      return r.type === "changed" ? { type: "done" } : { type: "notFound" };
    },
    async deleteQueue(id): Promise<QueueAction> {
      const r = await target.delete(id);
      return r.type === "deleted" ? { type: "done" } : { type: "notFound" };
    },
    configuration: () => relayConfigEntries(config),
    prometheus: () => renderPrometheus(snapshot()),
  };
}

export function panelServerAddress(fingerprint: string, host: string, ports: readonly number[]): string {
  const port = ports.length > 0 && ports[0] !== DEFAULT_SMP_PORT ? `:${ports[0]}` : "";
  return `smp://${fingerprint}@${host}${port}`;
}

const secret = (v: string | undefined) => v === undefined ? "(not set)" : MASKED;

/** The effective settings in the ini file's sections; passwords only say whether they are set. */
export function relayConfigEntries(c: RelayConfig): ConfigEntry[] {
  const e = (section: string, key: string, value: unknown): ConfigEntry => ({
    section,
    key,
    value: value === undefined ? "(not set)" : String(value),
  });
  return [
    e("TRANSPORT", "host", c.host),
    e("TRANSPORT", "port", c.ports.join(",")),
    e("TRANSPORT", "control_port", c.controlPort),
    e("TRANSPORT", "log_tls_errors", c.logTlsErrors ? "on" : "off"),
    e("TRANSPORT", "max_connections", c.maxConnections),
    e("STORE_LOG", "enable", c.persistence ? "on" : "off"),
    e("STORE_LOG", "expire_messages_days", c.messageTtlDays),
    e("STORE_LOG", "expire_messages_on_start", c.expireOnStart ? "on" : "off"),
    e("STORE_LOG", "expire_messages_on_send", c.expireOnSend ? "on" : "off"),
    e("STORE_LOG", "expire_ntfs_hours", c.notificationTtlHours),
    e("STORE_LOG", "log_stats", c.logStats ? "on" : "off"),
    e("STORE_LOG", "prometheus_interval", c.prometheusInterval),
    e("AUTH", "new_queues", c.newQueues ? "on" : "off"),
    e("AUTH", "create_password", secret(c.createPassword)),
    e("AUTH", "control_port_admin_password", secret(c.controlAdminPassword)),
    e("AUTH", "control_port_user_password", secret(c.controlUserPassword)),
    e("AUTH", "daily_block_queue_quota", c.dailyBlockQuota),
    e("INACTIVE_CLIENTS", "disconnect", c.inactiveClients ? "on" : "off"),
    e("INACTIVE_CLIENTS", "ttl", c.inactiveClients?.ttl),
    e("INACTIVE_CLIENTS", "check_interval", c.inactiveClients?.checkInterval),
  ];
}

/** The daily CSV (relay/metrics.ts `dailyStatsLine`): day, qCreated, qSecured, qDeletedAll, msgSent, msgRecv, …, queues at 14, messages at 15. */
export function parseDailyLog(text: string): DailyFigures[] {
  const out: DailyFigures[] = [];
  for (const line of text.split("\n")) {
    const f = line.split(",");
    if (f.length < 16 || !/^\d{4}-\d{2}-\d{2}$/.test(f[0])) continue;
    const n = (i: number) => Number(f[i]) || 0;
    out.push({ day: f[0], qCreated: n(1), msgSent: n(4), msgRecv: n(5), queues: n(14), messages: n(15) });
  }
  return out;
}

async function readDailyLog(path: string): Promise<DailyFigures[]> {
  try {
    return parseDailyLog(await Deno.readTextFile(path));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
}
