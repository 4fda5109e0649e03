/**
 * Certificate signatures: Ed25519/Ed448 through `core/crypto` (SimpleX identity chains), and
 * ECDSA and RSA PKCS#1 v1.5 through `node:crypto` (the browser-facing "web" certificates of XFTP).
 */
import * as nodeCrypto from "node:crypto";
import { verify } from "../crypto/keys.ts";
import type { Certificate, CertificatePublicKey, SignatureAlgorithmName } from "./certificate.ts";

const WEB_ALGORITHMS: Partial<Record<SignatureAlgorithmName, { hash: string; keys: readonly string[] }>> = {
  "ECDSA-SHA256": { hash: "sha256", keys: ["ECDSA-P256", "ECDSA-P384"] },
  "ECDSA-SHA384": { hash: "sha384", keys: ["ECDSA-P256", "ECDSA-P384"] },
  "RSA-SHA256": { hash: "sha256", keys: ["RSA"] },
  "RSA-SHA384": { hash: "sha384", keys: ["RSA"] },
  "RSA-SHA512": { hash: "sha512", keys: ["RSA"] },
};

/**
 * Whether `cert` carries a valid signature by `issuerKey` over its TBSCertificate. An algorithm
 * that does not match the key, or that this module does not know, is simply not valid.
 */
export function verifyCertificateSignature(cert: Certificate, issuerKey: CertificatePublicKey): boolean {
  const algorithm = cert.signatureAlgorithm.name;
  switch (issuerKey.type) {
    case "Ed25519":
    case "Ed448":
      return algorithm === issuerKey.type && verify(issuerKey.key, cert.tbsDer, cert.signatureValue);
    case "ECDSA-P256":
    case "ECDSA-P384":
    case "RSA": {
      const web = WEB_ALGORITHMS[algorithm];
      if (!web || !web.keys.includes(issuerKey.type)) return false;
      try {
        const key = nodeCrypto.createPublicKey({
          key: Buffer.from(issuerKey.spki),
          format: "der",
          type: "spki",
        });
        return nodeCrypto.verify(web.hash, cert.tbsDer, key, cert.signatureValue);
      } catch {
        return false; // a key OpenSSL cannot load, or a signature that is not even DER
      }
    }
    default:
      return false;
  }
}

/** Whether `cert` is signed by the subject key of `issuer`. */
export function isSignedBy(cert: Certificate, issuer: Certificate): boolean {
  return verifyCertificateSignature(cert, issuer.publicKey);
}
