/**
 * A browser XFTP client on fetch() and WebCrypto, just enough for one chunk: the web hello and
 * client handshake (xftp.md §1.3-§1.4), then FNEW, FPUT and FGET (§1.5, §2). Every request is a
 * cross-origin POST with an `xftp-*` header or an octet body, so the browser sends a CORS preflight
 * first. It runs in Chromium: it imports only core/ modules without `node:` dependencies.
 */
import { Reader, Writer } from "../../core/encoding/binary.ts";
import { pad, unpad } from "../../core/encoding/padding.ts";
import { bytesEqual, concatBytes, utf8 } from "../../core/encoding/bytes.ts";
import { decryptStreamTailTag } from "../../core/crypto/secret_stream.ts";
import { bufferOf, type ServerHello, verifyServerHello } from "./_identity.ts";

const BLOCK = 16384;
/** the versions this client speaks: 3 only changes which errors the server may send */
const CLIENT_VERSIONS = { min: 1, max: 3 };
const EMPTY = new Uint8Array(0);

export interface ChunkIds {
  readonly senderId: Uint8Array;
  readonly recipientId: Uint8Array;
}

export class XftpWebClient {
  private constructor(readonly url: string, readonly sessionId: Uint8Array, readonly version: number) {}

  /** Web hello with a fresh challenge, identity checks, then the client handshake. */
  static async connect(url: string, keyHash: Uint8Array): Promise<XftpWebClient> {
    const challenge = randomBytes(32);
    const helloRequest = new Writer().maybe(challenge, (w, c) => w.shortBytes(c)).finish();
    const hello = parseServerHello(await post(url, pad(helloRequest, BLOCK), { "xftp-web-hello": "1" }));
    await verifyServerHello(hello, keyHash, challenge);
    const version = Math.min(CLIENT_VERSIONS.max, hello.versions.max);
    if (version < Math.max(CLIENT_VERSIONS.min, hello.versions.min)) {
      throw new Error("no common XFTP version");
    }
    const handshake = new Writer().word16(version).shortBytes(keyHash).finish();
    const ack = await post(url, pad(handshake, BLOCK), { "xftp-handshake": "1" });
    if (ack.length !== 0) throw new Error(`client handshake refused: ${describe(ack)}`);
    return new XftpWebClient(url, hello.sessionId, version);
  }

  /** FNEW for one recipient, signed with the new sender key; returns the IDs from SIDS. */
  async create(
    chunk: { size: number; digest: Uint8Array },
    sender: CryptoKeyPair,
    recipient: CryptoKeyPair,
  ): Promise<ChunkIds> {
    const command = new Writer().ascii("FNEW").space()
      .shortBytes(await spki(sender.publicKey)).word32(chunk.size).shortBytes(chunk.digest)
      .list([await spki(recipient.publicKey)], (w, k) => w.shortBytes(k))
      .maybe(undefined, () => {}) // no server password
      .finish();
    const r = await this.#command(command, EMPTY, sender.privateKey);
    const sids = new Reader(expect(r.response, "SIDS"));
    const senderId = sids.shortBytes();
    const [recipientId] = sids.list((r) => r.shortBytes());
    return { senderId, recipientId };
  }

  /** FPUT: the chunk follows the command block in the same request body. */
  async upload(senderId: Uint8Array, sender: CryptoKeyPair, chunk: Uint8Array): Promise<void> {
    const r = await this.#command(utf8.encode("FPUT"), senderId, sender.privateKey, chunk);
    expect(r.response, "OK");
  }

  /** FGET with a per-download X25519 key; decrypts the transit layer (§2.4) and returns the chunk. */
  async download(recipientId: Uint8Array, recipient: CryptoKeyPair): Promise<Uint8Array> {
    const dhKeys = await crypto.subtle.generateKey({ name: "X25519" }, false, [
      "deriveBits",
    ]) as CryptoKeyPair;
    const command = new Writer().ascii("FGET").space().shortBytes(await spki(dhKeys.publicKey)).finish();
    const r = await this.#command(command, recipientId, recipient.privateKey);
    const file = new Reader(expect(r.response, "FILE"));
    const serverKey = await crypto.subtle.importKey(
      "spki",
      bufferOf(file.shortBytes()),
      { name: "X25519" },
      false,
      [],
    );
    const nonce = file.bytes(24);
    const secret = new Uint8Array(
      await crypto.subtle.deriveBits({ name: "X25519", public: serverKey }, dhKeys.privateKey, 256),
    );
    const plain = decryptStreamTailTag(secret, nonce, r.rest);
    if (!plain.ok) throw new Error("transit decryption failed");
    return plain.value;
  }

  /** `pad(0x01 ‖ large(short(sig) ‖ short(sessionId) ‖ short(corrId) ‖ short(entityId) ‖ cmd))` */
  async #command(command: Uint8Array, entityId: Uint8Array, key: CryptoKey, extra: Uint8Array = EMPTY) {
    const signed = new Writer().shortBytes(this.sessionId).shortBytes(EMPTY).shortBytes(entityId)
      .bytes(command).finish();
    const signature = new Uint8Array(await crypto.subtle.sign("Ed25519", key, bufferOf(signed)));
    const transmission = new Writer().shortBytes(signature).bytes(signed).finish();
    const block = pad(new Writer().byte(1).largeBytes(transmission).finish(), BLOCK);
    const body = await post(this.url, concatBytes(block, extra));
    const t = new Reader(unpad(body.subarray(0, BLOCK)));
    if (t.byte() !== 1) throw new Error("response batch of more than one");
    const r = new Reader(t.largeBytes());
    r.shortBytes(); // responses are unsigned
    if (!bytesEqual(r.shortBytes(), this.sessionId)) throw new Error("response for another session");
    r.shortBytes(); // corrId
    r.shortBytes(); // entityId
    return { response: r.tail(), rest: body.subarray(BLOCK) };
  }
}

async function post(
  url: string,
  body: Uint8Array,
  headers: Record<string, string> = {},
): Promise<Uint8Array> {
  const res = await fetch(url, { method: "POST", body: bufferOf(body), headers });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

function parseServerHello(padded: Uint8Array): ServerHello & { versions: { min: number; max: number } } {
  if (padded.length !== BLOCK) throw new Error(`server hello: ${describe(padded)}`);
  const r = new Reader(unpad(padded));
  return {
    versions: r.versionRange(),
    sessionId: r.shortBytes(),
    certChain: r.list((r) => r.largeBytes()),
    signedDhKey: r.largeBytes(),
    webIdentityProof: r.shortBytes(),
  };
}

/** The fields after `tag ` of a response, or an error naming what came instead. */
function expect(response: Uint8Array, tag: string): Uint8Array {
  const r = new Reader(response);
  if (r.tag() !== tag) throw new Error(`expected ${tag}, got ${utf8.decode(response.subarray(0, 64))}`);
  if (r.atEnd()) return EMPTY;
  r.space();
  return r.tail();
}

/** A handshake error is a bare padded tag (§1.2). */
function describe(body: Uint8Array): string {
  return body.length === BLOCK ? utf8.decode(unpad(body)) : `${body.length} bytes`;
}

async function spki(key: CryptoKey): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.exportKey("spki", key));
}

/** `getRandomValues` fills at most 64 KiB per call. */
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}
