/**
 * A small XFTP client for the server tests: our TLS (core/tls) with node:http2 on top, the native
 * handshake (empty hello, then the padded client handshake) or the web one (SNI, challenge,
 * headers), and commands as single POSTs whose body may carry a chunk.
 */
import http2 from "node:http2";
import { connect, SignatureScheme, type TlsConnection } from "../../core/tls/mod.ts";
import { concatBytes } from "../../core/encoding/bytes.ts";
import { randomBytes } from "../../core/crypto/keys.ts";
import { sha256 } from "../../core/crypto/hash.ts";
import {
  decodeResponseBlock,
  encodeClientHandshake,
  encodeCommandBlock,
  encodeWebHello,
  type FileCommand,
  type FileResponse,
  parseServerHello,
  verifyServerHello,
  XFTP_BLOCK_SIZE,
  type XftpAuthKey,
  type XftpServerHello,
} from "../../core/xftp/mod.ts";

export interface HttpResponse {
  readonly status: number;
  readonly headers: http2.IncomingHttpHeaders;
  readonly body: Uint8Array;
}

export interface ConnectOptions {
  readonly alpn?: readonly string[];
  /** sent as SNI (web clients) */
  readonly serverName?: string;
}

export class TestClient {
  /** the session ID the server's hello named (the TLS one until a hello) */
  sessionId: Uint8Array;
  hello?: XftpServerHello;

  private constructor(readonly tls: TlsConnection, readonly session: http2.ClientHttp2Session) {
    this.sessionId = tls.sessionId;
  }

  static async connect(port: number, o: ConnectOptions = {}): Promise<TestClient> {
    const tls = await connect({
      hostname: "127.0.0.1",
      port,
      serverName: o.serverName,
      // an empty list sends no ALPN at all (legacy v1 clients)
      alpnProtocols: o.alpn?.length === 0 ? undefined : o.alpn ?? ["xftp/1"],
      // a browser also verifies ECDSA web certificates
      signatureSchemes: o.serverName === undefined
        ? undefined
        : [SignatureScheme.ecdsa_secp256r1_sha256, SignatureScheme.ed25519, SignatureScheme.ed448],
      verifyServerChain: () => {},
    });
    // the peer's close_notify ends the connection (the TLS duplex does not half-close by itself)
    tls.duplex.on("end", () => tls.duplex.destroy());
    const session = http2.connect(`https://${o.serverName ?? "localhost"}:${port}`, {
      createConnection: () => tls.duplex as unknown as import("node:net").Socket,
    });
    session.on("error", () => {});
    return new TestClient(tls, session);
  }

  /** One request; `body` parts are written in order. */
  request(
    body: Uint8Array | readonly Uint8Array[],
    headers: http2.OutgoingHttpHeaders = {},
    method = "POST",
  ): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      const req = this.session.request({ ":method": method, ":path": "/", ...headers });
      const chunks: Uint8Array[] = [];
      let status = 0;
      let responseHeaders: http2.IncomingHttpHeaders = {};
      req.on("response", (h) => {
        status = Number(h[":status"]);
        responseHeaders = h;
      });
      req.on("data", (c: Uint8Array) => chunks.push(new Uint8Array(c)));
      req.on("end", () => resolve({ status, headers: responseHeaders, body: concatBytes(...chunks) }));
      req.on("error", reject);
      const parts = body instanceof Uint8Array ? [body] : body;
      if (method === "OPTIONS" || method === "GET") return void req.end();
      for (const p of parts) req.write(p);
      req.end();
    });
  }

  /** The native hello and client handshake; returns the hello. */
  async handshake(version = 3): Promise<XftpServerHello> {
    const r = await this.request(new Uint8Array(0));
    const hello = parseServerHello(r.body);
    if (!hello.ok) throw hello.error;
    this.hello = hello.value;
    this.sessionId = hello.value.sessionId;
    const ack = await this.request(encodeClientHandshake({ version, keyHash: keyHashOf(hello.value) }));
    if (ack.body.length !== 0) {
      throw new Error(`handshake refused: ${new TextDecoder().decode(ack.body.slice(2, 20))}`);
    }
    return hello.value;
  }

  /** The web hello with a fresh challenge, checked as xftp-web checks it. */
  async webHello(keyHash: Uint8Array): Promise<XftpServerHello> {
    const challenge = randomBytes(32);
    const r = await this.request(encodeWebHello(challenge), { "xftp-web-hello": "1" });
    const hello = parseServerHello(r.body);
    if (!hello.ok) throw hello.error;
    const v = verifyServerHello(hello.value, keyHash, { challenge });
    if (!v.ok) throw new Error(`hello rejected: ${v.message}`);
    this.hello = hello.value;
    this.sessionId = hello.value.sessionId;
    return hello.value;
  }

  async webHandshake(keyHash: Uint8Array, version = 3): Promise<HttpResponse> {
    return await this.request(encodeClientHandshake({ version, keyHash }), { "xftp-handshake": "1" });
  }

  /** Sends a command (with an optional chunk after the block) and decodes the response block. */
  async command(
    command: FileCommand,
    entityId: Uint8Array = new Uint8Array(0),
    key?: XftpAuthKey,
    chunk?: Uint8Array | readonly Uint8Array[],
    headers: http2.OutgoingHttpHeaders = {},
  ): Promise<{ response: FileResponse; rest: Uint8Array; http: HttpResponse }> {
    const block = encodeCommandBlock(this.sessionId, new Uint8Array(0), entityId, command, key);
    const parts = chunk === undefined ? [block] : [block, ...(chunk instanceof Uint8Array ? [chunk] : chunk)];
    const http = await this.request(parts, headers);
    return { ...decodeResponse(http.body, this.sessionId), http };
  }

  async close(): Promise<void> {
    if (!this.session.closed) await new Promise<void>((resolve) => this.session.close(() => resolve()));
    await this.tls.close();
  }
}

/** The identity the hello's chain names: SHA-256 of its CA certificate. */
export function keyHashOf(hello: XftpServerHello): Uint8Array {
  return sha256(hello.certChain[hello.certChain.length - 1]);
}

export function decodeResponse(
  body: Uint8Array,
  sessionId: Uint8Array,
): { response: FileResponse; rest: Uint8Array } {
  const d = decodeResponseBlock(body.subarray(0, XFTP_BLOCK_SIZE), sessionId);
  if (!d.ok) return { response: { type: "ERR", error: d.error }, rest: body.subarray(XFTP_BLOCK_SIZE) };
  return { response: d.response, rest: body.subarray(XFTP_BLOCK_SIZE) };
}
