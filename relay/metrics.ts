/**
 * The relay's stats output files (smp.md §5.8, Server.hs `logServerStats`, `saveServerStats`,
 * Server/Prometheus.hs): the daily CSV line, the `key=value` stats backup that carries counters
 * across restarts, and the Prometheus text file. Input is plain data (`StatsSnapshot`,
 * `DailyStats`), so nothing here reaches into the relay.
 */
import { str } from "../core/encoding/text.ts";
import { writeFileAtomic } from "../core/server/files.ts";
import { restoreStatsFile, StatsBackupError } from "../core/server/stats_backup.ts";
import type { PeriodCounts, PeriodReport, PeriodSetsData } from "../core/server/period_sets.ts";
import {
  type Counter,
  COUNTERS,
  type DailyStats,
  PROXY_GROUPS,
  type ProxyGroup,
  type ProxyStatsData,
  type RelayStats,
  type RelayStatsData,
  SERVICE_COUNTERS,
  SERVICE_GROUPS,
  type ServiceCounter,
  type ServiceGroup,
  type ServiceStatsData,
  type TimeBucketsData,
} from "./stats.ts";
import type { ServiceCounts } from "./store/types.ts";

export const STATS_DAILY_FILE = "smp-server-stats.daily.log";
export const STATS_BACKUP_FILE = "smp-server-stats.log";
export const METRICS_FILE = "smp-server-metrics.txt";

export interface SocketCounts {
  /** the listening port, as configured */
  readonly port: string;
  readonly accepted: number;
  readonly closed: number;
  readonly active: number;
}

export interface SubscriberCounts {
  /** queues (or notifiers) that have a subscribed connection */
  readonly subscriptions: number;
  /** connections holding at least one of them */
  readonly clients: number;
  /** services subscribed as a whole (NSUB in a service session, NSUBS); omitted means none */
  readonly services?: number;
}

/** What only the running relay knows: its store and connections, read at snapshot time. */
export interface RelayGauges {
  /** server version, reported in `simplex_smp_info` */
  readonly version: string;
  readonly queueCount: number;
  /** queues with notifier credentials */
  readonly notifierCount: number;
  readonly messageCount: number;
  /** stored notifications waiting for the notification server */
  readonly ntfCount: number;
  readonly clients: number;
  readonly smpSubscriptions: SubscriberCounts;
  readonly ntfSubscriptions: SubscriberCounts;
  /** services and the queues associated with them, from the store */
  readonly serviceCounts: ServiceCounts;
  readonly sockets: readonly SocketCounts[];
  /** subscriptions with a delivered, unacknowledged message; omitted means none */
  readonly delivered?: SubscriberCounts & { readonly times: TimeBucketsData };
}

export interface StatsSnapshot extends RelayGauges {
  /** when the snapshot was taken */
  readonly at: Date;
  readonly fromTime: Date;
  readonly counters: Readonly<Record<Counter, number>>;
  readonly proxy: Readonly<Record<ProxyGroup, ProxyStatsData>>;
  readonly activeQueues: PeriodCounts;
  readonly activeQueuesNtf: PeriodCounts;
  readonly msgRecvAckTimes: TimeBucketsData;
  readonly services: Readonly<Record<ServiceGroup, ServiceStatsData>>;
}

export function statsSnapshot(stats: RelayStats, gauges: RelayGauges, at = new Date()): StatsSnapshot {
  return {
    ...gauges,
    at,
    fromTime: stats.fromTime,
    counters: stats.snapshot(),
    proxy: stats.proxyData(),
    activeQueues: stats.activeQueues.counts(),
    activeQueuesNtf: stats.activeQueuesNtf.counts(),
    msgRecvAckTimes: stats.msgRecvAckTimes.data(),
    services: stats.servicesData(),
  };
}

// ---------------------------------------------------------------------------------------------
// Daily CSV

function proxyFields(p: ProxyStatsData): number[] {
  return [p.requests, p.successes, p.errorsConnect, p.errorsCompat, p.errorsOther];
}

/**
 * One line of `smp-server-stats.daily.log`, in the column order of `logServerStats` (96 columns).
 * Columns for what this relay does not have are 0, as the reference writes for its removed stats:
 * qSubNoMsg and the subscribed-queue period counts. The week and month active counts are empty except on Mondays and on the 1st.
 */
export function dailyStatsLine(d: DailyStats, g: RelayGauges): string {
  const c = d.counters;
  const period = (p: PeriodReport) => [p.day, p.week ?? "", p.month ?? ""];
  return [
    d.fromTime.toISOString().slice(0, 10),
    c.qCreated,
    c.qSecured,
    c.qDeletedAll,
    c.msgSent,
    c.msgRecv,
    ...period(d.activeQueues),
    c.msgSentNtf,
    c.msgRecvNtf,
    ...period(d.activeQueuesNtf),
    g.queueCount,
    g.messageCount,
    c.msgExpired,
    c.qDeletedNew,
    c.qDeletedSecured,
    ...PROXY_GROUPS.flatMap((p) => proxyFields(d.proxy[p])),
    c.pMsgFwdsRecv,
    c.qSub,
    c.qSubAuth,
    c.qSubDuplicate,
    c.qSubProhibited,
    c.msgSentAuth,
    c.msgSentQuota,
    c.msgSentLarge,
    c.msgNtfs,
    c.msgNtfNoSub,
    c.msgNtfLost,
    0, // qSubNoMsg
    c.msgRecvGet,
    c.msgGet,
    c.msgGetNoMsg,
    c.msgGetAuth,
    c.msgGetDuplicate,
    c.msgGetProhibited,
    0, // subscribed queues: day
    0, // week
    0, // month
    g.queueCount, // the store's count (the reference's second queue count)
    c.ntfCreated,
    c.ntfDeleted,
    c.ntfSub,
    c.ntfSubAuth,
    c.ntfSubDuplicate,
    g.notifierCount,
    c.qDeletedAllB,
    c.qSubAllB,
    c.qSubEnd,
    c.qSubEndB,
    c.ntfDeletedB,
    c.ntfSubB,
    c.msgNtfsB,
    c.msgNtfExpired,
    g.ntfCount,
    g.serviceCounts.rcvServiceCount,
    g.serviceCounts.ntfServiceCount,
    g.serviceCounts.rcvServiceQueuesCount,
    g.serviceCounts.ntfServiceQueuesCount,
    ...SERVICE_GROUPS.flatMap((group) => SERVICE_COUNTERS.map((c) => d.services[group][c])),
  ].join(",");
}

// ---------------------------------------------------------------------------------------------
// Stats backup (`smp-server-stats.log`)

/**
 * Top-level keys in the order the reference writes them: the queue, notifier and message
 * counters (kept in that order in stats.ts), with `qCount`, written from the store, after
 * `qBlocked`; the proxy counters follow in their own records.
 */
const BACKUP_KEYS: readonly (Counter | "qCount")[] = COUNTERS
  .slice(0, COUNTERS.indexOf("msgNtfExpired") + 1)
  .flatMap((c): (Counter | "qCount")[] => (c === "qBlocked" ? [c, "qCount"] : [c]));
const PROXY_KEYS = ["requests", "successes", "errorsConnect", "errorsCompat", "errorsOther"] as const;
/** `ServiceStatsData` keys, in order; the reference writes and reads "assocUpdatedt" [sic] */
const serviceKey = (c: ServiceCounter) => c === "assocUpdated" ? "assocUpdatedt" : c;
const SERVICE_KEYS: readonly string[] = SERVICE_COUNTERS.map(serviceKey);
const PERIOD_SECTIONS = ["activeQueues", "activeQueuesNtf"] as const;

/** The backup text, 95 lines (`strEncode ServerStatsData`). */
export function encodeStatsBackup(d: RelayStatsData, qCount: number): string {
  const lines = [`fromTime=${str.utcTime(d.fromTime)}`];
  for (const k of BACKUP_KEYS) lines.push(`${k}=${k === "qCount" ? qCount : d.counters[k]}`);
  for (const section of PERIOD_SECTIONS) {
    const p: PeriodSetsData = d[section];
    lines.push(`${section}:`, `dayHashes=${p.day.join(",")}`, `weekHashes=${p.week.join(",")}`);
    lines.push(`monthHashes=${p.month.join(",")}`);
  }
  for (const g of PROXY_GROUPS) lines.push(`${g}:`, ...PROXY_KEYS.map((k) => `${k}=${d.proxy[g][k]}`));
  lines.push(`pMsgFwdsRecv=${d.counters.pMsgFwdsRecv}`);
  for (const g of SERVICE_GROUPS) {
    lines.push(`${g}:`, ...SERVICE_COUNTERS.map((c) => `${serviceKey(c)}=${d.services[g][c]}`));
  }
  return lines.join("\n") + "\n";
}

/**
 * Reads a backup written by this relay or by the reference server. Like the reference parser it
 * needs fromTime, qCreated, qSecured, qDeleted(All), msgSent and msgRecv; other keys default to 0.
 * Unknown keys and sections are skipped; a malformed value throws StatsBackupError.
 */
export function decodeStatsBackup(text: string): RelayStatsData {
  const top = new Map<string, string>();
  const sections = new Map<string, Map<string, string>>();
  let current = top;
  for (const raw of text.split("\n")) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line === "") continue;
    const eq = line.indexOf("=");
    if (eq < 0 && line.endsWith(":")) {
      current = new Map();
      sections.set(line.slice(0, -1), current);
      continue;
    }
    if (eq <= 0) throw new StatsBackupError(`bad stats line ${JSON.stringify(line.slice(0, 40))}`);
    const key = line.slice(0, eq);
    // a section holds only its own keys; anything else is back at the top level
    if (current !== top && !isSectionKey(key)) current = top;
    current.set(key, line.slice(eq + 1));
  }
  const fromText = top.get("fromTime");
  const fromTime = fromText === undefined ? undefined : new Date(fromText);
  if (!fromTime || Number.isNaN(fromTime.getTime())) throw new StatsBackupError("bad or missing fromTime");
  if (top.has("qDeleted") && !top.has("qDeletedAll")) top.set("qDeletedAll", top.get("qDeleted")!);
  for (const k of ["qCreated", "qSecured", "qDeletedAll", "msgSent", "msgRecv"]) {
    if (!top.has(k)) throw new StatsBackupError(`missing ${k}`);
  }
  const counters = Object.fromEntries(COUNTERS.map((c) => [c, int(top, c)])) as Record<Counter, number>;
  const proxy = Object.fromEntries(PROXY_GROUPS.map((g) => {
    const s = sections.get(g) ?? new Map<string, string>();
    const p = Object.fromEntries(PROXY_KEYS.map((k) => [k, int(s, k)])) as Record<
      keyof ProxyStatsData,
      number
    >;
    counters[g] = p.requests;
    return [g, p];
  })) as Record<ProxyGroup, ProxyStatsData>;
  const period = (name: string): PeriodSetsData => {
    const s = sections.get(name) ?? new Map<string, string>();
    return { day: intList(s, "dayHashes"), week: intList(s, "weekHashes"), month: intList(s, "monthHashes") };
  };
  const services = Object.fromEntries(SERVICE_GROUPS.map((g) => {
    const s = sections.get(g) ?? new Map<string, string>();
    return [g, Object.fromEntries(SERVICE_COUNTERS.map((c) => [c, int(s, serviceKey(c))]))];
  })) as Record<ServiceGroup, ServiceStatsData>;
  return {
    fromTime,
    counters,
    proxy,
    activeQueues: period("activeQueues"),
    activeQueuesNtf: period("activeQueuesNtf"),
    services,
  };
}

function isSectionKey(key: string): boolean {
  return /^(day|week|month)(Hashes)?$/.test(key) || (PROXY_KEYS as readonly string[]).includes(key) ||
    SERVICE_KEYS.includes(key);
}

function int(m: Map<string, string>, key: string): number {
  const v = m.get(key);
  if (v === undefined) return 0;
  if (!/^-?\d+$/.test(v)) throw new StatsBackupError(`bad number for ${key}`);
  return Number(v);
}

function intList(m: Map<string, string>, key: string): number[] {
  const v = m.get(key);
  if (!v) return [];
  return v.split(",").map((x) => {
    if (!/^-?\d+$/.test(x)) throw new StatsBackupError(`bad hash list for ${key}`);
    return Number(x);
  });
}

// ---------------------------------------------------------------------------------------------
// Prometheus text exposition

type Sample = readonly [suffix: string, value: number];
interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "gauge" | "histogram";
  readonly samples: readonly Sample[];
}

const counter = (name: string, help: string, ...samples: Sample[]): Family => ({
  name: `simplex_smp_${name}`,
  help,
  type: "counter",
  samples,
});
const gauge = (name: string, help: string, ...samples: Sample[]): Family => ({
  name: `simplex_smp_${name}`,
  help,
  type: "gauge",
  samples,
});
const one = (value: number): Sample => ["", value];
const label = (labels: Record<string, string>, value: number): Sample => [
  `{${Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}`,
  value,
];

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/**
 * The metrics file (Prometheus.hs `prometheusMetrics`): the reference's metric names (including its
 * "subscribtion" spelling), types and labels. Samples carry no timestamps: node_exporter's textfile
 * collector rejects files that have them (prometheus/node_exporter#769).
 */
export function renderPrometheus(s: StatsSnapshot): string {
  const sections: [string, Family[]][] = [
    ["Queues", queueFamilies(s)],
    ["Subscriptions", subscriptionFamilies(s)],
    ["Messages", messageFamilies(s)],
    ["Notification messages (client)", ntfClientFamilies(s)],
    ["Notifications (server)", ntfServerFamilies(s)],
    ["Relays", relayFamilies(s)],
    ["Services", serviceFamilies(s)],
    ["Info", infoFamilies(s)],
  ];
  let out = `# Recorded at: ${str.utcTime(s.at)}\n# Stats from: ${str.utcTime(s.fromTime)}\n\n`;
  for (const [title, families] of sections) {
    out += `# ${title}\n# ${"-".repeat(title.length)}\n\n`;
    for (const f of families) {
      if (f.samples.length === 0) continue;
      out += `# HELP ${f.name} ${f.help}\n# TYPE ${f.name} ${f.type}\n`;
      for (const [suffix, value] of f.samples) out += `${f.name}${suffix} ${value}\n`;
      out += "\n";
    }
  }
  return out;
}

function queueFamilies(s: StatsSnapshot): Family[] {
  const c = s.counters;
  return [
    counter("queues_created", "Created queues", one(c.qCreated)),
    counter("queues_secured", "Secured queues", one(c.qSecured)),
    counter(
      "queues_deleted",
      "Deleted queues",
      label({ type: "all" }, c.qDeletedAll),
      label({ type: "new" }, c.qDeletedNew),
      label({ type: "secured" }, c.qDeletedSecured),
    ),
    counter("queues_blocked", "Blocked queues", one(c.qBlocked)),
    counter("queues_deleted_batch", "Batched requests to delete queues", one(c.qDeletedAllB)),
    gauge("queues_total1", "Total number of stored queues (first type of count).", one(s.queueCount)),
    gauge("queues_total2", "Total number of stored queues (second type of count).", one(s.queueCount)),
    gauge("queues_daily", "Daily active queues.", one(s.activeQueues.day)),
    gauge("queues_weekly", "Weekly active queues.", one(s.activeQueues.week)),
    gauge("queues_monthly", "Monthly active queues.", one(s.activeQueues.month)),
    gauge("queues_notify_daily", "Daily active queues with notifications.", one(s.activeQueuesNtf.day)),
    gauge("queues_notify_weekly", "Weekly active queues with notifications.", one(s.activeQueuesNtf.week)),
    gauge("queues_notify_monthly", "Monthly active queues with notifications.", one(s.activeQueuesNtf.month)),
  ];
}

function subscriptionFamilies(s: StatsSnapshot): Family[] {
  const c = s.counters;
  return [
    counter("subscribtion_successes", "Successful subscriptions.", one(c.qSub)),
    counter("subscribtion_successes_batch", "Batched successful subscriptions.", one(c.qSubAllB)),
    counter("subscribtion_end", "Ended subscriptions.", one(c.qSubEnd)),
    counter("subscribtion_end_batch", "Batched ended subscriptions.", one(c.qSubEndB)),
    counter(
      "subscribtion_errors",
      "Subscription errors.",
      label({ type: "auth" }, c.qSubAuth),
      label({ type: "duplicate" }, c.qSubDuplicate),
      label({ type: "prohibited" }, c.qSubProhibited),
    ),
  ];
}

function messageFamilies(s: StatsSnapshot): Family[] {
  const c = s.counters;
  return [
    counter("messages_sent", "Sent messages.", one(c.msgSent)),
    counter(
      "messages_sent_errors",
      "Total number of messages errors by type.",
      label({ type: "auth" }, c.msgSentAuth),
      label({ type: "quota" }, c.msgSentQuota),
      label({ type: "large" }, c.msgSentLarge),
      label({ type: "block" }, c.msgSentBlock),
    ),
    counter("messages_received", "Received messages.", one(c.msgRecv)),
    counter("messages_expired", "Expired messages.", one(c.msgExpired)),
    gauge("messages_total", "Total number of messages stored.", one(s.messageCount)),
  ];
}

function ntfClientFamilies(s: StatsSnapshot): Family[] {
  const c = s.counters;
  return [
    counter("messages_notify_sent", "Sent messages with notification flag (client).", one(c.msgSentNtf)),
    counter(
      "messages_notify_received",
      "Received messages with notification flag (client).",
      one(c.msgRecvNtf),
    ),
    counter(
      "messages_notify_get_sent",
      "Requests to get messages with notification flag (client).",
      one(c.msgGet),
    ),
    counter(
      "messages_notify_get_received",
      "Successfully received get requests messages with notification flag (client).",
      one(c.msgRecvGet),
    ),
    counter(
      "messages_notify_get_errors",
      "Error events with messages with notification flag (client).",
      label({ type: "nomsg" }, c.msgGetNoMsg),
      label({ type: "auth" }, c.msgGetAuth),
      label({ type: "duplicate" }, c.msgGetDuplicate),
      label({ type: "prohibited" }, c.msgGetProhibited),
    ),
    counter("queues_notify_created", "Created queue notification credentials.", one(c.ntfCreated)),
    counter(
      "queues_notify_new_created",
      "Created new queues with notification credentials.",
      one(c.ntfNewCreated),
    ),
    counter("queues_notify_deleted", "Deleted queue notification credentials.", one(c.ntfDeleted)),
    counter(
      "queues_notify_deleted_batch",
      "Deleted batched queue notification credentials.",
      one(c.ntfDeletedB),
    ),
    gauge(
      "queues_notify_total1",
      "Total number of stored queues with notification flag (first type of count).",
      one(s.ntfCount),
    ),
    gauge(
      "queues_notify_total2",
      "Total number of stored queues with notification flag (second type of count).",
      one(s.notifierCount),
    ),
  ];
}

function ntfServerFamilies(s: StatsSnapshot): Family[] {
  const c = s.counters;
  return [
    counter(
      "messages_ntf_successes",
      "Successful events with notification messages (to ntf server).",
      one(c.msgNtfs),
    ),
    counter(
      "messages_ntf_successes_batch",
      "Successful batched events with notification messages (to ntf server).",
      one(c.msgNtfsB),
    ),
    counter(
      "messages_ntf_errors",
      "Error events with notification messages (to ntf server).",
      label({ type: "nosub" }, c.msgNtfNoSub),
      label({ type: "lost" }, c.msgNtfLost),
      label({ type: "expired" }, c.msgNtfExpired),
    ),
    counter(
      "subscription_ntf_requests",
      "Subscription requests with notification flag (from ntf server).",
      one(c.ntfSub),
    ),
    counter(
      "subscription_ntf_requests_batch",
      "Batched subscription requests with notification flag (from ntf server).",
      one(c.ntfSubB),
    ),
    counter(
      "subscribtion_ntf_errors",
      "Subscription errors with notification flag (from ntf server).",
      label({ type: "auth" }, c.ntfSubAuth),
      label({ type: "duplicate" }, c.ntfSubDuplicate),
    ),
  ];
}

function relayFamilies(s: StatsSnapshot): Family[] {
  const bySource = (all: ProxyGroup, own: ProxyGroup, field: keyof ProxyStatsData): Sample[] => [
    label({ source: "all" }, s.proxy[all][field]),
    label({ source: "own" }, s.proxy[own][field]),
  ];
  const errors = (all: ProxyGroup, own: ProxyGroup): Sample[] =>
    ([["all", all], ["own", own]] as const).flatMap(([source, g]) => [
      label({ source, type: "connect" }, s.proxy[g].errorsConnect),
      label({ source, type: "compat" }, s.proxy[g].errorsCompat),
      label({ source, type: "other" }, s.proxy[g].errorsOther),
    ]);
  return [
    counter(
      "relay_sessions_requests",
      "Session requests through relay.",
      ...bySource("pRelays", "pRelaysOwn", "requests"),
    ),
    counter(
      "relay_sessions_successes",
      "Successful session events through relay.",
      ...bySource("pRelays", "pRelaysOwn", "successes"),
    ),
    counter(
      "relay_sessions_errors",
      "Error session events through relay.",
      ...errors("pRelays", "pRelaysOwn"),
    ),
    counter(
      "relay_messages_requests",
      "Message requests sent through relay.",
      ...bySource("pMsgFwds", "pMsgFwdsOwn", "requests"),
    ),
    counter(
      "relay_messages_successes",
      "Successful messages sent through relay.",
      ...bySource("pMsgFwds", "pMsgFwdsOwn", "successes"),
    ),
    counter(
      "relay_messages_errors",
      "Error events with messages sent through relay.",
      ...errors("pMsgFwds", "pMsgFwdsOwn"),
    ),
    counter("relay_messages_received", "Relay messages statistics.", one(s.counters.pMsgFwdsRecv)),
  ];
}

/** Client services (SMP v16+): the store's counts, then each role's association and subscription counters. */
function serviceFamilies(s: StatsSnapshot): Family[] {
  const n = s.serviceCounts;
  const families = [
    gauge("rcv_services_count", "The count of receiving services.", one(n.rcvServiceCount)),
    gauge(
      "rcv_services_queues_count",
      "The count of queues associated with receiving services.",
      one(n.rcvServiceQueuesCount),
    ),
    gauge("ntf_services_count", "The count of notification services.", one(n.ntfServiceCount)),
    gauge(
      "ntf_services_queues_count",
      "The count of queues associated with notification services.",
      one(n.ntfServiceQueuesCount),
    ),
  ];
  for (
    const [group, pfx, name] of [["rcvServices", "rcv", "receiving"], [
      "ntfServices",
      "ntf",
      "notification",
    ]] as const
  ) {
    const v = s.services[group];
    families.push(
      counter(`${pfx}_services_assoc_new`, `New queue associations with ${name} services.`, one(v.assocNew)),
      counter(
        `${pfx}_services_assoc_duplicate`,
        `Duplicate queue associations with ${name} services.`,
        one(v.assocDuplicate),
      ),
      counter(
        `${pfx}_services_assoc_updated`,
        `Updated queue associations with ${name} services.`,
        one(v.assocUpdated),
      ),
      counter(
        `${pfx}_services_assoc_removed`,
        `Removed queue associations with ${name} services.`,
        one(v.assocRemoved),
      ),
      counter(`${pfx}_services_sub_count`, `Service subscriptions by ${name} services.`, one(v.subCount)),
      counter(
        `${pfx}_services_sub_duplicate`,
        `Duplicate service subscriptions by ${name} services.`,
        one(v.subDuplicate),
      ),
      gauge(`${pfx}_services_sub_queues`, `Queues subscribed by ${name} services.`, one(v.subQueues)),
      gauge(`${pfx}_services_sub_end`, `Ended subscriptions with ${name} services.`, one(v.subEnd)),
    );
  }
  return families;
}

function infoFamilies(s: StatsSnapshot): Family[] {
  const sockets = (field: "accepted" | "closed" | "active" | "leaked") =>
    s.sockets.map((p) =>
      label({ port: p.port }, field === "leaked" ? p.accepted - p.closed - p.active : p[field])
    );
  const delivered = s.delivered ?? { subscriptions: 0, clients: 0, times: EMPTY_TIMES };
  const confirmed = s.counters.msgRecv + s.counters.msgRecvGet;
  return [
    gauge("info", "Server information.", label({ version: s.version }, 1)),
    gauge("sockets_accepted", "Accepted sockets", ...sockets("accepted")),
    gauge("sockets_closed", "Closed sockets", ...sockets("closed")),
    gauge("sockets_active", "Active sockets", ...sockets("active")),
    gauge("sockets_leaked", "Leaked sockets", ...sockets("leaked")),
    gauge("clients_total", "Clients", one(s.clients)),
    gauge("delivered_total", "Total SMP subscriptions with delivered messages", one(delivered.subscriptions)),
    gauge("delivered_clients_total", "Subscribed clients", one(delivered.clients)),
    {
      name: "simplex_smp_delivery_ack_confirmed_time",
      help: "Times to confirm message delivery, only confirmed deliveries",
      type: "histogram",
      samples: [
        ["_sum", s.msgRecvAckTimes.sumTime],
        ["_count", confirmed],
        ...histogramBuckets(s.msgRecvAckTimes.buckets),
        ['_bucket{le="+Inf"}', confirmed],
      ],
    },
    counter(
      "delivery_ack_confirmed_count",
      "Counts for confirmed deliveries",
      ...periodSums(s.msgRecvAckTimes.buckets),
    ),
    gauge(
      "delivery_ack_pending_count",
      "Counts for pending delivery",
      ...periodSums(delivered.times.buckets),
    ),
    gauge("delivery_ack_time_max", "Max time to confirm message delivery", one(delivered.times.maxTime)),
    gauge("subscribtion_total", "Total SMP subscriptions", one(s.smpSubscriptions.subscriptions)),
    gauge("subscribtion_clients_total", "Subscribed clients", one(s.smpSubscriptions.clients)),
    gauge(
      "subscribtion_services_total",
      "Subscribed services, first counting method",
      one(s.smpSubscriptions.services ?? 0),
    ),
    gauge(
      "subscription_ntf_total",
      "Total notification subscriptions (from ntf server)",
      one(s.ntfSubscriptions.subscriptions),
    ),
    gauge("subscription_ntf_clients_total", "Total subscribed NTF servers", one(s.ntfSubscriptions.clients)),
    gauge(
      "subscribtion_nts_services_total",
      "Subscribed NTF services, first counting method",
      one(s.ntfSubscriptions.services ?? 0),
    ),
  ];
}

const EMPTY_TIMES: TimeBucketsData = { sumTime: 0, maxTime: 0, buckets: new Map() };

/**
 * Cumulative `le` buckets at each recorded bound, plus a bound 60 s below one that follows a gap
 * wider than a minute (as `showTimeBuckets` does), so rate queries see where the gap starts.
 */
function histogramBuckets(buckets: ReadonlyMap<number, number>): Sample[] {
  const out: Sample[] = [];
  let prev = 0, total = 0;
  for (const [sec, count] of [...buckets].sort((a, b) => a[0] - b[0])) {
    if (sec - 60 > prev) out.push([`_bucket{le="${sec - 60}"}`, total]);
    total += count;
    out.push([`_bucket{le="${sec}"}`, total]);
    prev = sec;
  }
  return out;
}

/**
 * Counts in the periods 0-60, 60-300, 300-1200, 1200-3600 and 3600+ seconds. The reference
 * filters these by count instead of by bucket time (`IM.filter` sees values); this sums by time.
 */
function periodSums(buckets: ReadonlyMap<number, number>): Sample[] {
  const bounds = [0, 60, 300, 1200, 3600, Infinity];
  return bounds.slice(0, -1).map((min, i) => {
    const max = bounds[i + 1];
    let sum = 0;
    for (const [sec, count] of buckets) if (min <= sec && sec < max) sum += count;
    return label({ period: max === Infinity ? `${min}+` : `${min}-${max}` }, sum);
  });
}

// ---------------------------------------------------------------------------------------------
// Files

export async function appendDailyStats(logDir: string, line: string): Promise<void> {
  await Deno.writeTextFile(`${logDir}/${STATS_DAILY_FILE}`, line + "\n", { append: true });
}

export async function saveStatsBackup(logDir: string, stats: RelayStats, qCount: number): Promise<void> {
  await writeFileAtomic(`${logDir}/${STATS_BACKUP_FILE}`, encodeStatsBackup(stats.data(), qCount));
}

/**
 * Restores `smp-server-stats.log` into `stats` and renames it to `.bak`, as the reference does on
 * start; false when there is no backup. A malformed backup throws StatsBackupError and is left in
 * place, so the operator can look at it.
 */
export function restoreStatsBackup(logDir: string, stats: RelayStats): Promise<boolean> {
  return restoreStatsFile(`${logDir}/${STATS_BACKUP_FILE}`, (text) => stats.restore(decodeStatsBackup(text)));
}

export interface MetricsFilesOptions {
  readonly logDir: string;
  readonly stats: RelayStats;
  readonly gauges: () => RelayGauges;
  /** `[STORE_LOG] log_stats`: append the daily CSV line and reset the counters */
  readonly logStats: boolean;
  /** `[STORE_LOG] prometheus_interval`, seconds; undefined writes no metrics file */
  readonly prometheusInterval?: number;
  /** seconds after 00:00 UTC to write the daily line (`logStatsStartTime`, default 0) */
  readonly logStatsStartTime?: number;
  readonly onError?: (error: unknown) => void;
  readonly now?: () => Date;
}

export interface MetricsFiles {
  /** writes the metrics file now (also what the timer does) */
  writeMetrics(): Promise<void>;
  /** ends the day's counting period now (also what the daily timer does) */
  logDailyStats(): Promise<void>;
  close(): Promise<void>;
}

const DAY_MS = 86_400_000;

/** Milliseconds from `now` to the next `startTime` seconds after midnight UTC. */
export function msUntilDailyLog(now: Date, startTime = 0): number {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const next = midnight + startTime * 1000;
  return next > now.getTime() ? next - now.getTime() : next + DAY_MS - now.getTime();
}

/** Starts the daily stats log and the periodic metrics file, as configured. */
export function startMetricsFiles(o: MetricsFilesOptions): MetricsFiles {
  const now = o.now ?? (() => new Date());
  const onError = o.onError ?? (() => {});
  const pending = new Set<Promise<void>>();
  let closed = false;
  let dailyTimer: ReturnType<typeof setTimeout> | undefined;
  let metricsTimer: ReturnType<typeof setInterval> | undefined;
  const track = (p: Promise<void>) => {
    const t = p.catch(onError).finally(() => pending.delete(t));
    pending.add(t);
    return t;
  };
  const files: MetricsFiles = {
    writeMetrics: () =>
      track(
        writeFileAtomic(
          `${o.logDir}/${METRICS_FILE}`,
          renderPrometheus(statsSnapshot(o.stats, o.gauges(), now())),
        ),
      ),
    logDailyStats: () => {
      const gauges = o.gauges();
      const line = dailyStatsLine(o.stats.rollDay(now()), gauges);
      return track(appendDailyStats(o.logDir, line));
    },
    close: async () => {
      closed = true;
      clearTimeout(dailyTimer);
      clearInterval(metricsTimer);
      await Promise.all(pending);
    },
  };
  const scheduleDaily = () => {
    if (closed) return;
    dailyTimer = setTimeout(() => {
      files.logDailyStats();
      scheduleDaily();
    }, msUntilDailyLog(now(), o.logStatsStartTime));
  };
  if (o.logStats) scheduleDaily();
  if (o.prometheusInterval !== undefined && o.prometheusInterval > 0) {
    metricsTimer = setInterval(() => files.writeMetrics(), o.prometheusInterval * 1000);
  }
  return files;
}
