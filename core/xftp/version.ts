/**
 * XFTP protocol versions (FileTransfer/Transport.hs, xftp.md §1.3). The client handshake names one
 * version from the server's range; encoders take it where the wire changed.
 */
import type { VersionRange } from "../encoding/binary.ts";

export const XFTP_VERSION = {
  /** the initial protocol */
  initial: 1,
  /** X25519 authenticators over the handshake DH key as command authorization */
  authCmds: 2,
  /** ERR BLOCKED (earlier versions get ERR AUTH) */
  blockedFiles: 3,
} as const;

/** What the server advertises in its hello (`supportedFileServerVRange`). */
export const SERVER_XFTP_VERSIONS: VersionRange = { min: 1, max: 3 };
/** What a client supports. */
export const CLIENT_XFTP_VERSIONS: VersionRange = { min: 1, max: 3 };

/** The highest version both ranges share (the client's choice in §1.3), or undefined. */
export function negotiateXftpVersion(server: VersionRange, client: VersionRange): number | undefined {
  const max = Math.min(server.max, client.max);
  return max >= Math.max(server.min, client.min) ? max : undefined;
}
