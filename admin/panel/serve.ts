/**
 * Serves the panel beside a running server: the `[ADMIN]` section's port, bind address (127.0.0.1
 * unless configured) and passwords. With `cert` and `key` it serves HTTPS and marks cookies Secure.
 */
import { panelApp } from "./app.ts";
import type { PanelSource } from "./source.ts";

export interface PanelConfig {
  readonly port: number;
  /** default 127.0.0.1: the panel is for operators, reached over SSH or a reverse proxy */
  readonly hostname?: string;
  readonly adminPassword?: string;
  readonly userPassword?: string;
  readonly metricsToken?: string;
  /** PEM certificate chain and key, to serve over TLS */
  readonly cert?: string;
  readonly key?: string;
}

export interface RunningPanel {
  readonly port: number;
  readonly hostname: string;
  close(): Promise<void>;
}

export function startPanel(config: PanelConfig, source: PanelSource): RunningPanel {
  if (!config.adminPassword && !config.userPassword) {
    throw new Error("[ADMIN] needs admin_password or user_password");
  }
  const hostname = config.hostname ?? "127.0.0.1";
  const secure = config.cert !== undefined && config.key !== undefined;
  const app = panelApp({
    source,
    passwords: { admin: config.adminPassword, user: config.userPassword },
    metricsToken: config.metricsToken,
    secure,
  });
  const server = Deno.serve({
    port: config.port,
    hostname,
    onListen: () => {},
    ...(secure ? { cert: config.cert, key: config.key } : {}),
  }, app.fetch);
  return { port: server.addr.port, hostname, close: () => server.shutdown() };
}
