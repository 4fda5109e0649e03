/**
 * The SMP handshake over a TLS connection (Transport.hs `smpServerHandshake`/`smpClientHandshake`,
 * smp.md §2): the server sends its hello with a per-connection X25519 key signed by its online
 * certificate, the client answers with the version it chose, the server identity it expects and
 * its own X25519 key; from then on blocks are encrypted when the version and keys allow.
 */
import { bytesEqual, constantTimeEqual, packBytes } from "../encoding/bytes.ts";
import { sha256 } from "../crypto/hash.ts";
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
  type ClientHello,
  encodeClientHello,
  encodeServerHello,
  parseClientHello,
  parseServerHello,
  type ServiceRole,
  signSessionKey,
  verifySessionKey,
} from "../smp/handshake.ts";
import { LEGACY_SMP_VERSIONS, SERVER_SMP_VERSIONS, SMP_VERSION } from "../smp/version.ts";
import type { TransportError } from "../smp/errors.ts";
import { decode, type VersionRange, Writer } from "../encoding/binary.ts";
import { readTransportError, writeTransportError } from "../smp/errors.ts";
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
  /** v16+: the client is a service (its TLS certificate identifies it) */
  readonly service?: SessionService;
}

/** A service session (smp.md §2.6): who the service is and the key that signs its commands. */
export interface SessionService {
  readonly id: Uint8Array;
  readonly role: ServiceRole;
  /** SHA-256 of the service's identity certificate: its queue-key signatures cover it */
  readonly certHash: Uint8Array;
  /** the per-session Ed25519 key its leaf certificate signed: the server's copy verifies, the client's signs */
  readonly key: PublicKey<"Ed25519">;
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
  /** the certificate chain the client presented in TLS (empty when it sent none) */
  readonly peerChain?: readonly Uint8Array[];
  /**
   * The service's ID for its role and certificate, created at its first connection
   * (`getCreateService`); without it service clients are refused. Throws to refuse one.
   */
  readonly getService?: (role: ServiceRole, chain: readonly Uint8Array[], certHash: Uint8Array) => Uint8Array;
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
  const service = hello.service ? await acceptService(stream, hello.service, o) : undefined;
  const dhSecret = hello.dhKey ? dh(hello.dhKey, sessionKey.privateKey) : undefined;
  const framing = blockEncryption(hello.version, hello.proxyServer, dhSecret)
    ? encryptedFraming("server", o.sessionId, dhSecret!)
    : new PlainFraming();
  return {
    version: hello.version,
    sessionId: o.sessionId,
    framing,
    proxyServer: hello.proxyServer,
    service,
    ...compactKeys(sessionKey, hello.dhKey, dhSecret),
  };
}

/**
 * The service part of a client hello (Transport.hs `getClientService`): the chain must be the
 * one the client presented in TLS, and its leaf must have signed the Ed25519 session key. Answers
 * with the third handshake block, `'R' ‖ short(serviceId)` or `'E' ‖ error`.
 */
async function acceptService(
  stream: BlockStream,
  declared: NonNullable<ClientHello["service"]>,
  o: ServerHandshakeOptions,
): Promise<SessionService> {
  const refuse = async (error: TransportError, detail: string): Promise<never> => {
    const w = new Writer(32).ascii("E");
    writeTransportError(w, error);
    await stream.write(pad(w.finish(), BLOCK_SIZE));
    throw new HandshakeFailure(error, detail);
  };
  const badAuth = { type: "HANDSHAKE", error: "BAD_AUTH" } as const;
  const { chain, signedKey } = declared.certKey;
  const peerChain = o.peerChain ?? [];
  if (!o.getService || peerChain.length === 0) return refuse(badAuth, "no service certificate in TLS");
  if (chain.length !== peerChain.length || chain.some((c, i) => !bytesEqual(c, peerChain[i]))) {
    return refuse(badAuth, "the service chain is not the TLS client chain");
  }
  if (chain.length > 4) return refuse(badAuth, "service certificate chain too long");
  const idCert = identityCertificate(chain);
  let key: PublicKey | undefined;
  try {
    const leaf = parseCertificate(chain[0]);
    if (leaf.publicKey.type === "Ed25519" || leaf.publicKey.type === "Ed448") {
      key = verifySessionKey(signedKey, leaf.publicKey.key);
    }
  } catch (e) {
    if (!(e instanceof X509Error)) throw e;
  }
  if (!key || key.algorithm !== "Ed25519") {
    return refuse(badAuth, "the service key signature does not verify");
  }
  const certHash = sha256(idCert);
  let id: Uint8Array;
  try {
    id = o.getService(declared.role, chain, certHash);
  } catch (e) {
    return refuse({ type: "HANDSHAKE", error: "BAD_SERVICE" }, (e as Error).message);
  }
  await stream.write(pad(new Writer(64).ascii("R").shortBytes(id).finish(), BLOCK_SIZE));
  return { id, role: declared.role, certHash, key: key as PublicKey<"Ed25519"> };
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
  /**
   * Connecting as a service (v16+): declared only when TLS sent the service certificate, as
   * the reference client does (`certificateSent`)
   */
  readonly service?: ClientServiceCredentials;
  readonly certificateSent?: boolean;
}

/** A service's TLS certificate chain (leaf first) and its leaf's private key. */
export interface ServiceCertificate {
  readonly role: ServiceRole;
  readonly chain: readonly Uint8Array[];
  readonly privateKey: PrivateKey<SignatureAlgorithm>;
}

/** A service's certificate and this session's Ed25519 pair, which its leaf signs. */
export interface ClientServiceCredentials extends ServiceCertificate {
  readonly sessionKey: KeyPair<"Ed25519">;
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
  const asService = o.service && version >= SMP_VERSION.serviceCerts && o.certificateSent
    ? o.service
    : undefined;
  const clientHello = encodeClientHello({
    version,
    keyHash: o.keyHash,
    dhKey: sendKey ? sessionKey.publicKey : undefined,
    proxyServer,
    service: asService && {
      role: asService.role,
      certKey: {
        chain: asService.chain,
        signedKey: signSessionKey(asService.sessionKey.publicKey, asService.privateKey),
      },
    },
  });
  await stream.write(pad(clientHello, BLOCK_SIZE));
  const service = asService && await serviceResponse(stream, asService);
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
    service,
    serverVersions: hello.versions,
    serverCertKey: hello.certKey,
  };
}

/** A service's identity certificate: [cert] is its own; [leaf, id, …] as `chainIdCaCerts`. */
function identityCertificate(chain: readonly Uint8Array[]): Uint8Array {
  return chain.length === 1 ? chain[0] : chain[1];
}

/** The server's third handshake block: the service ID, or the error that refused the service. */
async function serviceResponse(stream: BlockStream, s: ClientServiceCredentials): Promise<SessionService> {
  const parsed = decode(
    await readHandshakeBlock(stream),
    (r): { id: Uint8Array } | { error: TransportError } => {
      const tag = String.fromCharCode(r.byte());
      if (tag === "R") return { id: r.shortBytes().slice() };
      if (tag === "E") return { error: readTransportError(r) };
      return r.fail(`unknown service response ${tag}`);
    },
    { allowTrailing: true },
  );
  if (!parsed.ok) throw new HandshakeFailure({ type: "HANDSHAKE", error: "PARSE" }, parsed.error.message);
  if ("error" in parsed.value) {
    throw new HandshakeFailure(parsed.value.error, "the server refused the service");
  }
  return {
    id: parsed.value.id,
    role: s.role,
    certHash: sha256(identityCertificate(s.chain)),
    key: s.sessionKey.publicKey,
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
