/**
 * The per-connection XFTP handshake (Server.hs `xftpServerHandshakeV1`, xftp.md §1.3): a state per
 * TLS session ID, moved by hello requests (native: empty body; web: padded challenge with the
 * `xftp-web-hello` header) and client handshakes, until requests are commands at the agreed
 * version. Handshake errors are bare padded tags, not transmissions.
 */
import { encodeBase64Url } from "../core/encoding/base64.ts";
import { constantTimeEqual } from "../core/encoding/bytes.ts";
import type { VersionRange } from "../core/encoding/binary.ts";
import { generateKeyPair, type PrivateKey, publicKeyOf } from "../core/crypto/keys.ts";
import {
  createServerHello,
  encodeHandshakeError,
  encodeServerHello,
  parseClientHandshake,
  parseWebHello,
  SERVER_XFTP_VERSIONS,
  XFTP_BLOCK_SIZE,
  xftpError,
} from "../core/xftp/mod.ts";
import type { ServerIdentity } from "../core/server/identity_files.ts";

/**
 * The handshake always sends the XFTP chain ([server.crt, ca.crt]), even when TLS used the web
 * certificate; the online key signs the DH key and the web identity proof.
 */
export type XftpIdentity = ServerIdentity;

type SessionState =
  | { readonly type: "sent"; readonly key: PrivateKey<"X25519"> }
  | { readonly type: "accepted"; readonly version: number; readonly key: PrivateKey<"X25519"> };

export interface HandshakeRequest {
  readonly sessionId: Uint8Array;
  /** the client sent SNI and the server has a web credential */
  readonly sniUsed: boolean;
  /** `xftp-web-hello` header (counts only with SNI) */
  readonly webHello: boolean;
  /** `xftp-handshake` header (counts only with SNI) */
  readonly webHandshake: boolean;
  readonly head: Uint8Array;
}

export type HandshakeOutcome =
  /** answer with this body (possibly empty) and stop */
  | { readonly type: "reply"; readonly body: Uint8Array }
  /** the session is established: process the request as a command */
  | { readonly type: "command"; readonly version: number; readonly serverDhKey: PrivateKey<"X25519"> };

class HandshakeError extends Error {}

const EMPTY = new Uint8Array(0);

/** `pad(tag)`: how handshake-level errors are sent (`SESSION`, `HANDSHAKE`). */
export function paddedError(tag: "SESSION" | "HANDSHAKE"): Uint8Array {
  return encodeHandshakeError(xftpError(tag));
}

export class XftpHandshakes {
  readonly #sessions = new Map<string, SessionState>();

  constructor(readonly identity: XftpIdentity, readonly versions: VersionRange = SERVER_XFTP_VERSIONS) {}

  /** Forgets a closed connection. */
  drop(sessionId: Uint8Array): void {
    this.#sessions.delete(encodeBase64Url(sessionId));
  }

  get size(): number {
    return this.#sessions.size;
  }

  handle(req: HandshakeRequest): HandshakeOutcome {
    const id = encodeBase64Url(req.sessionId);
    const state = this.#sessions.get(id);
    const webHello = req.sniUsed && req.webHello;
    const webHandshake = req.sniUsed && req.webHandshake;
    try {
      if (!state) {
        if (req.sniUsed && !webHello) return { type: "reply", body: paddedError("SESSION") };
        return this.#hello(id, req, undefined);
      }
      if (state.type === "sent") {
        return webHello ? this.#hello(id, req, state.key) : this.#clientHandshake(id, req, state.key);
      }
      if (webHello) return this.#hello(id, req, state.key);
      if (webHandshake) return this.#clientHandshake(id, req, state.key);
      return { type: "command", version: state.version, serverDhKey: state.key };
    } catch (e) {
      if (!(e instanceof HandshakeError)) throw e;
      return { type: "reply", body: paddedError("HANDSHAKE") };
    }
  }

  #hello(id: string, req: HandshakeRequest, key: PrivateKey<"X25519"> | undefined): HandshakeOutcome {
    let challenge: Uint8Array | undefined;
    if (req.head.length > 0) {
      const hello = req.sniUsed ? parseWebHello(req.head) : undefined;
      if (!hello?.ok) throw new HandshakeError();
      challenge = hello.value.challenge;
    }
    const current = this.#sessions.get(id);
    const dhKey = current?.type === "sent" ? current.key : key ?? generateKeyPair("X25519").privateKey;
    this.#sessions.set(id, { type: "sent", key: dhKey });
    const hello = createServerHello({
      versions: this.versions,
      sessionId: req.sessionId,
      certChain: this.identity.chain,
      leafKey: this.identity.signKey,
      dhKey: publicKeyOf(dhKey),
      challenge,
    });
    return { type: "reply", body: encodeServerHello(hello) };
  }

  #clientHandshake(id: string, req: HandshakeRequest, key: PrivateKey<"X25519">): HandshakeOutcome {
    if (req.head.length !== XFTP_BLOCK_SIZE) throw new HandshakeError();
    const parsed = parseClientHandshake(req.head);
    if (!parsed.ok) throw new HandshakeError();
    const { version, keyHash } = parsed.value;
    if (!constantTimeEqual(keyHash, this.identity.keyHash)) throw new HandshakeError();
    if (version < this.versions.min || version > this.versions.max) throw new HandshakeError();
    this.#sessions.set(id, { type: "accepted", version, key });
    return { type: "reply", body: EMPTY };
  }
}
