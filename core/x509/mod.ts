/**
 * X.509 for SimpleX servers and clients: parsing certificates and PEM, the identity fingerprint,
 * the 2-4 certificate chain rule with path validation, and generating the offline CA and online
 * certificates the way `smp-server init` / `cert` do (SMP §1.2, XFTP §1.1).
 */
export * from "./certificate.ts";
export * from "./errors.ts";
export * from "./fingerprint.ts";
export * from "./pem.ts";
export * from "./chain.ts";
export * from "./signature.ts";
export * from "./identity.ts";
export * from "./files.ts";
export * from "./issue.ts";
