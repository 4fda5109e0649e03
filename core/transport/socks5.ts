/**
 * A SOCKS5 client (RFC 1928) for the relay's outgoing connections: no authentication, CONNECT by
 * domain name, so that the proxy (Tor, for `.onion` relays) resolves the host and the relay never
 * does. Used as the reference servers use `socks_proxy`.
 */

import { parseHostPort } from "../encoding/host_port.ts";

export interface SocksProxy {
  readonly hostname: string;
  readonly port: number;
}

export class SocksError extends Error {
  override name = "SocksError";
}

/** `localhost:9050`, `[::1]:9050` or `:9050`; undefined when it is none of those. */
export function parseSocksProxy(text: string): SocksProxy | undefined {
  return parseHostPort(text);
}

const REPLIES: Record<number, string> = {
  1: "general failure",
  2: "connection not allowed by ruleset",
  3: "network unreachable",
  4: "host unreachable",
  5: "connection refused",
  6: "TTL expired",
  7: "command not supported",
  8: "address type not supported",
};

/** Opens a TCP connection to `host:port` through the proxy; the connection is ready for TLS. */
export async function socks5Connect(proxy: SocksProxy, host: string, port: number): Promise<Deno.TcpConn> {
  const name = new TextEncoder().encode(host);
  if (name.length === 0 || name.length > 255) throw new SocksError(`host name of ${name.length} bytes`);
  const conn = await Deno.connect({ hostname: proxy.hostname, port: proxy.port });
  conn.setNoDelay(true);
  try {
    const reader = new ExactReader(conn);
    await writeAll(conn, new Uint8Array([5, 1, 0])); // version 5, one method: no authentication
    const method = await reader.read(2);
    if (method[0] !== 5) throw new SocksError("the proxy does not speak SOCKS5");
    if (method[1] !== 0) throw new SocksError("the proxy wants authentication, which is not supported");
    const request = new Uint8Array(7 + name.length);
    request.set([5, 1, 0, 3, name.length]); // CONNECT, reserved, domain name
    request.set(name, 5);
    request[5 + name.length] = port >> 8;
    request[6 + name.length] = port & 0xff;
    await writeAll(conn, request);
    const reply = await reader.read(4);
    if (reply[0] !== 5) throw new SocksError("bad SOCKS5 reply");
    if (reply[1] !== 0) {
      throw new SocksError(
        `the proxy could not connect to ${host}:${port}: ${REPLIES[reply[1]] ?? `error ${reply[1]}`}`,
      );
    }
    // the bound address, which the client does not need
    const addressLength = reply[3] === 1
      ? 4
      : reply[3] === 4
      ? 16
      : reply[3] === 3
      ? (await reader.read(1))[0]
      : -1;
    if (addressLength < 0) throw new SocksError("bad SOCKS5 reply address");
    await reader.read(addressLength + 2);
    if (reader.buffered > 0) throw new SocksError("the proxy sent data before the connection was ready");
    return conn;
  } catch (e) {
    conn.close();
    throw e;
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
}

/** Reads exact byte counts, one small read at a time: the proxy's replies are a few bytes. */
class ExactReader {
  #pending = new Uint8Array(0);
  constructor(readonly conn: Deno.Conn) {}

  get buffered(): number {
    return this.#pending.length;
  }

  async read(n: number): Promise<Uint8Array> {
    while (this.#pending.length < n) {
      const buf = new Uint8Array(Math.max(64, n - this.#pending.length));
      const got = await this.conn.read(buf);
      if (got === null) throw new SocksError("the proxy closed the connection");
      const next = new Uint8Array(this.#pending.length + got);
      next.set(this.#pending);
      next.set(buf.subarray(0, got), this.#pending.length);
      this.#pending = next;
    }
    const out = this.#pending.slice(0, n);
    this.#pending = this.#pending.slice(n);
    return out;
  }
}
