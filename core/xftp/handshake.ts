/**
 * The XFTP handshake bodies (FileTransfer/Transport.hs, xftp.md §1.3-1.4), each padded to one
 * 16384-byte block, and the client's checks of the server hello:
 *
 * - web hello request: `pad(Maybe(short(challenge32)))` (native clients send an empty body);
 * - server hello: `pad(versions ‖ short(sessionId) ‖ list(large(cert DER)) ‖ large(signedDhKey)
 *   ‖ short(webIdentityProof) ‖ ignored)`;
 * - client handshake: `pad(W16 version ‖ short(keyHash) ‖ ignored)`, answered with an empty body;
 * - handshake errors: a bare padded error, e.g. `pad("SESSION")`, not a transmission.
 */
import { decode, type ParseResult, type Reader, type VersionRange, Writer } from "../encoding/binary.ts";
import { concatBytes, constantTimeEqual } from "../encoding/bytes.ts";
import { pad, PaddingError, unpad } from "../encoding/padding.ts";
import { sha256 } from "../crypto/hash.ts";
import {
  type PrivateKey,
  type PublicKey,
  sign,
  SIGNATURE_LENGTH,
  type SignatureAlgorithm,
  verify,
} from "../crypto/keys.ts";
import type { Certificate } from "../x509/certificate.ts";
import { validateChain } from "../x509/chain.ts";
import { ChainError, X509Error } from "../x509/errors.ts";
import { signSessionKey, verifySessionKey } from "../smp/handshake.ts";
import { encodeXftpError, readXftpError, type XftpError } from "./errors.ts";
import { XFTP_BLOCK_SIZE } from "./transmission.ts";
import { CLIENT_XFTP_VERSIONS, negotiateXftpVersion, SERVER_XFTP_VERSIONS } from "./version.ts";

export const WEB_CHALLENGE_LENGTH = 32;

export interface XftpServerHello {
  readonly versions: VersionRange;
  /** tls-unique of the connection (the client's TLS Finished) */
  readonly sessionId: Uint8Array;
  /** the XFTP identity chain `[leaf (server.crt), ca.crt]` as DER, even when TLS used the web cert */
  readonly certChain: readonly Uint8Array[];
  /** x509 SignedExact of the server's X25519 key, signed by the leaf key */
  readonly signedDhKey: Uint8Array;
  /** present only when the hello answered a web challenge: leaf signature over challenge ‖ sessionId */
  readonly webIdentityProof?: Uint8Array;
}

export interface XftpClientHandshake {
  readonly version: number;
  /** the server identity from its address: SHA-256 of the identity (CA) certificate */
  readonly keyHash: Uint8Array;
}

/** Unpads a handshake body; a body that is not a whole block or has a bad length prefix fails. */
function unpadBlock(r: Reader): Uint8Array {
  if (r.input.length !== XFTP_BLOCK_SIZE) r.fail(`a handshake block is ${XFTP_BLOCK_SIZE} bytes`);
  try {
    const content = unpad(r.input);
    r.bytes(r.remaining);
    return content;
  } catch (e) {
    if (e instanceof PaddingError) return r.fail(e.message);
    throw e;
  }
}

/** Runs `parse` over the content of a padded block, ignoring any tail after what it reads. */
function decodeBlock<T>(block: Uint8Array, parse: (r: Reader) => T): ParseResult<T> {
  const content = decode(block, unpadBlock);
  if (!content.ok) return content;
  return decode(content.value, parse, { allowTrailing: true });
}

export function encodeServerHello(h: XftpServerHello): Uint8Array {
  const w = new Writer(4096).versionRange(h.versions).shortBytes(h.sessionId)
    .nonEmpty(h.certChain, (w, der) => w.largeBytes(der))
    .largeBytes(h.signedDhKey)
    .shortBytes(h.webIdentityProof ?? new Uint8Array(0));
  return pad(w.finish(), XFTP_BLOCK_SIZE);
}

const isSignatureLength = (n: number) => n === SIGNATURE_LENGTH.Ed25519 || n === SIGNATURE_LENGTH.Ed448;

export function parseServerHello(block: Uint8Array): ParseResult<XftpServerHello> {
  return decodeBlock(block, (r) => {
    const versions = r.versionRange();
    const sessionId = r.shortBytes().slice();
    const certChain = r.nonEmpty((r) => r.largeBytes().slice());
    const signedDhKey = r.largeBytes().slice();
    // upstream: `optional (decodeSignature <$?> smpP)`: an empty or odd-sized proof is no proof
    const proof = r.optional((r) => {
      const p = r.shortBytes();
      return isSignatureLength(p.length) ? p.slice() : r.fail("not a signature");
    });
    const hello = { versions, sessionId, certChain, signedDhKey };
    return proof ? { ...hello, webIdentityProof: proof } : hello;
  });
}

/** The web hello request: `pad(Maybe(short(challenge)))`; a native client sends an empty body instead. */
export function encodeWebHello(challenge?: Uint8Array): Uint8Array {
  if (challenge && challenge.length !== WEB_CHALLENGE_LENGTH) {
    throw new RangeError("a web challenge is 32 bytes");
  }
  return pad(new Writer(40).maybe(challenge, (w, c) => w.shortBytes(c)).finish(), XFTP_BLOCK_SIZE);
}

/** The challenge of a web hello request (undefined for `'0'`); a challenge not of 32 bytes fails. */
export function parseWebHello(block: Uint8Array): ParseResult<{ readonly challenge?: Uint8Array }> {
  return decodeBlock(block, (r) => {
    const challenge = r.maybe((r) => r.shortBytes().slice());
    if (challenge === undefined) return {};
    return challenge.length === WEB_CHALLENGE_LENGTH ? { challenge } : r.fail("bad web challenge");
  });
}

export function encodeClientHandshake(h: XftpClientHandshake): Uint8Array {
  return pad(new Writer(40).word16(h.version).shortBytes(h.keyHash).finish(), XFTP_BLOCK_SIZE);
}

export function parseClientHandshake(block: Uint8Array): ParseResult<XftpClientHandshake> {
  return decodeBlock(block, (r) => ({ version: r.word16(), keyHash: r.shortBytes().slice() }));
}

/** A handshake failure body: the bare padded error (`pad("SESSION")`, `pad("HANDSHAKE")`). */
export function encodeHandshakeError(error: XftpError): Uint8Array {
  return pad(encodeXftpError(SERVER_XFTP_VERSIONS.max, error), XFTP_BLOCK_SIZE);
}

/** The error in a handshake failure body, or undefined when the block is something else. */
export function parseHandshakeError(block: Uint8Array): XftpError | undefined {
  const parsed = decodeBlock(block, (r) => {
    const e = readXftpError(r);
    r.end();
    return e;
  });
  return parsed.ok ? parsed.value : undefined;
}

/** The web identity proof: the leaf (server.key) signature over `challenge ‖ sessionId`. */
export function signWebIdentityProof(
  leafKey: PrivateKey<SignatureAlgorithm>,
  challenge: Uint8Array,
  sessionId: Uint8Array,
): Uint8Array {
  return sign(leafKey, concatBytes(challenge, sessionId));
}

export function verifyWebIdentityProof(
  leafKey: PublicKey<SignatureAlgorithm>,
  challenge: Uint8Array,
  sessionId: Uint8Array,
  proof: Uint8Array,
): boolean {
  return verify(leafKey, concatBytes(challenge, sessionId), proof);
}

export interface ServerHelloParams {
  readonly versions: VersionRange;
  readonly sessionId: Uint8Array;
  /** `[server.crt, ca.crt]` DER */
  readonly certChain: readonly Uint8Array[];
  /** server.key: signs the DH key and the web proof */
  readonly leafKey: PrivateKey<SignatureAlgorithm>;
  /** the connection's X25519 handshake key */
  readonly dhKey: PublicKey<"X25519">;
  /** the web hello's challenge, if any */
  readonly challenge?: Uint8Array;
}

/** The hello a server sends (the DH key signed by the leaf, the proof when challenged). */
export function createServerHello(p: ServerHelloParams): XftpServerHello {
  const hello = {
    versions: p.versions,
    sessionId: p.sessionId,
    certChain: p.certChain,
    signedDhKey: signSessionKey(p.dhKey, p.leafKey),
  };
  return p.challenge
    ? { ...hello, webIdentityProof: signWebIdentityProof(p.leafKey, p.challenge, p.sessionId) }
    : hello;
}

/**
 * Why a client rejects a hello: `SESSION` (sessionId ≠ tls-unique), `VERSION` (no common version),
 * `IDENTITY` (the chain or its fingerprint), `BAD_AUTH` (the DH key signature or the web proof).
 */
export type HelloRejection = "SESSION" | "VERSION" | "IDENTITY" | "BAD_AUTH";

export type HelloVerification =
  | { readonly ok: true; readonly version: number; readonly serverDhKey: PublicKey<"X25519"> }
  | { readonly ok: false; readonly error: HelloRejection; readonly message: string };

export interface VerifyHelloOptions {
  /**
   * Native clients: the chain TLS presented (leaf first). It is validated against keyHash, the
   * hello chain must be exactly `[_, ca]` with SHA-256(ca) = keyHash, and the DH key is checked
   * with the TLS leaf key.
   */
  readonly tlsChain?: readonly Uint8Array[];
  /**
   * Web clients: the challenge sent in the web hello. The hello's own 2-4 chain is validated
   * (fingerprint of its 2nd certificate, each certificate signed by the next), and both the proof
   * and the DH key are checked with its leaf key.
   */
  readonly challenge?: Uint8Array;
  /** the client's tls-unique, when its TLS stack exposes it (Deno's does not, xftp.md §9.1) */
  readonly tlsUnique?: Uint8Array;
  /** the client's version range (default 1-3) */
  readonly versions?: VersionRange;
  readonly now?: Date;
}

const reject = (error: HelloRejection, message: string): HelloVerification => ({ ok: false, error, message });

function leafSignatureKey(cert: Certificate): PublicKey<SignatureAlgorithm> | undefined {
  return cert.publicKey.type === "Ed25519" || cert.publicKey.type === "Ed448"
    ? cert.publicKey.key
    : undefined;
}

/** The client side of xftp.md §1.4: whether to trust a hello, and the DH key and version to use. */
export function verifyServerHello(
  hello: XftpServerHello,
  keyHash: Uint8Array,
  options: VerifyHelloOptions,
): HelloVerification {
  if (options.tlsUnique && !constantTimeEqual(options.tlsUnique, hello.sessionId)) {
    return reject("SESSION", "the hello's sessionId is not this connection's tls-unique");
  }
  const version = negotiateXftpVersion(hello.versions, options.versions ?? CLIENT_XFTP_VERSIONS);
  if (version === undefined) return reject("VERSION", "no common XFTP version");
  let leaf: Certificate;
  try {
    if (options.tlsChain) {
      leaf = validateChain(options.tlsChain, keyHash, options.now).leaf;
      const [, ca, ...more] = hello.certChain;
      if (!ca || more.length > 0 || !constantTimeEqual(sha256(ca), keyHash)) {
        return reject("IDENTITY", "the hello's chain is not [leaf, ca] with the expected CA");
      }
    } else if (options.challenge) {
      leaf = validateChain(hello.certChain, keyHash, options.now).leaf;
    } else {
      throw new TypeError("verifyServerHello needs the TLS chain (native) or the web challenge");
    }
  } catch (e) {
    if (e instanceof ChainError || e instanceof X509Error) return reject("IDENTITY", e.message);
    throw e;
  }
  const leafKey = leafSignatureKey(leaf);
  if (!leafKey) return reject("IDENTITY", "the leaf certificate has no Ed25519/Ed448 key");
  if (!options.tlsChain && options.challenge) {
    const proof = hello.webIdentityProof;
    if (!proof || !verifyWebIdentityProof(leafKey, options.challenge, hello.sessionId, proof)) {
      return reject("BAD_AUTH", "the web identity proof does not verify");
    }
  }
  const dhKey = verifySessionKey(hello.signedDhKey, leafKey);
  if (!dhKey || dhKey.algorithm !== "X25519") return reject("BAD_AUTH", "the signed DH key does not verify");
  return { ok: true, version, serverDhKey: dhKey as PublicKey<"X25519"> };
}
