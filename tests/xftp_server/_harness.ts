/**
 * An XFTP server under test, served over real TLS on an ephemeral loopback port, with options a
 * configuration file cannot set (clock, TTLs, timeouts), and helpers to make chunks and keys.
 */
import { generateIdentity } from "../../core/x509/identity.ts";
import { fingerprint } from "../../core/x509/fingerprint.ts";
import { dh, generateKeyPair, type KeyPair, randomBytes } from "../../core/crypto/keys.ts";
import { sha256 } from "../../core/crypto/hash.ts";
import { decryptStreamTailTag } from "../../core/crypto/secret_stream.ts";
import type { FileResponse } from "../../core/xftp/mod.ts";
import { type RunningXftpServer, startXftpServer, type XftpServerOptions } from "../../xftp/server.ts";
import { TestClient } from "./_client.ts";

export const identity = generateIdentity({ commonName: "localhost" });
export const xftpIdentity = {
  keyHash: fingerprint(identity.ca.cert),
  chain: [identity.server.cert, identity.ca.cert],
  signKey: identity.server.key,
};

export const CHUNK = 64 * 1024;

export interface Harness {
  readonly server: RunningXftpServer;
  readonly dir: string;
  readonly filesPath: string;
  connect(o?: { handshake?: boolean; alpn?: string[]; serverName?: string }): Promise<TestClient>;
  close(): Promise<void>;
}

export async function startServer(
  options: Partial<XftpServerOptions> = {},
  dir?: string,
): Promise<Harness> {
  dir ??= await Deno.makeTempDir({ prefix: "xftp-test-" });
  const filesPath = options.filesPath ?? `${dir}/files`;
  const server = await startXftpServer({
    identity: xftpIdentity,
    port: 0,
    hostname: "127.0.0.1",
    ...options,
    filesPath,
  });
  const clients: TestClient[] = [];
  return {
    server,
    dir,
    filesPath,
    async connect(o = {}) {
      const c = await TestClient.connect(server.port, { alpn: o.alpn, serverName: o.serverName });
      clients.push(c);
      if (o.handshake ?? true) await c.handshake();
      return c;
    },
    async close() {
      await Promise.allSettled(clients.map((c) => c.close()));
      await server.close();
    },
  };
}

export interface TestChunk {
  readonly bytes: Uint8Array;
  readonly digest: Uint8Array;
  readonly sender: KeyPair<"Ed25519">;
  readonly recipients: KeyPair<"Ed25519">[];
}

export function makeChunk(recipients = 1, size = CHUNK): TestChunk {
  const bytes = randomBytes(size);
  return {
    bytes,
    digest: sha256(bytes),
    sender: generateKeyPair("Ed25519"),
    recipients: Array.from({ length: recipients }, () => generateKeyPair("Ed25519")),
  };
}

export function expectType<T extends FileResponse["type"]>(
  r: FileResponse,
  type: T,
): Extract<FileResponse, { type: T }> {
  if (r.type !== type) throw new Error(`expected ${type}, got ${JSON.stringify(r)}`);
  return r as Extract<FileResponse, { type: T }>;
}

/** The error tag of an ERR response (`CMD SYNTAX` style), the response type, or "chunk" for downloaded bytes. */
export function errorOf(r: FileResponse | Uint8Array): string {
  if (r instanceof Uint8Array) return "chunk";
  if (r.type !== "ERR") return r.type;
  const e = r.error;
  return e.type === "CMD" ? `CMD ${e.error}` : e.type;
}

/** FNEW with the chunk's keys; returns the sender ID and recipient IDs. */
export async function createChunk(c: TestClient, chunk: TestChunk, basicAuth?: string) {
  const { response } = await c.command(
    {
      type: "FNEW",
      sndKey: chunk.sender.publicKey,
      size: chunk.bytes.length,
      digest: chunk.digest,
      rcvKeys: chunk.recipients.map((r) => r.publicKey),
      ...(basicAuth === undefined ? {} : { basicAuth: new TextEncoder().encode(basicAuth) }),
    },
    undefined,
    chunk.sender.privateKey,
  );
  return expectType(response, "SIDS");
}

export async function uploadChunk(
  c: TestClient,
  senderId: Uint8Array,
  chunk: TestChunk,
  body: Uint8Array | readonly Uint8Array[] = chunk.bytes,
) {
  return (await c.command({ type: "FPUT" }, senderId, chunk.sender.privateKey, body)).response;
}

/** FGET with a fresh X25519 key; decrypts and returns the chunk, or the error response. */
export async function downloadChunk(
  c: TestClient,
  recipientId: Uint8Array,
  key: KeyPair<"Ed25519">,
): Promise<Uint8Array | FileResponse> {
  const dhKeys = generateKeyPair("X25519");
  const { response, rest } = await c.command(
    { type: "FGET", dhKey: dhKeys.publicKey },
    recipientId,
    key.privateKey,
  );
  if (response.type !== "FILE") return response;
  const secret = dh(response.dhKey, dhKeys.privateKey);
  const plain = decryptStreamTailTag(secret, response.nonce, rest);
  if (!plain.ok) throw new Error("transit decryption failed");
  return plain.value;
}

export async function listFiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}
