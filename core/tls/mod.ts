/**
 * TLS 1.3 for the SimpleX transport profile (RFC 8446): ChaCha20-Poly1305 and AES-128-GCM,
 * X25519/X448 with HelloRetryRequest, Ed25519/Ed448 (and server-side ECDSA P-256) certificates,
 * ALPN, SNI, optional client certificates, KeyUpdate; no PSK, resumption or 0-RTT.
 *
 * The session identifier of a connection is the client's Finished verify_data (smp.md §1.3).
 *
 * @example
 * ```ts
 * const server = listen({ port: 0, certificates: [{ chain, privateKey }], alpnProtocols: ["smp/1"] });
 * const client = await connect({ hostname: "127.0.0.1", port: server.addr.port, alpnProtocols: ["smp/1"],
 *   verifyServerChain: (chain) => validateChain(chain, keyHash) });
 * const block = await client.readExactly(16384);
 * ```
 */
export { connect, type ConnectOptions, listen, type ListenOptions, TlsListener } from "./net.ts";
export {
  acceptOver,
  type ByteTransport,
  type ConnectionOptions,
  connectOver,
  TlsConnection,
} from "./connection.ts";
export { AlertDescription, alertName, TlsError, type TlsErrorCode } from "./errors.ts";
export { ClientEngine, type ClientEngineOptions } from "./_client.ts";
export { type ServerCertificate, ServerEngine, type ServerEngineOptions } from "./_server.ts";
export type { TlsEngine } from "./_engine.ts";
export type { CipherSuiteName } from "./_cipher_suite.ts";
export type { GroupName } from "./_key_share.ts";
export { SignatureScheme } from "./_signature.ts";
