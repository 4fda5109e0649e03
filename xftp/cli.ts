/**
 * `simplex xftp-server`: the XFTP file server's command line, following the reference
 * `xftp-server` (init, start, cert, delete; XFTP_SERVER_CFG_PATH / XFTP_SERVER_LOG_PATH), plus a
 * quick start that initializes a default configuration when there is none and serves at once.
 */
import { type PanelStarter, panelUrl } from "../core/server/panel_source.ts";
import { parseArgs } from "node:util";
import { type Command, UsageError } from "../core/cli/command.ts";
import {
  deleteServerCommand,
  enableControlPort,
  iniFailure,
  initServerIdentity,
  quickStart,
  readServerIni,
  rotateCertificate,
  type ServerNames,
} from "../core/server/server_command.ts";
import { describeCryptoBackends } from "../core/crypto/mod.ts";
import { decodeBase64Url } from "../core/encoding/base64.ts";
import { encodeServerAddress } from "../core/smp/address.ts";
import { loadServerIdentity } from "../core/server/identity_files.ts";
import { untilShutdownSignal } from "../core/server/shutdown_signal.ts";
import { webCertificateWarnings } from "../core/server/static_site.ts";
import {
  DEFAULT_CONTROL_PORT,
  DEFAULT_XFTP_PORT,
  formatFileSize,
  INI_FILE,
  parseFileSize,
  parseXftpConfig,
  type XftpConfig,
  xftpIniContent,
  type XftpPaths,
  xftpPaths,
} from "./config.ts";
import { startXftpService } from "./service.ts";

/** The port the quick start serves (443 needs privileges; `init` writes 443 as the reference does). */
export const QUICK_START_PORT = 5443;
const QUICK_START_QUOTA = "10gb";

const FILES_NOTE =
  `Files: configuration in $XFTP_SERVER_CFG_PATH (default /etc/opt/simplex-xftp): ${INI_FILE}, ca.key,
ca.crt, server.key, server.crt, fingerprint; records in $XFTP_SERVER_LOG_PATH (default
/var/opt/simplex-xftp): file-server-store.log; chunks in [FILES] path.`;

const CRYPTO_NOTE =
  `Crypto: through FFI where they are installed, the secret box runs on libsodium (libsodium23), TLS
records and file digests on OpenSSL's libcrypto (libssl3); else on WebAssembly and node:crypto.
SIMPLEX_CRYPTO=builtin keeps to the latter; SIMPLEX_CRYPTO=native requires both libraries.`;

export const XFTP_SERVER_USAGE = `Usage: simplex xftp-server [COMMAND] [options]

An XFTP file server, compatible with simplexmq 6.5's xftp-server.

Commands:
  (none)        start the server; if it has no configuration yet, first create one with
                defaults (files in $XFTP_SERVER_LOG_PATH/files, quota ${QUICK_START_QUOTA}, port ${QUICK_START_PORT})
                and print the server address
  init          create the configuration, TLS identity and server address
  start         start the server with the existing configuration
  control-port  turn on the control port of a server set up without it
  cert          replace the online TLS certificate (the identity stays)
  delete        delete the configuration and the log directory

"simplex xftp-server COMMAND --help" shows the options of each.

${FILES_NOTE}

${CRYPTO_NOTE}`;

const XFTP_INIT_USAGE = `Usage: simplex xftp-server init -p PATH -q SIZE [options]

Create the configuration (${INI_FILE}), the TLS identity and the server address, and print it.

Options:
  -p, --path PATH            directory for the file chunks (required)
  -q, --quota SIZE           storage quota, e.g. 100gb (required)
  --ip IP                    server IP address, used when there is no FQDN (default 127.0.0.1)
  -n, --fqdn FQDN            server host name: the online certificate's CN and the address host
  -a, --sign-algorithm ALG   ED25519 (default) or ED448
  --disable-store-log        keep file records in memory only
  --port PORT                port to serve (default ${DEFAULT_XFTP_PORT})
  --control-port[=PORT]      enable the control port on 127.0.0.1 (default ${DEFAULT_CONTROL_PORT}) with
                             random passwords
  --web-path PATH            [WEB] static_path: files served to browsers over SNI connections
  -y, --yes                  non-interactive (accepted for compatibility; init never prompts)

${FILES_NOTE} Keep ca.key offline once the server is set up: it is only needed to issue a
new online certificate.`;

const XFTP_START_USAGE = `Usage: simplex xftp-server start

Serve with the existing configuration until SIGINT (Ctrl-C) or SIGTERM. Prints the server
address, the port, and a warning for each line of ${INI_FILE} it does not use.

${FILES_NOTE}

${CRYPTO_NOTE}`;

const XFTP_CONTROL_PORT_USAGE = `Usage: simplex xftp-server control-port [--port PORT]

Turn on the control port (127.0.0.1 only) in ${INI_FILE}: sets [TRANSPORT] control_port and
writes random admin and user passwords into [AUTH] where there are none. Restart the server to use
it; "simplex admin" and the web panel log in with those passwords.

Options:
  --port PORT   the control port (default: the one in ${INI_FILE}, else ${DEFAULT_CONTROL_PORT})`;

const XFTP_CERT_USAGE = `Usage: simplex xftp-server cert

Issue a new online TLS certificate (server.crt, server.key) under the offline CA (ca.key), so the
fingerprint and the server address stay. Restart the server to use it.`;

const XFTP_DELETE_USAGE = `Usage: simplex xftp-server delete [-y]

Delete the configuration and log directories (chunks in a [FILES] path outside them stay). Asks first on a
terminal; elsewhere it needs -y.

Options:
  -y, --yes   delete without asking`;

type Out = (line: string) => void;

const NAMES: ServerNames = {
  command: "xftp-server",
  cfgEnv: "XFTP_SERVER_CFG_PATH",
  logEnv: "XFTP_SERVER_LOG_PATH",
};

export interface InitOptions {
  readonly host: string;
  readonly algorithm: "Ed25519" | "Ed448";
  readonly filesPath: string;
  readonly storageQuota: number;
  readonly storeLog: boolean;
  readonly port: number;
  readonly controlPort?: number;
  readonly webStaticPath?: string;
}

export function serverAddress(fp: string, password: string | undefined, host: string, port: number): string {
  return encodeServerAddress(
    {
      keyHash: decodeBase64Url(fp),
      hosts: [host],
      port: port === DEFAULT_XFTP_PORT ? undefined : port,
      basicAuth: password,
    },
    "xftp",
  );
}

/** Creates the configuration and identity; returns the server address. */
export async function initXftpServer(paths: XftpPaths, o: InitOptions, out: Out): Promise<string> {
  const iniPath = `${paths.cfgDir}/${INI_FILE}`;
  const { fp, control } = await initServerIdentity(paths, NAMES, iniPath, o);
  const text = xftpIniContent({
    host: o.host,
    port: o.port,
    storeLog: o.storeLog,
    filesPath: o.filesPath,
    storageQuota: o.storageQuota,
    cfgDir: paths.cfgDir,
    controlPort: o.controlPort,
    controlAdminPassword: control?.admin,
    controlUserPassword: control?.user,
    webStaticPath: o.webStaticPath,
  });
  // the file may hold the upload and control-port passwords
  await Deno.writeTextFile(iniPath, text, { mode: 0o600, createNew: true });
  const address = serverAddress(fp, undefined, o.host, o.port);
  out(`Server initialized, configuration: ${iniPath}`);
  out(`Fingerprint: ${fp}`);
  out(`Server address: ${address}`);
  if (control) {
    out(`Control port ${o.controlPort}: passwords are in ${iniPath} ([AUTH] control_port_*_password)`);
  }
  out(
    `Keep ${paths.cfgDir}/ca.key offline once the server runs; it is only needed by "simplex xftp-server cert".`,
  );
  return address;
}

async function loadConfig(paths: XftpPaths): Promise<XftpConfig> {
  const iniPath = `${paths.cfgDir}/${INI_FILE}`;
  const text = await readServerIni(iniPath, NAMES);
  return parseXftpConfig(text, paths, iniPath);
}

/** Starts the server and resolves when it has shut down on SIGINT/SIGTERM. */
export async function startXftp(paths: XftpPaths, out: Out, startPanel?: PanelStarter): Promise<void> {
  const config = await loadConfig(paths);
  const web = { credential: config.webCredential };
  for (const w of [...config.warnings, ...await webCertificateWarnings(web)]) console.error(`Warning: ${w}`);
  const { fp, identity } = await loadServerIdentity(paths.cfgDir, '"simplex xftp-server cert"');
  out(`Fingerprint: ${fp}`);
  out(`Server address: ${serverAddress(fp, config.createPassword, config.host, config.port)}`);
  out(`Expiring files after ${config.fileExpirationHours} hours`);
  out(
    config.inactiveClients
      ? `Expiring clients inactive for ${config.inactiveClients.ttl} seconds every ${config.inactiveClients.checkInterval} seconds`
      : "Not expiring inactive clients",
  );
  out(
    `Uploading new files ${
      config.newFiles ? (config.createPassword ? "requires password." : "allowed.") : "NOT allowed."
    }`,
  );
  if (config.storageQuota !== undefined) out(`Storage quota: ${formatFileSize(config.storageQuota)}`);
  const running = await startXftpService({ config, identity, log: out, startPanel });
  if (running.controlPort !== undefined) out(`Control port: 127.0.0.1:${running.controlPort}`);
  if (running.panel) out(`Web panel: ${panelUrl(running.panel, config.panel?.certFile !== undefined)}`);
  for (const line of describeCryptoBackends()) out(line);
  out(`Listening on port ${running.server.port}...`);
  await untilShutdownSignal();
  out("Shutting down...");
  await running.close();
  out("Server stopped");
}

function parsePort(s: string): number {
  const n = Number(s);
  if (!/^\d+$/.test(s) || n < 1 || n > 65535) throw new UsageError(`bad port "${s}"`);
  return n;
}

function parseInitOptions(args: string[], paths: XftpPaths, quickStart: boolean): InitOptions {
  // --control-port takes an optional value, which parseArgs cannot express
  let controlPort: number | undefined;
  const rest = args.filter((a) => {
    const m = /^--control-port(?:=(\d+))?$/.exec(a);
    if (!m) return true;
    controlPort = m[1] ? parsePort(m[1]) : DEFAULT_CONTROL_PORT;
    return false;
  });
  const { values } = parseArgs({
    args: rest,
    options: {
      path: { type: "string", short: "p" },
      quota: { type: "string", short: "q" },
      ip: { type: "string" },
      fqdn: { type: "string", short: "n" },
      "sign-algorithm": { type: "string", short: "a" },
      "disable-store-log": { type: "boolean" },
      port: { type: "string" },
      "web-path": { type: "string" },
      yes: { type: "boolean", short: "y" },
    },
    strict: true,
  });
  const alg = (values["sign-algorithm"] ?? "ED25519").toUpperCase();
  if (alg !== "ED25519" && alg !== "ED448") throw new UsageError("--sign-algorithm must be ED25519 or ED448");
  const filesPath = values.path ?? (quickStart ? `${paths.logDir}/files` : undefined);
  if (filesPath === undefined) throw new UsageError("init needs --path, the directory for file chunks");
  const quotaText = values.quota ?? (quickStart ? QUICK_START_QUOTA : undefined);
  if (quotaText === undefined) throw new UsageError("init needs --quota, e.g. 100gb");
  const storageQuota = parseFileSize(quotaText);
  if (storageQuota === undefined) throw new UsageError(`bad --quota "${quotaText}": use e.g. 500mb or 100gb`);
  return {
    host: values.fqdn ?? values.ip ?? "127.0.0.1",
    algorithm: alg === "ED448" ? "Ed448" : "Ed25519",
    filesPath,
    storageQuota,
    storeLog: !values["disable-store-log"],
    port: values.port ? parsePort(values.port) : quickStart ? QUICK_START_PORT : DEFAULT_XFTP_PORT,
    controlPort,
    webStaticPath: values["web-path"],
  };
}

/** `startPanel` runs the `[ADMIN]` web panel; cli/main.ts hands it over from admin/. */
export async function runXftpServerCommand(
  args: string[],
  out: Out = console.log,
  startPanel?: PanelStarter,
): Promise<number> {
  const paths = xftpPaths();
  const [sub, ...rest] = args;
  try {
    switch (sub) {
      case "init":
        await initXftpServer(paths, parseInitOptions(rest, paths, false), out);
        return 0;
      case "start":
        if (rest.length > 0) throw new UsageError("start takes no arguments");
        await startXftp(paths, out, startPanel);
        return 0;
      case "control-port":
        await enableControlPort(
          rest,
          `${paths.cfgDir}/${INI_FILE}`,
          NAMES,
          DEFAULT_CONTROL_PORT,
          (text) => parseXftpConfig(text, paths, `${paths.cfgDir}/${INI_FILE}`),
          out,
        );
        return 0;
      case "cert":
        if (rest.length > 0) throw new UsageError("cert takes no arguments");
        await rotateCertificate(paths.cfgDir, (await loadConfig(paths)).host, out);
        return 0;
      case "delete":
        await deleteServerCommand(rest, paths, NAMES, "; the server identity cannot be recovered", out);
        return 0;
      default:
        await quickStart({
          names: NAMES,
          args,
          iniPath: `${paths.cfgDir}/${INI_FILE}`,
          init: () => initXftpServer(paths, parseInitOptions(args, paths, true), out),
          start: () => startXftp(paths, out, startPanel),
        });
        return 0;
    }
  } catch (e) {
    throw iniFailure(e);
  }
}

export const xftpServerCommand = (startPanel?: PanelStarter): Command => ({
  name: "xftp-server",
  summary: "XFTP file server (xftp-server compatible): init, start, control-port, cert, delete",
  usage: XFTP_SERVER_USAGE,
  subcommands: {
    init: XFTP_INIT_USAGE,
    start: XFTP_START_USAGE,
    "control-port": XFTP_CONTROL_PORT_USAGE,
    cert: XFTP_CERT_USAGE,
    delete: XFTP_DELETE_USAGE,
  },
  run: (args) => runXftpServerCommand(args, console.log, startPanel),
});
