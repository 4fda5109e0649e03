/**
 * The XFTP server's counters (Server/Stats.hs, xftp.md §3.3) and the files they are written to:
 * the stats backup (`file-server-stats.log`, restored at start), the daily CSV line and the
 * Prometheus text file (Server/Prometheus.hs names).
 */
import { VERSION } from "../core/version.ts";
import { str } from "../core/encoding/text.ts";
import { writeFileAtomic } from "../core/server/files.ts";
import { restoreStatsFile, StatsBackupError } from "../core/server/stats_backup.ts";
import { PeriodSets } from "../core/server/period_sets.ts";

export const STATS_DAILY_FILE = "file-server-stats.daily.log";
export const STATS_BACKUP_FILE = "file-server-stats.log";
export const METRICS_FILE = "xftp-server-metrics.txt";

export const COUNTERS = [
  "filesCreated",
  "fileRecipients",
  "filesUploaded",
  "filesExpired",
  "filesDeleted",
  "filesBlocked",
  "fileDownloads",
  "fileDownloadAcks",
  "filesCount",
  "filesSize",
] as const;
export type Counter = (typeof COUNTERS)[number];

export class FileServerStats {
  fromTime: Date;
  readonly counters: Record<Counter, number> = Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<
    Counter,
    number
  >;
  readonly filesDownloaded = new PeriodSets();

  constructor(now = new Date()) {
    this.fromTime = now;
  }

  inc(c: Counter, n = 1): void {
    this.counters[c] += n;
  }
}

/** The backup text, 15 lines (`strEncode FileServerStatsData`). */
export function encodeStatsBackup(s: FileServerStats): string {
  const c = s.counters;
  const d = s.filesDownloaded;
  return [
    `fromTime=${str.utcTime(s.fromTime)}`,
    ...([
      "filesCreated",
      "fileRecipients",
      "filesUploaded",
      "filesExpired",
      "filesDeleted",
      "filesBlocked",
    ] as const)
      .map((k) => `${k}=${c[k]}`),
    `filesCount=${c.filesCount}`,
    `filesSize=${c.filesSize}`,
    "filesDownloaded:",
    `dayHashes=${[...d.day].join(",")}`,
    `weekHashes=${[...d.week].join(",")}`,
    `monthHashes=${[...d.month].join(",")}`,
    `fileDownloads=${c.fileDownloads}`,
    `fileDownloadAcks=${c.fileDownloadAcks}`,
  ].join("\n") + "\n";
}

/** Restores a backup written by this server or the reference; missing optional counters are 0. */
export function decodeStatsBackup(text: string, into: FileServerStats): void {
  const values = new Map<string, string>();
  for (const raw of text.split("\n")) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    const eq = line.indexOf("=");
    if (eq > 0) values.set(line.slice(0, eq), line.slice(eq + 1));
  }
  const fromTime = new Date(values.get("fromTime") ?? "");
  if (Number.isNaN(fromTime.getTime())) throw new StatsBackupError("bad or missing fromTime");
  for (const k of ["filesCreated", "fileRecipients", "filesUploaded", "filesDeleted"]) {
    if (!values.has(k)) throw new StatsBackupError(`missing ${k}`);
  }
  const num = (k: string) => {
    const v = values.get(k) ?? "0";
    if (!/^-?\d+$/.test(v)) throw new StatsBackupError(`bad number for ${k}`);
    return Number(v);
  };
  const hashes = (k: string) => {
    const v = values.get(k) ?? "";
    if (v !== "" && !/^-?\d+(,-?\d+)*$/.test(v)) throw new StatsBackupError(`bad hashes for ${k}`);
    return new Set(v === "" ? [] : v.split(",").map(Number));
  };
  into.fromTime = fromTime;
  for (const c of COUNTERS) into.counters[c] = num(c);
  into.filesDownloaded.day = hashes("dayHashes");
  into.filesDownloaded.week = hashes("weekHashes");
  into.filesDownloaded.month = hashes("monthHashes");
}

/**
 * One line of the daily CSV, resetting the period counters as the reference does:
 * `date,created,recipients,uploaded,deleted,dlDay,dlWeek,dlMonth,downloads,acks,filesCount,filesSize,expired`.
 */
export function takeDailyStatsLine(s: FileServerStats, now: Date): string {
  const c = s.counters;
  const from = s.fromTime;
  s.fromTime = now;
  const take = (k: Counter) => {
    const v = c[k];
    c[k] = 0;
    return v;
  };
  const created = take("filesCreated"), recipients = take("fileRecipients"), uploaded = take("filesUploaded");
  const expired = take("filesExpired"), deleted = take("filesDeleted");
  const dl = s.filesDownloaded.roll(now);
  const downloads = take("fileDownloads"), acks = take("fileDownloadAcks");
  return [
    from.toISOString().slice(0, 10),
    created,
    recipients,
    uploaded,
    deleted,
    dl.day,
    dl.week ?? "",
    dl.month ?? "",
    downloads,
    acks,
    c.filesCount,
    c.filesSize,
    expired,
  ].join(",");
}

const METRICS: readonly [Counter, string, string, "counter" | "gauge"][] = [
  ["filesCreated", "files_created", "Created files", "counter"],
  ["fileRecipients", "files_recipients", "Files recipients", "counter"],
  ["filesUploaded", "files_uploaded", "Uploaded files", "counter"],
  ["filesExpired", "files_expired", "Expired files", "counter"],
  ["filesDeleted", "files_deleted", "Deleted files", "counter"],
  ["filesBlocked", "files_blocked", "Blocked files", "counter"],
  ["fileDownloads", "file_downloads", "File downloads", "counter"],
  ["fileDownloadAcks", "file_download_acks", "File download ACKs", "counter"],
  ["filesCount", "files_count_total", "Total files count", "gauge"],
  ["filesSize", "files_size", "Size of files", "gauge"],
];

/**
 * The metrics file with the reference's names. Samples carry no timestamps: node_exporter's
 * textfile collector rejects files that have them.
 */
export function renderPrometheus(s: FileServerStats, now: Date): string {
  const family = (name: string, help: string, type: string, value: number | string) =>
    `# HELP simplex_xftp_${name} ${help}\n# TYPE simplex_xftp_${name} ${type}\nsimplex_xftp_${name} ${value}\n\n`;
  const d = s.filesDownloaded;
  return `# Recorded at: ${str.utcTime(now)}\n# Stats from: ${
    str.utcTime(s.fromTime)
  }\n\n# Files\n# -----\n\n` +
    METRICS.map(([c, name, help, type]) => family(name, help, type, s.counters[c])).join("") +
    family("files_count_daily", "Daily files count", "gauge", d.day.size) +
    family("files_count_weekly", "Weekly files count", "gauge", d.week.size) +
    family("files_count_monthly", "Monthly files count", "gauge", d.month.size) +
    `# Info\n# ----\n\n# HELP simplex_xftp_info Server information\n# TYPE simplex_xftp_info gauge\n` +
    `simplex_xftp_info{version="${VERSION}"} 1\n`;
}

/** Restores and renames the backup to `.bak`; false when there is none. */
export function restoreStatsBackup(logDir: string, stats: FileServerStats): Promise<boolean> {
  return restoreStatsFile(`${logDir}/${STATS_BACKUP_FILE}`, (text) => decodeStatsBackup(text, stats));
}

export function saveStatsBackup(logDir: string, stats: FileServerStats): Promise<void> {
  return writeFileAtomic(`${logDir}/${STATS_BACKUP_FILE}`, encodeStatsBackup(stats), { mode: 0o644 });
}

export interface MetricsFilesOptions {
  readonly logDir: string;
  readonly stats: FileServerStats;
  readonly logStats: boolean;
  readonly prometheusInterval?: number;
  readonly onError?: (e: unknown) => void;
}

/** Starts the daily CSV (at 00:00 UTC) and the periodic metrics file, as configured. */
export function startMetricsFiles(o: MetricsFilesOptions): { close(): void } {
  const timers: ReturnType<typeof setTimeout>[] = [];
  const report = (p: Promise<void>) => p.catch((e) => o.onError?.(e));
  if (o.logStats) {
    const daily = () => {
      const line = takeDailyStatsLine(o.stats, new Date());
      report(Deno.writeTextFile(`${o.logDir}/${STATS_DAILY_FILE}`, line + "\n", { append: true }));
      timers[0] = setTimeout(daily, msUntilMidnight(new Date()));
    };
    timers[0] = setTimeout(daily, msUntilMidnight(new Date()));
  }
  if (o.prometheusInterval !== undefined) {
    timers.push(setInterval(() => {
      report(
        writeFileAtomic(`${o.logDir}/${METRICS_FILE}`, renderPrometheus(o.stats, new Date()), {
          mode: 0o644,
        }),
      );
    }, o.prometheusInterval * 1000));
  }
  return {
    close() {
      for (const t of timers) clearTimeout(t);
    },
  };
}

function msUntilMidnight(now: Date): number {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return Math.max(1000, next - now.getTime());
}
