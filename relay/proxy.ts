/**
 * The relay's private-routing role (smp.md §4.9): for PRXY it opens (or reuses) an SMP session to
 * the destination relay as a proxy client and answers PKEY with that relay's signed key; for PFWD
 * it wraps the sender's encrypted transmission in RFWD under the proxy↔relay session secret and
 * passes the RRES back as PRES. The proxy never sees what it forwards.
 */
import { cbDecryptNoPad, cbEncryptNoPad, cbNonce, reverseNonce } from "../core/crypto/box.ts";
import { encodePublicKeyDer, randomBytes } from "../core/crypto/keys.ts";
import { decode, encode } from "../core/encoding/binary.ts";
import { bytesEqual, toHex } from "../core/encoding/bytes.ts";
import { connectSmp, type NetworkOptions } from "../core/smp/connect.ts";
import type { SmpClient } from "../core/smp/client.ts";
import {
  type BrokerError,
  type BrokerMsg,
  type Command,
  intersectVersions,
  PROXIED_SMP_VERSIONS,
  SMP_VERSION,
  type SmpError,
  type SmpServerRef,
} from "../core/smp/mod.ts";
import type { ProxyAgent } from "./relay.ts";
import type { ProxyOutcome, RelayStats } from "./stats.ts";

export interface ProxyOptions {
  readonly stats?: RelayStats;
  /** how long to wait for a destination relay to connect or answer */
  readonly timeoutMs?: number;
  /** `[PROXY]` socks_proxy, socks_mode, host_mode, required_host_mode */
  readonly network?: NetworkOptions;
  /** `[PROXY] own_server_domains`: relays under these domains also count in the `…Own` stats */
  readonly ownServerDomains?: readonly string[];
}

/** The reference's `isOwnServer`: the first host is one of the domains or under one. */
export function isOwnServer(hosts: readonly string[], domains: readonly string[]): boolean {
  const host = hosts[0];
  return host !== undefined && domains.some((d) => host === d || host.endsWith(`.${d}`));
}

const brokerError = (error: BrokerError): BrokerMsg => ({
  type: "ERR",
  error: { type: "PROXY", error: { type: "BROKER", error } },
});

export class RelayProxy implements ProxyAgent {
  /** destination "host:port:keyHash" → its session */
  readonly #byServer = new Map<string, Promise<SmpClient>>();
  /** proxy↔relay session id → its session, and whether the relay is one of ours */
  readonly #bySession = new Map<string, { readonly client: SmpClient; readonly own: boolean }>();

  constructor(readonly options: ProxyOptions = {}) {}

  /** Counts a request and its outcome in a group and, for our own relays, in its `…Own` twin. */
  #count(group: "pRelays" | "pMsgFwds", own: boolean, outcome: ProxyOutcome): void {
    const stats = this.options.stats;
    if (!stats) return;
    const groups = own ? [group, `${group}Own` as const] : [group];
    for (const g of groups) {
      stats.inc(g);
      stats.incProxy(g, outcome);
    }
  }

  async connect(cmd: Command & { type: "PRXY" }): Promise<BrokerMsg> {
    const own = isOwnServer(cmd.server.hosts, this.options.ownServerDomains ?? []);
    let relay: SmpClient;
    try {
      relay = await this.#session(cmd.server);
    } catch (e) {
      const error = connectionError(e);
      const temporary = error.type === "NETWORK" || error.type === "TIMEOUT" || error.type === "HOST";
      this.#count("pRelays", own, temporary ? "errorsConnect" : "errorsOther");
      return brokerError(error);
    }
    const versions = intersectVersions(relay.session.serverVersions, PROXIED_SMP_VERSIONS);
    if (!versions || relay.version < SMP_VERSION.sendingProxy) {
      this.#count("pRelays", own, "errorsCompat");
      return brokerError({ type: "TRANSPORT", error: { type: "VERSION" } });
    }
    const certKey = relay.session.serverCertKey;
    if (!certKey) {
      this.#count("pRelays", own, "errorsCompat");
      return brokerError({ type: "TRANSPORT", error: { type: "NO_AUTH" } });
    }
    this.#count("pRelays", own, "successes");
    return { type: "PKEY", sessionId: relay.session.sessionId, versions, certKey };
  }

  async forward(
    sessionId: Uint8Array,
    corrId: Uint8Array,
    cmd: Command & { type: "PFWD" },
  ): Promise<BrokerMsg> {
    const session = this.#bySession.get(toHex(sessionId));
    if (!session) {
      this.#count("pMsgFwds", false, "errorsConnect");
      return { type: "ERR", error: { type: "PROXY", error: { type: "NO_SESSION" } } };
    }
    const { client: relay, own } = session;
    // the destination's answer, even an error, is a success of the forwarding
    const answer = (outcome: ProxyOutcome, r: BrokerMsg) => {
      this.#count("pMsgFwds", own, outcome);
      return r;
    };
    const secret = relay.session.dhSecret;
    if (!secret) {
      return answer("errorsCompat", brokerError({ type: "TRANSPORT", error: { type: "NO_AUTH" } }));
    }
    const relayCorrId = randomBytes(24);
    const forwarded = encode((w) => {
      w.shortBytes(corrId).word16(cmd.version).shortBytes(encodePublicKeyDer(cmd.key)).bytes(
        cmd.encTransmission,
      );
    });
    let response: BrokerMsg;
    try {
      response = await withTimeout(
        relay.request(
          new Uint8Array(0),
          { type: "RFWD", encForward: cbEncryptNoPad(secret, cbNonce(relayCorrId), forwarded) },
          undefined,
          relayCorrId,
        ),
        this.options.timeoutMs ?? 30_000,
      );
    } catch (e) {
      return answer("errorsOther", brokerError(connectionError(e)));
    }
    // the destination's own error is a forwarding that worked, as the reference counts it
    if (response.type === "ERR") {
      const error = { type: "PROXY", error: { type: "PROTOCOL", error: response.error } } as const;
      return answer("successes", { type: "ERR", error });
    }
    if (response.type !== "RRES") {
      return answer("errorsOther", brokerError({ type: "UNEXPECTED", message: response.type }));
    }
    const opened = cbDecryptNoPad(secret, reverseNonce(cbNonce(relayCorrId)), response.encResponse);
    if (!opened.ok) {
      return answer("errorsOther", brokerError({ type: "RESPONSE", message: "cannot decrypt" }));
    }
    const fr = decode(opened.value, (r) => ({ corrId: r.shortBytes().slice(), r2: r.tail().slice() }));
    if (!fr.ok || !bytesEqual(fr.value.corrId, corrId)) {
      return answer("errorsOther", brokerError({ type: "RESPONSE", message: "bad forwarded response" }));
    }
    return answer("successes", { type: "PRES", encResponse: fr.value.r2 });
  }

  #session(server: SmpServerRef): Promise<SmpClient> {
    const key = `${server.hosts.join(",")}:${server.port}:${toHex(server.keyHash)}`;
    let session = this.#byServer.get(key);
    if (!session) {
      session = withTimeout(
        connectSmp(
          {
            hosts: server.hosts,
            port: server.port ? Number(server.port) : undefined,
            keyHash: server.keyHash,
          },
          { proxyServer: true, network: this.options.network },
        ),
        this.options.timeoutMs ?? 30_000,
      );
      this.#byServer.set(key, session);
      session.then((client) => {
        const own = isOwnServer(server.hosts, this.options.ownServerDomains ?? []);
        this.#bySession.set(toHex(client.session.sessionId), { client, own });
        client.done.finally(() => {
          this.#byServer.delete(key);
          this.#bySession.delete(toHex(client.session.sessionId));
        });
      }, () => this.#byServer.delete(key));
    }
    return session;
  }

  async close(): Promise<void> {
    const sessions = [...this.#byServer.values()];
    this.#byServer.clear();
    this.#bySession.clear();
    await Promise.allSettled(sessions.map(async (s) => (await s).close()));
  }
}

function connectionError(e: unknown): BrokerError {
  const name = (e as Error)?.name;
  if (name === "TimeoutError") return { type: "TIMEOUT" };
  if (name === "HandshakeFailure") {
    const error = (e as { error?: SmpError & { type: string } }).error;
    if (error && ["BLOCK", "VERSION", "LARGE_MSG", "SESSION", "NO_AUTH", "HANDSHAKE"].includes(error.type)) {
      return { type: "TRANSPORT", error: error as never };
    }
  }
  if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.AddrNotAvailable) return { type: "HOST" };
  if (name === "IncompatibleHostError") return { type: "HOST" };
  return { type: "NETWORK" };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DOMException("timed out", "TimeoutError")), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
