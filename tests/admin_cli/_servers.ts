/**
 * A relay and an XFTP server with control ports (admin password `adminpw`, user password
 * `userpw`), served on loopback, for the admin client and CLI tests.
 */
import { startRelayServer } from "../../relay/server.ts";
import { parseRelayConfig } from "../../relay/config.ts";
import { connectSmp } from "../../core/smp/connect.ts";
import type { SmpClient } from "../../core/smp/client.ts";
import { parseXftpConfig } from "../../xftp/config.ts";
import { startXftpService } from "../../xftp/service.ts";
import { relayIdentity } from "../relay/_harness.ts";
import { xftpIdentity } from "../xftp_server/_harness.ts";
import { TestClient } from "../xftp_server/_client.ts";
import { startPanel } from "../../admin/panel/serve.ts";
import { adminCommandWith, type AdminIo } from "../../admin/cli.ts";
import { main } from "../../core/cli/dispatch.ts";
import { VERSION } from "../../core/version.ts";

export interface ServerOptions {
  /** run the web panel in the server, as `[ADMIN]` does */
  readonly panel?: boolean;
  /** how often the panel reads the live figures for its charts (default 5 s) */
  readonly sampleIntervalMs?: number;
}

export const ADMIN_PASSWORD = "adminpw";
export const USER_PASSWORD = "userpw";
const AUTH =
  `[AUTH]\ncontrol_port_admin_password = ${ADMIN_PASSWORD}\ncontrol_port_user_password = ${USER_PASSWORD}\n`;

export interface TestRelay {
  readonly controlAddress: string;
  /** `http://127.0.0.1:<port>` when started with the panel */
  readonly panelOrigin?: string;
  connect(): Promise<SmpClient>;
  close(): Promise<void>;
}

/** `[ADMIN]` on a free port, with the control port's passwords. */
const PANEL = "[ADMIN]\nport = 0\n";

/** Writes the INI file where the server would read it (the panel names it) and parses it. */
async function iniFile<T>(path: string, text: string, parse: (text: string, path: string) => T): Promise<T> {
  await Deno.writeTextFile(path, text);
  return parse(text, path);
}

export async function startTestRelay(o: ServerOptions = {}): Promise<TestRelay> {
  const dir = await Deno.makeTempDir({ prefix: "admin-relay-" });
  const text = `${AUTH}[TRANSPORT]\nport = 1\ncontrol_port = 1\n${o.panel ? PANEL : ""}`;
  const paths = { cfgDir: dir, logDir: dir };
  const config = await iniFile(`${dir}/smp-server.ini`, text, (t, path) => parseRelayConfig(t, paths, path));
  const running = await startRelayServer({
    config: { ...config, ports: [0], controlPort: 0 },
    identity: relayIdentity,
    hostname: "127.0.0.1",
    log: () => {},
    startPanel: (config, servers) => startPanel(config, servers, { sampleIntervalMs: o.sampleIntervalMs }),
  });
  const clients: SmpClient[] = [];
  return {
    controlAddress: `127.0.0.1:${running.controlPort}`,
    panelOrigin: running.panel && `http://127.0.0.1:${running.panel.port}`,
    async connect() {
      const c = await connectSmp({
        keyHash: relayIdentity.keyHash,
        hosts: ["127.0.0.1"],
        port: running.ports[0],
      });
      clients.push(c);
      return c;
    },
    async close() {
      for (const c of clients) await c.close();
      await running.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

export interface TestXftp {
  readonly controlAddress: string;
  /** `http://127.0.0.1:<port>` when started with the panel */
  readonly panelOrigin?: string;
  connect(): Promise<TestClient>;
  close(): Promise<void>;
}

export async function startTestXftp(o: ServerOptions = {}): Promise<TestXftp> {
  const dir = await Deno.makeTempDir({ prefix: "admin-xftp-" });
  const text = `${AUTH}[TRANSPORT]\nport: 1\n[FILES]\npath: ${dir}/files\nstorage_quota: 1gb\n` +
    (o.panel ? PANEL : "");
  const paths = { cfgDir: dir, logDir: `${dir}/log` };
  const parsed = await iniFile(`${dir}/file-server.ini`, text, (t, path) => parseXftpConfig(t, paths, path));
  const config = { ...parsed, port: 0, controlPort: 0 };
  const s = await startXftpService({
    config,
    identity: xftpIdentity,
    hostname: "127.0.0.1",
    log: () => {},
    startPanel: (config, servers) => startPanel(config, servers, { sampleIntervalMs: o.sampleIntervalMs }),
  });
  const clients: TestClient[] = [];
  return {
    controlAddress: `127.0.0.1:${s.controlPort}`,
    panelOrigin: s.panel && `http://127.0.0.1:${s.panel.port}`,
    async connect() {
      const c = await TestClient.connect(s.server.port);
      await c.handshake();
      clients.push(c);
      return c;
    },
    async close() {
      await Promise.allSettled(clients.map((c) => c.close()));
      await s.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** An address where nothing listens: a port just closed. */
export function closedAddress(): string {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return `127.0.0.1:${port}`;
}

export interface AdminRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/**
 * `simplex admin ARGS` in process, through the dispatcher as `simplex` runs it: what it printed and
 * its exit code. `env` is its environment; there is no terminal to ask for a password at.
 */
export async function runAdmin(args: string[], env: Record<string, string> = {}): Promise<AdminRun> {
  const out: string[] = [], err: string[] = [];
  const io: AdminIo = {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    env: (name) => env[name],
    promptPassword: () => Promise.resolve(undefined),
  };
  const code = await main(["admin", ...args], [adminCommandWith(io)], VERSION, io);
  return { code, out: out.join("\n"), err: err.join("\n") };
}
