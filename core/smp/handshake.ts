/**
 * SMP handshake blocks (Transport.hs, smp.md §2.2-2.3) and the signed session key the server
 * hello carries. Both hellos end in an ignored tail, so later versions can add fields.
 */
import { decode, type ParseResult, type Reader, type VersionRange, Writer } from "../encoding/binary.ts";
import { bytesEqual, concatBytes } from "../encoding/bytes.ts";
import {
  decodePublicKeyDer,
  encodePublicKeyDer,
  type PrivateKey,
  type PublicKey,
  sign,
  type SignatureAlgorithm,
  verify,
} from "../crypto/keys.ts";
import { type CertChainPubKey, readCertChainPubKey, writeCertChainPubKey } from "./responses.ts";
import { type DhPublicKey, readDhKey, writeKey } from "../crypto/keys_wire.ts";
import { SMP_VERSION } from "./version.ts";

export interface ServerHello {
  readonly versions: VersionRange;
  readonly sessionId: Uint8Array;
  /** present from v7: the TLS chain and the per-connection X25519 key signed by its leaf */
  readonly certKey?: CertChainPubKey;
}

export type ServiceRole = "M" | "N" | "P"; // messaging | notifier | proxy

export interface ClientHello {
  readonly version: number;
  /** the server identity from the address: SHA-256 of the identity certificate */
  readonly keyHash: Uint8Array;
  /** the client's X25519 key (v7+, official clients always send it): enables block encryption */
  readonly dhKey?: DhPublicKey;
  /** v14+: set when an SMP server connects as a proxy (no block encryption then) */
  readonly proxyServer: boolean;
  /** v16+: a service client's role and certificate-signed session key */
  readonly service?: { readonly role: ServiceRole; readonly certKey: CertChainPubKey };
}

export function encodeServerHello(h: ServerHello): Uint8Array {
  const w = new Writer(2048).versionRange(h.versions).shortBytes(h.sessionId);
  if (h.versions.max >= SMP_VERSION.authCommands && h.certKey) writeCertChainPubKey(w, h.certKey);
  return w.finish();
}

export function parseServerHello(bytes: Uint8Array): ParseResult<ServerHello> {
  return decode(bytes, (r) => {
    const versions = r.versionRange();
    const sessionId = r.shortBytes().slice();
    const certKey = versions.max >= SMP_VERSION.authCommands ? r.optional(readCertChainPubKey) : undefined;
    return { versions, sessionId, certKey };
  }, { allowTrailing: true });
}

export function encodeClientHello(h: ClientHello): Uint8Array {
  const v = h.version;
  const w = new Writer(256).word16(v).shortBytes(h.keyHash);
  if (v >= SMP_VERSION.authCommands && h.dhKey) writeKey(w, h.dhKey);
  if (v >= SMP_VERSION.proxyServerHandshake) w.bool(h.proxyServer);
  if (v >= SMP_VERSION.serviceCerts) {
    w.maybe(h.service, (w, s) => {
      w.ascii(s.role);
      writeCertChainPubKey(w, s.certKey);
    });
  }
  return w.finish();
}

function readServiceRole(r: Reader): ServiceRole {
  const c = String.fromCharCode(r.byte());
  if (c === "M" || c === "N" || c === "P") return c;
  return r.fail("bad SMPServiceRole");
}

export function parseClientHello(bytes: Uint8Array): ParseResult<ClientHello> {
  return decode(bytes, (r) => {
    const version = r.word16();
    const keyHash = r.shortBytes().slice();
    const dhKey = version >= SMP_VERSION.authCommands ? r.optional(readDhKey) : undefined;
    const proxyServer = version >= SMP_VERSION.proxyServerHandshake ? r.bool() : false;
    const service = version >= SMP_VERSION.serviceCerts
      ? r.maybe((r) => ({ role: readServiceRole(r), certKey: readCertChainPubKey(r) }))
      : undefined;
    return { version, keyHash, dhKey, proxyServer, service };
  }, { allowTrailing: true });
}

// The signed session key is hs-x509's `SignedExact PubKey`:
//   SEQUENCE { SEQUENCE { SubjectPublicKeyInfo }, AlgorithmIdentifier { OID }, BIT STRING signature }
// The signature covers the DER of the wrapped SPKI (`30 len ‖ SPKI`), not the bare SPKI.

const SIGNATURE_OID: Record<SignatureAlgorithm, number> = { Ed25519: 0x70, Ed448: 0x71 };
const SIG_LENGTH: Record<SignatureAlgorithm, number> = { Ed25519: 64, Ed448: 114 };

function derLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  if (n < 0x100) return Uint8Array.of(0x81, n);
  return Uint8Array.of(0x82, n >> 8, n & 0xff);
}

function derTlv(tag: number, content: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(tag), derLength(content.length), content);
}

/** Signs `key` with the server's online (TLS leaf) key in the SignedExact form. */
export function signSessionKey(key: PublicKey, signer: PrivateKey<SignatureAlgorithm>): Uint8Array {
  const signed = derTlv(0x30, encodePublicKeyDer(key));
  const algorithmId = Uint8Array.of(0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, SIGNATURE_OID[signer.algorithm]);
  const signature = derTlv(0x03, concatBytes(Uint8Array.of(0), sign(signer, signed)));
  return derTlv(0x30, concatBytes(signed, algorithmId, signature));
}

/**
 * Checks a SignedExact session key against the leaf's public key and returns the key it carries,
 * or undefined when the structure, the algorithm or the signature is wrong.
 */
export function verifySessionKey(
  signedKey: Uint8Array,
  leafKey: PublicKey<SignatureAlgorithm>,
): PublicKey | undefined {
  const parsed = decode(signedKey, (r) => {
    const outer = readTlv(r, 0x30);
    return decode(outer, (r) => {
      const start = r.offset;
      const inner = readTlv(r, 0x30);
      const signed = outer.subarray(start, r.offset);
      const algorithmId = readTlv(r, 0x30);
      const bits = readTlv(r, 0x03);
      return { signed, inner, algorithmId, bits };
    });
  });
  if (!parsed.ok || !parsed.value.ok) return undefined;
  const { signed, inner, algorithmId, bits } = parsed.value.value;
  const expectedAlg = Uint8Array.of(0x06, 0x03, 0x2b, 0x65, SIGNATURE_OID[leafKey.algorithm]);
  if (!bytesEqual(algorithmId, expectedAlg)) return undefined;
  if (bits.length !== 1 + SIG_LENGTH[leafKey.algorithm] || bits[0] !== 0) return undefined;
  if (!verify(leafKey, signed, bits.subarray(1))) return undefined;
  try {
    return decodePublicKeyDer(inner);
  } catch {
    return undefined;
  }
}

function readTlv(r: Reader, tag: number): Uint8Array {
  if (r.byte() !== tag) r.fail("unexpected DER tag");
  let len = r.byte();
  if (len === 0x81) len = r.byte();
  else if (len === 0x82) len = r.word16();
  else if (len >= 0x80) r.fail("unsupported DER length");
  return r.bytes(len);
}
