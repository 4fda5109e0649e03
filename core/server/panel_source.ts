/**
 * What the operators' web panel (admin/panel) reads from and does to a server: plain data only, so
 * that the same interface fits a relay or an XFTP server running in the panel's process
 * (relay/panel_source.ts, xftp/panel_source.ts) and a server reached over its control port
 * (admin/panel/remote_source.ts). Nothing here names a client address or links one queue or file
 * to another.
 *
 * The live figures are named as the control port's `stats` prints them, and `liveValues` is the
 * one place that turns those counters into the panel's figures, so that `simplex admin stats` and
 * the panel show the same numbers.
 */
import { type Ini, IniError } from "../config/ini.ts";
import type { BlockingInfo } from "../smp/errors.ts";
import { INFORMATION_KEYS, type ServerInformation } from "./info_page.ts";
import type { WebConfig } from "./static_site.ts";

type Awaitable<T> = T | Promise<T>;

export type ServerKind = "smp" | "xftp";

/** Whether new queues (SMP) or files (XFTP) can be created: by anyone, with a password, or not at all. */
export type Creation = "open" | "password" | "closed";

export interface PanelOverview {
  readonly kind: ServerKind;
  /** what a remote server does not tell is left out */
  readonly version?: string;
  readonly startedAt?: Date;
  /** `smp://<fingerprint>@<host>[:<port>]` or `xftp://…`, without the creation password */
  readonly serverAddress?: string;
  readonly fingerprint?: string;
  /** "persistent" keeps queues/files across restarts, "memory" loses them */
  readonly storage?: "persistent" | "memory";
  readonly creation?: Creation;
  /** XFTP: the storage quota in bytes, when there is one */
  readonly storageQuota?: number;
}

export interface FigureSpec {
  readonly key: string;
  readonly label: string;
  readonly unit?: "bytes";
  /**
   * The live page draws the last hour beside the number: a gauge's `level`, or a counter's `rate`
   * (per minute).
   */
  readonly chart?: "level" | "rate";
  /** A count of what there is (queues, files), not of events: a day's value is its value at the end. */
  readonly gauge?: boolean;
}

/** The panel's live figures for each kind of server, in the order they are shown. */
export const LIVE_FIGURES: Readonly<Record<ServerKind, readonly FigureSpec[]>> = {
  smp: [
    { key: "clients", label: "Connected clients", chart: "level" },
    { key: "subscriptions", label: "Subscribed queues" },
    { key: "qCount", label: "Queues", chart: "level" },
    { key: "msgCount", label: "Stored messages" },
    { key: "qCreated", label: "Queues created" },
    { key: "qSecured", label: "Queues secured" },
    { key: "qDeletedAll", label: "Queues deleted" },
    { key: "msgSent", label: "Messages sent", chart: "rate" },
    { key: "msgRecv", label: "Messages received", chart: "rate" },
    { key: "msgExpired", label: "Messages expired" },
    { key: "proxyRequests", label: "Proxy requests (private routing)" },
    { key: "pMsgFwdsRecv", label: "Messages forwarded to this server" },
  ],
  xftp: [
    { key: "clients", label: "Connected clients", chart: "level" },
    { key: "filesCount", label: "Files", chart: "level" },
    { key: "filesSize", label: "Stored bytes", unit: "bytes" },
    { key: "filesCreated", label: "Files created" },
    { key: "filesUploaded", label: "Files uploaded", chart: "rate" },
    { key: "fileDownloads", label: "Chunk downloads", chart: "rate" },
    { key: "fileDownloadAcks", label: "Downloads acknowledged" },
    { key: "filesDeleted", label: "Files deleted" },
    { key: "filesExpired", label: "Files expired" },
    { key: "filesBlocked", label: "Files blocked" },
  ],
};

/** What a server's `stats` (and, for a relay, `server-info`) say, by the names they print. */
export interface ServerCounters {
  /** `name: number` lines; a relay's `qCount`, `msgCount`, `msgSent`…; an XFTP server's `filesCount`… */
  readonly counters: Readonly<Record<string, number>>;
  /** a relay's proxy groups (`pRelays: requests=…, successes=…`): requests to relay through it */
  readonly proxy?: { readonly pRelays?: { readonly requests: number } };
  /** connected clients (a relay's `server-info` `Clients`; an XFTP server's `clients` stat) */
  readonly clients: number;
  /** a relay's subscribed queues (`server-info` `SMP subscriptions`) */
  readonly subscriptions?: number;
}

/** The panel's figures from the control port's counters: the same numbers `simplex admin stats` prints. */
export function liveValues(kind: ServerKind, s: ServerCounters): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { key } of LIVE_FIGURES[kind]) {
    out[key] = key === "clients"
      ? s.clients
      : key === "subscriptions"
      ? s.subscriptions ?? 0
      : key === "proxyRequests"
      ? s.proxy?.pRelays?.requests ?? 0
      : s.counters[key] ?? 0;
  }
  return out;
}

export interface LiveFigures {
  readonly at: Date;
  /** the start of the counting period of the counters */
  readonly fromTime?: Date;
  /** by the keys of LIVE_FIGURES */
  readonly values: Readonly<Record<string, number>>;
  /** limits of some figures: an XFTP server's storage quota for `filesSize` */
  readonly limits?: Readonly<Record<string, number>>;
}

/** One day of the daily stats CSV; the values by the keys of HISTORY. */
export interface DailyFigures {
  /** YYYY-MM-DD (UTC) */
  readonly day: string;
  readonly values: Readonly<Record<string, number>>;
}

/**
 * The daily history's table columns; the first two are the chart's bars. Every key is also a live
 * figure's, so that today's row can be read from the live figures.
 */
export const HISTORY: Readonly<Record<ServerKind, readonly FigureSpec[]>> = {
  smp: [
    { key: "msgSent", label: "Sent" },
    { key: "msgRecv", label: "Received" },
    { key: "qCreated", label: "Queues created" },
    { key: "qCount", label: "Queues", gauge: true },
    { key: "msgCount", label: "Messages", gauge: true },
  ],
  xftp: [
    { key: "filesUploaded", label: "Uploaded" },
    { key: "fileDownloads", label: "Downloads" },
    { key: "filesCreated", label: "Files created" },
    { key: "filesCount", label: "Files", gauge: true },
    { key: "filesSize", label: "Stored bytes", unit: "bytes", gauge: true },
  ],
};

/** A queue (relay, by sender or short-link ID) or a file (XFTP, by recipient ID). */
export type ItemLookup =
  | {
    readonly type: "found";
    readonly status: "active" | "off" | "blocked";
    readonly blocking?: BlockingInfo;
    /** the day the queue was last used (UTC), when known */
    readonly updatedAt?: Date;
  }
  | { readonly type: "notFound" };

export type ItemAction =
  | { readonly type: "done" }
  | { readonly type: "notFound" }
  | { readonly type: "quotaExceeded"; readonly quota: number };

/** An effective setting; secrets are masked by the source, never sent in the clear. */
export interface ConfigEntry {
  readonly section: string;
  readonly key: string;
  readonly value: string;
}

/** The configuration page: the INI file the server read, and every setting it reads, as it read them. */
export interface PanelConfiguration {
  readonly path: string;
  readonly entries: readonly ConfigEntry[];
}

export interface PanelSource {
  readonly kind: ServerKind;
  overview(): Awaitable<PanelOverview>;
  live(): Awaitable<LiveFigures>;
  /** oldest first; undefined when the source cannot read it (a remote server) */
  history?(): Awaitable<readonly DailyFigures[]>;
  /** undefined when the server cannot look items up (an XFTP server's control port) */
  lookup?(id: Uint8Array): Awaitable<ItemLookup>;
  block(id: Uint8Array, info: BlockingInfo): Awaitable<ItemAction>;
  unblock?(id: Uint8Array): Awaitable<ItemAction>;
  delete(id: Uint8Array): Awaitable<ItemAction>;
  /** undefined when the source cannot read it (a remote server) */
  configuration?(): Awaitable<PanelConfiguration>;
  /** Prometheus text exposition with the reference's metric names */
  prometheus?(): Awaitable<string>;
}

/** The role `delete` needs, as on the control port: a relay's needs admin, an XFTP server's user. */
export const DELETE_ROLE: Readonly<Record<ServerKind, "admin" | "user">> = { smp: "admin", xftp: "user" };

export const MASKED = "********";

/**
 * Which password the login page asks for, never the password: the INI file's keys that set the
 * panel's passwords (a panel a server runs), or the control port password (`simplex admin serve`).
 */
export type LoginHint =
  | {
    readonly type: "ini";
    readonly file: string;
    /** the key that set each role's password, e.g. `[AUTH] control_port_admin_password`; unset: no such role */
    readonly admin?: string;
    readonly user?: string;
  }
  | { readonly type: "controlPort" };

/** `[ADMIN]` in smp-server.ini or file-server.ini: the web panel served in the server's process. */
export interface PanelConfig {
  readonly port: number;
  /** default 127.0.0.1: the panel is for operators, reached over SSH or a reverse proxy */
  readonly hostname?: string;
  readonly adminPassword?: string;
  readonly userPassword?: string;
  readonly metricsToken?: string;
  /** PEM files of a certificate chain and its key, to serve over HTTPS */
  readonly certFile?: string;
  readonly keyFile?: string;
  /** what the login page says about the password; none: it says nothing */
  readonly loginHint?: LoginHint;
}

export interface RunningPanel {
  readonly port: number;
  readonly hostname: string;
  close(): Promise<void>;
}

/**
 * Starts the panel over one or more sources. The applications receive it from cli/main.ts, so that
 * a relay or an XFTP server can run the panel without depending on admin/.
 */
export type PanelStarter = (
  config: PanelConfig,
  servers: readonly { readonly name: string; readonly source: PanelSource }[],
) => Promise<RunningPanel>;

/**
 * Reads `[ADMIN]`: the panel runs when `port` is set. Its passwords default to the control port's
 * (`[AUTH] control_port_admin_password` / `control_port_user_password`), the same two roles.
 */
export function parsePanelConfig(
  ini: Ini,
  controlPasswords: { readonly admin?: string; readonly user?: string },
): PanelConfig | undefined {
  const port = ini.int("ADMIN", "port", undefined, 0, 65535);
  if (port === undefined) return undefined;
  const own = { admin: ini.string("ADMIN", "admin_password"), user: ini.string("ADMIN", "user_password") };
  const adminPassword = own.admin || controlPasswords.admin;
  const userPassword = own.user || controlPasswords.user;
  const origin = (role: "admin" | "user", password: string | undefined) =>
    !password ? undefined : own[role] ? `[ADMIN] ${role}_password` : `[AUTH] control_port_${role}_password`;
  if (!adminPassword && !userPassword) {
    throw new IniError(
      `${ini.path}: [ADMIN] port is set but there is no password: set [ADMIN] admin_password ` +
        `(or [AUTH] control_port_admin_password)`,
    );
  }
  const certFile = ini.string("ADMIN", "cert") || undefined;
  const keyFile = ini.string("ADMIN", "key") || undefined;
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new IniError(`${ini.path}: [ADMIN] cert and key go together: set both or neither`);
  }
  return {
    port,
    hostname: ini.string("ADMIN", "bind") || "127.0.0.1",
    adminPassword,
    userPassword,
    metricsToken: ini.string("ADMIN", "metrics_token") || undefined,
    certFile,
    keyFile,
    loginHint: {
      type: "ini",
      file: ini.path,
      admin: origin("admin", adminPassword),
      user: origin("user", userPassword),
    },
  };
}

/** The `[ADMIN]` section `init` writes, commented out. */
export function panelIniSection(defaultPort: number): string {
  return `[ADMIN]
# The operators' web panel (simplex admin), served by this process when port is set.
# Log in with the admin or the user password; they default to the control port's.
# It listens on 127.0.0.1 unless bind says otherwise: reach it over SSH or a reverse proxy.
# port = ${defaultPort}
# bind = 127.0.0.1
# admin_password =
# user_password =
# A bearer token for Prometheus to read /metrics without logging in.
# metrics_token =
# PEM certificate chain and key to serve the panel over HTTPS.
# cert =
# key =
`;
}

/**
 * `[ADMIN]` as the configuration page shows it: the passwords (with the control port's as their
 * default) and the token only say whether they are set.
 */
export function panelConfigEntries(p: PanelConfig | undefined): ConfigEntry[] {
  if (!p) return [setting("ADMIN", "port", undefined)];
  return [
    setting("ADMIN", "port", p.port),
    setting("ADMIN", "bind", p.hostname ?? "127.0.0.1"),
    setting("ADMIN", "admin_password", p.adminPassword, true),
    setting("ADMIN", "user_password", p.userPassword, true),
    setting("ADMIN", "metrics_token", p.metricsToken, true),
    setting("ADMIN", "cert", p.certFile),
    setting("ADMIN", "key", p.keyFile),
  ];
}

/** `[INFORMATION]`, every key the servers read (core/server/info_page.ts). */
export function informationEntries(info: ServerInformation): ConfigEntry[] {
  return INFORMATION_KEYS.map(([key]) => setting("INFORMATION", key, info[key]));
}

/** `[WEB]`: the static site, its ports and the certificate for browsers (the key file is a path). */
export function webEntries(w: WebConfig): ConfigEntry[] {
  return [
    setting("WEB", "static_path", w.staticPath),
    setting("WEB", "http", w.httpPort),
    setting("WEB", "https", w.httpsPort),
    setting("WEB", "cert", w.credential?.cert),
    setting("WEB", "key", w.credential?.key),
  ];
}

/** `[INACTIVE_CLIENTS]`: ttl and check_interval only count when disconnect is on. */
export function inactiveClientsEntries(
  i: { readonly ttl: number; readonly checkInterval: number } | undefined,
): ConfigEntry[] {
  return [
    setting("INACTIVE_CLIENTS", "disconnect", onOff(i !== undefined)),
    setting("INACTIVE_CLIENTS", "ttl", i?.ttl),
    setting("INACTIVE_CLIENTS", "check_interval", i?.checkInterval),
  ];
}

/** A flag as the INI files write it. */
export const onOff = (b: boolean) => (b ? "on" : "off");

/** `http://127.0.0.1:5225/`, as the servers print where their panel is. */
export function panelUrl(
  panel: { readonly hostname: string; readonly port: number },
  secure: boolean,
): string {
  const host = panel.hostname.includes(":") ? `[${panel.hostname}]` : panel.hostname;
  return `http${secure ? "s" : ""}://${host}:${panel.port}/`;
}

/**
 * `overview`, a control-port command of ours (the reference has none): what the panel's overview
 * page shows, one `name: value` line each, so that `simplex admin serve` can show it for a remote
 * server. The creation password is never part of it.
 */
export function formatOverview(o: PanelOverview): string[] {
  const lines: string[] = [];
  const add = (name: string, value: string | number | undefined) => {
    if (value !== undefined) lines.push(`${name}: ${value}`);
  };
  add("version", o.version);
  add("startedAt", o.startedAt?.toISOString());
  add("address", o.serverAddress);
  add("storage", o.storage);
  add("creation", o.creation);
  add("storageQuota", o.storageQuota);
  return lines;
}

/** Reads `overview`'s lines; unknown or malformed lines are left out. */
export function parseOverview(kind: ServerKind, lines: readonly string[]): PanelOverview {
  const v = new Map<string, string>();
  for (const line of lines) {
    const sep = line.indexOf(": ");
    if (sep > 0) v.set(line.slice(0, sep), line.slice(sep + 2));
  }
  const startedAt = v.has("startedAt") ? new Date(v.get("startedAt")!) : undefined;
  const address = v.get("address");
  const fingerprint = address ? /^(?:smp|xftp):\/\/([A-Za-z0-9_-]+=*)@/.exec(address)?.[1] : undefined;
  const storage = v.get("storage");
  const creation = v.get("creation");
  const quota = v.get("storageQuota");
  return {
    kind,
    version: v.get("version"),
    startedAt: startedAt && !Number.isNaN(startedAt.getTime()) ? startedAt : undefined,
    serverAddress: fingerprint ? address : undefined,
    fingerprint,
    storage: storage === "persistent" || storage === "memory" ? storage : undefined,
    creation: creation === "open" || creation === "password" || creation === "closed" ? creation : undefined,
    storageQuota: quota !== undefined && /^\d+$/.test(quota) ? Number(quota) : undefined,
  };
}

/** A server's daily stats CSV through its own line parser; no file yet is no history yet. */
export async function readDailyHistory(
  path: string,
  parse: (text: string) => DailyFigures[],
): Promise<DailyFigures[]> {
  try {
    return parse(await Deno.readTextFile(path));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
}

const UNITS = ["B", "KB", "MB", "GB", "TB"];

/** 1536 → "1.5 KB" (binary multiples, as the servers' `file_size_quota` reads them). */
export function formatBytes(n: number): string {
  let v = n, u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${UNITS[u]}`;
}

export function formatFigure(n: number, unit?: "bytes"): string {
  return unit === "bytes" ? formatBytes(n) : String(n);
}

/**
 * A parser of a daily stats CSV: lines that start with a day and have at least `minFields` fields
 * give that day's values from the given columns (0 is the day).
 */
export function dailyCsvParser(
  minFields: number,
  columns: Readonly<Record<string, number>>,
): (text: string) => DailyFigures[] {
  return (text) =>
    text.split("\n").flatMap((line) => {
      const f = line.split(",");
      if (f.length < minFields || !/^\d{4}-\d{2}-\d{2}$/.test(f[0])) return [];
      const values = Object.fromEntries(Object.entries(columns).map(([k, i]) => [k, Number(f[i]) || 0]));
      return [{ day: f[0], values }];
    });
}

/** One row of the configuration page: unset values say so; `secret` values only say whether they are set. */
export function setting(section: string, key: string, value: unknown, secret = false): ConfigEntry {
  return {
    section,
    key,
    value: value === undefined ? "(not set)" : secret ? MASKED : String(value),
  };
}
