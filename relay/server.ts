/**
 * A running relay: the TLS listeners on every configured port, the relay itself, its store and
 * its periodic jobs (expiry, inactive clients, notifications), and a clean shutdown.
 */
import { IniError } from "../core/config/ini.ts";
import { ListenError, listening } from "../core/server/listen.ts";
import { listen, type TlsConnection, type TlsListener } from "../core/tls/mod.ts";
import { encodePrivateKeyDer } from "../core/crypto/keys.ts";
import { Relay, type RelayIdentity } from "./relay.ts";
import { SqliteRelayStore } from "./store/sqlite.ts";
import { RelayStats } from "./stats.ts";
import { importReferenceStore } from "./store/store_log.ts";

export const STORE_LOG_FILE = "smp-server-store.log";
export const MESSAGES_LOG_FILE = "smp-server-messages.log";
import { startControlPort } from "./control.ts";
import { relayControlTarget, relayGauges, type SocketCounter } from "./control_target.ts";
import { restoreStatsBackup, saveStatsBackup, startMetricsFiles } from "./metrics.ts";
import { relayAddress, type RelayConfig } from "./config.ts";
import { RelayProxy } from "./proxy.ts";
import type { PanelStarter, RunningPanel } from "../core/server/panel_source.ts";
import { relayOverview, relayPanelSource } from "./panel_source.ts";
import { serveHttp1, serveStaticSite } from "../core/server/static_site.ts";
import { writeInfoPage } from "../core/server/info_page.ts";
import { readCertificateChainFile } from "../core/x509/files.ts";
import { encodeBase64Url } from "../core/encoding/base64.ts";
import { MemoryReleaser } from "../core/server/memory_release.ts";

/** The protocols a relay port answers: SMP, and http/1.1 which apps use on a shared port 443. */
export const RELAY_ALPN = ["smp/1", "http/1.1"];

export interface RunningRelay {
  readonly relay: Relay;
  readonly ports: readonly number[];
  readonly controlPort?: number;
  /** the `[ADMIN]` web panel, when configured */
  readonly panel?: { readonly hostname: string; readonly port: number };
  /** the static site's own ports (`[WEB] http`, `https`) */
  readonly webPorts: readonly number[];
  close(): Promise<void>;
}

export interface StartOptions {
  readonly config: RelayConfig;
  readonly identity: RelayIdentity;
  /** listen address; the reference listens on all interfaces */
  readonly hostname?: string;
  readonly log?: (line: string) => void;
  /** runs the `[ADMIN]` web panel (admin/panel, handed over by cli/main.ts) */
  readonly startPanel?: PanelStarter;
}

const HOUR = 3600_000;

export async function startRelayServer(o: StartOptions): Promise<RunningRelay> {
  const { config } = o;
  const log = o.log ?? ((line: string) => console.log(line));
  const dbPath = `${config.logDir}/smp-server.db`;
  const firstStart = config.persistence && !existsSync(dbPath);
  const store = new SqliteRelayStore(config.persistence ? dbPath : ":memory:");
  if (firstStart) migrateReferenceStore(store, config.logDir, log);
  const stats = new RelayStats();
  if (config.persistence) await restoreStatsBackup(config.logDir, stats);
  const proxy = new RelayProxy({
    stats,
    network: config.proxyNetwork,
    ownServerDomains: config.ownServerDomains,
  });
  const relay = new Relay({
    stats,
    store,
    identity: o.identity,
    messageTtl: config.messageTtlDays * 86400,
    expireOnSend: config.expireOnSend,
    allowNewQueues: config.newQueues,
    createPassword: config.createPassword ? new TextEncoder().encode(config.createPassword) : undefined,
    notificationTtl: config.notificationTtlHours * 3600,
    proxy,
    proxyClientConcurrency: config.proxyClientConcurrency,
  });
  if (config.expireOnStart) relay.expire();
  const timers = [setInterval(() => relay.expire(), 2 * HOUR)];
  if (config.inactiveClients) {
    const { ttl, checkInterval } = config.inactiveClients;
    timers.push(setInterval(() => relay.disconnectInactive(ttl), checkInterval * 1000));
  }
  const certificate = {
    chain: o.identity.chain,
    privateKey: encodePrivateKeyDer(o.identity.signKey),
  };
  const { web } = config;
  // browsers send SNI and get the website, with the [WEB] certificate when there is one
  const webCertificate = web.credential
    ? {
      chain: (await readCertificateChainFile(web.credential.cert)).map((c) => c.der),
      privateKey: await Deno.readTextFile(web.credential.key),
    }
    : undefined;
  await writeRelayInfoPage(config, encodeBase64Url(o.identity.keyHash), log);
  const listeners: TlsListener[] = [];
  const sockets: SocketCounter[] = [];
  const serving = new Set<Promise<void>>();
  for (const port of config.ports) {
    const listener = listening(port, "[TRANSPORT] port", () =>
      listen({
        port,
        hostname: o.hostname ?? "0.0.0.0",
        certificates: webCertificate ? [certificate, webCertificate] : [certificate],
        selectCertificate: (sni) => (sni !== undefined && webCertificate ? webCertificate : certificate),
        alpnProtocols: RELAY_ALPN,
        // as the reference (accept_service_credentials): services identify themselves by a client
        // certificate, other clients answer the request with none; browsers (which send SNI, SMP
        // clients never do) are not asked, so that none offers its user a certificate to choose
        requestClientCertificate: (sni) => config.acceptServiceCredentials && sni === undefined,
        handshakeTimeout: 60_000,
        onHandshakeError: (e) => {
          if (config.logTlsErrors) log(`TLS handshake failed: ${e.message}`);
        },
      }));
    listeners.push(listener);
    const counter: SocketCounter = { port: String(port), accepted: 0, closed: 0, active: 0 };
    sockets.push(counter);
    acceptLoop(listener, counter);
  }

  const saveState = async () => {
    if (config.persistence) await saveStatsBackup(config.logDir, stats, store.queueCount());
  };
  const metrics = startMetricsFiles({
    logDir: config.logDir,
    stats,
    gauges: () => relayGauges(relay, store, sockets),
    logStats: config.logStats,
    prometheusInterval: config.prometheusInterval,
    onError: (e) => log(`stats files: ${(e as Error)?.message ?? e}`),
  });
  // the control port and the panel share one target, and so one daily block quota
  const target = relayControlTarget(relay, store, () => sockets, {
    dailyBlockQuota: config.dailyBlockQuota,
    save: saveState,
    overview: () => relayOverview(relay, config, o.identity.keyHash),
  });
  const control = config.controlPort !== undefined
    ? startControlPort({
      port: config.controlPort,
      adminPassword: config.controlAdminPassword,
      userPassword: config.controlUserPassword,
      target,
    })
    : undefined;

  // what a burst of handshakes allocated goes back to the system once it is over
  const memory = new MemoryReleaser();

  async function acceptLoop(listener: TlsListener, counter: SocketCounter): Promise<void> {
    for await (const conn of listener) {
      counter.accepted++;
      if (config.maxConnections > 0 && relay.clientCount >= config.maxConnections) {
        counter.closed++;
        conn.close().catch(() => {});
        continue;
      }
      // a client that sent SNI is a browser looking for the server's website; SMP clients send none
      if (conn.sni !== undefined) {
        const done = web.staticPath ? serveHttp1(conn, web.staticPath) : conn.close().catch(() => {});
        serving.add(done);
        done.finally(() => {
          serving.delete(done);
          counter.closed++;
        });
        continue;
      }
      counter.active++;
      memory.noteActivity();
      const done = relay.serve(relayConnection(conn));
      serving.add(done);
      done.finally(() => {
        serving.delete(done);
        counter.active--;
        counter.closed++;
        memory.noteActivity();
      });
    }
  }

  const sites = [
    ...(web.httpPort !== undefined ? [{ port: web.httpPort }] : []),
    ...(web.httpsPort !== undefined && web.credential
      ? [{
        port: web.httpsPort,
        tls: {
          cert: await Deno.readTextFile(web.credential.cert),
          key: await Deno.readTextFile(web.credential.key),
        },
      }]
      : []),
  ].map((site) => serveStaticSite({ ...site, root: web.staticPath!, hostname: o.hostname }));
  for (const site of sites) log(`Serving the static site on port ${site.port}`);
  let panel: RunningPanel | undefined;
  const close = async () => {
    for (const t of timers) clearInterval(t);
    memory.close();
    for (const l of listeners) l.close();
    await Promise.all(sites.map((site) => site.close()));
    await panel?.close();
    await control?.close();
    await metrics.close();
    await saveState();
    relay.close();
    await proxy.close();
    await Promise.allSettled([...serving]);
    store.close();
  };
  if (config.panel) {
    try {
      if (!o.startPanel) throw new Error("[ADMIN] is set, but this program has no web panel to start");
      const sources = () => sockets;
      const source = relayPanelSource({
        relay,
        store,
        config,
        keyHash: o.identity.keyHash,
        sockets: sources,
        target,
      });
      panel = await o.startPanel(config.panel, [{ name: "this server", source }]);
    } catch (e) {
      await close();
      if (e instanceof ListenError) throw e;
      // the operator fixes this in the INI file, as any other configuration error
      throw new IniError(`[ADMIN] port ${config.panel.port}: ${(e as Error).message}`, { cause: e });
    }
  }

  return {
    relay,
    ports: listeners.map((l) => l.addr.port),
    controlPort: control?.addr.port,
    panel: panel && { hostname: panel.hostname, port: panel.port },
    webPorts: sites.map((site) => site.port),
    close,
  };
}

/**
 * The information page in `[WEB] static_path`, made at `init` and again at a start whose settings
 * changed it.
 */
export async function writeRelayInfoPage(
  config: RelayConfig,
  fingerprint: string,
  log: (line: string) => void,
) {
  const dir = config.web.staticPath;
  if (!dir) return;
  const address = relayAddress(fingerprint, config.host, config.ports);
  const r = await writeInfoPage(dir, { kind: "smp", address, information: config.information });
  if (r !== "unchanged") log(`Information page: ${dir}/index.html${r === "kept" ? " (yours, kept)" : ""}`);
}

/**
 * On the first start over a reference smp-server's log directory, its store log and message file
 * become this relay's database; the files themselves are left as they are.
 */
function migrateReferenceStore(store: SqliteRelayStore, logDir: string, log: (line: string) => void): void {
  const storeLogPath = `${logDir}/${STORE_LOG_FILE}`;
  if (!existsSync(storeLogPath)) return;
  const messagesPath = `${logDir}/${MESSAGES_LOG_FILE}`;
  const summary = importReferenceStore(store, {
    storeLogPath,
    messagesPath: existsSync(messagesPath) ? messagesPath : undefined,
  });
  log(
    `Imported ${summary.storeLog.queues} queues from ${storeLogPath}` +
      (summary.messages ? ` and ${summary.messages.restored} messages from ${messagesPath}` : ""),
  );
  const skipped = summary.storeLog.lines - summary.storeLog.applied;
  if (skipped > 0) log(`${skipped} store log lines were skipped (malformed or for deleted queues)`);
}

function existsSync(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function relayConnection(conn: TlsConnection) {
  return {
    sessionId: conn.sessionId,
    alpnNegotiated: conn.alpn !== undefined,
    peerCertificates: conn.peerCertificates,
    readExactly: (n: number) => conn.readExactly(n),
    write: (data: Uint8Array) => conn.write(data),
    close: () => conn.close(),
  };
}
