/**
 * File descriptions (FileTransfer/Description.hs, xftp.md §4.3): what a recipient (or the sender)
 * needs to download (or delete) a file: its size, digest, key and nonce, and for each chunk the
 * servers holding it with the replica IDs and keys.
 *
 * The YAML is written byte-for-byte as Haskell's Data.Yaml writes it (keys in alphabetical order,
 * block style, `- ` at the parent key's column, plain scalars unless a scalar would read as
 * something else), and read with any YAML syntax, quoted scalars included.
 */
import { parse as parseYaml } from "yaml";
import { decodeBase64Url, encodeBase64Url } from "../encoding/base64.ts";
import { bytesEqual } from "../encoding/bytes.ts";
import { decodePrivateKeyDer, encodePrivateKeyDer, KeyError, type PrivateKey } from "../crypto/keys.ts";
import { GB, KB, MB } from "./chunks.ts";
import {
  compareXftpServers,
  encodeXftpServer,
  parseXftpServer,
  sameXftpServer,
  type XftpServer,
} from "./server.ts";

export type FileParty = "recipient" | "sender";

/** A sender or recipient key of one chunk replica (PKCS#8 in the YAML). */
export type ReplicaKey = PrivateKey<"Ed25519" | "Ed448" | "X25519">;

export interface FileChunkReplica {
  readonly server: XftpServer;
  /** the recipient ID (or the sender ID in a sender description) */
  readonly replicaId: Uint8Array;
  readonly replicaKey: ReplicaKey;
}

export interface FileChunk {
  /** 1-based */
  readonly chunkNo: number;
  readonly chunkSize: number;
  /** SHA-256 of the chunk */
  readonly digest: Uint8Array;
  readonly replicas: readonly FileChunkReplica[];
}

/** Set when the described file is itself the YAML of the real file's description. */
export interface RedirectFileInfo {
  readonly size: number;
  readonly digest: Uint8Array;
}

export interface FileDescription {
  readonly party: FileParty;
  /** the encrypted size: the sum of the chunk sizes */
  readonly size: number;
  /** SHA-512 of the encrypted file */
  readonly digest: Uint8Array;
  /** 32 bytes */
  readonly key: Uint8Array;
  /** 24 bytes */
  readonly nonce: Uint8Array;
  /** the default chunk size; chunks of another size say so in their first replica */
  readonly chunkSize: number;
  readonly chunks: readonly FileChunk[];
  readonly redirect?: RedirectFileInfo;
}

export type DescriptionResult<T> = { readonly ok: true; readonly value: T } | {
  readonly ok: false;
  readonly error: string;
};

/** A malformed description field (thrown by the replica parsers; `parseFileDescription` returns it as a value). */
export class DescriptionError extends Error {
  override name = "DescriptionError";
}

const fail = (message: string): never => {
  throw new DescriptionError(message);
};

// ---------------------------------------------------------------------------------------------
// FileSize: `N`, `Nkb`, `Nmb` or `Ngb`, in the largest unit that divides exactly

export function encodeFileSize(bytes: number): string {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`bad file size: ${bytes}`);
  if (bytes % KB !== 0) return `${bytes}`;
  if (bytes % MB !== 0) return `${bytes / KB}kb`;
  if (bytes % GB !== 0) return `${bytes / MB}mb`;
  return `${bytes / GB}gb`;
}

/** Parses a FileSize; undefined when malformed. */
export function parseFileSize(text: string): number | undefined {
  const m = /^(\d+)(gb|mb|kb)?$/.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]) * (m[2] === "gb" ? GB : m[2] === "mb" ? MB : m[2] === "kb" ? KB : 1);
  return Number.isSafeInteger(n) ? n : undefined;
}

// ---------------------------------------------------------------------------------------------
// Replicas: `chunkNo:replicaId:replicaKey[:chunkDigest[:chunkSize]]`, grouped by server

/** One replica line of a server group: the digest (and size) only on a chunk's first replica. */
export interface FileServerReplica {
  readonly chunkNo: number;
  readonly server: XftpServer;
  readonly replicaId: Uint8Array;
  readonly replicaKey: ReplicaKey;
  readonly digest?: Uint8Array;
  readonly chunkSize?: number;
}

export function encodeReplicaKey(key: ReplicaKey): string {
  return encodeBase64Url(encodePrivateKeyDer(key));
}

export function parseReplicaKey(text: string): ReplicaKey {
  let key: PrivateKey;
  try {
    key = decodePrivateKeyDer(decodeBytes(text, "replica key"));
  } catch (e) {
    if (e instanceof KeyError) return fail(`bad replica key: ${text}`);
    throw e;
  }
  return key.algorithm === "X448" ? fail("X448 is not a replica key") : key as ReplicaKey;
}

export function encodeServerReplica(r: FileServerReplica): string {
  const digest = r.digest ? `:${encodeBase64Url(r.digest)}` : "";
  const size = r.chunkSize !== undefined ? `:${encodeFileSize(r.chunkSize)}` : "";
  return `${r.chunkNo}:${encodeBase64Url(r.replicaId)}:${encodeReplicaKey(r.replicaKey)}${digest}${size}`;
}

function decodeBytes(text: string, what: string): Uint8Array {
  try {
    return decodeBase64Url(text);
  } catch {
    return fail(`bad ${what}: ${text}`);
  }
}

export function parseServerReplica(server: XftpServer, text: string): FileServerReplica {
  const [no, id, key, digest, size, ...rest] = text.split(":");
  if (!/^\d+$/.test(no ?? "") || id === undefined || key === undefined || rest.length > 0) {
    fail(`bad replica: ${text}`);
  }
  const replica = {
    chunkNo: Number(no),
    server,
    replicaId: decodeBytes(id, "replica ID"),
    replicaKey: parseReplicaKey(key),
  };
  const chunkSize = size === undefined ? undefined : parseFileSize(size) ?? fail(`bad chunk size: ${text}`);
  return {
    ...replica,
    ...(digest === undefined ? {} : { digest: decodeBytes(digest, "chunk digest") }),
    ...(chunkSize === undefined ? {} : { chunkSize }),
  };
}

/**
 * The replicas of every chunk, each chunk's first replica carrying its digest (and its size when
 * not the default), grouped by server in Haskell's server order (`groupReplicasByServer`).
 */
export function groupReplicasByServer(
  defaultChunkSize: number,
  chunks: readonly FileChunk[],
): FileServerReplica[][] {
  const groups: FileServerReplica[][] = [];
  for (const chunk of chunks) {
    chunk.replicas.forEach((r, i) => {
      const replica: FileServerReplica = {
        chunkNo: chunk.chunkNo,
        ...r,
        ...(i === 0 ? { digest: chunk.digest } : {}),
        ...(i === 0 && chunk.chunkSize !== defaultChunkSize ? { chunkSize: chunk.chunkSize } : {}),
      };
      const group = groups.find((g) => sameXftpServer(g[0].server, r.server));
      if (group) group.push(replica);
      else groups.push([replica]);
    });
  }
  return groups.sort((a, b) => compareXftpServers(a[0].server, b[0].server));
}

/** Reassembles chunks from replica lines (`foldReplicasToChunks`). */
function foldReplicasToChunks(defaultChunkSize: number, replicas: readonly FileServerReplica[]): FileChunk[] {
  const sizes = new Map<number, number>();
  const digests = new Map<number, Uint8Array>();
  for (const r of replicas) {
    const size = sizes.get(r.chunkNo);
    const digest = digests.get(r.chunkNo);
    if (r.chunkSize !== undefined) {
      if (size !== undefined && size !== r.chunkSize) fail("different size or digest in chunk replicas");
      sizes.set(r.chunkNo, r.chunkSize);
    }
    if (r.digest) {
      if (digest && !bytesEqual(digest, r.digest)) fail("different size or digest in chunk replicas");
      digests.set(r.chunkNo, r.digest);
    }
  }
  const chunks = new Map<number, { chunk: FileChunk; replicas: FileChunkReplica[] }>();
  for (const { chunkNo, server, replicaId, replicaKey } of replicas) {
    let entry = chunks.get(chunkNo);
    if (!entry) {
      const digest = digests.get(chunkNo) ?? fail("no digest for chunk");
      const chunkSize = sizes.get(chunkNo) ?? defaultChunkSize;
      entry = { chunk: { chunkNo, chunkSize, digest, replicas: [] }, replicas: [] };
      chunks.set(chunkNo, entry);
    }
    entry.replicas.push({ server, replicaId, replicaKey });
  }
  return [...chunks.values()]
    .map(({ chunk, replicas }) => ({ ...chunk, replicas }))
    .sort((a, b) => a.chunkNo - b.chunkNo);
}

// ---------------------------------------------------------------------------------------------
// Validation

/** `validateFileDescription`: chunks numbered 1..n, and their sizes adding up to `size`. */
export function validateFileDescription(fd: FileDescription): string | undefined {
  if (fd.chunks.some((c, i) => c.chunkNo !== i + 1)) return "chunk numbers are not sequential";
  if (fd.chunks.reduce((sum, c) => sum + c.chunkSize, 0) !== fd.size) {
    return "chunks total size is different than file size";
  }
}

// ---------------------------------------------------------------------------------------------
// YAML

// Data.Yaml single-quotes strings that YAML would read as another type
const SPECIAL_STRINGS = new Set(
  "y Y yes Yes YES n N no No NO true True TRUE false False FALSE on On ON off Off OFF null Null NULL ~ *"
    .split(" "),
);
const NUMERIC = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$|^0x[0-9A-Fa-f]+$|^0o[0-7]+$/;

/** A scalar as libyaml emits it: plain when allowed, else single-quoted. */
function yamlScalar(s: string): string {
  const quoted = s === "" || SPECIAL_STRINGS.has(s) || NUMERIC.test(s) ||
    /^[-?:](\s|$)|^[,[\]{}#&*!|>'"%@`]|:(\s|$)|\s#|^\s|\s$|\p{Cc}/u.test(s);
  return quoted ? `'${s.replaceAll("'", "''")}'` : s;
}

/** The description as `Data.Yaml.encode` writes it (and `xftp send` saves it). */
export function encodeFileDescription(fd: FileDescription): string {
  const lines = [
    `chunkSize: ${yamlScalar(encodeFileSize(fd.chunkSize))}`,
    `digest: ${yamlScalar(encodeBase64Url(fd.digest))}`,
    `key: ${yamlScalar(encodeBase64Url(fd.key))}`,
    `nonce: ${yamlScalar(encodeBase64Url(fd.nonce))}`,
    `party: ${fd.party}`,
  ];
  if (fd.redirect) {
    lines.push("redirect:", `  digest: ${yamlScalar(encodeBase64Url(fd.redirect.digest))}`);
    lines.push(`  size: ${fd.redirect.size}`);
  }
  const groups = groupReplicasByServer(fd.chunkSize, fd.chunks);
  lines.push(groups.length === 0 ? "replicas: []" : "replicas:");
  for (const group of groups) {
    lines.push("- chunks:", ...group.map((r) => `  - ${yamlScalar(encodeServerReplica(r))}`));
    lines.push(`  server: ${yamlScalar(encodeXftpServer(group[0].server))}`);
  }
  lines.push(`size: ${yamlScalar(encodeFileSize(fd.size))}`);
  return lines.join("\n") + "\n";
}

type YamlMap = Record<string, unknown>;

function field(map: YamlMap, key: string): string {
  const v = map[key];
  return typeof v === "string" ? v : fail(`${key}: expected a string`);
}

function mapping(v: unknown, what: string): YamlMap {
  return typeof v === "object" && v !== null && !Array.isArray(v)
    ? v as YamlMap
    : fail(`${what}: expected a mapping`);
}

function sequence(v: unknown, what: string): unknown[] {
  return Array.isArray(v) ? v : fail(`${what}: expected a list`);
}

function sizedBytes(text: string, what: string, length: number): Uint8Array {
  const bytes = decodeBytes(text, what);
  return bytes.length === length ? bytes : fail(`${what} must be ${length} bytes`);
}

function fileSizeField(map: YamlMap, key: string, max: number): number {
  const n = parseFileSize(field(map, key));
  return n !== undefined && n <= max ? n : fail(`${key}: bad file size`);
}

function readServerReplicas(item: unknown): FileServerReplica[] {
  const group = mapping(item, "replicas");
  let server: XftpServer;
  try {
    server = parseXftpServer(field(group, "server"));
  } catch (e) {
    return fail((e as Error).message);
  }
  return sequence(group.chunks, "chunks").map((c) =>
    parseServerReplica(server, typeof c === "string" ? c : fail("chunks: expected strings"))
  );
}

function readRedirect(v: unknown): RedirectFileInfo {
  const r = mapping(v, "redirect");
  const size = field(r, "size");
  return {
    size: /^\d+$/.test(size) ? Number(size) : fail(`redirect size: ${size}`),
    digest: decodeBytes(field(r, "digest"), "redirect digest"),
  };
}

function readDescription(yaml: string): FileDescription {
  // every scalar as a string (the failsafe schema): we decode each field ourselves
  const doc = mapping(parseYaml(yaml, { schema: "failsafe" }), "description");
  const party = field(doc, "party");
  if (party !== "recipient" && party !== "sender") return fail(`party: ${party}`);
  const chunkSize = fileSizeField(doc, "chunkSize", 0xffffffff);
  const replicas = sequence(doc.replicas, "replicas").flatMap(readServerReplicas);
  const redirect = doc.redirect === undefined || doc.redirect === null
    ? undefined
    : readRedirect(doc.redirect);
  const fd: FileDescription = {
    party,
    size: fileSizeField(doc, "size", Number.MAX_SAFE_INTEGER),
    digest: decodeBytes(field(doc, "digest"), "digest"),
    key: sizedBytes(field(doc, "key"), "key", 32),
    nonce: sizedBytes(field(doc, "nonce"), "nonce", 24),
    chunkSize,
    chunks: foldReplicasToChunks(chunkSize, replicas),
  };
  return redirect ? { ...fd, redirect } : fd;
}

/** Parses a description's YAML (not yet validated: see `validateFileDescription`). */
export function parseFileDescription(yaml: string): DescriptionResult<FileDescription> {
  try {
    return { ok: true, value: readDescription(yaml) };
  } catch (e) {
    if (e instanceof DescriptionError || (e instanceof Error && e.name.startsWith("YAML"))) {
      return { ok: false, error: e.message };
    }
    throw e;
  }
}

/** Parses and validates, optionally requiring a party (`recv` needs a recipient description). */
export function parseValidFileDescription(
  yaml: string,
  party?: FileParty,
): DescriptionResult<FileDescription> {
  const parsed = parseFileDescription(yaml);
  if (!parsed.ok) return parsed;
  if (party && parsed.value.party !== party) return { ok: false, error: "incorrect XFTP party" };
  const invalid = validateFileDescription(parsed.value);
  return invalid ? { ok: false, error: invalid } : parsed;
}

// ---------------------------------------------------------------------------------------------
// Descriptions of an uploaded file (Client/Main.hs `createRcvFileDescriptions`, `createSndFileDescription`)

/** One chunk as the sender uploaded it: FNEW's IDs and keys on one server. */
export interface SentChunk {
  readonly chunkNo: number;
  readonly chunkSize: number;
  /** SHA-256 of the chunk */
  readonly digest: Uint8Array;
  readonly server: XftpServer;
  readonly senderId: Uint8Array;
  readonly senderKey: ReplicaKey;
  /** SIDS's recipient IDs with the private keys of FNEW's recipient keys, in the same order */
  readonly recipients: readonly { readonly id: Uint8Array; readonly key: ReplicaKey }[];
}

/** The encrypted file the chunks belong to. */
export interface DescribedFile {
  readonly size: number;
  readonly digest: Uint8Array;
  readonly key: Uint8Array;
  readonly nonce: Uint8Array;
  /** the default chunk size: the first (largest) chunk's size */
  readonly chunkSize: number;
}

/**
 * The sender description (each chunk's sender ID and key, for `del`) and one recipient
 * description per recipient: recipient i gets the i-th recipient ID and key of every chunk.
 */
export function createFileDescriptions(
  file: DescribedFile,
  chunks: readonly SentChunk[],
): { sender: FileDescription; recipients: FileDescription[] } {
  const describe = (party: FileParty, replica: (c: SentChunk) => FileChunkReplica): FileDescription => ({
    party,
    ...file,
    chunks: chunks.map((c) => ({
      chunkNo: c.chunkNo,
      chunkSize: c.chunkSize,
      digest: c.digest,
      replicas: [replica(c)],
    })),
  });
  const count = Math.min(...chunks.map((c) => c.recipients.length));
  return {
    sender: describe("sender", (c) => ({ server: c.server, replicaId: c.senderId, replicaKey: c.senderKey })),
    recipients: Array.from(
      { length: chunks.length > 0 ? count : 0 },
      (_, i) =>
        describe("recipient", (c) => ({
          server: c.server,
          replicaId: c.recipients[i].id,
          replicaKey: c.recipients[i].key,
        })),
    ),
  };
}
