/**
 * The operators' panel's view of an XFTP server running in this process (core/server/panel_source.ts):
 * the counters of the stats files, the files by recipient ID (as the control port names them), the
 * daily CSV and the effective configuration with its secrets masked.
 */
import { encodeBase64Url } from "../core/encoding/base64.ts";
import type { BlockingInfo } from "../core/smp/errors.ts";
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
import { VERSION } from "../core/version.ts";
import { DEFAULT_XFTP_PORT, formatFileSize, INI_FILE, type XftpConfig } from "./config.ts";
import type { FileRec } from "./store.ts";
import type { FileServer } from "./file_server.ts";
import { renderPrometheus, STATS_DAILY_FILE } from "./stats.ts";

export interface XftpPanelSourceOptions {
  readonly files: FileServer;
  readonly config: XftpConfig;
  /** SHA-256 of the identity certificate */
  readonly keyHash: Uint8Array;
  readonly startedAt: Date;
  /** open client connections */
  readonly clients: () => number;
}

/** The overview page's facts, also the control port's `overview`. */
export function xftpOverview(o: XftpPanelSourceOptions): PanelOverview {
  const fingerprint = encodeBase64Url(o.keyHash);
  const c = o.config;
  return {
    kind: "xftp",
    version: VERSION,
    startedAt: o.startedAt,
    serverAddress: `xftp://${fingerprint}@${c.host}${c.port === DEFAULT_XFTP_PORT ? "" : `:${c.port}`}`,
    fingerprint,
    storage: c.storeLog ? "persistent" : "memory",
    creation: !c.newFiles ? "closed" : c.createPassword ? "password" : "open",
    storageQuota: c.storageQuota,
  };
}

/** `stats`: the counters with the connected clients, by the names the control port prints. */
export function xftpCounters(o: XftpPanelSourceOptions): Record<string, number> {
  return { ...o.files.stats.counters, clients: o.clients() };
}

export function xftpPanelSource(o: XftpPanelSourceOptions): PanelSource {
  const { files, config } = o;
  const byRecipient = (id: Uint8Array): FileRec | undefined => {
    const r = files.store.getFile("recipient", id);
    return r.ok ? r.value.file : undefined;
  };
  const act = (id: Uint8Array, f: (file: FileRec) => { type: string }): ItemAction => {
    const file = byRecipient(id);
    if (!file) return { type: "notFound" };
    return f(file).type === "OK" ? { type: "done" } : { type: "notFound" };
  };
  return {
    kind: "xftp",
    overview: () => xftpOverview(o),
    live: () => {
      const counters = xftpCounters(o);
      return {
        at: new Date(),
        fromTime: files.stats.fromTime,
        values: liveValues("xftp", { counters, clients: counters.clients }),
        limits: config.storageQuota !== undefined ? { filesSize: config.storageQuota } : undefined,
      };
    },
    history: () =>
      config.logStats ? readDailyHistory(`${config.logDir}/${STATS_DAILY_FILE}`, parseDailyLog) : [],
    lookup(id): ItemLookup {
      const file = byRecipient(id);
      if (!file) return { type: "notFound" };
      const s = file.status;
      return { type: "found", status: s.type, blocking: s.type === "blocked" ? s.info : undefined };
    },
    block: (id, info: BlockingInfo) => act(id, (f) => files.blockFile(f, info)),
    delete: (id) => act(id, (f) => files.deleteFile(f)),
    configuration: () => ({ path: `${config.cfgDir}/${INI_FILE}`, entries: xftpConfigEntries(config) }),
    prometheus: () => renderPrometheus(files.stats, new Date()),
  };
}

/**
 * Every setting the XFTP server reads from file-server.ini (xftp/config.ts), by section, as it read
 * them: defaults filled in, passwords only saying whether they are set.
 */
export function xftpConfigEntries(c: XftpConfig): ConfigEntry[] {
  const e = setting;
  return [
    ...informationEntries(c.information),
    e("STORE_LOG", "enable", onOff(c.storeLog)),
    // the only value the server accepts
    e("STORE_LOG", "store_files", "memory"),
    e("STORE_LOG", "expire_files_hours", c.fileExpirationHours),
    e("STORE_LOG", "log_stats", onOff(c.logStats)),
    e("STORE_LOG", "prometheus_interval", c.prometheusInterval),
    e("AUTH", "new_files", onOff(c.newFiles)),
    e("AUTH", "create_password", c.createPassword, true),
    e("AUTH", "control_port_admin_password", c.controlAdminPassword, true),
    e("AUTH", "control_port_user_password", c.controlUserPassword, true),
    e("TRANSPORT", "host", c.host),
    e("TRANSPORT", "port", c.port),
    e("TRANSPORT", "log_tls_errors", onOff(c.logTlsErrors)),
    e("TRANSPORT", "control_port", c.controlPort),
    e("FILES", "path", c.filesPath),
    e("FILES", "storage_quota", c.storageQuota === undefined ? undefined : formatFileSize(c.storageQuota)),
    ...inactiveClientsEntries(c.inactiveClients),
    ...webEntries({
      staticPath: c.webStaticPath,
      httpPort: c.webHttpPort,
      httpsPort: c.webHttpsPort,
      credential: c.webCredential,
    }),
    ...panelConfigEntries(c.panel),
  ];
}

/**
 * The daily CSV (stats.ts `takeDailyStatsLine`): date, created, recipients, uploaded, deleted,
 * dlDay, dlWeek, dlMonth, downloads, acks, filesCount, filesSize, expired.
 */
export const parseDailyLog = dailyCsvParser(12, {
  filesCreated: 1,
  filesUploaded: 3,
  fileDownloads: 8,
  filesCount: 10,
  filesSize: 11,
});
