/**
 * The servers' static website (`[WEB] static_path`, the reference's Server/Web.hs): files under the
 * root, `/` as `index.html`, never outside it; served on the `[WEB] http`/`https` ports, and on an
 * SMP or XFTP port to clients that send SNI (browsers).
 */
import { type Ini, IniError } from "../config/ini.ts";
import { listening } from "./listen.ts";
import { readCertificateChainFile } from "../x509/files.ts";

const CONTENT_TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript",
  mjs: "text/javascript",
  css: "text/css",
  json: "application/json",
  svg: "image/svg+xml",
  png: "image/png",
  ico: "image/x-icon",
  wasm: "application/wasm",
  txt: "text/plain; charset=utf-8",
};

/** The file a request path names, or undefined when it would leave the root. */
export function staticFilePath(root: string, requestPath: string): string | undefined {
  let path: string;
  try {
    path = decodeURIComponent(requestPath.split(/[?#]/)[0]);
  } catch {
    return undefined;
  }
  const segments = path.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.some((s) => s === ".." || s.includes("\\") || s.includes("\0"))) return undefined;
  if (path.endsWith("/") || segments.length === 0) segments.push("index.html");
  return [root.replace(/\/+$/, ""), ...segments].join("/");
}

export interface StaticFile {
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly contentType: string;
}

/** The file a request path names under `root`, or undefined (missing, or outside the root). */
export async function readStaticFile(
  root: string | undefined,
  requestPath: string,
): Promise<StaticFile | undefined> {
  const path = root === undefined ? undefined : staticFilePath(root, requestPath);
  if (path === undefined) return undefined;
  try {
    const bytes = await Deno.readFile(path);
    const ext = path.slice(path.lastIndexOf(".") + 1).toLowerCase();
    return { bytes, contentType: CONTENT_TYPES[ext] ?? "application/octet-stream" };
  } catch {
    return undefined;
  }
}

/**
 * The embedded web server (`[WEB] http` and `https`, the reference's `serveStaticFiles`): the same
 * static files on their own port, over plain HTTP or HTTPS with the `[WEB]` certificate.
 */
export function serveStaticSite(o: {
  readonly port: number;
  readonly root: string;
  readonly hostname?: string;
  readonly tls?: { readonly cert: string; readonly key: string };
}): { readonly port: number; close(): Promise<void> } {
  const server = listening(o.port, o.tls ? "[WEB] https" : "[WEB] http", () =>
    Deno.serve({
      port: o.port,
      hostname: o.hostname ?? "0.0.0.0",
      onListen: () => {},
      ...(o.tls ? { cert: o.tls.cert, key: o.tls.key } : {}),
    }, async (req) => {
      if (req.method !== "GET" && req.method !== "HEAD") return new Response(null, { status: 405 });
      const file = await readStaticFile(o.root, new URL(req.url).pathname);
      if (!file) return new Response("Not found", { status: 404 });
      return new Response(req.method === "HEAD" ? null : file.bytes, {
        headers: { "content-type": file.contentType },
      });
    }));
  return { port: server.addr.port, close: () => server.shutdown() };
}

/** `[WEB]` of smp-server.ini and file-server.ini. */
export interface WebConfig {
  /** where the static site is (and the generated information page goes) */
  readonly staticPath?: string;
  /** a plain HTTP port for the site */
  readonly httpPort?: number;
  /** an HTTPS port for the site, with `credential` */
  readonly httpsPort?: number;
  /** PEM files: the certificate shown to clients that send SNI (browsers) */
  readonly credential?: { readonly cert: string; readonly key: string };
}

/**
 * What an operator should know about the `[WEB]` certificate before browsers meet it: browsers
 * accept no Ed25519 or Ed448 certificate in TLS (Chromium fails with "Failed to fetch"), and this
 * server's TLS signs with no RSA key. A file that cannot be read is left to the server's start.
 */
export async function webCertificateWarnings(web: WebConfig): Promise<string[]> {
  if (!web.credential) return [];
  const path = web.credential.cert;
  const leaf = await readCertificateChainFile(path).then((c) => c[0], () => undefined);
  const type = leaf?.publicKey.type;
  if (type === "Ed25519" || type === "Ed448") {
    return [
      `[WEB] cert ${path} has an ${type} key, which browsers do not accept in TLS: the site and the ` +
      `web client will not load; use an ECDSA P-256 certificate (e.g. certbot --key-type ecdsa)`,
    ];
  }
  if (type === "RSA") {
    return [
      `[WEB] cert ${path} has an RSA key, which this server cannot use; use an ECDSA P-256 certificate`,
    ];
  }
  return [];
}

/** Reads `[WEB]`, checking that the ports have a site to serve and HTTPS a certificate. */
export function parseWebConfig(ini: Ini): WebConfig {
  const cert = ini.string("WEB", "cert") || undefined;
  const key = ini.string("WEB", "key") || undefined;
  if ((cert === undefined) !== (key === undefined)) {
    throw new IniError(`${ini.path}: [WEB] cert and key must be set together`);
  }
  const staticPath = ini.string("WEB", "static_path") || undefined;
  if ((ini.has("WEB", "http") || ini.has("WEB", "https")) && !staticPath) {
    throw new IniError(`${ini.path}: [WEB] http and https serve static_path, which is not set`);
  }
  if (ini.has("WEB", "https") && (cert === undefined || key === undefined)) {
    throw new IniError(`${ini.path}: [WEB] https needs cert and key`);
  }
  return {
    staticPath,
    httpPort: ini.int("WEB", "http", undefined, 1, 65535),
    httpsPort: ini.int("WEB", "https", undefined, 1, 65535),
    credential: cert && key ? { cert, key } : undefined,
  };
}

/** What `serveHttp1` reads from and writes to: a TLS connection. */
export interface HttpStream {
  read(): Promise<Uint8Array | null>;
  write(data: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

const MAX_REQUEST_HEAD = 8192;
const REQUEST_TIMEOUT_MS = 10_000;
const utf8 = new TextEncoder();

/**
 * One HTTP/1.1 `GET` or `HEAD` of the static site on a connection that arrived on a server's own
 * port with SNI (a browser), then the connection is closed. A head over 8 KB, a request that takes
 * over 10 s or anything but a well-formed request line gets a 4xx (or a bare close).
 */
export async function serveHttp1(conn: HttpStream, root: string | undefined): Promise<void> {
  const timer = setTimeout(() => conn.close().catch(() => {}), REQUEST_TIMEOUT_MS);
  try {
    const head = await readRequestHead(conn);
    if (head === undefined) return;
    const m = /^(GET|HEAD|[A-Z]+) (\/\S*) HTTP\/1\.[01]$/.exec(head.split("\r\n", 1)[0]);
    if (!m) return await respond(conn, 400, "text/plain; charset=utf-8", utf8.encode("Bad request\n"));
    if (m[1] !== "GET" && m[1] !== "HEAD") {
      return await respond(conn, 405, "text/plain; charset=utf-8", utf8.encode("Method not allowed\n"));
    }
    const file = await readStaticFile(root, m[2]);
    if (!file) return await respond(conn, 404, "text/plain; charset=utf-8", utf8.encode("Not found\n"));
    await respond(conn, 200, file.contentType, file.bytes, m[1] === "HEAD");
  } catch {
    // the browser went away
  } finally {
    clearTimeout(timer);
    await conn.close().catch(() => {});
  }
}

async function readRequestHead(conn: HttpStream): Promise<string | undefined> {
  let text = "";
  while (text.length <= MAX_REQUEST_HEAD) {
    const end = text.indexOf("\r\n\r\n");
    if (end >= 0) return text.slice(0, end);
    const chunk = await conn.read();
    if (chunk === null) return undefined;
    text += new TextDecoder("latin1").decode(chunk);
  }
  await respond(conn, 431, "text/plain; charset=utf-8", utf8.encode("Request header too large\n"));
  return undefined;
}

const REASONS: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  404: "Not Found",
  405: "Method Not Allowed",
  431: "Request Header Fields Too Large",
};

async function respond(conn: HttpStream, status: number, type: string, body: Uint8Array, headOnly = false) {
  const head =
    `HTTP/1.1 ${status} ${REASONS[status]}\r\nContent-Type: ${type}\r\nContent-Length: ${body.length}\r\n` +
    `X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n`;
  await conn.write(utf8.encode(head));
  if (!headOnly && body.length > 0) await conn.write(body);
}
