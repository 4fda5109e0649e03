/**
 * Opening an SMP session to a relay: TLS 1.3 with ALPN `smp/1` and the SimpleX chain rule, then
 * the SMP handshake, giving an SmpClient.
 */
import { connect as tlsConnect, connectOver, type TlsConnection } from "../tls/mod.ts";
import { socks5Connect, type SocksProxy } from "../transport/socks5.ts";
import { validateChain } from "../x509/chain.ts";
import { type ServiceCertificate, smpClientHandshake } from "../transport/smp_handshake.ts";
import { encodePrivateKeyDer, generateKeyPair } from "../crypto/keys.ts";

export type { ServiceCertificate };
import type { VersionRange } from "../encoding/binary.ts";
import { DEFAULT_SMP_PORT, type SmpServerAddress } from "./address.ts";
import { SmpClient } from "./client.ts";

export interface SmpConnectOptions {
  readonly versions?: VersionRange;
  /** connect as an SMP proxy (the relay's private-routing role) */
  readonly proxyServer?: boolean;
  /** ALPN to offer; `smp/1` by default */
  readonly alpn?: readonly string[];
  readonly network?: NetworkOptions;
  /** connect as a service (v16+, smp.md §2.6), when the relay requests a client certificate */
  readonly service?: ServiceCertificate;
}

/** How to reach relays (the reference's `[PROXY]` keys and NetworkConfig). */
export interface NetworkOptions {
  /** `socks_proxy`: connect through this SOCKS5 proxy (Tor) */
  readonly socksProxy?: SocksProxy;
  /** `socks_mode`: through the proxy only for `.onion` hosts (default), or always */
  readonly socksMode?: "onion" | "always";
  /** `host_mode`: of a relay's hosts, prefer the public one (default) or the onion one (with a proxy) */
  readonly hostMode?: "public" | "onion";
  /** `required_host_mode`: fail instead of falling back to the first host */
  readonly requiredHostMode?: boolean;
}

export class IncompatibleHostError extends Error {
  override name = "IncompatibleHostError";
}

const isOnion = (host: string) => /\.onion$/i.test(host);

/** The host to connect to, as the reference's `chooseTransportHost` picks it. */
export function chooseHost(hosts: readonly string[], n: NetworkOptions = {}): string {
  const onion = hosts.find(isOnion);
  const publicHost = hosts.find((h) => !isOnion(h));
  const preferred = n.hostMode === "onion" && n.socksProxy ? onion : publicHost;
  if (preferred !== undefined) return preferred;
  if (n.requiredHostMode || hosts.length === 0) {
    throw new IncompatibleHostError(`none of the relay's hosts (${hosts.join(", ")}) fits host_mode`);
  }
  return hosts[0];
}

export async function connectSmp(
  server: SmpServerAddress,
  options: SmpConnectOptions = {},
): Promise<SmpClient> {
  const n = options.network ?? {};
  const host = chooseHost(server.hosts, n);
  const port = server.port ?? DEFAULT_SMP_PORT;
  const service = options.service;
  const tlsOptions = {
    alpnProtocols: options.alpn ?? ["smp/1"],
    verifyServerChain: (chain: Uint8Array[]) => void validateChain(chain, server.keyHash),
    certificate: service && { chain: service.chain, privateKey: encodePrivateKeyDer(service.privateKey) },
  };
  const viaSocks = n.socksProxy !== undefined && (n.socksMode === "always" || isOnion(host));
  const tls: TlsConnection = viaSocks
    ? await connectOver(await socks5Connect(n.socksProxy!, host, port), tlsOptions)
    : await tlsConnect({ hostname: host, port, ...tlsOptions });
  try {
    const stream = {
      readExactly: (n: number) => tls.readExactly(n),
      write: (data: Uint8Array) => tls.write(data),
      close: () => tls.close(),
    };
    const credentials = service && { ...service, sessionKey: generateKeyPair("Ed25519") };
    const session = await smpClientHandshake(stream, {
      sessionId: tls.sessionId,
      keyHash: server.keyHash,
      tlsChain: tls.peerCertificates,
      versions: options.versions,
      proxyServer: options.proxyServer,
      service: credentials,
      certificateSent: tls.certificateSent,
    });
    return new SmpClient(stream, session, session.service && credentials?.sessionKey.privateKey);
  } catch (e) {
    await tls.close().catch(() => {});
    throw e;
  }
}
