/**
 * The relay's configuration: `smp-server.ini` with the reference's sections and keys (smp.md §5.6),
 * its default locations and environment overrides, and the file `init` writes.
 */
import { DEFAULT_PROXY_CLIENT_CONCURRENCY } from "./relay.ts";
import { Ini, IniError, type IniSchema } from "../core/config/ini.ts";
import { decodeBase64Url } from "../core/encoding/base64.ts";
import { encodeServerAddress } from "../core/smp/address.ts";
import {
  controlPortWarnings,
  REFERENCE_DATABASE_KEYS,
  SHARED_INI_SECTIONS,
} from "../core/server/ini_schema.ts";
import { type PanelConfig, panelIniSection, parsePanelConfig } from "../core/server/panel_source.ts";
import { parseWebConfig, type WebConfig } from "../core/server/static_site.ts";
import { parseServerInformation, type ServerInformation } from "../core/server/info_page.ts";
import { parseSocksProxy } from "../core/transport/socks5.ts";
import type { NetworkOptions } from "../core/smp/connect.ts";

export const INI_FILE = "smp-server.ini";
export const DEFAULT_CFG_DIR = "/etc/opt/simplex";
export const DEFAULT_LOG_DIR = "/var/opt/simplex";
export const DEFAULT_SMP_PORT = 5223;
export const DEFAULT_CONTROL_PORT = 5224;
/** the `[ADMIN]` web panel's port that `init` suggests */
export const DEFAULT_PANEL_PORT = 5225;

export interface RelayPaths {
  readonly cfgDir: string;
  readonly logDir: string;
}

/** `SMP_SERVER_CFG_PATH`/`SMP_SERVER_LOG_PATH` override the reference's default directories. */
export function relayPaths(env: { get(name: string): string | undefined } = Deno.env): RelayPaths {
  return {
    cfgDir: env.get("SMP_SERVER_CFG_PATH") ?? DEFAULT_CFG_DIR,
    logDir: env.get("SMP_SERVER_LOG_PATH") ?? DEFAULT_LOG_DIR,
  };
}

export interface RelayConfig extends RelayPaths {
  /** only used to print the server address */
  readonly host: string;
  readonly ports: readonly number[];
  /** `[STORE_LOG] enable`: off keeps queues and messages in memory only */
  readonly persistence: boolean;
  readonly messageTtlDays: number;
  readonly expireOnStart: boolean;
  readonly expireOnSend: boolean;
  readonly notificationTtlHours: number;
  readonly logStats: boolean;
  readonly prometheusInterval?: number;
  readonly newQueues: boolean;
  readonly createPassword?: string;
  readonly controlPort?: number;
  readonly controlAdminPassword?: string;
  readonly controlUserPassword?: string;
  readonly dailyBlockQuota: number;
  readonly logTlsErrors: boolean;
  readonly inactiveClients?: { readonly ttl: number; readonly checkInterval: number };
  /** ours: the most simultaneous client connections (0 = unlimited) */
  readonly maxConnections: number;
  /** ours: `[ADMIN]`, the operators' web panel in this process */
  readonly panel?: PanelConfig;
  /** `[WEB]`: the static site and its information page */
  readonly web: WebConfig;
  /** `[INFORMATION]`: shown on the information page */
  readonly information: ServerInformation;
  /** `[PROXY]`: how the relay reaches destination relays for private routing */
  readonly proxyNetwork: NetworkOptions;
  /** `[PROXY] own_server_domains` */
  readonly ownServerDomains: readonly string[];
  /** `[TRANSPORT] accept_service_credentials`: ask clients for a TLS certificate, so services can connect */
  readonly acceptServiceCredentials: boolean;
  /** `[PROXY] client_concurrency`: a client's proxied commands (PRXY/PFWD) in progress at once */
  readonly proxyClientConcurrency: number;
  /** lines of the file the relay does not use (unknown or ignored keys), with their place */
  readonly warnings: readonly string[];
}

/** Every key the relay reads, by section. */
const RELAY_INI_KEYS: IniSchema = {
  ...SHARED_INI_SECTIONS,
  STORE_LOG: [
    "enable",
    "expire_messages_days",
    "expire_messages_on_start",
    "expire_messages_on_send",
    "expire_ntfs_hours",
    "log_stats",
    "prometheus_interval",
  ],
  AUTH: [
    "new_queues",
    "create_password",
    "control_port_admin_password",
    "control_port_user_password",
    "daily_block_queue_quota",
  ],
  TRANSPORT: [
    "host",
    "port",
    "log_tls_errors",
    "control_port",
    "max_connections",
    "accept_service_credentials",
  ],
  PROXY: [
    "socks_proxy",
    "socks_mode",
    "host_mode",
    "required_host_mode",
    "own_server_domains",
    "client_concurrency",
  ],
};

const SQLITE = "this relay keeps queues and messages in smp-server.db (SQLite)";

/** Keys of the reference smp-server that this relay does not use, and why. */
const IGNORED_REFERENCE_KEYS: Readonly<Record<string, string>> = {
  "STORE_LOG.store_queues": SQLITE,
  "STORE_LOG.store_messages": SQLITE,
  "STORE_LOG.restore_messages": `${SQLITE}, so messages always survive a restart`,
  "STORE_LOG.db_deleted_ttl": SQLITE,
  ...Object.fromEntries(REFERENCE_DATABASE_KEYS.map((k) => [`STORE_LOG.${k}`, SQLITE])),
  "TRANSPORT.websockets": "WebSocket transport is not served (it is deprecated in the reference)",
};

/**
 * The address clients put in their apps: `smp://fingerprint[:password]@host[:port]`, the port
 * given when the first one served is not the default.
 */
export function relayAddress(
  fingerprint: string,
  host: string,
  ports: readonly number[],
  password?: string,
): string {
  const port = ports.length > 0 && ports[0] !== DEFAULT_SMP_PORT ? ports[0] : undefined;
  return encodeServerAddress({
    keyHash: decodeBase64Url(fingerprint),
    hosts: [host],
    port,
    basicAuth: password,
  });
}

const BASIC_AUTH = /^[\x21-\x7e]+$/;

export function validBasicAuth(s: string): boolean {
  return BASIC_AUTH.test(s) && !/[@:/]/.test(s);
}

export function parseRelayConfig(text: string, paths: RelayPaths, path = INI_FILE): RelayConfig {
  const ini = Ini.parse(text, path);
  const createPassword = ini.string("AUTH", "create_password") || undefined;
  if (createPassword !== undefined && !validBasicAuth(createPassword)) {
    throw new IniError(
      `${path}: [AUTH] create_password must be printable ASCII without spaces, '@', ':' or '/'`,
    );
  }
  const disconnect = ini.bool("INACTIVE_CLIENTS", "disconnect", true);
  const controlAdminPassword = ini.string("AUTH", "control_port_admin_password") || undefined;
  const controlUserPassword = ini.string("AUTH", "control_port_user_password") || undefined;
  return {
    ...paths,
    host: ini.string("TRANSPORT", "host") || "127.0.0.1",
    ports: ini.ports("TRANSPORT", "port"),
    persistence: ini.bool("STORE_LOG", "enable", true),
    messageTtlDays: ini.int("STORE_LOG", "expire_messages_days", 21, 1),
    expireOnStart: ini.bool("STORE_LOG", "expire_messages_on_start", true),
    // written as off by init, but on when the key is missing, as upstream reads it
    expireOnSend: ini.bool("STORE_LOG", "expire_messages_on_send", true),
    notificationTtlHours: ini.int("STORE_LOG", "expire_ntfs_hours", 24, 1),
    logStats: ini.bool("STORE_LOG", "log_stats", false),
    prometheusInterval: ini.int("STORE_LOG", "prometheus_interval", undefined, 1),
    newQueues: ini.bool("AUTH", "new_queues", true),
    createPassword,
    controlPort: ini.int("TRANSPORT", "control_port", undefined, 1, 65535),
    controlAdminPassword,
    controlUserPassword,
    dailyBlockQuota: ini.int("AUTH", "daily_block_queue_quota", 20, -1),
    logTlsErrors: ini.bool("TRANSPORT", "log_tls_errors", false),
    inactiveClients: disconnect
      ? {
        ttl: ini.int("INACTIVE_CLIENTS", "ttl", 21600, 1),
        checkInterval: ini.int("INACTIVE_CLIENTS", "check_interval", 3600, 1),
      }
      : undefined,
    maxConnections: ini.int("TRANSPORT", "max_connections", 10000, 0),
    acceptServiceCredentials: ini.bool("TRANSPORT", "accept_service_credentials", true),
    panel: parsePanelConfig(ini, { admin: controlAdminPassword, user: controlUserPassword }),
    web: parseWebConfig(ini),
    information: parseServerInformation(ini),
    proxyNetwork: parseProxyNetwork(ini),
    ownServerDomains: (ini.string("PROXY", "own_server_domains") ?? "").split(",").map((d) => d.trim())
      .filter((d) => d !== ""),
    proxyClientConcurrency: ini.int("PROXY", "client_concurrency", DEFAULT_PROXY_CLIENT_CONCURRENCY, 1),
    warnings: [
      ...ini.warnings(RELAY_INI_KEYS, IGNORED_REFERENCE_KEYS),
      ...controlPortWarnings(ini, "relay", controlAdminPassword, controlUserPassword),
    ],
  };
}

/** `[PROXY]` socks_proxy, socks_mode, host_mode and required_host_mode, as the reference reads them. */
function parseProxyNetwork(ini: Ini): NetworkOptions {
  const socksText = ini.string("PROXY", "socks_proxy") || undefined;
  const socksProxy = socksText === undefined ? undefined : parseSocksProxy(socksText);
  if (socksText !== undefined && !socksProxy) {
    throw new IniError(`${ini.path}: [PROXY] socks_proxy: expected host:port, got "${socksText}"`);
  }
  return {
    socksProxy,
    socksMode: ini.choice("PROXY", "socks_mode", ["onion", "always"] as const, "onion"),
    hostMode: ini.choice("PROXY", "host_mode", ["public", "onion"] as const, "public"),
    requiredHostMode: ini.bool("PROXY", "required_host_mode", false),
  };
}

export interface InitSettings {
  readonly host: string;
  /** where `[WEB] static_path` and the web certificate's example paths point */
  readonly cfgDir: string;
  readonly logDir: string;
  readonly ports: readonly number[];
  readonly persistence: boolean;
  readonly logStats: boolean;
  readonly createPassword?: string;
  readonly controlPort?: number;
  readonly controlAdminPassword?: string;
  readonly controlUserPassword?: string;
}

const off = (enabled: boolean) => (enabled ? "" : "# ");

/** The `smp-server.ini` that `init` writes: every key the relay reads, with its default shown. */
export function relayIniContent(s: InitSettings): string {
  const control = s.controlPort !== undefined;
  return `[INFORMATION]
# Details shown to the users of this server. If any is set, source_code must be set too.
# source_code = URI of the source code this server runs
# usage_conditions =
# condition_amendments =
# server_country = ISO-3166 2-letter code
# operator = entity (organization or person name)
# operator_country = ISO-3166 2-letter code
# website =
# admin_simplex =
# admin_email =
# complaints_simplex =
# complaints_email =
# hosting = entity (organization or person name)
# hosting_country = ISO-3166 2-letter code
hosting_type = virtual

[STORE_LOG]
# on: queues and undelivered messages are kept in ${"`"}smp-server.db${"`"} in the log directory (SQLite,
# WAL mode) and survive restarts and crashes. off: everything is lost when the server stops.
enable = ${s.persistence ? "on" : "off"}

# Queues and messages are kept in the embedded SQLite database; the reference's store_queues,
# store_messages, restore_messages and db_* keys do not apply. A reference smp-server store log
# found in the log directory is imported on first start.

# Expiry of undelivered messages and of pending notifications.
expire_messages_days = 21
expire_messages_on_start = on
expire_messages_on_send = off
expire_ntfs_hours = 24

# Daily statistics in smp-server-stats.daily.log (CSV).
log_stats = ${s.logStats ? "on" : "off"}

# Prometheus metrics written to smp-server-metrics.txt every N seconds.
# prometheus_interval = 60

[AUTH]
# off refuses every new queue (for decommissioning a server).
new_queues = on

# A password to create queues and to use this server as a proxy; it becomes part of the server
# address (smp://fingerprint:password@host). Printable ASCII without spaces, '@', ':' or '/'.
${off(s.createPassword !== undefined)}create_password = ${s.createPassword ?? ""}

${off(control)}control_port_admin_password = ${s.controlAdminPassword ?? ""}
${off(control)}control_port_user_password = ${s.controlUserPassword ?? ""}

# Queues the control port may block per day (0: no limit, -1: blocking disabled).
# daily_block_queue_quota = 20

[TRANSPORT]
# host is only used to print the server address.
host = ${s.host}
port = ${s.ports.join(",")}
log_tls_errors = off
${off(control)}control_port = ${s.controlPort ?? DEFAULT_CONTROL_PORT}
# The most simultaneous client connections (0: no limit).
# max_connections = 10000

[PROXY]
# How this server reaches other relays when it forwards messages for private routing.
# A SOCKS5 proxy (Tor) for .onion relays (socks_mode = onion) or for every relay (always).
# socks_proxy = localhost:9050
# socks_mode = onion
# Of a relay's hosts, connect to the public one, or to the onion one (needs socks_proxy).
# host_mode = public
# required_host_mode = off
# Relays under these domains are also counted in the pRelaysOwn/pMsgFwdsOwn stats.
# own_server_domains =
# The most proxied commands of one client in progress at once; its next commands wait.
# client_concurrency = ${DEFAULT_PROXY_CLIENT_CONCURRENCY}

[INACTIVE_CLIENTS]
# Connections without subscriptions that send nothing for ttl seconds are closed.
disconnect = on
ttl = 21600
check_interval = 3600

[WEB]
# The server's information page (index.html, written at start from [INFORMATION] unless you put
# your own there) and any other files in this directory. Browsers that connect to a relay port
# (they send SNI, SMP clients do not) get this site instead of SMP.
static_path = ${s.logDir}/www

# Serve the site on its own ports too: plain HTTP, and HTTPS with the certificate below.
# http = 8000
# https = 443

# The certificate for browsers, on the https port and on relay ports: an ECDSA P-256 key, e.g.
# from Let's Encrypt with certbot --key-type ecdsa. Browsers accept no Ed25519 or Ed448
# certificate in TLS, and this server cannot use RSA.
# cert = ${s.cfgDir}/web.crt
# key = ${s.cfgDir}/web.key

${panelIniSection(DEFAULT_PANEL_PORT)}`;
}
