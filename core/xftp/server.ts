/**
 * XFTP server addresses as descriptions carry them (`ProtocolServer` strEncode/strP, xftp.md §4.3):
 * `xftp://<b64u keyHash>@<host>[,<host>…][:<port>]`, the port omitted when it is the default.
 *
 * Descriptions group replicas by server in Haskell's derived order of `ProtocolServer`
 * (hosts, then port text, then key hash), and compare servers by meaning, not text.
 */
import { decodeBase64Url, encodeBase64Url } from "../encoding/base64.ts";
import { bytesEqual } from "../encoding/bytes.ts";
import { AddressError } from "../smp/address.ts";

export { AddressError };

export interface XftpServer {
  /** SHA-256 of the server's identity certificate (any length is accepted when parsing, as upstream does) */
  readonly keyHash: Uint8Array;
  readonly hosts: readonly string[];
  /** undefined: the default port 443 */
  readonly port?: number;
}

export const DEFAULT_XFTP_PORT = 443;

const SERVER = /^xftp:\/\/([A-Za-z0-9_-]+=*)@(.+)$/;
// `TransportHost` domain names stop at these characters
const HOST_STOP = /[:#,;/\s@]/;

/** Parses `xftp://keyHash@hosts[:port]`; a basic-auth password is not allowed here. */
export function parseXftpServer(text: string): XftpServer {
  const m = SERVER.exec(text);
  if (!m) throw new AddressError(`not an xftp:// server: ${text}`);
  let keyHash: Uint8Array;
  try {
    keyHash = decodeBase64Url(m[1]);
  } catch {
    throw new AddressError(`bad key hash in ${text}`);
  }
  if (keyHash.length === 0) throw new AddressError(`empty key hash in ${text}`);
  let rest = m[2];
  let port: number | undefined;
  const portMatch = /:(\d+)$/.exec(rest);
  // a bare IPv6 address keeps its colons; a bracketed one may have a port after the ']'
  if (
    portMatch && (rest.endsWith("]" + portMatch[0]) || !rest.slice(0, -portMatch[0].length).includes(":"))
  ) {
    port = Number(portMatch[1]);
    if (port > 65535) throw new AddressError(`bad port in ${text}`);
    rest = rest.slice(0, -portMatch[0].length);
  }
  const hosts = rest.split(",");
  if (hosts.some((h) => h === "" || (!isIpv6(h) && HOST_STOP.test(h)))) {
    throw new AddressError(`bad host in ${text}`);
  }
  return port === undefined ? { keyHash, hosts } : { keyHash, hosts, port };
}

export function encodeXftpServer(s: XftpServer): string {
  const port = s.port === undefined ? "" : `:${s.port}`;
  return `xftp://${encodeBase64Url(s.keyHash)}@${s.hosts.join(",")}${port}`;
}

/** The same server: same hosts, key hash and port (an omitted port is 443). */
export function sameXftpServer(a: XftpServer, b: XftpServer): boolean {
  return bytesEqual(a.keyHash, b.keyHash) &&
    (a.port ?? DEFAULT_XFTP_PORT) === (b.port ?? DEFAULT_XFTP_PORT) &&
    a.hosts.length === b.hosts.length && a.hosts.every((h, i) => h === b.hosts[i]);
}

function isIpv6(host: string): boolean {
  return /^\[[0-9A-Fa-f:.]+\]$/.test(host) || /^[0-9A-Fa-f]*:[0-9A-Fa-f:.]*$/.test(host);
}

/** A host as `TransportHost`'s derived Ord sees it: IPv4 < IPv6 < onion < domain name. */
function hostKey(host: string): [number, number[] | string] {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (v4 && v4.slice(1).every((n) => Number(n) <= 255)) return [0, v4.slice(1).map(Number)];
  if (isIpv6(host)) return [1, ipv6Words(host.replace(/^\[|\]$/g, "")) ?? host];
  if (/^[a-z0-9]*\.onion$/.test(host)) return [2, host];
  return [3, host];
}

/** The eight 16-bit groups of an IPv6 address (`::` expanded), or undefined if malformed. */
function ipv6Words(addr: string): number[] | undefined {
  const [head, tail, ...more] = addr.split("::");
  if (more.length > 0) return undefined;
  const groups = (s: string) => (s === "" ? [] : s.split(":").map((g) => parseInt(g, 16)));
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const zeros = 8 - h.length - t.length;
  if (zeros < 0 || (tail === undefined && zeros !== 0)) return undefined;
  const words = [...h, ...Array<number>(zeros).fill(0), ...t];
  return words.every((w) => Number.isInteger(w) && w <= 0xffff) ? words : undefined;
}

function compareValues(a: number[] | string, b: number[] | string): number {
  if (typeof a === "string" || typeof b === "string") {
    const [x, y] = [String(a), String(b)];
    return x < y ? -1 : x > y ? 1 : 0;
  }
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** Haskell's `compare` on `ProtocolServer`: hosts (lexicographic), then port text, then key hash. */
export function compareXftpServers(a: XftpServer, b: XftpServer): number {
  for (let i = 0; i < Math.min(a.hosts.length, b.hosts.length); i++) {
    const [ka, kb] = [hostKey(a.hosts[i]), hostKey(b.hosts[i])];
    const c = ka[0] - kb[0] || compareValues(ka[1], kb[1]);
    if (c !== 0) return c;
  }
  if (a.hosts.length !== b.hosts.length) return a.hosts.length - b.hosts.length;
  const [pa, pb] = [a.port === undefined ? "" : String(a.port), b.port === undefined ? "" : String(b.port)];
  if (pa !== pb) return pa < pb ? -1 : 1;
  return compareBytes(a.keyHash, b.keyHash);
}
