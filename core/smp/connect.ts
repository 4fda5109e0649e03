/**
 * Opening an SMP session to a relay: TLS 1.3 with ALPN `smp/1` and the SimpleX chain rule, then
 * the SMP handshake, giving an SmpClient.
 */
import { connect as tlsConnect, type TlsConnection } from "../tls/mod.ts";
import { validateChain } from "../x509/chain.ts";
import { smpClientHandshake } from "../transport/smp_handshake.ts";
import type { VersionRange } from "../encoding/binary.ts";
import { DEFAULT_SMP_PORT, type SmpServerAddress } from "./address.ts";
import { SmpClient } from "./client.ts";

export interface SmpConnectOptions {
  readonly versions?: VersionRange;
  /** connect as an SMP proxy (the relay's private-routing role) */
  readonly proxyServer?: boolean;
  /** ALPN to offer; `smp/1` by default */
  readonly alpn?: readonly string[];
}

export async function connectSmp(
  server: SmpServerAddress,
  options: SmpConnectOptions = {},
): Promise<SmpClient> {
  const tls: TlsConnection = await tlsConnect({
    hostname: server.hosts[0],
    port: server.port ?? DEFAULT_SMP_PORT,
    alpnProtocols: options.alpn ?? ["smp/1"],
    verifyServerChain: (chain) => void validateChain(chain, server.keyHash),
  });
  try {
    const stream = {
      readExactly: (n: number) => tls.readExactly(n),
      write: (data: Uint8Array) => tls.write(data),
      close: () => tls.close(),
    };
    const session = await smpClientHandshake(stream, {
      sessionId: tls.sessionId,
      keyHash: server.keyHash,
      tlsChain: tls.peerCertificates,
      versions: options.versions,
      proxyServer: options.proxyServer,
    });
    return new SmpClient(stream, session);
  } catch (e) {
    await tls.close().catch(() => {});
    throw e;
  }
}
