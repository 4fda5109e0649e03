/**
 * The XFTP server's configuration: `file-server.ini` with the reference's sections and keys
 * (xftp.md §3.4), its default locations and environment overrides, and the file `init` writes.
 */
import { Ini, IniError, type IniSchema } from "../core/config/ini.ts";
import {
  controlPortWarnings,
  REFERENCE_DATABASE_KEYS,
  SHARED_INI_SECTIONS,
} from "../core/server/ini_schema.ts";
import { type PanelConfig, panelIniSection, parsePanelConfig } from "../core/server/panel_source.ts";
import { parseWebConfig } from "../core/server/static_site.ts";
import { parseServerInformation, type ServerInformation } from "../core/server/info_page.ts";

export const INI_FILE = "file-server.ini";
export const DEFAULT_CFG_DIR = "/etc/opt/simplex-xftp";
export const DEFAULT_LOG_DIR = "/var/opt/simplex-xftp";
export const DEFAULT_XFTP_PORT = 443;
export const DEFAULT_CONTROL_PORT = 5226;
/** the `[ADMIN]` web panel's port that `init` suggests */
export const DEFAULT_PANEL_PORT = 5227;
export const DEFAULT_FILE_EXPIRATION_HOURS = 48;
export const DEFAULT_INACTIVE_TTL = 21600;
export const DEFAULT_INACTIVE_CHECK_INTERVAL = 3600;

export interface XftpPaths {
  readonly cfgDir: string;
  readonly logDir: string;
}

/** `XFTP_SERVER_CFG_PATH`/`XFTP_SERVER_LOG_PATH` override the reference's default directories. */
export function xftpPaths(env: { get(name: string): string | undefined } = Deno.env): XftpPaths {
  return {
    cfgDir: env.get("XFTP_SERVER_CFG_PATH") ?? DEFAULT_CFG_DIR,
    logDir: env.get("XFTP_SERVER_LOG_PATH") ?? DEFAULT_LOG_DIR,
  };
}

export interface XftpConfig extends XftpPaths {
  /** `[TRANSPORT] host`, only printed in the server address */
  readonly host: string;
  readonly port: number;
  readonly controlPort?: number;
  readonly logTlsErrors: boolean;
  /** `[STORE_LOG] enable` */
  readonly storeLog: boolean;
  readonly fileExpirationHours: number;
  readonly logStats: boolean;
  readonly prometheusInterval?: number;
  readonly newFiles: boolean;
  readonly createPassword?: string;
  readonly controlAdminPassword?: string;
  readonly controlUserPassword?: string;
  /** `[FILES] path`: where chunk files live */
  readonly filesPath: string;
  /** bytes; unset means no quota */
  readonly storageQuota?: number;
  readonly inactiveClients?: { readonly ttl: number; readonly checkInterval: number };
  /** `[WEB] cert`/`key`: the credential presented to clients that send SNI */
  readonly webCredential?: { readonly cert: string; readonly key: string };
  readonly webStaticPath?: string;
  /** `[WEB] http`: a plain HTTP port for the static site */
  readonly webHttpPort?: number;
  /** `[WEB] https`: an HTTPS port for the static site, with the `[WEB]` certificate */
  readonly webHttpsPort?: number;
  /** ours: `[ADMIN]`, the operators' web panel in this process */
  readonly panel?: PanelConfig;
  /** `[INFORMATION]`: shown on the information page */
  readonly information: ServerInformation;
  /** lines of the file the server does not use (unknown or ignored keys), with their place */
  readonly warnings: readonly string[];
}

/** Every key the XFTP server reads, by section. */
const XFTP_INI_KEYS: IniSchema = {
  ...SHARED_INI_SECTIONS,
  STORE_LOG: ["enable", "store_files", "expire_files_hours", "log_stats", "prometheus_interval"],
  AUTH: ["new_files", "create_password", "control_port_admin_password", "control_port_user_password"],
  TRANSPORT: ["host", "port", "log_tls_errors", "control_port"],
  FILES: ["path", "storage_quota"],
};

/** Keys of the reference xftp-server that this server does not use, and why. */
const IGNORED_REFERENCE_KEYS: Readonly<Record<string, string>> = Object.fromEntries(
  REFERENCE_DATABASE_KEYS.map((k) => [`STORE_LOG.${k}`, "file records are kept in memory and the store log"]),
);

const BASIC_AUTH = /^[\x21-\x7e]+$/;

/** A password that fits in `xftp://fp:password@host`: printable ASCII without spaces, `@`, `:` or `/`. */
export function validBasicAuth(s: string): boolean {
  return BASIC_AUTH.test(s) && !/[@:/]/.test(s);
}

const UNITS: Record<string, number> = { "": 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** `FileSize` text: `N` bytes, or `Nkb`, `Nmb`, `Ngb` (binary units); undefined when malformed. */
export function parseFileSize(text: string): number | undefined {
  const m = /^(\d+)(kb|mb|gb)?$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]) * UNITS[m[2] ?? ""];
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The largest exact unit, as the reference writes sizes (`100gb`, `65536` → `64kb`). */
export function formatFileSize(bytes: number): string {
  for (const unit of ["gb", "mb", "kb"]) {
    if (bytes > 0 && bytes % UNITS[unit] === 0) return `${bytes / UNITS[unit]}${unit}`;
  }
  return String(bytes);
}

/**
 * The reference reads INI files with the `ini` package, which also takes `key: value`; the shared
 * parser only takes `=`, so a colon that comes before any `=` is turned into one first.
 */
function normalizeColons(text: string): string {
  return text.split(/\r?\n/).map((line) => {
    const t = line.trim();
    if (t === "" || t.startsWith("#") || t.startsWith(";") || t.startsWith("[")) return line;
    const colon = line.indexOf(":");
    const eq = line.indexOf("=");
    return colon > 0 && (eq < 0 || colon < eq) ? `${line.slice(0, colon)}=${line.slice(colon + 1)}` : line;
  }).join("\n");
}

function password(ini: Ini, key: string, path: string): string | undefined {
  const value = ini.string("AUTH", key) || undefined;
  if (value !== undefined && !validBasicAuth(value)) {
    throw new IniError(`${path}: [AUTH] ${key} must be printable ASCII without spaces, '@', ':' or '/'`);
  }
  return value;
}

export function parseXftpConfig(text: string, paths: XftpPaths, path = INI_FILE): XftpConfig {
  const ini = Ini.parse(normalizeColons(text), path);
  const storeFiles = ini.choice("STORE_LOG", "store_files", ["memory", "database"], "memory");
  if (storeFiles === "database") {
    throw new IniError(`${path}: [STORE_LOG] store_files = database is not supported by this server`);
  }
  const quotaText = ini.string("FILES", "storage_quota") || undefined;
  const storageQuota = quotaText === undefined ? undefined : parseFileSize(quotaText);
  if (quotaText !== undefined && storageQuota === undefined) {
    throw new IniError(`${path}: [FILES] storage_quota: expected a size like 100gb, got "${quotaText}"`);
  }
  const disconnect = ini.bool("INACTIVE_CLIENTS", "disconnect", false);
  const web = parseWebConfig(ini);
  const port = ini.ports("TRANSPORT", "port");
  if (port.length !== 1) throw new IniError(`${path}: [TRANSPORT] port: one port is served`);
  const controlAdminPassword = password(ini, "control_port_admin_password", path);
  const controlUserPassword = password(ini, "control_port_user_password", path);
  return {
    ...paths,
    host: ini.string("TRANSPORT", "host") || "127.0.0.1",
    port: port[0],
    controlPort: ini.int("TRANSPORT", "control_port", undefined, 1, 65535),
    logTlsErrors: ini.bool("TRANSPORT", "log_tls_errors", false),
    storeLog: ini.bool("STORE_LOG", "enable", false),
    fileExpirationHours: ini.int("STORE_LOG", "expire_files_hours", DEFAULT_FILE_EXPIRATION_HOURS, 1),
    logStats: ini.bool("STORE_LOG", "log_stats", false),
    prometheusInterval: ini.int("STORE_LOG", "prometheus_interval", undefined, 1),
    newFiles: ini.bool("AUTH", "new_files", true),
    createPassword: password(ini, "create_password", path),
    controlAdminPassword,
    controlUserPassword,
    filesPath: ini.required("FILES", "path"),
    storageQuota,
    inactiveClients: disconnect
      ? {
        // required when disconnect = on, as the reference reads them
        ttl: ini.int("INACTIVE_CLIENTS", "ttl", undefined, 1) ?? missing(path, "INACTIVE_CLIENTS", "ttl"),
        checkInterval: ini.int("INACTIVE_CLIENTS", "check_interval", undefined, 1) ??
          missing(path, "INACTIVE_CLIENTS", "check_interval"),
      }
      : undefined,
    webCredential: web.credential,
    webStaticPath: web.staticPath,
    webHttpPort: web.httpPort,
    webHttpsPort: web.httpsPort,
    information: parseServerInformation(ini),
    panel: parsePanelConfig(ini, { admin: controlAdminPassword, user: controlUserPassword }),
    warnings: [
      ...ini.warnings(XFTP_INI_KEYS, IGNORED_REFERENCE_KEYS),
      ...controlPortWarnings(ini, "xftp-server", controlAdminPassword, controlUserPassword),
    ],
  };
}

function missing(path: string, section: string, key: string): never {
  throw new IniError(`${path}: [${section}] ${key} is required`);
}

export interface InitSettings {
  readonly host: string;
  readonly port: number;
  readonly storeLog: boolean;
  readonly filesPath: string;
  readonly storageQuota: number;
  readonly cfgDir: string;
  readonly controlPort?: number;
  readonly controlAdminPassword?: string;
  readonly controlUserPassword?: string;
  readonly webStaticPath?: string;
}

const off = (enabled: boolean) => (enabled ? "" : "# ");

/** The `file-server.ini` that `init` writes: the reference's keys, every default shown. */
export function xftpIniContent(s: InitSettings): string {
  const control = s.controlPort !== undefined;
  return `[INFORMATION]
# Details shown to the users of this server; all optional.
# source_code = URI of the source code this server runs
# server_country = ISO-3166 2-letter code
# operator = entity (organization or person name)
# operator_country = ISO-3166 2-letter code
# website =
# admin_simplex = SimpleX address
# admin_email =
# complaints_simplex = SimpleX address
# complaints_email =
# hosting = entity (organization or person name)
# hosting_country = ISO-3166 2-letter code
# hosting_type = virtual

[STORE_LOG]
# on: file records are appended to file-server-store.log in the log directory and restored on
# start (the log is compacted then). off: records are lost when the server stops.
enable = ${s.storeLog ? "on" : "off"}

# Only memory is supported by this server (database is PostgreSQL in the reference).
store_files = memory

# Files are deleted this many hours after they were created.
expire_files_hours = ${DEFAULT_FILE_EXPIRATION_HOURS}

# Daily statistics in file-server-stats.daily.log (CSV).
log_stats = off

# Prometheus metrics written to xftp-server-metrics.txt every N seconds.
# prometheus_interval = 60

[AUTH]
# off refuses every new file (for decommissioning a server; downloads keep working).
new_files = on

# A password to upload files; it becomes part of the server address
# (xftp://fingerprint:password@host). Printable ASCII without spaces, '@', ':' or '/'.
# create_password =

${off(control)}control_port_admin_password = ${s.controlAdminPassword ?? ""}
${off(control)}control_port_user_password = ${s.controlUserPassword ?? ""}

[TRANSPORT]
# host is only used to print the server address.
host = ${s.host}
port = ${s.port}
log_tls_errors = off
${off(control)}control_port = ${s.controlPort ?? DEFAULT_CONTROL_PORT}

[FILES]
path = ${s.filesPath}
storage_quota = ${formatFileSize(s.storageQuota)}

[INACTIVE_CLIENTS]
# Connections that send nothing for ttl seconds are closed.
disconnect = off
# ttl = ${DEFAULT_INACTIVE_TTL}
# check_interval = ${DEFAULT_INACTIVE_CHECK_INTERVAL}

[WEB]
${off(s.webStaticPath !== undefined)}static_path = ${s.webStaticPath ?? ""}

# Serve static_path on its own ports too: plain HTTP, and HTTPS with the certificate below.
# http = 8000
# https = 8443

# A certificate for browsers (xftp-web) on the XFTP port, chosen when a client sends SNI; it
# also turns on CORS for those connections. An ECDSA P-256 key, e.g. from Let's Encrypt with
# certbot --key-type ecdsa: browsers accept no Ed25519 or Ed448 certificate in TLS, and this
# server cannot use RSA.
# cert = ${s.cfgDir}/web.crt
# key = ${s.cfgDir}/web.key

${panelIniSection(DEFAULT_PANEL_PORT)}`;
}
