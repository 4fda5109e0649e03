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

export async function serveStaticFile(
  stream: http2.ServerHttp2Stream,
  root: string | undefined,
  requestPath: string,
): Promise<void> {
  const path = root === undefined ? undefined : staticFilePath(root, requestPath);
  let bytes: Uint8Array | undefined;
  if (path !== undefined) {
    try {
      bytes = await Deno.readFile(path);
    } catch {
      bytes = undefined;
    }
  }
  if (bytes === undefined || stream.destroyed) {
    if (!stream.destroyed) stream.respond({ ":status": 404 }, { endStream: true });
    return;
  }
  const ext = path!.slice(path!.lastIndexOf(".") + 1).toLowerCase();
  stream.respond({ ":status": 200, "content-type": CONTENT_TYPES[ext] ?? "application/octet-stream" });
  stream.end(bytes);
}
