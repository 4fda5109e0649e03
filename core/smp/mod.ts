/** SMP wire types and codecs: versions, commands, server messages, errors, transmissions, hellos. */
export * from "./version.ts";
export * from "./errors.ts";
export * from "./commands.ts";
export * from "./responses.ts";
export * from "./transmission.ts";
export * from "./handshake.ts";
export type { AuthPublicKey, DhPublicKey } from "../crypto/keys_wire.ts";
