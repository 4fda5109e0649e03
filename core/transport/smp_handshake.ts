/**
 * The SMP handshake over a TLS connection (Transport.hs `smpServerHandshake`/`smpClientHandshake`,
 * smp.md §2): the server sends its hello with a per-connection X25519 key signed by its online
 * certificate, the client answers with the version it chose, the server identity it expects and
 * its own X25519 key; from then on blocks are encrypted when the version and keys allow.
 */
import { constantTimeEqual, packBytes } from "../encoding/bytes.ts";
import {
  dh,
  generateKeyPair,
  type KeyPair,
  type PrivateKey,
  privateKey,
  type PublicKey,
  publicKey,
  type SignatureAlgorithm,
} from "../crypto/keys.ts";
import { validateChain } from "../x509/chain.ts";
import { parseCertificate } from "../x509/certificate.ts";
import { ChainError, X509Error } from "../x509/errors.ts";
import {
  encodeClientHello,
  encodeServerHello,
  parseClientHello,
  parseServerHello,
  signSessionKey,
  verifySessionKey,
} from "../smp/handshake.ts";
import { LEGACY_SMP_VERSIONS, SERVER_SMP_VERSIONS, SMP_VERSION } from "../smp/version.ts";
import type { TransportError } from "../smp/errors.ts";
import { type VersionRange, Writer } from "../encoding/binary.ts";
import { writeTransportError } from "../smp/errors.ts";
import { BLOCK_SIZE, type BlockFraming, encryptedFraming, PlainFraming } from "./block.ts";
import { pad, PaddingError, unpad } from "../encoding/padding.ts";

/** What the handshake needs of a connection: exact reads of whole blocks, writes, close. */
export interface BlockStream {
  readExactly(n: number): Promise<Uint8Array>;
  write(data: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export class HandshakeFailure extends Error {
  override name = "HandshakeFailure";
  constructor(readonly error: TransportError, detail?: string) {
    super(detail ? `${error.type}${"error" in error ? ` ${error.error}` : ""}: ${detail}` : error.type);
  }
}

export interface SmpSession {
  readonly version: number;
  readonly sessionId: Uint8Array;
  readonly framing: BlockFraming;
  /** X25519(peer hello key, own session key): keys block encryption, authenticators and RFWD */
  readonly dhSecret?: Uint8Array;
  /** this side's per-connection X25519 pair (the server's signed key, or the client's hello key) */
  readonly sessionKey: KeyPair<"X25519">;
  /** the peer's X25519 key from its hello, when it sent one */
  readonly peerSessionKey?: PublicKey<"X25519">;
  /** the client connected as an SMP proxy (v14+ flag) */
  readonly proxyServer: boolean;
}

async function readHandshakeBlock(stream: BlockStream): Promise<Uint8Array> {
  const block = await stream.readExactly(BLOCK_SIZE);
  try {
    return unpad(block);
  } catch (e) {
    if (e instanceof PaddingError) {
      throw new HandshakeFailure({ type: "HANDSHAKE", error: "PARSE" }, e.message);
    }
    throw e;
  }
}

function blockEncryption(version: number, proxyServer: boolean, dhSecret: Uint8Array | undefined): boolean {
  return version >= SMP_VERSION.encryptedBlock && dhSecret !== undefined && !proxyServer;
}

export interface ServerHandshakeOptions {
  /** the client's TLS Finished verify_data */
  readonly sessionId: Uint8Array;
  /** whether TLS negotiated an ALPN protocol; without one only v6 is offered */
  readonly alpnNegotiated: boolean;
  /** this server's identity: SHA-256 of its identity certificate */
  readonly keyHash: Uint8Array;
  /** the TLS chain, leaf first */
  readonly chain: readonly Uint8Array[];
  /** the online (leaf) certificate's key, which signs the session key */
  readonly signKey: PrivateKey<SignatureAlgorithm>;
  readonly versions?: VersionRange;
}

export async function smpServerHandshake(
  stream: BlockStream,
  o: ServerHandshakeOptions,
): Promise<SmpSession> {
  const sessionKey = generateKeyPair("X25519");
  const versions = o.alpnNegotiated ? (o.versions ?? SERVER_SMP_VERSIONS) : LEGACY_SMP_VERSIONS;
  const certKey = { chain: o.chain, signedKey: signSessionKey(sessionKey.publicKey, o.signKey) };
  await stream.write(pad(encodeServerHello({ versions, sessionId: o.sessionId, certKey }), BLOCK_SIZE));
  const parsed = parseClientHello(await readHandshakeBlock(stream));
  if (!parsed.ok) throw new HandshakeFailure({ type: "HANDSHAKE", error: "PARSE" }, parsed.error.message);
  const hello = parsed.value;
  if (!constantTimeEqual(hello.keyHash, o.keyHash)) {
    throw new HandshakeFailure({ type: "HANDSHAKE", error: "IDENTITY" }, "the client expects another server");
  }
  if (hello.version < versions.min || hello.version > versions.max) {
    throw new HandshakeFailure({ type: "VERSION" }, `client version ${hello.version}`);
  }
  if (hello.service) {
    // service clients must present the same chain in TLS, and this relay does not ask for one
    const error: TransportError = { type: "HANDSHAKE", error: "BAD_AUTH" };
    const w = new Writer(32).ascii("E");
    writeTransportError(w, error);
    await stream.write(pad(w.finish(), BLOCK_SIZE));
    throw new HandshakeFailure(error, "service certificate not presented in TLS");
  }
  const dhSecret = hello.dhKey ? dh(hello.dhKey, sessionKey.privateKey) : undefined;
  const framing = blockEncryption(hello.version, hello.proxyServer, dhSecret)
    ? encryptedFraming("server", o.sessionId, dhSecret!)
    : new PlainFraming();
  return {
    version: hello.version,
    sessionId: o.sessionId,
    framing,
    proxyServer: hello.proxyServer,
    ...compactKeys(sessionKey, hello.dhKey, dhSecret),
  };
}

/**
 * A connection's keys for as long as it lasts, in one buffer, as fresh key objects: the Node key
 * objects the handshake created for the DH are not kept (the first X25519 authenticator makes
 * its own). An idle connection is mostly these.
 */
function compactKeys(
  own: KeyPair<"X25519">,
  peer: PublicKey<"X25519"> | undefined,
  dhSecret: Uint8Array | undefined,
): Pick<SmpSession, "sessionKey" | "peerSessionKey" | "dhSecret"> {
  const [ownPublic, ownPrivate, peerRaw, secret] = packBytes(
    own.publicKey.raw,
    own.privateKey.raw,
    peer?.raw ?? new Uint8Array(0),
    dhSecret ?? new Uint8Array(0),
  );
  return {
    sessionKey: { publicKey: publicKey("X25519", ownPublic), privateKey: privateKey("X25519", ownPrivate) },
    peerSessionKey: peer && publicKey("X25519", peerRaw),
    dhSecret: dhSecret && secret,
  };
}

export interface ClientHandshakeOptions {
  /** the client's own TLS Finished verify_data */
  readonly sessionId: Uint8Array;
  /** the server identity from its address */
  readonly keyHash: Uint8Array;
  /** the chain the server presented in TLS, leaf first */
  readonly tlsChain: readonly Uint8Array[];
  readonly versions?: VersionRange;
  /** connecting as an SMP proxy to a destination relay */
  readonly proxyServer?: boolean;
}

export interface ClientSession extends SmpSession {
  /** the version range the server offered */
  readonly serverVersions: VersionRange;
  /** the server's signed certificate chain and key, as PKEY passes them on */
  readonly serverCertKey?: { readonly chain: readonly Uint8Array[]; readonly signedKey: Uint8Array };
}

export async function smpClientHandshake(
  stream: BlockStream,
  o: ClientHandshakeOptions,
): Promise<ClientSession> {
  const parsed = parseServerHello(await readHandshakeBlock(stream));
  if (!parsed.ok) throw new HandshakeFailure({ type: "HANDSHAKE", error: "PARSE" }, parsed.error.message);
  const hello = parsed.value;
  if (!constantTimeEqual(hello.sessionId, o.sessionId)) {
    throw new HandshakeFailure({ type: "SESSION" }, "the server's session id is not this TLS session's");
  }
  const proxyServer = o.proxyServer ?? false;
  let ours = o.versions ?? SERVER_SMP_VERSIONS;
  if (proxyServer && hello.versions.max < SMP_VERSION.proxyServerHandshake) {
    // a proxy caps old relays at v10, which keeps proxy↔relay blocks unencrypted
    ours = { min: ours.min, max: Math.max(ours.min, SMP_VERSION.deletedEvent) };
  }
  const min = Math.max(ours.min, hello.versions.min);
  const version = Math.min(ours.max, hello.versions.max);
  if (min > version) throw new HandshakeFailure({ type: "VERSION" }, "no common SMP version");
  let peerSessionKey: PublicKey<"X25519"> | undefined;
  if (hello.certKey) peerSessionKey = verifyServerKey(hello.certKey, o.keyHash, o.tlsChain);
  const sessionKey = generateKeyPair("X25519");
  const sendKey = version >= SMP_VERSION.authCommands;
  const clientHello = encodeClientHello({
    version,
    keyHash: o.keyHash,
    dhKey: sendKey ? sessionKey.publicKey : undefined,
    proxyServer,
  });
  await stream.write(pad(clientHello, BLOCK_SIZE));
  const dhSecret = sendKey && peerSessionKey ? dh(peerSessionKey, sessionKey.privateKey) : undefined;
  const framing = blockEncryption(version, proxyServer, dhSecret)
    ? encryptedFraming("client", o.sessionId, dhSecret!)
    : new PlainFraming();
  return {
    version,
    sessionId: o.sessionId,
    framing,
    dhSecret,
    sessionKey,
    peerSessionKey,
    proxyServer,
    serverVersions: hello.versions,
    serverCertKey: hello.certKey,
  };
}

/**
 * Checks the hello's chain names the expected identity and that the session key is signed by the
 * leaf certificate the server used in TLS; returns the session key.
 */
export function verifyServerKey(
  certKey: { readonly chain: readonly Uint8Array[]; readonly signedKey: Uint8Array },
  keyHash: Uint8Array,
  tlsChain: readonly Uint8Array[],
): PublicKey<"X25519"> {
  const badAuth = (detail: string) => new HandshakeFailure({ type: "HANDSHAKE", error: "BAD_AUTH" }, detail);
  try {
    validateChain(certKey.chain, keyHash);
  } catch (e) {
    if (e instanceof ChainError) throw badAuth(e.message);
    throw e;
  }
  const leafDer = tlsChain[0] ?? certKey.chain[0];
  let leaf;
  try {
    leaf = parseCertificate(leafDer);
  } catch (e) {
    if (e instanceof X509Error) throw badAuth(e.message);
    throw e;
  }
  if (leaf.publicKey.type !== "Ed25519" && leaf.publicKey.type !== "Ed448") {
    throw badAuth("leaf key is not Ed25519/Ed448");
  }
  const key = verifySessionKey(certKey.signedKey, leaf.publicKey.key);
  if (!key || key.algorithm !== "X25519") throw badAuth("session key signature does not verify");
  return key as PublicKey<"X25519">;
}
