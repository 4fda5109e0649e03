/**
 * Server counters with the reference's names (Server/Stats.hs, smp.md §5.8). They count events,
 * never who caused them: no queue IDs, addresses or contents are kept here; active queues are
 * counted as sets of one-way hashes.
 */
import { type PeriodReport, PeriodSets, type PeriodSetsData } from "../core/server/period_sets.ts";

export const COUNTERS = [
  "qCreated",
  "qSecured",
  "qDeletedAll",
  "qDeletedNew",
  "qDeletedSecured",
  "qDeletedAllB",
  "qBlocked",
  "qSub",
  "qSubAllB",
  "qSubAuth",
  "qSubDuplicate",
  "qSubProhibited",
  "qSubEnd",
  "qSubEndB",
  "ntfCreated",
  "ntfNewCreated",
  "ntfDeleted",
  "ntfDeletedB",
  "ntfSub",
  "ntfSubB",
  "ntfSubAuth",
  "ntfSubDuplicate",
  "msgSent",
  "msgSentAuth",
  "msgSentQuota",
  "msgSentLarge",
  "msgSentBlock",
  "msgRecv",
  "msgRecvGet",
  "msgGet",
  "msgGetNoMsg",
  "msgGetAuth",
  "msgGetDuplicate",
  "msgGetProhibited",
  "msgExpired",
  "msgSentNtf",
  "msgRecvNtf",
  "msgNtfs",
  "msgNtfsB",
  "msgNtfNoSub",
  "msgNtfLost",
  "msgNtfExpired",
  // the four proxy counters count requests; their outcomes are in `RelayStats.proxy`
  "pRelays",
  "pRelaysOwn",
  "pMsgFwds",
  "pMsgFwdsOwn",
  "pMsgFwdsRecv",
] as const;

export type Counter = (typeof COUNTERS)[number];

/** Proxy statistics groups (`ProxyStats` in Stats.hs); the group's counter above is `requests`. */
export const PROXY_GROUPS = ["pRelays", "pRelaysOwn", "pMsgFwds", "pMsgFwdsOwn"] as const;
export type ProxyGroup = (typeof PROXY_GROUPS)[number];
export type ProxyOutcome = "successes" | "errorsConnect" | "errorsCompat" | "errorsOther";
const PROXY_OUTCOMES: readonly ProxyOutcome[] = ["successes", "errorsConnect", "errorsCompat", "errorsOther"];

export interface ProxyStatsData {
  readonly requests: number;
  /** includes destination errors forwarded to the client */
  readonly successes: number;
  readonly errorsConnect: number;
  readonly errorsCompat: number;
  readonly errorsOther: number;
}

/**
 * Counters of client services (SMP v16+), one group per service role (`ServiceStats` in Stats.hs).
 * 6.5.5 counts only notifier services' associations and subscriptions; like it, these are carried
 * across days and restarts, never zeroed by the daily log.
 */
export const SERVICE_GROUPS = ["rcvServices", "ntfServices"] as const;
export type ServiceGroup = (typeof SERVICE_GROUPS)[number];
export const SERVICE_COUNTERS = [
  "assocNew",
  "assocDuplicate",
  "assocUpdated",
  "assocRemoved",
  "subCount",
  "subDuplicate",
  "subQueues",
  "subEnd",
] as const;
export type ServiceCounter = (typeof SERVICE_COUNTERS)[number];
export type ServiceStatsData = Readonly<Record<ServiceCounter, number>>;

/** Delivery-to-ACK times in seconds, bucketed like `updateTimeBuckets`. */
export interface TimeBucketsData {
  readonly sumTime: number;
  readonly maxTime: number;
  /** bucket upper bound (seconds) → count */
  readonly buckets: ReadonlyMap<number, number>;
}

export class TimeBuckets implements TimeBucketsData {
  sumTime = 0;
  maxTime = 0;
  readonly buckets = new Map<number, number>();

  /** Both times in seconds since the epoch. */
  add(deliveredAt: number, now: number): void {
    const t = now - deliveredAt;
    this.sumTime += t;
    this.maxTime = Math.max(this.maxTime, t);
    const bucket = timeBucket(t);
    this.buckets.set(bucket, (this.buckets.get(bucket) ?? 0) + 1);
  }

  data(): TimeBucketsData {
    return { sumTime: this.sumTime, maxTime: this.maxTime, buckets: new Map(this.buckets) };
  }

  clear(): void {
    this.sumTime = this.maxTime = 0;
    this.buckets.clear();
  }
}

/** Exact seconds up to 5, then rounded up to 5, 10, 30 and 60 second steps. */
export function timeBucket(t: number): number {
  const up = (step: number) => Math.ceil(t / step) * step;
  if (t <= 5) return t;
  if (t <= 30) return up(5);
  if (t <= 60) return up(10);
  if (t <= 180) return up(30);
  return up(60);
}

/** Everything RelayStats holds, as plain data (for snapshots and the stats backup). */
export interface RelayStatsData {
  readonly fromTime: Date;
  readonly counters: Readonly<Record<Counter, number>>;
  readonly proxy: Readonly<Record<ProxyGroup, ProxyStatsData>>;
  readonly activeQueues: PeriodSetsData;
  readonly activeQueuesNtf: PeriodSetsData;
  readonly services: Readonly<Record<ServiceGroup, ServiceStatsData>>;
}

/** What a day's stats log line reports: the counters up to `at`, then reset. */
export interface DailyStats {
  readonly fromTime: Date;
  readonly at: Date;
  readonly counters: Readonly<Record<Counter, number>>;
  readonly proxy: Readonly<Record<ProxyGroup, ProxyStatsData>>;
  readonly activeQueues: PeriodReport;
  readonly activeQueuesNtf: PeriodReport;
  /** running totals: the daily log does not zero them */
  readonly services: Readonly<Record<ServiceGroup, ServiceStatsData>>;
}

const zeroCounters = () => Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<Counter, number>;
const zeroOutcomes = () =>
  Object.fromEntries(
    PROXY_GROUPS.map((g) => [g, Object.fromEntries(PROXY_OUTCOMES.map((o) => [o, 0]))]),
  ) as Record<
    ProxyGroup,
    Record<ProxyOutcome, number>
  >;

const zeroServices = () =>
  Object.fromEntries(
    SERVICE_GROUPS.map((g) => [g, Object.fromEntries(SERVICE_COUNTERS.map((c) => [c, 0]))]),
  ) as Record<ServiceGroup, Record<ServiceCounter, number>>;

export class RelayStats {
  readonly startedAt = new Date();
  /** start of the current counting period: start-up, the last daily roll, or the restored backup */
  fromTime = this.startedAt;
  readonly counters: Record<Counter, number> = zeroCounters();
  /** outcomes of proxy requests; the requests are `counters[group]` */
  readonly proxy = zeroOutcomes();
  /** recipient queues used by SEND or ACK */
  readonly activeQueues = new PeriodSets();
  /** the same for messages with the notification flag */
  readonly activeQueuesNtf = new PeriodSets();
  readonly msgRecvAckTimes = new TimeBuckets();
  readonly services = zeroServices();

  inc(counter: Counter, by = 1): void {
    this.counters[counter] += by;
  }

  incService(group: ServiceGroup, counter: ServiceCounter): void {
    this.services[group][counter]++;
  }

  servicesData(): Record<ServiceGroup, ServiceStatsData> {
    return { rcvServices: { ...this.services.rcvServices }, ntfServices: { ...this.services.ntfServices } };
  }

  incProxy(group: ProxyGroup, outcome: ProxyOutcome): void {
    this.proxy[group][outcome]++;
  }

  snapshot(): Record<Counter, number> {
    return { ...this.counters };
  }

  proxyData(): Record<ProxyGroup, ProxyStatsData> {
    return Object.fromEntries(
      PROXY_GROUPS.map((g) => [g, { requests: this.counters[g], ...this.proxy[g] }]),
    ) as Record<ProxyGroup, ProxyStatsData>;
  }

  /** Zeroes the counters and proxy outcomes; active-queue sets roll separately. */
  reset(): void {
    for (const c of COUNTERS) this.counters[c] = 0;
    for (const g of PROXY_GROUPS) for (const o of PROXY_OUTCOMES) this.proxy[g][o] = 0;
    this.msgRecvAckTimes.clear();
  }

  data(): RelayStatsData {
    return {
      fromTime: this.fromTime,
      counters: this.snapshot(),
      proxy: this.proxyData(),
      activeQueues: this.activeQueues.data(),
      activeQueuesNtf: this.activeQueuesNtf.data(),
      services: this.servicesData(),
    };
  }

  /** Restores a backup (only at start-up: it replaces what was counted so far). */
  restore(d: RelayStatsData): void {
    this.fromTime = d.fromTime;
    for (const c of COUNTERS) this.counters[c] = d.counters[c] ?? 0;
    for (const g of PROXY_GROUPS) {
      this.counters[g] = d.proxy[g].requests;
      for (const o of PROXY_OUTCOMES) this.proxy[g][o] = d.proxy[g][o];
    }
    this.activeQueues.restore(d.activeQueues);
    this.activeQueuesNtf.restore(d.activeQueuesNtf);
    for (const g of SERVICE_GROUPS) for (const c of SERVICE_COUNTERS) this.services[g][c] = d.services[g][c];
  }

  /**
   * Ends the day's counting period at `at` (`logServerStats`): returns what it counted, zeroes the
   * counters and starts a new period. Runs synchronously, so no event falls between the two.
   */
  rollDay(at: Date): DailyStats {
    const daily: DailyStats = {
      fromTime: this.fromTime,
      at,
      counters: this.snapshot(),
      proxy: this.proxyData(),
      activeQueues: this.activeQueues.roll(at),
      activeQueuesNtf: this.activeQueuesNtf.roll(at),
      services: this.servicesData(),
    };
    this.reset();
    this.fromTime = at;
    return daily;
  }
}
