/**
 * A running XFTP server (Server.hs `xftpServer`, xftp.md §1): TLS with ALPN `xftp/1`, `h2` and
 * `http/1.1` and an optional SNI web certificate, HTTP/2 on every connection whatever the ALPN,
 * routing by ALPN to the handshake and the command processor, CORS for browsers, and the periodic
 * jobs (file expiry, inactive clients).
 */
import http2 from "node:http2";
import { listening } from "../core/server/listen.ts";
import { encodePrivateKeyDer, type PrivateKey } from "../core/crypto/keys.ts";
import { listen, type ServerCertificate, type TlsConnection } from "../core/tls/mod.ts";
import { XFTP_BLOCK_SIZE } from "../core/xftp/mod.ts";
import { RequestBody } from "./body.ts";
import { sendEncryptedChunk } from "./chunk_files.ts";
import { writeStream } from "./h2_write.ts";
import { type FileReply, FileServer, type FileServerOptions } from "./file_server.ts";
import { XftpHandshakes, type XftpIdentity } from "./handshake.ts";
import { serveStaticFile } from "./static_files.ts";

/** The server's ALPN list, in its order of preference (`alpnSupportedXFTPhandshakes <> httpALPN`). */
export const XFTP_ALPN = ["xftp/1", "h2", "http/1.1"];

/** HTTP/2 stream window for chunk transfers (a 4 MiB chunk plus its command block fits). */
export const H2_WINDOW = 8 * 1024 * 1024;

const CORS_HEADERS = { "access-control-allow-origin": "*", "access-control-expose-headers": "*" };
const CORS_PREFLIGHT_HEADERS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "POST, OPTIONS",
  "access-control-allow-headers": "*",
  "access-control-max-age": "86400",
};
/** What is read of a body that is not used (an FPUT refused before its upload) before the stream is reset. */
const MAX_DISCARDED_BODY = 4 * 1024 * 1024 + 2 * XFTP_BLOCK_SIZE;
const DISCARD_IDLE_MS = 5000;

export interface XftpServerOptions extends FileServerOptions {
  readonly identity: XftpIdentity;
  /** 0 picks a free port */
  readonly port: number;
  /** default 0.0.0.0, as the reference listens on all interfaces */
  readonly hostname?: string;
  /** `[WEB] cert/key`: presented to clients that send SNI, and turns on CORS for them */
  readonly webCredential?: {
    readonly chain: readonly Uint8Array[];
    readonly privateKey: Uint8Array | string;
  };
  readonly alpn?: readonly string[];
  /** seconds after which files expire; unset: never */
  readonly fileTtl?: number;
  /** milliseconds between expiry checks; default 2 hours */
  readonly expireInterval?: number;
  /** seconds: close connections without a request for `ttl`, checked every `checkInterval` */
  readonly inactiveClients?: { readonly ttl: number; readonly checkInterval: number };
  readonly webStaticPath?: string;
  readonly onTlsError?: (message: string) => void;
}

export interface RunningXftpServer {
  readonly files: FileServer;
  readonly handshakes: XftpHandshakes;
  readonly port: number;
  /** open client connections */
  readonly connections: number;
  close(): Promise<void>;
}

interface ConnectionInfo {
  readonly conn: TlsConnection;
  readonly sessionId: Uint8Array;
  readonly alpn: string | undefined;
  readonly sniUsed: boolean;
  activeAt: number;
}

export async function startXftpServer(o: XftpServerOptions): Promise<RunningXftpServer> {
  await Deno.mkdir(o.filesPath, { recursive: true });
  const files = new FileServer(o);
  const handshakes = new XftpHandshakes(o.identity);
  const xftpCertificate: ServerCertificate = {
    chain: o.identity.chain,
    privateKey: encodePrivateKeyDer(o.identity.signKey),
  };
  const webCertificate: ServerCertificate | undefined = o.webCredential
    ? { chain: o.webCredential.chain, privateKey: o.webCredential.privateKey }
    : undefined;
  const alpn = o.alpn ?? XFTP_ALPN;
  const listener = listening(o.port, "[TRANSPORT] port", () =>
    listen({
      port: o.port,
      hostname: o.hostname ?? "0.0.0.0",
      certificates: webCertificate ? [xftpCertificate, webCertificate] : [xftpCertificate],
      selectCertificate: (sni) => (sni !== undefined && webCertificate ? webCertificate : xftpCertificate),
      alpnProtocols: alpn,
      // the server's preference wins: the first of its protocols the client offered
      selectAlpn: (offered) => alpn.find((p) => offered.includes(p)),
      onHandshakeError: (e) => o.onTlsError?.(e.message),
      // a connection that streams a chunk reads up to 256 KiB at a time (the TLS default is 64 KiB)
      maxReadSize: 256 * 1024,
    }));
  const connections = new Set<ConnectionInfo>();
  const serving = new Set<Promise<void>>();
  const timers: ReturnType<typeof setInterval>[] = [];
  if (o.fileTtl !== undefined) {
    const ttl = o.fileTtl;
    files.expireFiles(ttl);
    timers.push(setInterval(() => files.expireFiles(ttl), o.expireInterval ?? 2 * 3600_000));
  }
  if (o.inactiveClients) {
    const { ttl, checkInterval } = o.inactiveClients;
    timers.push(setInterval(() => {
      const old = Date.now() - ttl * 1000;
      for (const c of connections) if (c.activeAt < old) c.conn.duplex.destroy();
    }, checkInterval * 1000));
  }

  const accepting = (async () => {
    for await (const conn of listener) {
      const info: ConnectionInfo = {
        conn,
        sessionId: conn.sessionId,
        alpn: conn.alpn,
        sniUsed: conn.sni !== undefined && webCertificate !== undefined,
        activeAt: Date.now(),
      };
      connections.add(info);
      const done = serveConnection(info, { files, handshakes, webStaticPath: o.webStaticPath }).finally(
        () => {
          connections.delete(info);
          handshakes.drop(info.sessionId);
          serving.delete(done);
        },
      );
      serving.add(done);
    }
  })();

  return {
    files,
    handshakes,
    port: listener.addr.port,
    get connections() {
      return connections.size;
    },
    async close() {
      for (const t of timers) clearInterval(t);
      listener.close();
      await accepting;
      for (const c of connections) c.conn.duplex.destroy();
      await Promise.allSettled([...serving]);
    },
  };
}

interface Services {
  readonly files: FileServer;
  readonly handshakes: XftpHandshakes;
  readonly webStaticPath?: string;
}

/** HTTP/2 over one TLS connection; resolves when the connection has closed. */
function serveConnection(info: ConnectionInfo, services: Services): Promise<void> {
  // 4 MiB chunks move in far fewer round trips with windows well above HTTP/2's 64 KiB default
  const h2 = http2.createServer({ settings: { initialWindowSize: H2_WINDOW }, maxSessionMemory: 64 });
  const duplex = info.conn.duplex;
  // a failing client ends its own connection or stream, never the server
  duplex.on("error", () => {});
  h2.on("sessionError", () => {});
  // the peer's close_notify or EOF ends the connection; the TLS layer cannot half-close
  duplex.on("end", () => duplex.destroy());
  const closed = new Promise<void>((resolve) => duplex.on("close", resolve));
  let open = 0;
  let peerGoaway = false;
  h2.on("session", (session) => {
    // the connection window too, or uploads crawl at 64 KiB per window update; one window's
    // worth (two chunks) bounds what a client has in flight
    session.setLocalWindowSize(H2_WINDOW);
    // Deno 2.9's node:http2 answers a client's GOAWAY with its own (session.close), which can
    // abort the whole process in nghttp2 (assertion in find_stream_on_goaway_func; `xftp recv`
    // against a server process hit it 4 runs in 5). Close the connection ourselves instead,
    // once the client's last stream is done.
    session.close = () => {};
    session.on("goaway", () => {
      peerGoaway = true;
      if (open === 0) duplex.destroy();
    });
  });
  h2.on("stream", (stream, headers) => {
    open++;
    stream.on("close", () => {
      open--;
      if (peerGoaway && open === 0) duplex.destroy();
    });
    stream.on("error", () => {});
    info.activeAt = Date.now();
    handleStream(info, services, stream, headers).catch(() => {
      if (!stream.destroyed) stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    });
  });
  h2.emit("connection", duplex);
  return closed;
}

async function handleStream(
  info: ConnectionInfo,
  services: Services,
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
): Promise<void> {
  const cors = info.sniUsed ? CORS_HEADERS : {};
  const method = headers[":method"];
  if (method === "OPTIONS" && info.sniUsed) {
    stream.respond({ ":status": 200, ...CORS_PREFLIGHT_HEADERS }, { endStream: true });
    return;
  }
  if (method === "GET" && info.sniUsed) {
    await serveStaticFile(stream, services.webStaticPath, headers[":path"] ?? "/");
    return;
  }
  const body = new RequestBody(stream);
  const head = await body.head(XFTP_BLOCK_SIZE);
  const session = routeRequest(info, services.handshakes, headers, head);
  if ("reply" in session) {
    stream.respond({ ":status": 200, ...cors }, { endStream: session.reply.length === 0 });
    if (session.reply.length > 0) stream.end(session.reply);
    discardRest(stream, body);
    return;
  }
  const r = await services.files.process({ sessionId: info.sessionId, ...session, head, body });
  await sendReply(stream, cors, r);
  if (r.abandonBody) stream.close(http2.constants.NGHTTP2_NO_ERROR);
  else discardRest(stream, body);
}

/**
 * Which handshake a request goes through, by the negotiated ALPN (xftp.md §1.1): none is legacy
 * v1 without a handshake; `xftp/1`, `http/1.1` and `h2` with SNI run the state machine; anything
 * else gets an empty 200.
 */
function routeRequest(
  info: ConnectionInfo,
  handshakes: XftpHandshakes,
  headers: http2.IncomingHttpHeaders,
  head: Uint8Array,
): { reply: Uint8Array } | { version: number; serverDhKey?: PrivateKey<"X25519"> } {
  const alpn = info.alpn;
  if (alpn === undefined) return { version: 1 };
  if (alpn !== "xftp/1" && alpn !== "http/1.1" && !(alpn === "h2" && info.sniUsed)) {
    return { reply: new Uint8Array(0) };
  }
  const outcome = handshakes.handle({
    sessionId: info.sessionId,
    sniUsed: info.sniUsed,
    webHello: headers["xftp-web-hello"] !== undefined,
    webHandshake: headers["xftp-handshake"] !== undefined,
    head,
  });
  return outcome.type === "reply"
    ? { reply: outcome.body }
    : { version: outcome.version, serverDhKey: outcome.serverDhKey };
}

async function sendReply(stream: http2.ServerHttp2Stream, cors: object, r: FileReply): Promise<void> {
  if (stream.destroyed) return;
  stream.respond({ ":status": 200, ...cors });
  await writeStream(stream, r.block);
  if (r.download) {
    const { path, size, key, nonce } = r.download;
    await sendEncryptedChunk(path, size, key, nonce, (bytes) => writeAndRelease(stream, bytes));
  }
  stream.end();
}

/**
 * Writes, resolving once the stream is done with `bytes` (they may be reused); rejects if the
 * stream closes or fails first.
 */
function writeAndRelease(stream: http2.ServerHttp2Stream, bytes: Uint8Array): Promise<void> {
  if (stream.destroyed) return Promise.reject(new Error("stream closed"));
  return new Promise((resolve, reject) => {
    stream.write(bytes, (error) => (error ? reject(error) : resolve()));
  });
}

/**
 * Reads what the client still sends after the answer, so that it is not blocked; too much, or
 * nothing for a while, ends the request (RST_STREAM NO_ERROR after a complete response).
 */
function discardRest(stream: http2.ServerHttp2Stream, body: RequestBody): void {
  (async () => {
    let n = 0;
    while (true) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const idle = new Promise<"idle">((
        resolve,
      ) => (timer = setTimeout(() => resolve("idle"), DISCARD_IDLE_MS)));
      const c = await Promise.race([body.next(), idle]);
      clearTimeout(timer);
      if (c === null) return;
      if (c === "idle" || (n += c.length) > MAX_DISCARDED_BODY) {
        if (!stream.destroyed) stream.close(http2.constants.NGHTTP2_NO_ERROR);
        return;
      }
    }
  })().catch(() => {});
}
