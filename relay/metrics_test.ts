import assert from "node:assert/strict";
import {
  appendDailyStats,
  dailyStatsLine,
  decodeStatsBackup,
  encodeStatsBackup,
  METRICS_FILE,
  msUntilDailyLog,
  type RelayGauges,
  renderPrometheus,
  restoreStatsBackup,
  saveStatsBackup,
  startMetricsFiles,
  STATS_BACKUP_FILE,
  STATS_DAILY_FILE,
  statsSnapshot,
} from "./metrics.ts";
import { StatsBackupError } from "../core/server/stats_backup.ts";
import {
  type Counter,
  COUNTERS,
  PROXY_GROUPS,
  RelayStats,
  SERVICE_COUNTERS,
  SERVICE_GROUPS,
  timeBucket,
} from "./stats.ts";

const GAUGES: RelayGauges = {
  version: "6.5.5.0",
  queueCount: 1001,
  notifierCount: 1002,
  messageCount: 1003,
  ntfCount: 1004,
  clients: 1005,
  smpSubscriptions: { subscriptions: 1006, clients: 1007 },
  ntfSubscriptions: { subscriptions: 1008, clients: 1009, services: 1014 },
  serviceCounts: {
    rcvServiceCount: 1010,
    ntfServiceCount: 1011,
    rcvServiceQueuesCount: 1012,
    ntfServiceQueuesCount: 1013,
  },
  sockets: [{ port: "5223", accepted: 20, closed: 15, active: 4 }, {
    port: "443",
    accepted: 1,
    closed: 0,
    active: 1,
  }],
};

/**
 * Every counter gets a distinct value (its position + 1), proxy outcomes 100 + 10·group + outcome,
 * service counters 200 + 10·group + counter.
 */
function numberedStats(): RelayStats {
  const s = new RelayStats();
  COUNTERS.forEach((c, i) => s.inc(c, i + 1));
  PROXY_GROUPS.forEach((g, i) => {
    s.proxy[g].successes = 100 + 10 * i + 1;
    s.proxy[g].errorsConnect = 100 + 10 * i + 2;
    s.proxy[g].errorsCompat = 100 + 10 * i + 3;
    s.proxy[g].errorsOther = 100 + 10 * i + 4;
  });
  SERVICE_GROUPS.forEach((g, i) => SERVICE_COUNTERS.forEach((c, k) => (s.services[g][c] = 200 + 10 * i + k)));
  return s;
}

const id = (n: number) => new Uint8Array(24).fill(n);

Deno.test("daily CSV: the reference's 96 columns in logServerStats order", () => {
  const s = numberedStats();
  s.fromTime = new Date("2026-03-01T00:00:00Z");
  for (let i = 0; i < 3; i++) s.activeQueues.add(id(i));
  s.activeQueuesNtf.add(id(9));
  // Tuesday 3 March: the week and month sets are not reported
  const line = dailyStatsLine(s.rollDay(new Date("2026-03-03T00:00:00Z")), GAUGES);
  const c = (name: Counter) => String(COUNTERS.indexOf(name) + 1);
  const proxy = (
    i: number,
  ) => [`${COUNTERS.indexOf(PROXY_GROUPS[i]) + 1}`, ...[1, 2, 3, 4].map((k) => `${100 + 10 * i + k}`)];
  const expected = [
    "2026-03-01",
    c("qCreated"),
    c("qSecured"),
    c("qDeletedAll"),
    c("msgSent"),
    c("msgRecv"),
    "3",
    "",
    "",
    c("msgSentNtf"),
    c("msgRecvNtf"),
    "1",
    "",
    "",
    "1001", // qCount
    "1003", // msgCount
    c("msgExpired"),
    c("qDeletedNew"),
    c("qDeletedSecured"),
    ...proxy(0),
    ...proxy(1),
    ...proxy(2),
    ...proxy(3),
    c("pMsgFwdsRecv"),
    c("qSub"),
    c("qSubAuth"),
    c("qSubDuplicate"),
    c("qSubProhibited"),
    c("msgSentAuth"),
    c("msgSentQuota"),
    c("msgSentLarge"),
    c("msgNtfs"),
    c("msgNtfNoSub"),
    c("msgNtfLost"),
    "0", // qSubNoMsg, removed upstream
    c("msgRecvGet"),
    c("msgGet"),
    c("msgGetNoMsg"),
    c("msgGetAuth"),
    c("msgGetDuplicate"),
    c("msgGetProhibited"),
    "0",
    "0",
    "0", // subscribed queues day/week/month, removed upstream
    "1001", // queue count from the store
    c("ntfCreated"),
    c("ntfDeleted"),
    c("ntfSub"),
    c("ntfSubAuth"),
    c("ntfSubDuplicate"),
    "1002", // notifiers
    c("qDeletedAllB"),
    c("qSubAllB"),
    c("qSubEnd"),
    c("qSubEndB"),
    c("ntfDeletedB"),
    c("ntfSubB"),
    c("msgNtfsB"),
    c("msgNtfExpired"),
    "1004", // ntfCount
    "1010", // rcvServiceCount
    "1011", // ntfServiceCount
    "1012", // rcvServiceQueuesCount
    "1013", // ntfServiceQueuesCount
    ...[200, 210].flatMap((base) => SERVICE_COUNTERS.map((_, k) => String(base + k))),
  ];
  assert.equal(expected.length, 96);
  assert.deepEqual(line.split(","), expected);
});

Deno.test("daily CSV: week counts on Mondays, month counts on the 1st, and the counters reset", () => {
  const s = numberedStats();
  s.fromTime = new Date("2026-03-01T00:00:02Z");
  s.activeQueues.add(id(1));
  s.activeQueues.add(id(2));
  // Monday 2 March 2026
  let cols = dailyStatsLine(s.rollDay(new Date("2026-03-02T00:00:05Z")), GAUGES).split(",");
  assert.deepEqual(cols.slice(6, 9), ["2", "2", ""]);
  assert.equal(cols[0], "2026-03-01", "the day the period started");
  assert.equal(s.counters.qCreated, 0);
  assert.equal(s.services.ntfServices.subQueues, 216, "service counters are running totals, as in 6.5.5");
  assert.equal(s.fromTime.toISOString(), "2026-03-02T00:00:05.000Z");
  s.activeQueues.add(id(3));
  // Wednesday 1 April 2026: the month holds all three queues, the week only the one since Monday's report
  cols = dailyStatsLine(s.rollDay(new Date("2026-04-01T00:00:00Z")), GAUGES).split(",");
  assert.deepEqual(cols.slice(0, 9), ["2026-03-02", "0", "0", "0", "0", "0", "1", "", "3"]);
  assert.deepEqual(s.activeQueues.counts(), { day: 0, week: 1, month: 0 });
});

/** The exposition format: comment, blank or `name{labels} value` lines; HELP and TYPE once before each family. */
function parseExposition(text: string) {
  const families = new Map<string, { help?: string; type?: string; samples: [string, number][] }>();
  const order: string[] = [];
  const family = (name: string) => {
    if (!families.has(name)) {
      families.set(name, { samples: [] });
      order.push(name);
    }
    return families.get(name)!;
  };
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (meta) {
      const f = family(meta[2]);
      const key = meta[1] === "HELP" ? "help" : "type";
      assert.equal(f[key], undefined, `second ${meta[1]} for ${meta[2]}`);
      assert.equal(f.samples.length, 0, `${meta[1]} after samples of ${meta[2]}`);
      f[key] = meta[3];
      continue;
    }
    if (line.startsWith("#")) continue;
    const sample =
      /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?\d+)$/
        .exec(line);
    assert.ok(sample, `not a sample line: ${line}`);
    const name = sample[1];
    const base = [...families.keys()].find((f) =>
      families.get(f)!.type === "histogram" ? /^(.*)_(sum|count|bucket)$/.exec(name)?.[1] === f : f === name
    );
    assert.ok(base, `no HELP/TYPE before ${name}`);
    assert.equal(order.at(-1), base, `samples of ${base} are not together`);
    families.get(base)!.samples.push([line.slice(0, line.lastIndexOf(" ")), Number(sample[3])]);
  }
  for (const [name, f] of families) {
    assert.ok(f.help && f.type && f.samples.length > 0, `incomplete family ${name}`);
    assert.ok(["counter", "gauge", "histogram"].includes(f.type!));
  }
  return families;
}

Deno.test("Prometheus: valid exposition with the reference's metric names", () => {
  const s = numberedStats();
  s.activeQueues.add(id(1));
  s.msgRecvAckTimes.add(100, 103);
  s.msgRecvAckTimes.add(100, 107);
  s.msgRecvAckTimes.add(100, 400);
  const text = renderPrometheus(statsSnapshot(s, GAUGES, new Date("2026-03-02T12:00:00Z")));
  assert.ok(text.startsWith("# Recorded at: 2026-03-02T12:00:00Z\n# Stats from: "));
  const families = parseExposition(text);
  const sample = (name: string) => families.get(name)?.samples.map(([k, v]) => `${k} ${v}`);
  const c = (name: Counter) => COUNTERS.indexOf(name) + 1;
  assert.deepEqual(sample("simplex_smp_queues_created"), [`simplex_smp_queues_created ${c("qCreated")}`]);
  assert.deepEqual(sample("simplex_smp_queues_deleted"), [
    `simplex_smp_queues_deleted{type="all"} ${c("qDeletedAll")}`,
    `simplex_smp_queues_deleted{type="new"} ${c("qDeletedNew")}`,
    `simplex_smp_queues_deleted{type="secured"} ${c("qDeletedSecured")}`,
  ]);
  assert.deepEqual(sample("simplex_smp_relay_sessions_errors")?.slice(0, 2), [
    `simplex_smp_relay_sessions_errors{source="all",type="connect"} 102`,
    `simplex_smp_relay_sessions_errors{source="all",type="compat"} 103`,
  ]);
  assert.deepEqual(sample("simplex_smp_sockets_leaked"), [
    `simplex_smp_sockets_leaked{port="5223"} 1`,
    `simplex_smp_sockets_leaked{port="443"} 0`,
  ]);
  assert.deepEqual(sample("simplex_smp_info"), ['simplex_smp_info{version="6.5.5.0"} 1']);
  assert.equal(families.get("simplex_smp_queues_total1")?.type, "gauge");
  assert.equal(families.get("simplex_smp_messages_sent")?.type, "counter");
  for (
    const name of [
      "queues_secured",
      "queues_blocked",
      "queues_deleted_batch",
      "queues_total2",
      "queues_daily",
      "queues_weekly",
      "queues_monthly",
      "queues_notify_daily",
      "queues_notify_created",
      "queues_notify_total2",
      "subscribtion_successes",
      "subscribtion_successes_batch",
      "subscribtion_end",
      "subscribtion_end_batch",
      "subscribtion_errors",
      "messages_sent",
      "messages_sent_errors",
      "messages_received",
      "messages_expired",
      "messages_total",
      "messages_notify_sent",
      "messages_notify_get_errors",
      "messages_ntf_successes",
      "messages_ntf_errors",
      "subscription_ntf_requests",
      "subscribtion_ntf_errors",
      "relay_sessions_requests",
      "relay_sessions_successes",
      "relay_messages_requests",
      "relay_messages_successes",
      "relay_messages_errors",
      "relay_messages_received",
      "rcv_services_count",
      "ntf_services_queues_count",
      "sockets_accepted",
      "sockets_closed",
      "sockets_active",
      "clients_total",
      "delivered_total",
      "delivered_clients_total",
      "delivery_ack_confirmed_time",
      "delivery_ack_confirmed_count",
      "delivery_ack_pending_count",
      "delivery_ack_time_max",
      "subscribtion_total",
      "subscribtion_clients_total",
      "subscription_ntf_total",
      "subscription_ntf_clients_total",
    ]
  ) assert.ok(families.has(`simplex_smp_${name}`), name);
  assert.equal(sample("simplex_smp_queues_daily")?.[0], "simplex_smp_queues_daily 1");
  assert.deepEqual(sample("simplex_smp_ntf_services_count"), ["simplex_smp_ntf_services_count 1011"]);
  assert.deepEqual(sample("simplex_smp_ntf_services_assoc_updated"), [
    "simplex_smp_ntf_services_assoc_updated 212",
  ]);
  assert.deepEqual(sample("simplex_smp_rcv_services_sub_end"), ["simplex_smp_rcv_services_sub_end 207"]);
  assert.deepEqual(sample("simplex_smp_subscribtion_nts_services_total"), [
    "simplex_smp_subscribtion_nts_services_total 1014",
  ]);
});

Deno.test("Prometheus: the ACK-time histogram is cumulative and ends in +Inf = confirmed deliveries", () => {
  const s = new RelayStats();
  s.inc("msgRecv", 4);
  s.inc("msgRecvGet", 1);
  for (const t of [3, 7, 7, 400]) s.msgRecvAckTimes.add(1000, 1000 + t);
  const h = parseExposition(renderPrometheus(statsSnapshot(s, GAUGES)))
    .get("simplex_smp_delivery_ack_confirmed_time")!.samples.map(([k, v]) => `${k} ${v}`);
  const n = "simplex_smp_delivery_ack_confirmed_time";
  assert.deepEqual(h, [
    `${n}_sum 417`,
    `${n}_count 5`,
    `${n}_bucket{le="3"} 1`,
    `${n}_bucket{le="10"} 3`,
    `${n}_bucket{le="360"} 3`,
    `${n}_bucket{le="420"} 4`,
    `${n}_bucket{le="+Inf"} 5`,
  ]);
  const periods = parseExposition(renderPrometheus(statsSnapshot(s, GAUGES)))
    .get("simplex_smp_delivery_ack_confirmed_count")!.samples.map(([k, v]) => `${k} ${v}`);
  assert.deepEqual(periods, [
    'simplex_smp_delivery_ack_confirmed_count{period="0-60"} 3',
    'simplex_smp_delivery_ack_confirmed_count{period="60-300"} 0',
    'simplex_smp_delivery_ack_confirmed_count{period="300-1200"} 1',
    'simplex_smp_delivery_ack_confirmed_count{period="1200-3600"} 0',
    'simplex_smp_delivery_ack_confirmed_count{period="3600+"} 0',
  ]);
});

Deno.test("Prometheus: label values are escaped", () => {
  const text = renderPrometheus(statsSnapshot(new RelayStats(), { ...GAUGES, version: 'a"b\\c\nd' }));
  assert.ok(text.includes('simplex_smp_info{version="a\\"b\\\\c\\nd"} 1\n'));
  parseExposition(text);
});

Deno.test("time buckets: exact to 5 s, then rounded up to 5, 10, 30 and 60 s steps", () => {
  assert.deepEqual([0, 5, 6, 30, 31, 60, 61, 180, 181].map(timeBucket), [0, 5, 10, 30, 40, 60, 90, 180, 240]);
});

Deno.test("stats backup: 95 key=value lines that decode to the same stats", () => {
  const s = numberedStats();
  s.fromTime = new Date("2026-03-02T10:20:30.120Z");
  s.activeQueues.add(id(1));
  s.activeQueues.add(id(2));
  s.activeQueuesNtf.add(id(3));
  const text = encodeStatsBackup(s.data(), 77);
  const lines = text.split("\n");
  assert.equal(lines.pop(), "", "ends with a line end");
  assert.equal(lines.length, 95);
  assert.equal(lines[0], "fromTime=2026-03-02T10:20:30.12Z");
  assert.ok(lines.includes("qCount=77"));
  assert.deepEqual(lines.slice(lines.indexOf("ntfServices:") + 1, lines.indexOf("ntfServices:") + 4), [
    "assocNew=210",
    "assocDuplicate=211",
    "assocUpdatedt=212",
  ]);
  assert.equal(lines[lines.indexOf("activeQueues:") + 1], `dayHashes=${[...s.activeQueues.day].join(",")}`);
  assert.deepEqual(decodeStatsBackup(text), s.data());
});

Deno.test("stats backup: reads the reference's older files and rejects malformed ones", () => {
  const old = [
    "fromTime=2024-01-15T00:00:00Z",
    "qCreated=5",
    "qSecured=4",
    "qDeleted=3",
    "qSub=9",
    "qSubNoMsg=100",
    "msgSent=8",
    "msgRecv=7",
    "pRelays:",
    "requests=11",
    "successes=10",
    "errorsConnect=1",
    "errorsCompat=0",
    "errorsOther=0",
    "pMsgFwdsRecv=2",
    "",
  ].join("\r\n");
  const d = decodeStatsBackup(old);
  assert.equal(d.fromTime.toISOString(), "2024-01-15T00:00:00.000Z");
  assert.equal(d.counters.qDeletedAll, 3);
  assert.equal(d.counters.qSub, 9);
  assert.equal(d.counters.pRelays, 11);
  assert.equal(d.proxy.pRelays.successes, 10);
  assert.equal(d.counters.pMsgFwdsRecv, 2, "a top-level key after a section");
  assert.deepEqual(d.activeQueues, { day: [], week: [], month: [] });
  assert.throws(() => decodeStatsBackup("qCreated=1\n"), StatsBackupError);
  assert.throws(() => decodeStatsBackup(old.replace("qCreated=5", "qCreated=five")), StatsBackupError);
  assert.throws(() => decodeStatsBackup(old.replace("msgRecv=7\r\n", "")), StatsBackupError);
  assert.throws(() => decodeStatsBackup(old + "activeQueues:\ndayHashes=1,x\n"), StatsBackupError);
});

Deno.test("stats backup file: counters survive a restart, and the file is moved to .bak", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const before = numberedStats();
    before.activeQueues.add(id(1));
    await saveStatsBackup(dir, before, 5);
    const after = new RelayStats();
    assert.equal(await restoreStatsBackup(dir, after), true);
    assert.deepEqual(after.data(), before.data());
    assert.equal(after.activeQueues.day.size, 1);
    await assert.rejects(Deno.stat(`${dir}/${STATS_BACKUP_FILE}`), Deno.errors.NotFound);
    assert.ok((await Deno.stat(`${dir}/${STATS_BACKUP_FILE}.bak`)).isFile);
    assert.equal(
      await restoreStatsBackup(dir, new RelayStats()),
      false,
      "nothing to restore the second time",
    );
    await Deno.writeTextFile(`${dir}/${STATS_BACKUP_FILE}`, "garbage\n");
    await assert.rejects(restoreStatsBackup(dir, new RelayStats()), StatsBackupError);
    assert.ok((await Deno.stat(`${dir}/${STATS_BACKUP_FILE}`)).isFile, "a bad backup stays for the operator");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startMetricsFiles: writes the metrics file every interval and appends the daily line", async () => {
  const dir = await Deno.makeTempDir();
  const stats = numberedStats();
  const files = startMetricsFiles({
    logDir: dir,
    stats,
    gauges: () => GAUGES,
    logStats: true,
    prometheusInterval: 0.02,
    now: () => new Date("2026-03-02T00:00:00Z"),
  });
  try {
    const path = `${dir}/${METRICS_FILE}`;
    for (let i = 0; i < 100 && !(await Deno.stat(path).catch(() => undefined)); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    parseExposition(await Deno.readTextFile(path));
    await files.logDailyStats();
    await files.logDailyStats();
    const lines = (await Deno.readTextFile(`${dir}/${STATS_DAILY_FILE}`)).split("\n");
    assert.equal(lines.length, 3);
    assert.equal(lines[0].split(",")[1], String(COUNTERS.indexOf("qCreated") + 1));
    assert.equal(lines[1].split(",")[1], "0", "the second day starts from zero");
    assert.equal(lines[1].split(",")[0], "2026-03-02");
    await appendDailyStats(dir, "x");
    assert.ok((await Deno.readTextFile(`${dir}/${STATS_DAILY_FILE}`)).endsWith("\nx\n"));
  } finally {
    await files.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("msUntilDailyLog: the next start time after midnight UTC", () => {
  const at = (s: string) => new Date(s);
  assert.equal(msUntilDailyLog(at("2026-03-02T23:00:00Z")), 3_600_000);
  assert.equal(msUntilDailyLog(at("2026-03-02T00:00:00Z")), 86_400_000);
  assert.equal(msUntilDailyLog(at("2026-03-02T00:00:00Z"), 60), 60_000);
  assert.equal(msUntilDailyLog(at("2026-03-02T00:02:00Z"), 60), 86_340_000);
});
