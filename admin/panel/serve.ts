/**
 * Serves the panel: beside a running server from its `[ADMIN]` section (port, bind address
 * 127.0.0.1 unless configured, passwords), or for `simplex admin serve` over control ports. With a
 * certificate and key it serves HTTPS and marks cookies Secure.
 */
import type { PanelConfig, PanelStarter, RunningPanel } from "../../core/server/panel_source.ts";
import { listening } from "../../core/server/listen.ts";
import { panelApp, type PanelServer } from "./app.ts";
import { LiveSampler } from "./samples.ts";

/** What differs between the panel a server runs and `simplex admin serve`'s. */
export interface PanelStartOptions {
  /** where the port was set, for the error when it is taken; default `[ADMIN] port` */
  readonly portSetting?: string;
  /** how often the live figures are read for the charts; default 5 s */
  readonly sampleIntervalMs?: number;
}

export async function startPanel(
  config: PanelConfig,
  servers: readonly PanelServer[],
  options: PanelStartOptions = {},
): Promise<RunningPanel> {
  if (!config.adminPassword && !config.userPassword) {
    throw new Error("[ADMIN] needs admin_password or user_password");
  }
  const hostname = config.hostname ?? "127.0.0.1";
  const tls = config.certFile !== undefined && config.keyFile !== undefined
    ? { cert: await Deno.readTextFile(config.certFile), key: await Deno.readTextFile(config.keyFile) }
    : undefined;
  const sampler = new LiveSampler(servers.map((s) => s.source), { intervalMs: options.sampleIntervalMs });
  const app = panelApp({
    sampler,
    servers,
    passwords: { admin: config.adminPassword, user: config.userPassword },
    loginHint: config.loginHint,
    metricsToken: config.metricsToken,
    secure: tls !== undefined,
  });
  const server = listening(
    config.port,
    options.portSetting ?? "[ADMIN] port",
    () => Deno.serve({ port: config.port, hostname, onListen: () => {}, ...tls }, app.fetch),
  );
  sampler.start();
  return {
    port: server.addr.port,
    hostname,
    close: async () => {
      await sampler.stop();
      await server.shutdown();
    },
  };
}

/** The same function, as the applications receive it from cli/main.ts. */
export const panelStarter: PanelStarter = startPanel;
