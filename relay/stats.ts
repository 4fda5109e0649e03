/**
 * Server counters with the reference's names (Server/Stats.hs, smp.md §5.8). They count events,
 * never who caused them: no queue IDs, addresses or contents are kept here; active queues are
 * counted as sets of one-way hashes.
 */
export const COUNTERS = [
  "qCreated",
  "qSecured",
  "qDeletedAll",
  "qDeletedAllB",
  "qDeletedNew",
  "qDeletedSecured",
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

/** Sizes of the active-queue sets. */
export interface PeriodCounts {
  readonly day: number;
  readonly week: number;
  readonly month: number;
}

/** The daily report of a period set: weeks end on Mondays and months on the 1st (UTC). */
export interface PeriodReport {
  readonly day: number;
  readonly week?: number;
  readonly month?: number;
}

export interface PeriodSetsData {
  readonly day: readonly number[];
  readonly week: readonly number[];
  readonly month: readonly number[];
}

/**
 * 53-bit hash of a queue ID, so the sets never hold IDs themselves. Two 32-bit FNV-1a lanes with
 * different offsets, finalised by a murmur3 mix; collisions only undercount.
 */
export function queueIdHash(id: Uint8Array): number {
  let a = 0x811c9dc5, b = 0x050c5d1f;
  for (const byte of id) {
    a = Math.imul(a ^ byte, 0x01000193);
    b = Math.imul(b ^ byte, 0x01000193);
  }
  return (fmix32(a) & 0x1fffff) * 0x100000000 + fmix32(b ^ a);
}

function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Queues active in the current day, week and month (`PeriodStats`). */
export class ActiveQueues {
  day = new Set<number>();
  week = new Set<number>();
  month = new Set<number>();

  add(queueId: Uint8Array): void {
    const h = queueIdHash(queueId);
    this.day.add(h);
    this.week.add(h);
    this.month.add(h);
  }

  counts(): PeriodCounts {
    return { day: this.day.size, week: this.week.size, month: this.month.size };
  }

  /** Reports and clears the day; the week on Mondays and the month on the 1st (`periodStatCounts`). */
  roll(now: Date): PeriodReport {
    const day = this.day.size;
    this.day = new Set();
    let week: number | undefined, month: number | undefined;
    if (now.getUTCDay() === 1) {
      week = this.week.size;
      this.week = new Set();
    }
    if (now.getUTCDate() === 1) {
      month = this.month.size;
      this.month = new Set();
    }
    return { day, week, month };
  }

  data(): PeriodSetsData {
    return { day: [...this.day], week: [...this.week], month: [...this.month] };
  }

  restore(d: PeriodSetsData): void {
    this.day = new Set(d.day);
    this.week = new Set(d.week);
    this.month = new Set(d.month);
  }
}

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
}

/** What a day's stats log line reports: the counters up to `at`, then reset. */
export interface DailyStats {
  readonly fromTime: Date;
  readonly at: Date;
  readonly counters: Readonly<Record<Counter, number>>;
  readonly proxy: Readonly<Record<ProxyGroup, ProxyStatsData>>;
  readonly activeQueues: PeriodReport;
  readonly activeQueuesNtf: PeriodReport;
}

const zeroCounters = () => Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<Counter, number>;
const zeroOutcomes = () =>
  Object.fromEntries(
    PROXY_GROUPS.map((g) => [g, Object.fromEntries(PROXY_OUTCOMES.map((o) => [o, 0]))]),
  ) as Record<
    ProxyGroup,
    Record<ProxyOutcome, number>
  >;

export class RelayStats {
  readonly startedAt = new Date();
  /** start of the current counting period: start-up, the last daily roll, or the restored backup */
  fromTime = this.startedAt;
  readonly counters: Record<Counter, number> = zeroCounters();
  /** outcomes of proxy requests; the requests are `counters[group]` */
  readonly proxy = zeroOutcomes();
  /** recipient queues used by SEND or ACK */
  readonly activeQueues = new ActiveQueues();
  /** the same for messages with the notification flag */
  readonly activeQueuesNtf = new ActiveQueues();
  readonly msgRecvAckTimes = new TimeBuckets();

  inc(counter: Counter, by = 1): void {
    this.counters[counter] += by;
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
    };
    this.reset();
    this.fromTime = at;
    return daily;
  }
}
