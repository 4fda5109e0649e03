/**
 * The XFTP server as `xftp-server start` runs it from `file-server.ini`: the store log (replayed
 * and compacted), the stats backup, the chunk directory, the network server, the stats files and
 * the control port, and a shutdown that saves what must survive.
 */
import { ListenError } from "../core/server/listen.ts";
import { IniError } from "../core/config/ini.ts";
import type { BlockingInfo } from "../core/smp/errors.ts";
import { readCertificateChainFile } from "../core/x509/files.ts";
import type { XftpConfig } from "./config.ts";
import { startControlPort } from "./control.ts";
import { serveStaticSite } from "../core/server/static_site.ts";
import { writeInfoPage } from "../core/server/info_page.ts";
import { removePartialChunks } from "./chunk_files.ts";
import type { XftpIdentity } from "./handshake.ts";
import { type RunningXftpServer, startXftpServer } from "./server.ts";
import { FileServerStats, restoreStatsBackup, saveStatsBackup, startMetricsFiles } from "./stats.ts";
import { type FileRec, FileStore } from "./store.ts";
import { openStoreLog, type StoreLog } from "./store_log.ts";
import type { PanelStarter, RunningPanel } from "../core/server/panel_source.ts";
import { xftpCounters, xftpOverview, xftpPanelSource, type XftpPanelSourceOptions } from "./panel_source.ts";

export const STORE_LOG_FILE = "file-server-store.log";

export interface RunningXftpService {
  readonly server: RunningXftpServer;
  readonly controlPort?: number;
  /** the `[ADMIN]` web panel, when configured */
  readonly panel?: { readonly hostname: string; readonly port: number };
  /** the embedded web server's ports (`[WEB] http`, `https`) */
  readonly webPorts: readonly number[];
  close(): Promise<void>;
}

export interface ServiceOptions {
  readonly config: XftpConfig;
  readonly identity: XftpIdentity;
  readonly hostname?: string;
  readonly log?: (line: string) => void;
  /** runs the `[ADMIN]` web panel (admin/panel, handed over by cli/main.ts) */
  readonly startPanel?: PanelStarter;
}

export async function startXftpService(o: ServiceOptions): Promise<RunningXftpService> {
  const { config } = o;
  const startedAt = new Date();
  const log = o.log ?? ((line: string) => console.log(line));
  await Deno.mkdir(config.filesPath, { recursive: true });
  await Deno.mkdir(config.logDir, { recursive: true });
  const partial = await removePartialChunks(config.filesPath);
  if (partial > 0) log(`Removed ${partial} incomplete uploads`);
  const store = new FileStore();
  let storeLog: StoreLog | undefined;
  if (config.storeLog) {
    const path = `${config.logDir}/${STORE_LOG_FILE}`;
    const opened = openStoreLog(path, store, log);
    storeLog = opened.storeLog;
    log(`Store log: ${path}${opened.summary ? ` (${store.fileCount} files restored)` : ""}`);
  } else {
    log("Store log disabled.");
  }
  const stats = new FileServerStats();
  if (config.logStats && await restoreStatsBackup(config.logDir, stats)) log("Server stats restored");
  const webCredential = config.webCredential
    ? {
      chain: (await readCertificateChainFile(config.webCredential.cert)).map((c) => c.der),
      privateKey: await Deno.readTextFile(config.webCredential.key),
    }
    : undefined;
  const server = await startXftpServer({
    identity: o.identity,
    port: config.port,
    hostname: o.hostname,
    filesPath: config.filesPath,
    store,
    storeLog,
    stats,
    storageQuota: config.storageQuota,
    allowNewFiles: config.newFiles,
    createPassword: config.createPassword === undefined
      ? undefined
      : new TextEncoder().encode(config.createPassword),
    fileTtl: config.fileExpirationHours * 3600,
    inactiveClients: config.inactiveClients,
    webCredential,
    webStaticPath: config.webStaticPath,
    onTlsError: config.logTlsErrors ? (m) => log(`TLS handshake failed: ${m}`) : undefined,
    log,
  });
  const files = server.files;
  const facts: XftpPanelSourceOptions = {
    files,
    config,
    keyHash: o.identity.keyHash,
    startedAt,
    clients: () => server.connections,
  };
  if (config.webStaticPath) {
    const page = {
      kind: "xftp",
      address: xftpOverview(facts).serverAddress!,
      information: config.information,
    } as const;
    const r = await writeInfoPage(config.webStaticPath, page);
    log(`Information page: ${config.webStaticPath}/index.html${r === "kept" ? " (yours, kept)" : ""}`);
  }
  // the control port names files by a recipient ID
  const byRecipient = (recipientId: Uint8Array, action: (f: FileRec) => string) => {
    const r = files.store.getFile("recipient", recipientId);
    return r.ok ? action(r.value.file) : "error: AUTH";
  };
  const outcome = (r: { type: string; error?: { type: string } }) =>
    r.type === "OK" ? "ok" : `error: ${r.error?.type ?? r.type}`;
  const control = config.controlPort !== undefined
    ? startControlPort({
      port: config.controlPort,
      adminPassword: config.controlAdminPassword,
      userPassword: config.controlUserPassword,
      log,
      target: {
        deleteFile: (id) => byRecipient(id, (f) => outcome(files.deleteFile(f))),
        blockFile: (id, info: BlockingInfo) => byRecipient(id, (f) => outcome(files.blockFile(f, info))),
        stats: () => ({ fromTime: files.stats.fromTime, counters: xftpCounters(facts) }),
        overview: () => xftpOverview(facts),
      },
    })
    : undefined;
  const metrics = startMetricsFiles({
    logDir: config.logDir,
    stats,
    logStats: config.logStats,
    prometheusInterval: config.prometheusInterval,
    onError: (e) => log(`stats files: ${(e as Error)?.message ?? e}`),
  });
  const sites = [
    ...(config.webHttpPort !== undefined ? [{ port: config.webHttpPort }] : []),
    ...(config.webHttpsPort !== undefined && config.webCredential
      ? [{
        port: config.webHttpsPort,
        tls: {
          cert: await Deno.readTextFile(config.webCredential.cert),
          key: await Deno.readTextFile(config.webCredential.key),
        },
      }]
      : []),
  ].map((site) => serveStaticSite({ ...site, root: config.webStaticPath!, hostname: o.hostname }));
  for (const site of sites) log(`Serving the static site on port ${site.port}`);
  log(`Used storage: ${Math.floor(files.usedStorage / 1048576)}mb in ${store.fileCount} files`);
  let panel: RunningPanel | undefined;
  const close = async () => {
    metrics.close();
    await panel?.close();
    await Promise.all(sites.map((s) => s.close()));
    await control?.close();
    await server.close();
    storeLog?.close();
    if (config.logStats) await saveStatsBackup(config.logDir, stats);
  };
  if (config.panel) {
    try {
      if (!o.startPanel) throw new Error("[ADMIN] is set, but this program has no web panel to start");
      panel = await o.startPanel(config.panel, [{ name: "this server", source: xftpPanelSource(facts) }]);
    } catch (e) {
      await close();
      if (e instanceof ListenError) throw e;
      // the operator fixes this in the INI file, as any other configuration error
      throw new IniError(`[ADMIN] port ${config.panel.port}: ${(e as Error).message}`, { cause: e });
    }
  }
  return {
    server,
    controlPort: control?.addr.port,
    panel: panel && { hostname: panel.hostname, port: panel.port },
    webPorts: sites.map((s) => s.port),
    close,
  };
}
