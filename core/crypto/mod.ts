/**
 * SimpleX cryptography: keys and signatures, the NaCl box and its stream form, block-encryption
 * chains, HKDF, digests and AES-256-GCM.
 */
export * from "./keys.ts";
export type { CryptoError, CryptoResult } from "./errors.ts";
export * from "./hash.ts";
export * from "./hkdf.ts";
export * from "./box.ts";
export * from "./authenticator.ts";
export * from "./secret_stream.ts";
export * from "./sb_chain.ts";
export * from "./aes_gcm.ts";
export { describeCryptoBackends } from "./_backend.ts";
