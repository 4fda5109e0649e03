/**
 * What a browser checks of the server hello (xftp.md §1.4, web flavour): the identity certificate
 * matches the key hash, the online certificate is signed by it (the check xftp-web leaves out), and
 * the online key signed both the challenge with the session ID and the server's DH key. WebCrypto
 * has Ed25519 but not Ed448, so this page accepts Ed25519 identities only.
 */
import { concatBytes, constantTimeEqual } from "../../core/encoding/bytes.ts";
import {
  children,
  contextTag,
  decodeBitString,
  decodeOid,
  type DerNode,
  readSingle,
  Tag,
} from "../../core/x509/_der.ts";

const ED25519_OID = "1.3.101.112";

export interface ServerHello {
  readonly sessionId: Uint8Array;
  readonly certChain: readonly Uint8Array[];
  readonly signedDhKey: Uint8Array;
  readonly webIdentityProof: Uint8Array;
}

/** A DER `SEQUENCE { body, AlgorithmIdentifier, BIT STRING }`: a certificate or x509 SignedExact. */
interface SignedObject {
  readonly body: DerNode;
  readonly algorithm: string;
  readonly signature: Uint8Array;
}

function parseSigned(der: Uint8Array, what: string): SignedObject {
  const r = children(readSingle(der, Tag.SEQUENCE, what), what);
  const body = r.read();
  const algorithm = decodeOid(children(r.expect(Tag.SEQUENCE, what), what).expect(Tag.OID, what), what);
  const signature = decodeBitString(r.expect(Tag.BIT_STRING, what), what).bytes;
  r.finish();
  return { body, algorithm, signature };
}

/** The SubjectPublicKeyInfo of a certificate's TBSCertificate (RFC 5280 §4.1). */
function subjectPublicKeyInfo(tbs: DerNode): Uint8Array {
  const r = children(tbs, "TBSCertificate");
  r.optional(contextTag(0, true)); // version
  for (let i = 0; i < 5; i++) r.read(); // serialNumber, signature, issuer, validity, subject
  return r.expect(Tag.SEQUENCE, "subjectPublicKeyInfo").encoded;
}

function ed25519Key(spki: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey("spki", bufferOf(spki), { name: "Ed25519" }, false, ["verify"]);
}

async function verifySigned(key: CryptoKey, o: SignedObject, what: string): Promise<void> {
  if (o.algorithm !== ED25519_OID) {
    throw new Error(`${what}: signature algorithm ${o.algorithm}, not Ed25519`);
  }
  if (!await crypto.subtle.verify("Ed25519", key, bufferOf(o.signature), bufferOf(o.body.encoded))) {
    throw new Error(`${what}: bad signature`);
  }
}

/** Throws unless the hello proves the identity `keyHash` for this challenge. */
export async function verifyServerHello(
  hello: ServerHello,
  keyHash: Uint8Array,
  challenge: Uint8Array,
): Promise<void> {
  const chain = hello.certChain;
  if (chain.length < 2 || chain.length > 4) throw new Error(`certificate chain of ${chain.length}`);
  const idCert = chain[1];
  if (!constantTimeEqual(await sha256(idCert), keyHash)) throw new Error("identity certificate ≠ key hash");
  const leaf = parseSigned(chain[0], "online certificate");
  const id = parseSigned(idCert, "identity certificate");
  await verifySigned(await ed25519Key(subjectPublicKeyInfo(id.body)), leaf, "online certificate");
  const leafKey = await ed25519Key(subjectPublicKeyInfo(leaf.body));
  const proof = hello.webIdentityProof;
  const proved = concatBytes(challenge, hello.sessionId);
  if (!await crypto.subtle.verify("Ed25519", leafKey, bufferOf(proof), bufferOf(proved))) {
    throw new Error("bad web identity proof");
  }
  await verifySigned(leafKey, parseSigned(hello.signedDhKey, "signed DH key"), "signed DH key");
}

export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bufferOf(bytes)));
}

/** WebCrypto takes ArrayBuffer-backed views only. */
export function bufferOf(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? bytes as Uint8Array<ArrayBuffer> : new Uint8Array(bytes);
}
