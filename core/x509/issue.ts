/**
 * Building and signing X.509 v3 certificates with Ed25519/Ed448 keys (RFC 5280 §4.1, RFC 8410),
 * byte-for-byte in the shape OpenSSL gives the certificates of `smp-server init`.
 */
import { createHash } from "node:crypto";
import {
  encodePublicKeyDer,
  type PrivateKey,
  type PublicKey,
  sign,
  type SignatureAlgorithm,
} from "../crypto/keys.ts";
import {
  contextTag,
  encodeBitString,
  encodeBoolean,
  encodeExplicit,
  encodeNamedBits,
  encodeOctetString,
  encodeOid,
  encodeSequence,
  encodeSet,
  encodeTime,
  encodeTlv,
  encodeUnsignedInteger,
  encodeUtf8String,
} from "./_der.ts";
import { Oid } from "./_oids.ts";
import { type Extension, KEY_USAGES, type KeyUsage } from "./certificate.ts";

export interface CertificateFields {
  /** Positive serial, big-endian. */
  readonly serialNumber: Uint8Array;
  /** Issuer Name DER: the issuing certificate's subject, copied exactly so that names chain. */
  readonly issuer: Uint8Array;
  readonly subject: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly publicKey: PublicKey<SignatureAlgorithm>;
  readonly extensions: readonly Extension[];
}

/** The DER certificate for `fields`, signed by `issuerKey`. */
export function issueCertificate(
  fields: CertificateFields,
  issuerKey: PrivateKey<SignatureAlgorithm>,
): Uint8Array {
  const algorithm = encodeSequence(encodeOid(Oid[issuerKey.algorithm]));
  const tbs = encodeSequence(
    encodeExplicit(0, encodeUnsignedInteger(2)), // v3
    encodeUnsignedInteger(fields.serialNumber),
    algorithm,
    fields.issuer,
    encodeSequence(encodeTime(fields.notBefore), encodeTime(fields.notAfter)),
    fields.subject,
    encodePublicKeyDer(fields.publicKey),
    encodeExplicit(3, encodeSequence(...fields.extensions.map(encodeExtension))),
  );
  return encodeSequence(tbs, algorithm, encodeBitString(sign(issuerKey, tbs)));
}

function encodeExtension({ oid, critical, value }: Extension): Uint8Array {
  // DER omits the DEFAULT FALSE
  return encodeSequence(encodeOid(oid), ...(critical ? [encodeBoolean(true)] : []), encodeOctetString(value));
}

/** A Name of a CN and an optional O, as UTF8Strings in that order (OpenSSL's `utf8only` mask). */
export function encodeName(name: { commonName: string; organization?: string }): Uint8Array {
  const attribute = (oid: string, value: string) =>
    encodeSet(encodeSequence(encodeOid(oid), encodeUtf8String(value)));
  return encodeSequence(
    attribute(Oid.commonName, name.commonName),
    ...(name.organization === undefined ? [] : [attribute(Oid.organizationName, name.organization)]),
  );
}

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits, as OpenSSL's `hash` computes it. */
export function keyIdentifier(key: PublicKey): Uint8Array {
  return new Uint8Array(createHash("sha1").update(key.raw).digest());
}

export const extension = {
  subjectKeyIdentifier: (keyId: Uint8Array): Extension => ({
    oid: Oid.subjectKeyIdentifier,
    critical: false,
    value: encodeOctetString(keyId),
  }),
  /** `keyid` form only: `[0] keyIdentifier`. */
  authorityKeyIdentifier: (keyId: Uint8Array): Extension => ({
    oid: Oid.authorityKeyIdentifier,
    critical: false,
    value: encodeSequence(encodeTlv(contextTag(0, false), keyId)),
  }),
  basicConstraints: (ca: boolean, critical: boolean): Extension => ({
    oid: Oid.basicConstraints,
    critical,
    value: encodeSequence(...(ca ? [encodeBoolean(true)] : [])),
  }),
  keyUsage: (usages: readonly KeyUsage[]): Extension => ({
    oid: Oid.keyUsage,
    critical: false,
    value: encodeNamedBits(usages.map((u) => KEY_USAGES.indexOf(u))),
  }),
  extendedKeyUsage: (purposes: readonly string[]): Extension => ({
    oid: Oid.extKeyUsage,
    critical: false,
    value: encodeSequence(...purposes.map(encodeOid)),
  }),
};
