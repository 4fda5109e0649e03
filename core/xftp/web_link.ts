/**
 * The web link of a recipient description (Client/Main.hs `fileWebLink`, xftp.md §4.3):
 * `https://<first chunk's first server host>[:port]/#<b64u(deflateRaw(YAML))>`. The CLI prints it
 * without the port; xftp-web adds it. `xftp recv` accepts any `http(s)://…#fragment`.
 */
import { decodeBase64Url, encodeBase64Url } from "../encoding/base64.ts";
import { concatBytes, utf8 } from "../encoding/bytes.ts";
import {
  type DescriptionResult,
  encodeFileDescription,
  type FileDescription,
  parseValidFileDescription,
} from "./description.ts";

/** Far above any real description (a 5 GB file has about 220 KB of recipient YAML). */
const MAX_DESCRIPTION_LENGTH = 4 * 1024 * 1024;

async function collect(
  stream: ReadableStream<Uint8Array>,
  limit = Infinity,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let length = 0;
  for await (const part of stream) {
    length += part.length;
    if (length > limit) throw new RangeError("description too large");
    parts.push(part);
  }
  return concatBytes(...parts);
}

/** The link fragment: b64u (padded, as Haskell writes it) of the raw-deflated YAML. */
export async function encodeWebUri(fd: FileDescription): Promise<string> {
  const yaml = new Blob([encodeFileDescription(fd)]);
  const deflated = await collect(yaml.stream().pipeThrough(new CompressionStream("deflate-raw")));
  return encodeBase64Url(deflated);
}

/** A validated recipient description from a link fragment (without the '#'). */
export async function decodeWebUri(fragment: string): Promise<DescriptionResult<FileDescription>> {
  let yaml: Uint8Array;
  try {
    const compressed = new Blob([new Uint8Array(decodeBase64Url(fragment))]);
    yaml = await collect(
      compressed.stream().pipeThrough(new DecompressionStream("deflate-raw")),
      MAX_DESCRIPTION_LENGTH,
    );
  } catch (e) {
    return { ok: false, error: `invalid web link: ${(e as Error).message}` };
  }
  let text: string;
  try {
    text = utf8.decode(yaml);
  } catch {
    return { ok: false, error: "invalid web link: not UTF-8" };
  }
  return parseValidFileDescription(text, "recipient");
}

/** `https://host[:port]/#fragment` for a description with at least one chunk, else undefined. */
export async function fileWebLink(
  fd: FileDescription,
  options: { readonly withPort?: boolean } = {},
): Promise<string | undefined> {
  const server = fd.chunks[0]?.replicas[0]?.server;
  if (!server) return undefined;
  const port = options.withPort && server.port !== undefined ? `:${server.port}` : "";
  return `https://${server.hosts[0]}${port}/#${await encodeWebUri(fd)}`;
}

/** Whether `text` is a web link rather than a description file path. */
export function isWebLink(text: string): boolean {
  return text.startsWith("https://") || text.startsWith("http://");
}

/** The recipient description in an `http(s)://…#fragment` link. */
export function parseWebLink(link: string): Promise<DescriptionResult<FileDescription>> {
  const hash = link.indexOf("#");
  const fragment = hash < 0 ? "" : link.slice(hash + 1);
  if (!isWebLink(link) || fragment === "") {
    return Promise.resolve({ ok: false, error: "Invalid URL: no fragment" });
  }
  return decodeWebUri(fragment);
}
