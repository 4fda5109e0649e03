/**
 * X.509 v1-v3 certificates (RFC 5280 §4.1) parsed from DER into the fields SimpleX needs: names,
 * validity, the subject key, the signature, and the extensions path validation looks at.
 */
import { decodePublicKeyDer, KeyError, type PublicKey, type SignatureAlgorithm } from "../crypto/keys.ts";
import { bytesEqual } from "../encoding/bytes.ts";
import {
  children,
  contextTag,
  decodeBitString,
  decodeBoolean,
  decodeInteger,
  decodeOid,
  decodeSmallInteger,
  decodeString,
  decodeTime,
  type DerNode,
  readSingle,
  Tag,
} from "./_der.ts";
import { ExtendedKeyUsageOid, Oid } from "./_oids.ts";
import { X509Error } from "./errors.ts";

/** A distinguished name: the attributes SimpleX uses, and the DER for exact comparison. */
export interface DistinguishedName {
  readonly commonName?: string;
  readonly organization?: string;
  readonly der: Uint8Array;
}

export type SignatureAlgorithmName =
  | "Ed25519"
  | "Ed448"
  | "ECDSA-SHA256"
  | "ECDSA-SHA384"
  | "RSA-SHA256"
  | "RSA-SHA384"
  | "RSA-SHA512"
  | "unknown";

export interface SignatureAlgorithmId {
  readonly name: SignatureAlgorithmName;
  readonly oid: string;
}

/** The subject key: Edwards keys decoded for `core/crypto`, the web algorithms kept as SPKI DER. */
export type CertificatePublicKey =
  | { readonly type: "Ed25519" | "Ed448"; readonly key: PublicKey<SignatureAlgorithm> }
  | { readonly type: "ECDSA-P256" | "ECDSA-P384"; readonly spki: Uint8Array }
  | { readonly type: "RSA"; readonly spki: Uint8Array }
  | { readonly type: "unknown"; readonly oid: string };

/** keyUsage bits in RFC 5280 §4.2.1.3 order (bit 0 first). */
export const KEY_USAGES = [
  "digitalSignature",
  "nonRepudiation",
  "keyEncipherment",
  "dataEncipherment",
  "keyAgreement",
  "keyCertSign",
  "cRLSign",
  "encipherOnly",
  "decipherOnly",
] as const;
export type KeyUsage = (typeof KEY_USAGES)[number];

export interface Extension {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Uint8Array;
}

export interface Certificate {
  /** The whole certificate; SHA-256 of it is the fingerprint. */
  readonly der: Uint8Array;
  /** The signed part (TBSCertificate). */
  readonly tbsDer: Uint8Array;
  readonly version: 1 | 2 | 3;
  /** The serial INTEGER's contents (two's complement, as encoded). */
  readonly serialNumber: Uint8Array;
  readonly issuer: DistinguishedName;
  readonly subject: DistinguishedName;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** SubjectPublicKeyInfo DER. */
  readonly subjectPublicKeyInfo: Uint8Array;
  readonly publicKey: CertificatePublicKey;
  readonly signatureAlgorithm: SignatureAlgorithmId;
  readonly signatureValue: Uint8Array;
  readonly extensions: readonly Extension[];
  /** basicConstraints cA (false when the extension is absent). */
  readonly isCA: boolean;
  readonly pathLenConstraint?: number;
  readonly keyUsage?: readonly KeyUsage[];
  /** extendedKeyUsage purposes: the usual name (`serverAuth`) or the dotted OID. */
  readonly extendedKeyUsage?: readonly string[];
  readonly subjectKeyId?: Uint8Array;
  readonly authorityKeyId?: Uint8Array;
}

/** Parses one DER certificate; throws X509Error on anything RFC 5280 does not allow. */
export function parseCertificate(der: Uint8Array): Certificate {
  const bytes = der.slice(); // the caller may reuse its buffer; our subarrays must not change
  const cert = readSingle(bytes, Tag.SEQUENCE, "Certificate");
  const top = children(cert, "Certificate");
  const tbs = top.expect(Tag.SEQUENCE, "tbsCertificate");
  const outerAlgorithm = top.expect(Tag.SEQUENCE, "signatureAlgorithm");
  const signature = decodeBitString(top.expect(Tag.BIT_STRING, "signatureValue"), "signatureValue");
  top.finish();
  if (signature.unusedBits !== 0) throw new X509Error("BAD_VALUE", "signatureValue: partial byte");

  const r = children(tbs, "tbsCertificate");
  const versionNode = r.optional(contextTag(0, true));
  const version = versionNode ? parseVersion(versionNode) : 1;
  const serialNumber = decodeInteger(r.expect(Tag.INTEGER, "serialNumber"), "serialNumber");
  const innerAlgorithm = r.expect(Tag.SEQUENCE, "signature");
  // RFC 5280 §4.1.1.2: the signed and the unsigned algorithm must be the same
  if (!bytesEqual(innerAlgorithm.encoded, outerAlgorithm.encoded)) {
    throw new X509Error("BAD_VALUE", "signature algorithm differs between tbsCertificate and Certificate");
  }
  const issuer = parseName(r.expect(Tag.SEQUENCE, "issuer"), "issuer");
  const validity = children(r.expect(Tag.SEQUENCE, "validity"), "validity");
  const notBefore = decodeTime(validity.read(), "notBefore");
  const notAfter = decodeTime(validity.read(), "notAfter");
  validity.finish();
  const subject = parseName(r.expect(Tag.SEQUENCE, "subject"), "subject");
  const spki = r.expect(Tag.SEQUENCE, "subjectPublicKeyInfo");
  if (r.optional(contextTag(1, false)) && version === 1) {
    throw new X509Error("BAD_VALUE", "issuerUniqueID in v1");
  }
  if (r.optional(contextTag(2, false)) && version === 1) {
    throw new X509Error("BAD_VALUE", "subjectUniqueID in v1");
  }
  const extensionsNode = r.optional(contextTag(3, true));
  r.finish();
  if (extensionsNode && version !== 3) {
    throw new X509Error("BAD_VALUE", "extensions in a certificate before v3");
  }
  const extensions = extensionsNode ? parseExtensions(extensionsNode) : [];

  return {
    der: bytes,
    tbsDer: tbs.encoded,
    version,
    serialNumber,
    issuer,
    subject,
    notBefore,
    notAfter,
    subjectPublicKeyInfo: spki.encoded,
    publicKey: parsePublicKey(spki),
    signatureAlgorithm: parseSignatureAlgorithm(outerAlgorithm),
    signatureValue: signature.bytes,
    extensions,
    ...parseKnownExtensions(extensions),
  };
}

function parseVersion(node: DerNode): 1 | 2 | 3 {
  const r = children(node, "version");
  const v = decodeSmallInteger(r.expect(Tag.INTEGER, "version"), "version");
  r.finish();
  if (v > 2) throw new X509Error("BAD_VALUE", `unknown certificate version ${v + 1}`);
  return (v + 1) as 1 | 2 | 3;
}

function parseName(node: DerNode, what: string): DistinguishedName {
  let commonName: string | undefined;
  let organization: string | undefined;
  const rdns = children(node, what);
  while (!rdns.done) {
    const set = children(rdns.expect(Tag.SET, what), what);
    do {
      const atv = children(set.expect(Tag.SEQUENCE, what), what);
      const type = decodeOid(atv.expect(Tag.OID, what), what);
      const value = atv.read();
      atv.finish();
      if (type === Oid.commonName) commonName ??= decodeString(value, `${what} CN`);
      if (type === Oid.organizationName) organization ??= decodeString(value, `${what} O`);
    } while (!set.done);
  }
  return { commonName, organization, der: node.encoded };
}

function parseAlgorithm(node: DerNode, what: string): { oid: string; parameters?: DerNode } {
  const r = children(node, what);
  const oid = decodeOid(r.expect(Tag.OID, what), what);
  const parameters = r.done ? undefined : r.read();
  r.finish();
  return { oid, parameters };
}

const SIGNATURE_ALGORITHMS: Record<string, SignatureAlgorithmName> = {
  [Oid.Ed25519]: "Ed25519",
  [Oid.Ed448]: "Ed448",
  [Oid.ecdsaWithSHA256]: "ECDSA-SHA256",
  [Oid.ecdsaWithSHA384]: "ECDSA-SHA384",
  [Oid.sha256WithRSAEncryption]: "RSA-SHA256",
  [Oid.sha384WithRSAEncryption]: "RSA-SHA384",
  [Oid.sha512WithRSAEncryption]: "RSA-SHA512",
};

function parseSignatureAlgorithm(node: DerNode): SignatureAlgorithmId {
  const { oid, parameters } = parseAlgorithm(node, "signatureAlgorithm");
  const name = SIGNATURE_ALGORITHMS[oid] ?? "unknown";
  // RFC 8410 §3 and RFC 5758 §3.2: no parameters; RFC 4055 §5: NULL (often omitted in practice)
  const parametersOk = name === "unknown" || parameters === undefined ||
    (name.startsWith("RSA") && parameters.tag === Tag.NULL && parameters.value.length === 0);
  if (!parametersOk) throw new X509Error("BAD_VALUE", `unexpected parameters for ${name}`);
  return { name, oid };
}

function parsePublicKey(spki: DerNode): CertificatePublicKey {
  const r = children(spki, "subjectPublicKeyInfo");
  const { oid, parameters } = parseAlgorithm(r.expect(Tag.SEQUENCE, "algorithm"), "subjectPublicKeyInfo");
  const key = decodeBitString(r.expect(Tag.BIT_STRING, "subjectPublicKey"), "subjectPublicKey");
  r.finish();
  if (key.unusedBits !== 0) throw new X509Error("BAD_KEY", "subjectPublicKey: partial byte");
  switch (oid) {
    case Oid.Ed25519:
    case Oid.Ed448:
      try {
        const pub = decodePublicKeyDer(spki.encoded) as PublicKey<SignatureAlgorithm>;
        return { type: pub.algorithm, key: pub };
      } catch (e) {
        if (e instanceof KeyError) throw new X509Error("BAD_KEY", e.message);
        throw e;
      }
    case Oid.ecPublicKey: {
      const curve = parameters?.tag === Tag.OID ? decodeOid(parameters, "namedCurve") : undefined;
      if (curve === Oid.secp256r1) return { type: "ECDSA-P256", spki: spki.encoded };
      if (curve === Oid.secp384r1) return { type: "ECDSA-P384", spki: spki.encoded };
      return { type: "unknown", oid: curve ? `${oid}/${curve}` : oid };
    }
    case Oid.rsaEncryption:
      return { type: "RSA", spki: spki.encoded };
    default:
      return { type: "unknown", oid };
  }
}

function parseExtensions(node: DerNode): Extension[] {
  const list = children(readSingle(node.value, Tag.SEQUENCE, "extensions"), "extensions");
  const out: Extension[] = [];
  while (!list.done) {
    const r = children(list.expect(Tag.SEQUENCE, "extension"), "extension");
    const oid = decodeOid(r.expect(Tag.OID, "extnID"), "extnID");
    const criticalNode = r.optional(Tag.BOOLEAN);
    const critical = criticalNode ? decodeBoolean(criticalNode, "critical") : false;
    const value = r.expect(Tag.OCTET_STRING, "extnValue").value;
    r.finish();
    // RFC 5280 §4.2: "A certificate MUST NOT include more than one instance of a particular extension"
    if (out.some((e) => e.oid === oid)) throw new X509Error("BAD_EXTENSION", `duplicate extension ${oid}`);
    out.push({ oid, critical, value });
  }
  return out;
}

type KnownExtensions = Pick<
  Certificate,
  "isCA" | "pathLenConstraint" | "keyUsage" | "extendedKeyUsage" | "subjectKeyId" | "authorityKeyId"
>;
type MutableKnownExtensions = { -readonly [K in keyof KnownExtensions]: KnownExtensions[K] };

function parseKnownExtensions(extensions: readonly Extension[]): KnownExtensions {
  const out: MutableKnownExtensions = { isCA: false };
  for (const extension of extensions) {
    try {
      parseKnownExtension(extension, out);
    } catch (e) {
      if (e instanceof X509Error) {
        throw new X509Error("BAD_EXTENSION", `extension ${extension.oid}: ${e.message}`);
      }
      throw e;
    }
  }
  return out;
}

function parseKnownExtension({ oid, value }: Extension, out: MutableKnownExtensions): void {
  switch (oid) {
    case Oid.basicConstraints: {
      const r = children(readSingle(value, Tag.SEQUENCE, "basicConstraints"), "basicConstraints");
      const ca = r.optional(Tag.BOOLEAN);
      out.isCA = ca ? decodeBoolean(ca, "cA") : false;
      const pathLen = r.optional(Tag.INTEGER);
      if (pathLen) out.pathLenConstraint = decodeSmallInteger(pathLen, "pathLenConstraint");
      r.finish();
      break;
    }
    case Oid.keyUsage: {
      const bits = decodeBitString(readSingle(value, Tag.BIT_STRING, "keyUsage"), "keyUsage").bytes;
      out.keyUsage = KEY_USAGES.filter((_, i) =>
        i < bits.length * 8 && (bits[i >> 3] & (0x80 >> (i & 7))) !== 0
      );
      break;
    }
    case Oid.extKeyUsage: {
      const r = children(readSingle(value, Tag.SEQUENCE, "extKeyUsage"), "extKeyUsage");
      const purposes: string[] = [];
      while (!r.done) {
        const purpose = decodeOid(r.expect(Tag.OID, "KeyPurposeId"), "KeyPurposeId");
        purposes.push(ExtendedKeyUsageOid[purpose] ?? purpose);
      }
      out.extendedKeyUsage = purposes;
      break;
    }
    case Oid.subjectKeyIdentifier:
      out.subjectKeyId = readSingle(value, Tag.OCTET_STRING, "subjectKeyIdentifier").value;
      break;
    case Oid.authorityKeyIdentifier: {
      const r = children(readSingle(value, Tag.SEQUENCE, "authorityKeyIdentifier"), "authorityKeyIdentifier");
      out.authorityKeyId = r.optional(contextTag(0, false))?.value;
      r.optional(contextTag(1, true)); // authorityCertIssuer
      r.optional(contextTag(2, false)); // authorityCertSerialNumber
      r.finish();
      break;
    }
  }
}

/** The key of a bare SubjectPublicKeyInfo (as TLS and XFTP handshakes carry it). */
export function parseSubjectPublicKeyInfo(spki: Uint8Array): CertificatePublicKey {
  return parsePublicKey(readSingle(spki, Tag.SEQUENCE, "subjectPublicKeyInfo"));
}
