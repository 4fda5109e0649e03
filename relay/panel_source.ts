/**
 * The operators' panel's view of a relay running in this process (core/server/panel_source.ts):
 * the state the control port reads (control_target.ts), the stats files' figures (metrics.ts) and
 * the effective configuration with its secrets masked.
 */
import { encodeBase64Url } from "../core/encoding/base64.ts";
import {
  type ConfigEntry,
  dailyCsvParser,
  inactiveClientsEntries,
  informationEntries,
  type ItemAction,
  type ItemLookup,
  liveValues,
  onOff,
  panelConfigEntries,
  type PanelOverview,
  type PanelSource,
  readDailyHistory,
  setting,
  webEntries,
} from "../core/server/panel_source.ts";
import type { RelayConfig } from "./config.ts";
import { INI_FILE, relayAddress } from "./config.ts";
import type { ControlTarget } from "./control.ts";
import { relayControlTarget, relayGauges } from "./control_target.ts";
import { renderPrometheus, type SocketCounts, STATS_DAILY_FILE, statsSnapshot } from "./metrics.ts";
import type { Relay } from "./relay.ts";
import type { RelayStore } from "./store/types.ts";
import { VERSION } from "../core/version.ts";

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
  return {
    kind: "smp",
    overview: () => relayOverview(relay, config, o.keyHash),
    live: () => {
      const s = snapshot();
      // by the names the control port's `stats` prints them under
      const counters = { ...s.counters, qCount: s.queueCount, msgCount: s.messageCount };
      return {
        at: s.at,
        fromTime: s.fromTime,
        values: liveValues("smp", {
          counters,
          proxy: s.proxy,
          clients: s.clients,
          subscriptions: s.smpSubscriptions.subscriptions,
        }),
      };
    },
    history: () =>
      config.persistence ? readDailyHistory(`${config.logDir}/${STATS_DAILY_FILE}`, parseDailyLog) : [],
    async lookup(id): Promise<ItemLookup> {
      const r = await target.status(id);
      if (r.type !== "found") return { type: "notFound" };
      return {
        type: "found",
        status: r.status.type,
        blocking: r.status.type === "blocked" ? r.status.info : undefined,
        updatedAt: r.updatedAt !== undefined ? new Date(r.updatedAt * 1000) : undefined,
      };
    },
    async block(id, info): Promise<ItemAction> {
      const r = await target.block(id, info);
      return r.type === "changed" ? { type: "done" } : r.type === "quotaExceeded" ? r : { type: "notFound" };
    },
    async unblock(id): Promise<ItemAction> {
      const r = await target.unblock(id);
      return r.type === "changed" ? { type: "done" } : { type: "notFound" };
    },
    async delete(id): Promise<ItemAction> {
      const r = await target.delete(id);
      return r.type === "deleted" ? { type: "done" } : { type: "notFound" };
    },
    configuration: () => ({ path: `${config.cfgDir}/${INI_FILE}`, entries: relayConfigEntries(config) }),
    prometheus: () => renderPrometheus(snapshot()),
  };
}

/** The overview page's facts, also the control port's `overview`. */
export function relayOverview(relay: Relay, config: RelayConfig, keyHash: Uint8Array): PanelOverview {
  const fingerprint = encodeBase64Url(keyHash);
  return {
    kind: "smp",
    version: VERSION,
    startedAt: relay.stats.startedAt,
    serverAddress: relayAddress(fingerprint, config.host, config.ports),
    fingerprint,
    storage: config.persistence ? "persistent" : "memory",
    creation: !config.newQueues ? "closed" : config.createPassword ? "password" : "open",
  };
}

/**
 * Every setting the relay reads from smp-server.ini (relay/config.ts), by section, as it read them:
 * defaults filled in, passwords only saying whether they are set.
 */
export function relayConfigEntries(c: RelayConfig): ConfigEntry[] {
  const e = setting;
  const n = c.proxyNetwork;
  const socks = n.socksProxy &&
    `${
      n.socksProxy.hostname.includes(":") ? `[${n.socksProxy.hostname}]` : n.socksProxy.hostname
    }:${n.socksProxy.port}`;
  return [
    ...informationEntries(c.information),
    e("STORE_LOG", "enable", onOff(c.persistence)),
    e("STORE_LOG", "expire_messages_days", c.messageTtlDays),
    e("STORE_LOG", "expire_messages_on_start", onOff(c.expireOnStart)),
    e("STORE_LOG", "expire_messages_on_send", onOff(c.expireOnSend)),
    e("STORE_LOG", "expire_ntfs_hours", c.notificationTtlHours),
    e("STORE_LOG", "log_stats", onOff(c.logStats)),
    e("STORE_LOG", "prometheus_interval", c.prometheusInterval),
    e("AUTH", "new_queues", onOff(c.newQueues)),
    e("AUTH", "create_password", c.createPassword, true),
    e("AUTH", "control_port_admin_password", c.controlAdminPassword, true),
    e("AUTH", "control_port_user_password", c.controlUserPassword, true),
    e("AUTH", "daily_block_queue_quota", c.dailyBlockQuota),
    e("TRANSPORT", "host", c.host),
    e("TRANSPORT", "port", c.ports.join(",")),
    e("TRANSPORT", "log_tls_errors", onOff(c.logTlsErrors)),
    e("TRANSPORT", "control_port", c.controlPort),
    e("TRANSPORT", "max_connections", c.maxConnections),
    e("TRANSPORT", "accept_service_credentials", onOff(c.acceptServiceCredentials)),
    e("PROXY", "socks_proxy", socks),
    e("PROXY", "socks_mode", n.socksMode),
    e("PROXY", "host_mode", n.hostMode),
    e(
      "PROXY",
      "required_host_mode",
      n.requiredHostMode === undefined ? undefined : onOff(n.requiredHostMode),
    ),
    e(
      "PROXY",
      "own_server_domains",
      c.ownServerDomains.length > 0 ? c.ownServerDomains.join(",") : undefined,
    ),
    e("PROXY", "client_concurrency", c.proxyClientConcurrency),
    ...inactiveClientsEntries(c.inactiveClients),
    ...webEntries(c.web),
    ...panelConfigEntries(c.panel),
  ];
}

/** The daily CSV (relay/metrics.ts `dailyStatsLine`): day, qCreated, qSecured, qDeletedAll, msgSent, msgRecv, …, queues at 14, messages at 15. */
export const parseDailyLog = dailyCsvParser(16, {
  qCreated: 1,
  msgSent: 4,
  msgRecv: 5,
  qCount: 14,
  msgCount: 15,
});
