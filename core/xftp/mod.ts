/**
 * XFTP (xftp.md): the wire codecs (versions, errors, commands and responses, blocks, handshake),
 * whole-file encryption and chunking, FGET transit decryption, and file descriptions with their
 * server strings and web links.
 */
export * from "./version.ts";
export * from "./errors.ts";
export * from "./commands.ts";
export * from "./transmission.ts";
export * from "./handshake.ts";
export type { AuthPublicKey, DhPublicKey } from "../crypto/keys_wire.ts";
export * from "./chunks.ts";
export * from "./file.ts";
export * from "./transit.ts";
export * from "./server.ts";
export * from "./description.ts";
export * from "./web_link.ts";
