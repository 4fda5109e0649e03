/**
 * A relay over in-memory block streams, for protocol tests that do not need sockets
 * (tests/relay/*_tls_test.ts run the same flows over real TLS).
 */
import { Relay, type RelayOptions } from "../../relay/relay.ts";
import { SqliteRelayStore } from "../../relay/store/sqlite.ts";
import { generateIdentity } from "../../core/x509/identity.ts";
import { fingerprint } from "../../core/x509/fingerprint.ts";
import { dh, generateKeyPair, type KeyPair, randomBytes } from "../../core/crypto/keys.ts";
import { smpClientHandshake } from "../../core/transport/smp_handshake.ts";
import { SmpClient } from "../../core/smp/client.ts";
import type { BrokerMsg, QueueIds } from "../../core/smp/mod.ts";
import { memoryPipe } from "../_util/pipe.ts";

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
  connect(options?: { version?: number; alpn?: boolean; proxyServer?: boolean }): Promise<SmpClient>;
  close(): Promise<void>;
}

export async function startRelay(options: Partial<RelayOptions> = {}, dir?: string): Promise<Harness> {
  dir ??= await Deno.makeTempDir({ prefix: "relay-test-" });
  const store = new SqliteRelayStore(`${dir}/relay.db`);
  const relay = new Relay({ store, identity: relayIdentity, notificationIntervalMs: 100, ...options });
  const clients: SmpClient[] = [];
  const serving: Promise<void>[] = [];
  return {
    relay,
    store,
    dir,
    async connect(o = {}) {
      const [serverEnd, clientEnd] = memoryPipe();
      const sessionId = randomBytes(32);
      serving.push(relay.serve({ ...serverEnd, sessionId, alpnNegotiated: o.alpn ?? true }));
      const session = await smpClientHandshake(clientEnd, {
        sessionId,
        keyHash: relayIdentity.keyHash,
        tlsChain: relayIdentity.chain,
        versions: o.version ? { min: 6, max: o.version } : undefined,
        proxyServer: o.proxyServer,
      });
      const client = new SmpClient(clientEnd, session);
      clients.push(client);
      return client;
    },
    async close() {
      for (const c of clients) await c.close();
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
