/**
 * A running relay: the TLS listeners on every configured port, the relay itself, its store and
 * its periodic jobs (expiry, inactive clients, notifications), and a clean shutdown.
 */
import { listen, type TlsConnection, type TlsListener } from "../core/tls/mod.ts";
import { encodePrivateKeyDer } from "../core/crypto/keys.ts";
import { Relay, type RelayIdentity } from "./relay.ts";
import { SqliteRelayStore } from "./store/sqlite.ts";
import { RelayStats } from "./stats.ts";
import type { RelayConfig } from "./config.ts";
import { RelayProxy } from "./proxy.ts";

/** The protocols a relay port answers: SMP, and http/1.1 which apps use on a shared port 443. */
export const RELAY_ALPN = ["smp/1", "http/1.1"];

export interface RunningRelay {
  readonly relay: Relay;
  readonly ports: readonly number[];
  close(): Promise<void>;
}

export interface StartOptions {
  readonly config: RelayConfig;
  readonly identity: RelayIdentity;
  /** listen address; the reference listens on all interfaces */
  readonly hostname?: string;
  readonly log?: (line: string) => void;
}

const HOUR = 3600_000;

export function startRelayServer(o: StartOptions): RunningRelay {
  const { config } = o;
  const log = o.log ?? ((line: string) => console.log(line));
  const store = new SqliteRelayStore(config.persistence ? `${config.logDir}/smp-server.db` : ":memory:");
  const stats = new RelayStats();
  const proxy = new RelayProxy({ stats });
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
  const listeners: TlsListener[] = [];
  const serving = new Set<Promise<void>>();
  for (const port of config.ports) {
    const listener = listen({
      port,
      hostname: o.hostname ?? "0.0.0.0",
      certificates: [certificate],
      alpnProtocols: RELAY_ALPN,
      // the reference requests no client certificate unless it accepts service clients
      handshakeTimeout: 60_000,
      onHandshakeError: (e) => {
        if (config.logTlsErrors) log(`TLS handshake failed: ${e.message}`);
      },
    });
    listeners.push(listener);
    acceptLoop(listener);
  }

  async function acceptLoop(listener: TlsListener): Promise<void> {
    for await (const conn of listener) {
      if (config.maxConnections > 0 && relay.clientCount >= config.maxConnections) {
        conn.close().catch(() => {});
        continue;
      }
      // a client that sent SNI is a browser looking for the server's website, which this relay does not serve
      if (conn.sni !== undefined) {
        conn.close().catch(() => {});
        continue;
      }
      const done = relay.serve(relayConnection(conn));
      serving.add(done);
      done.finally(() => serving.delete(done));
    }
  }

  return {
    relay,
    ports: listeners.map((l) => l.addr.port),
    async close() {
      for (const t of timers) clearInterval(t);
      for (const l of listeners) l.close();
      relay.close();
      await proxy.close();
      await Promise.allSettled([...serving]);
      store.close();
    },
  };
}

function relayConnection(conn: TlsConnection) {
  return {
    sessionId: conn.sessionId,
    alpnNegotiated: conn.alpn !== undefined,
    readExactly: (n: number) => conn.readExactly(n),
    write: (data: Uint8Array) => conn.write(data),
    close: () => conn.close(),
  };
}
