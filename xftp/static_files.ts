/**
 * `GET` on SNI connections (Server/Web.hs `serveStaticPageH2`, xftp.md §1.2): files under
 * `[WEB] static_path`, `/` as `index.html`, never outside that directory.
 */
import type http2 from "node:http2";

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

/** A `GET` on an SNI connection of the XFTP port. */
export async function serveStaticFile(
  stream: http2.ServerHttp2Stream,
  root: string | undefined,
  requestPath: string,
): Promise<void> {
  const file = await readStaticFile(root, requestPath);
  if (stream.destroyed) return;
  if (!file) return void stream.respond({ ":status": 404 }, { endStream: true });
  stream.respond({ ":status": 200, "content-type": file.contentType });
  stream.end(file.bytes);
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
  const server = Deno.serve({
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
  });
  return { port: server.addr.port, close: () => server.shutdown() };
}
