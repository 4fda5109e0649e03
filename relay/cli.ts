/**
 * `simplex relay`: the SMP relay's command line, following the reference `smp-server`
 * (init, start, cert, delete; SMP_SERVER_CFG_PATH / SMP_SERVER_LOG_PATH), plus a quick start
 * that initializes a default configuration when there is none and serves at once.
 */
import { type PanelStarter, panelUrl } from "../core/server/panel_source.ts";
import { parseArgs } from "node:util";
import { type Command, CommandError, UsageError } from "../core/cli/command.ts";
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
import { encodeBase64Url } from "../core/encoding/base64.ts";
import { randomBytes } from "../core/crypto/keys.ts";
import { describeCryptoBackends } from "../core/crypto/mod.ts";
import { loadServerIdentity } from "../core/server/identity_files.ts";
import { exists } from "../core/server/files.ts";
import { untilShutdownSignal } from "../core/server/shutdown_signal.ts";
import { webCertificateWarnings } from "../core/server/static_site.ts";
import {
  DEFAULT_CONTROL_PORT,
  DEFAULT_SMP_PORT,
  INI_FILE,
  parseRelayConfig,
  relayAddress,
  type RelayConfig,
  relayIniContent,
  type RelayPaths,
  relayPaths,
  validBasicAuth,
} from "./config.ts";
import { MESSAGES_LOG_FILE, startRelayServer, STORE_LOG_FILE, writeRelayInfoPage } from "./server.ts";
import { SqliteRelayStore } from "./store/sqlite.ts";
import { exportReferenceStore } from "./store/store_log.ts";

const CRYPTO_NOTE =
  `Crypto: through FFI where they are installed, the secret box runs on libsodium (libsodium23), TLS
records and file digests on OpenSSL's libcrypto (libssl3); else on WebAssembly and node:crypto.
SIMPLEX_CRYPTO=builtin keeps to the latter; SIMPLEX_CRYPTO=native requires both libraries.`;

const FILES_NOTE =
  `Files: configuration in $SMP_SERVER_CFG_PATH (default /etc/opt/simplex): ${INI_FILE}, ca.key,
ca.crt, server.key, server.crt, fingerprint; data in $SMP_SERVER_LOG_PATH (default
/var/opt/simplex): smp-server.db.`;

export const RELAY_USAGE = `Usage: simplex relay [COMMAND] [options]

An SMP relay server, compatible with simplexmq 6.5's smp-server.

Commands:
  (none)        start the server; if it has no configuration yet, first create one with
                defaults (as init -y --port ${DEFAULT_SMP_PORT}) and print the server address
  init          create the configuration, TLS identity and server address
  start         start the server with the existing configuration
  control-port  turn on the control port of a server set up without it
  cert          replace the online TLS certificate (the identity stays)
  export        write the queues and messages as a reference smp-server store log
  delete        delete the configuration and all data

"simplex relay COMMAND --help" shows the options of each.

${FILES_NOTE}

${CRYPTO_NOTE}`;

const RELAY_INIT_USAGE = `Usage: simplex relay init [options]

Create the configuration (${INI_FILE}), the TLS identity and the server address, and print it.

Options:
  -y, --yes                  non-interactive (accepted for compatibility; init never prompts)
  --ip IP                    server IP address, used when there is no FQDN (default 127.0.0.1)
  -n, --fqdn FQDN            server host name: the online certificate's CN and the address host
  -a, --sign-algorithm ALG   ED25519 (default) or ED448
  --password PASSWORD        password to create queues (default: a random one)
  --no-password              allow anyone to create queues
  --control-port[=PORT]      enable the control port on 127.0.0.1 (default ${DEFAULT_CONTROL_PORT}) with
                             random passwords
  --disable-store-log        keep queues and messages in memory only
  -s, --daily-stats          write daily statistics (CSV)
  --port PORTS               ports to serve, comma-separated (default ${DEFAULT_SMP_PORT}; add 443, as in
                             --port ${DEFAULT_SMP_PORT},443, when no XFTP server uses 443 on this host)

${FILES_NOTE} Keep ca.key offline once
the server is set up: it is only needed to issue a new online certificate.`;

const RELAY_START_USAGE = `Usage: simplex relay start

Serve with the existing configuration until SIGINT (Ctrl-C) or SIGTERM. Prints the server
address, the ports, and a warning for each line of ${INI_FILE} it does not use.

${FILES_NOTE}

${CRYPTO_NOTE}`;

const RELAY_CONTROL_PORT_USAGE = `Usage: simplex relay control-port [--port PORT]

Turn on the control port (127.0.0.1 only) in ${INI_FILE}: sets [TRANSPORT] control_port and
writes random admin and user passwords into [AUTH] where there are none. Restart the server to use
it; "simplex admin" and the web panel log in with those passwords.

Options:
  --port PORT   the control port (default: the one in ${INI_FILE}, else ${DEFAULT_CONTROL_PORT})`;

const RELAY_CERT_USAGE = `Usage: simplex relay cert

Issue a new online TLS certificate (server.crt, server.key) under the offline CA (ca.key), so the
fingerprint and the server address stay. Restart the server to use it.`;

const RELAY_EXPORT_USAGE = `Usage: simplex relay export

Write the queues and messages as a reference smp-server store log (smp-server-store.log) and
message file (smp-server-messages.log) in the data directory, for a server that runs smp-server.
On its first start over an smp-server data directory, the relay imports those two files.`;

const RELAY_DELETE_USAGE = `Usage: simplex relay delete [-y]

Delete the configuration and data directories, with all queues and messages. Asks first on a
terminal; elsewhere it needs -y.

Options:
  -y, --yes   delete without asking`;

type Out = (line: string) => void;
const warn: Out = (line) => console.error(line);

const NAMES: ServerNames = { command: "relay", cfgEnv: "SMP_SERVER_CFG_PATH", logEnv: "SMP_SERVER_LOG_PATH" };

export interface InitOptions {
  readonly host: string;
  readonly algorithm: "Ed25519" | "Ed448";
  readonly password: string | undefined;
  readonly controlPort?: number;
  readonly persistence: boolean;
  readonly logStats: boolean;
  readonly ports: readonly number[];
}

/** Creates the configuration and identity; returns the server address. */
export async function initRelay(paths: RelayPaths, o: InitOptions, out: Out): Promise<string> {
  const iniPath = `${paths.cfgDir}/${INI_FILE}`;
  const { fp, control } = await initServerIdentity(paths, NAMES, iniPath, o);
  const text = relayIniContent({
    host: o.host,
    cfgDir: paths.cfgDir,
    logDir: paths.logDir,
    ports: o.ports,
    persistence: o.persistence,
    logStats: o.logStats,
    createPassword: o.password,
    controlPort: o.controlPort,
    controlAdminPassword: control?.admin,
    controlUserPassword: control?.user,
  });
  // the file holds the queue-creation and control-port passwords
  await Deno.writeTextFile(iniPath, text, { mode: 0o600, createNew: true });
  await writeRelayInfoPage(parseRelayConfig(text, paths, iniPath), fp, out);
  const address = relayAddress(fp, o.host, o.ports, o.password);
  out(`Server initialized, configuration: ${iniPath}`);
  out(`Fingerprint: ${fp}`);
  out(`Server address: ${address}`);
  if (control) {
    out(`Control port ${o.controlPort}: passwords are in ${iniPath} ([AUTH] control_port_*_password)`);
  }
  out(`Keep ${paths.cfgDir}/ca.key offline once the server runs; it is only needed by "simplex relay cert".`);
  return address;
}

async function loadConfig(paths: RelayPaths): Promise<RelayConfig> {
  const iniPath = `${paths.cfgDir}/${INI_FILE}`;
  const text = await readServerIni(iniPath, NAMES);
  return parseRelayConfig(text, paths, iniPath);
}

/** Starts the server and resolves when it has shut down on SIGINT/SIGTERM. */
export async function startRelay(paths: RelayPaths, out: Out, startPanel?: PanelStarter): Promise<void> {
  const config = await loadConfig(paths);
  for (const w of [...config.warnings, ...await webCertificateWarnings(config.web)]) warn(`Warning: ${w}`);
  const { fp, identity } = await loadServerIdentity(paths.cfgDir, '"simplex relay cert"');
  const running = await startRelayServer({ config, identity, log: out, startPanel });
  out(`Fingerprint: ${fp}`);
  out(`Server address: ${relayAddress(fp, config.host, config.ports, config.createPassword)}`);
  if (running.controlPort !== undefined) out(`Control port: 127.0.0.1:${running.controlPort}`);
  if (running.panel) out(`Web panel: ${panelUrl(running.panel, config.panel?.certFile !== undefined)}`);
  for (const line of describeCryptoBackends()) out(line);
  out(`Listening on port${running.ports.length > 1 ? "s" : ""} ${running.ports.join(", ")}`);
  await untilShutdownSignal();
  out("Shutting down...");
  await running.close();
  out("Server stopped");
}

async function exportRelay(paths: RelayPaths, out: Out): Promise<void> {
  const config = await loadConfig(paths);
  if (!config.persistence) {
    throw new CommandError(
      `[STORE_LOG] enable = off in ${paths.cfgDir}/${INI_FILE}: nothing is stored, so there is nothing to export`,
    );
  }
  const dbPath = `${paths.logDir}/smp-server.db`;
  if (!(await exists(dbPath))) {
    throw new CommandError(
      `no database at ${dbPath}: start the relay once to create it, or check $SMP_SERVER_LOG_PATH`,
    );
  }
  const storeLogPath = `${paths.logDir}/${STORE_LOG_FILE}`;
  const messagesPath = `${paths.logDir}/${MESSAGES_LOG_FILE}`;
  for (const f of [storeLogPath, messagesPath]) {
    if (await exists(f)) throw new CommandError(`${f} exists and would be overwritten: move it away first`);
  }
  const store = new SqliteRelayStore(dbPath);
  try {
    const s = exportReferenceStore(store, { storeLogPath, messagesPath });
    out(`Exported ${s.queues} queues to ${storeLogPath}`);
    out(`Exported ${s.messages} messages (and ${s.quotaMarkers} quota markers) to ${messagesPath}`);
  } finally {
    store.close();
  }
}

function parsePorts(s: string): number[] {
  return s.split(",").map((p) => {
    const n = Number(p.trim());
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`bad port "${p}"`);
    return n;
  });
}

function parseInitOptions(args: string[]): InitOptions {
  // --control-port takes an optional value, which parseArgs cannot express
  let controlPort: number | undefined;
  const rest = args.filter((a) => {
    const m = /^--control-port(?:=(\d+))?$/.exec(a);
    if (!m) return true;
    controlPort = m[1] ? Number(m[1]) : DEFAULT_CONTROL_PORT;
    return false;
  });
  const { values } = parseArgs({
    args: rest,
    options: {
      yes: { type: "boolean", short: "y" },
      ip: { type: "string" },
      fqdn: { type: "string", short: "n" },
      "sign-algorithm": { type: "string", short: "a" },
      password: { type: "string" },
      "no-password": { type: "boolean" },
      "disable-store-log": { type: "boolean" },
      "daily-stats": { type: "boolean", short: "s" },
      port: { type: "string" },
    },
    strict: true,
  });
  const alg = (values["sign-algorithm"] ?? "ED25519").toUpperCase();
  if (alg !== "ED25519" && alg !== "ED448") throw new UsageError(`--sign-algorithm must be ED25519 or ED448`);
  if (values.password !== undefined && values["no-password"]) {
    throw new UsageError("--password and --no-password exclude each other");
  }
  if (values.password !== undefined && !validBasicAuth(values.password)) {
    throw new UsageError("the password must be printable ASCII without spaces, '@', ':' or '/'");
  }
  return {
    host: values.fqdn ?? values.ip ?? "127.0.0.1",
    algorithm: alg === "ED448" ? "Ed448" : "Ed25519",
    password: values["no-password"] ? undefined : values.password ?? encodeBase64Url(randomBytes(32)),
    controlPort,
    persistence: !values["disable-store-log"],
    logStats: values["daily-stats"] ?? false,
    ports: values.port ? parsePorts(values.port) : [DEFAULT_SMP_PORT],
  };
}

/** `startPanel` runs the `[ADMIN]` web panel; cli/main.ts hands it over from admin/. */
export async function runRelayCommand(
  args: string[],
  out: Out = console.log,
  startPanel?: PanelStarter,
): Promise<number> {
  const paths = relayPaths();
  const [sub, ...rest] = args;
  try {
    switch (sub) {
      case "init":
        await initRelay(paths, parseInitOptions(rest), out);
        return 0;
      case "start":
        if (rest.length > 0) throw new UsageError(`start takes no arguments`);
        await startRelay(paths, out, startPanel);
        return 0;
      case "control-port":
        await enableControlPort(
          rest,
          `${paths.cfgDir}/${INI_FILE}`,
          NAMES,
          DEFAULT_CONTROL_PORT,
          (text) => parseRelayConfig(text, paths, `${paths.cfgDir}/${INI_FILE}`),
          out,
        );
        return 0;
      case "cert":
        await rotateCertificate(paths.cfgDir, (await loadConfig(paths)).host, out);
        return 0;
      case "export":
        if (rest.length > 0) throw new UsageError("export takes no arguments");
        await exportRelay(paths, out);
        return 0;
      case "delete":
        await deleteServerCommand(rest, paths, NAMES, " with all queues and messages", out);
        return 0;
      default:
        await quickStart({
          names: NAMES,
          args,
          iniPath: `${paths.cfgDir}/${INI_FILE}`,
          init: () => initRelay(paths, parseInitOptions(args), out),
          start: () => startRelay(paths, out, startPanel),
        });
        return 0;
    }
  } catch (e) {
    throw iniFailure(e);
  }
}

export const relayCommand = (startPanel?: PanelStarter): Command => ({
  name: "relay",
  summary: "SMP relay server (smp-server compatible): init, start, control-port, cert, export, delete",
  usage: RELAY_USAGE,
  subcommands: {
    init: RELAY_INIT_USAGE,
    start: RELAY_START_USAGE,
    "control-port": RELAY_CONTROL_PORT_USAGE,
    cert: RELAY_CERT_USAGE,
    export: RELAY_EXPORT_USAGE,
    delete: RELAY_DELETE_USAGE,
  },
  run: (args) => runRelayCommand(args, console.log, startPanel),
});
