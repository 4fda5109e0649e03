/**
 * SMP relay protocol versions and the wire changes each one brings (smp.md §2.4).
 * Encoders and parsers take the negotiated version and switch layouts at these thresholds.
 */
import type { VersionRange } from "../encoding/binary.ts";

export const SMP_VERSION = {
  /** baseline: binary encoding, batching, basic auth; sessionId sent in every transmission */
  batchCommands: 6,
  /** X25519 authenticators, sessionId implied (signed, not sent), server key in the hello */
  authCommands: 7,
  /** private message routing: PRXY/PKEY/PFWD/PRES/RFWD/RRES */
  sendingProxy: 8,
  /** sender-secured queues: SKEY, NEW/IDS carry sndSecure */
  senderAuthKey: 9,
  /** DELD instead of END when a queue is deleted by another connection */
  deletedEvent: 10,
  /** transport block encryption */
  encryptedBlock: 11,
  /** ERR BLOCKED (earlier: ERR AUTH) */
  blockedEntity: 12,
  /** proxy flag in the client hello */
  proxyServerHandshake: 14,
  /** short links: queue request data, LSET/LDEL/LKEY/LGET/LNK */
  shortLinks: 15,
  /** service certificates: service field in the hello, SOK, SUBS/NSUBS */
  serviceCerts: 16,
  /** notifier credentials in NEW/IDS */
  newNotifierCredentials: 17,
  /** ERR BLOCKED carries a client notice */
  clientNotices: 18,
} as const;

/** What a relay advertises when ALPN was negotiated. */
export const SERVER_SMP_VERSIONS: VersionRange = { min: 6, max: 18 };
/** What a relay advertises to a client that negotiated no ALPN (legacy clients). */
export const LEGACY_SMP_VERSIONS: VersionRange = { min: 6, max: 6 };
/** The range a proxy uses towards a destination relay (`proxiedSMPRelayVersion`). */
export const PROXIED_SMP_VERSIONS: VersionRange = { min: 8, max: 17 };

/** Largest SEND body at a version (`maxMessageLength`). */
export function maxMessageLength(version: number): number {
  if (version >= SMP_VERSION.encryptedBlock) return 16048;
  if (version >= SMP_VERSION.sendingProxy) return 16064;
  return 16088;
}

export function intersectVersions(a: VersionRange, b: VersionRange): VersionRange | undefined {
  const min = Math.max(a.min, b.min);
  const max = Math.min(a.max, b.max);
  return min <= max ? { min, max } : undefined;
}
