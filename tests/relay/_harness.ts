/**
 * A relay under test with options a configuration file cannot set (quota, clock, TTLs), served
 * over real TLS sockets on loopback, and clients connected to it.
 */
import { Relay, type RelayOptions } from "../../relay/relay.ts";
import { SqliteRelayStore } from "../../relay/store/sqlite.ts";
import { generateIdentity } from "../../core/x509/identity.ts";
import { fingerprint } from "../../core/x509/fingerprint.ts";
import { dh, encodePrivateKeyDer, generateKeyPair, type KeyPair } from "../../core/crypto/keys.ts";
import type { SmpClient } from "../../core/smp/client.ts";
import { connectSmp, type ServiceCertificate } from "../../core/smp/connect.ts";
import { listen } from "../../core/tls/mod.ts";
import { RELAY_ALPN } from "../../relay/server.ts";
import type { BrokerMsg, QueueIds } from "../../core/smp/mod.ts";

export const identity = generateIdentity({ commonName: "localhost" });
export const relayIdentity = {
  keyHash: fingerprint(identity.ca.cert),
  chain: [identity.server.cert, identity.ca.cert],
  signKey: identity.server.key,
};

export interface Harness {
  readonly relay: Relay;
  readonly store: SqliteRelayStore;
  readonly dir: string;
  readonly port: number;
  connect(
    options?: { version?: number; alpn?: boolean; proxyServer?: boolean; service?: ServiceCertificate },
  ): Promise<SmpClient>;
  close(): Promise<void>;
}

/** A relay with the given options, served over real TLS on an ephemeral loopback port. */
export async function startRelay(options: Partial<RelayOptions> = {}, dir?: string): Promise<Harness> {
  dir ??= await Deno.makeTempDir({ prefix: "relay-test-" });
  const store = new SqliteRelayStore(`${dir}/relay.db`);
  const relay = new Relay({ store, identity: relayIdentity, notificationIntervalMs: 100, ...options });
  const listener = listen({
    port: 0,
    certificates: [{ chain: relayIdentity.chain, privateKey: encodePrivateKeyDer(relayIdentity.signKey) }],
    alpnProtocols: RELAY_ALPN,
    // as the relay server does by default (accept_service_credentials)
    requestClientCertificate: true,
  });
  const clients: SmpClient[] = [];
  const serving: Promise<void>[] = [];
  (async () => {
    for await (const conn of listener) {
      serving.push(relay.serve({
        sessionId: conn.sessionId,
        alpnNegotiated: conn.alpn !== undefined,
        peerCertificates: conn.peerCertificates,
        readExactly: (n) => conn.readExactly(n),
        write: (data) => conn.write(data),
        close: () => conn.close(),
      }));
    }
  })();
  const port = listener.addr.port;
  return {
    relay,
    store,
    dir,
    port,
    async connect(o = {}) {
      const client = await connectSmp({ keyHash: relayIdentity.keyHash, hosts: ["127.0.0.1"], port }, {
        versions: o.version ? { min: 6, max: o.version } : undefined,
        alpn: o.alpn === false ? [] : undefined,
        proxyServer: o.proxyServer,
        service: o.service,
      });
      clients.push(client);
      return client;
    },
    async close() {
      for (const c of clients) await c.close();
      listener.close();
      relay.close();
      await Promise.all(serving);
      store.close();
    },
  };
}

/** A recipient's keys for one queue. */
export interface TestQueue {
  readonly rcvKey: KeyPair<"Ed25519" | "Ed448" | "X25519">;
  readonly rcvDh: KeyPair<"X25519">;
  readonly ids: QueueIds;
  readonly rcvDhSecret: Uint8Array;
}

export async function createQueue(
  client: SmpClient,
  options: {
    mode?: "M" | "C";
    subMode?: "S" | "C";
    keyAlg?: "Ed25519" | "Ed448" | "X25519";
    basicAuth?: string;
  } = {},
): Promise<TestQueue> {
  const rcvKey = generateKeyPair(options.keyAlg ?? "Ed25519");
  const rcvDh = generateKeyPair("X25519");
  const r = await client.request(new Uint8Array(0), {
    type: "NEW",
    req: {
      rcvAuthKey: rcvKey.publicKey,
      rcvDhKey: rcvDh.publicKey,
      subMode: options.subMode ?? "S",
      queueReqData: { mode: options.mode ?? "M" },
      basicAuth: options.basicAuth ? new TextEncoder().encode(options.basicAuth) : undefined,
    },
  }, rcvKey.privateKey);
  if (r.type !== "IDS") throw new Error(`NEW failed: ${JSON.stringify(r)}`);
  return { rcvKey, rcvDh, ids: r.ids, rcvDhSecret: dh(r.ids.srvDhKey, rcvDh.privateKey) };
}

export const text = (s: string) => new TextEncoder().encode(s);
export const errType = (m: BrokerMsg) =>
  m.type === "ERR" ? (m.error.type === "CMD" ? `CMD ${m.error.error}` : m.error.type) : m.type;
