/**
 * `GET` on SNI connections of the XFTP port (Server/Web.hs `serveStaticPageH2`, xftp.md §1.2): the
 * files of core/server/static_site.ts over HTTP/2.
 */
import type http2 from "node:http2";
import { readStaticFile } from "../core/server/static_site.ts";

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
