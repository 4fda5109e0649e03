/**
 * `simplex admin serve`: the web panel over one or more servers' control ports. The password given
 * (flag, environment or prompt) opens every control port; logging in to the panel takes the same
 * password, and the panel's role is the lowest role the control ports gave it.
 */
import { parseArgs } from "node:util";
import { isParseArgsError, UsageError } from "../core/cli/command.ts";
import { untilShutdownSignal } from "../core/server/shutdown_signal.ts";
import { panelUrl, type RunningPanel } from "../core/server/panel_source.ts";
import {
  type ControlAddress,
  ControlError,
  type ControlRole,
  parseControlAddress,
} from "./control_client.ts";
import { connectRemoteServer, type RemoteServer } from "./panel/remote_source.ts";
import { startPanel } from "./panel/serve.ts";

export interface ServeOptions {
  readonly relays: readonly string[];
  readonly xftp: readonly string[];
  readonly port: number;
  readonly hostname: string;
  readonly metricsToken?: string;
}

export interface ServeInvocation extends ServeOptions {
  readonly password?: string;
}

/** Parses the arguments after `admin serve`; throws UsageError. */
export function parseServeArgs(args: string[], defaultPort: number): ServeInvocation {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        relay: { type: "string", multiple: true },
        xftp: { type: "string", multiple: true },
        port: { type: "string" },
        bind: { type: "string" },
        password: { type: "string" },
        "metrics-token": { type: "string" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw isParseArgsError(e) ? new UsageError(e.message) : e;
  }
  const relays = values.relay ?? [], xftp = values.xftp ?? [];
  if (relays.length + xftp.length === 0) {
    throw new UsageError("serve needs --relay HOST:PORT or --xftp HOST:PORT");
  }
  for (const a of [...relays, ...xftp]) {
    if (!parseControlAddress(a)) throw new UsageError(`'${a}' is not HOST:PORT`);
  }
  const port = values.port === undefined ? defaultPort : Number(values.port);
  if (!/^\d+$/.test(values.port ?? "0") || port > 65535) {
    throw new UsageError(`--port: bad port '${values.port}'`);
  }
  return {
    relays,
    xftp,
    port,
    hostname: values.bind ?? "127.0.0.1",
    password: values.password,
    metricsToken: values["metrics-token"],
  };
}

export interface RunningServe {
  readonly panel: RunningPanel;
  readonly role: "admin" | "user";
  close(): Promise<void>;
}

/** Connects to every control port (failing on the first that refuses) and starts the panel. */
export async function startServe(o: ServeOptions, password: string): Promise<RunningServe> {
  const servers: { name: string; remote: RemoteServer }[] = [];
  const closeAll = () => Promise.allSettled(servers.map((s) => s.remote.close()));
  try {
    const wanted: [string, "smp" | "xftp"][] = [
      ...o.relays.map((a) => [a, "smp"] as [string, "smp"]),
      ...o.xftp.map((a) => [a, "xftp"] as [string, "xftp"]),
    ];
    for (const [text, kind] of wanted) {
      const remote = await connectRemoteServer(parseControlAddress(text) as ControlAddress, password);
      servers.push({ name: text, remote });
      if (remote.source.kind !== kind) {
        throw new ControlError(
          `${text} is ${remote.source.kind === "smp" ? "an SMP relay" : "an XFTP server"}'s control port: ` +
            `give it with --${remote.source.kind === "smp" ? "relay" : "xftp"}`,
        );
      }
    }
    const role = lowestRole(servers.map((s) => s.remote.role));
    const panel = await startPanel(
      {
        port: o.port,
        hostname: o.hostname,
        ...(role === "admin" ? { adminPassword: password } : { userPassword: password }),
        metricsToken: o.metricsToken,
        loginHint: { type: "controlPort" },
      },
      servers.map((s) => ({ name: s.name, source: s.remote.source })),
      { portSetting: "--port" },
    );
    return {
      panel,
      role,
      async close() {
        await panel.close();
        await closeAll();
      },
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}

function lowestRole(roles: readonly ControlRole[]): "admin" | "user" {
  return roles.every((r) => r === "CPRAdmin") ? "admin" : "user";
}

/** Runs until SIGINT/SIGTERM; resolves to the exit code. */
export async function runServe(
  inv: ServeInvocation,
  password: string,
  out: (line: string) => void,
): Promise<number> {
  const running = await startServe(inv, password);
  out(
    `Web panel: ${
      panelUrl(running.panel, false)
    } (log in with the control port password; role ${running.role})`,
  );
  await untilShutdownSignal();
  await running.close();
  return 0;
}
