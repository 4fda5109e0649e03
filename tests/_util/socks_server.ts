/**
 * A SOCKS5 proxy for tests (RFC 1928, no authentication, CONNECT by domain name or IPv4): it
 * records the hosts asked for and connects them through `resolve`, the way Tor reaches `.onion`
 * names that the client itself never resolves.
 */
export interface TestSocksServer {
  readonly port: number;
  /** `host:port` of every CONNECT, in order */
  readonly requests: string[];
  close(): Promise<void>;
}

export function startSocksServer(
  resolve: (host: string, port: number) => { hostname: string; port: number } | undefined,
): TestSocksServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const requests: string[] = [];
  const conns = new Set<Deno.Conn>();
  const serving = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      handle(conn).catch(() => {}).finally(() => {
        conns.delete(conn);
        try {
          conn.close();
        } catch { /* closed */ }
      });
    }
  })();

  async function handle(conn: Deno.Conn): Promise<void> {
    const read = reader(conn);
    const [version, methods] = await read(2);
    await read(methods);
    if (version !== 5) return;
    await conn.write(new Uint8Array([5, 0]));
    const [, command, , atyp] = await read(4);
    const host = atyp === 3
      ? new TextDecoder().decode(await read((await read(1))[0]))
      : atyp === 1
      ? [...await read(4)].join(".")
      : undefined;
    const [hi, lo] = await read(2);
    const port = (hi << 8) | lo;
    requests.push(`${host}:${port}`);
    const target = command === 1 && host !== undefined ? resolve(host, port) : undefined;
    let upstream: Deno.Conn | undefined;
    try {
      if (target) upstream = await Deno.connect(target);
    } catch { /* refused below */ }
    if (!upstream) {
      await conn.write(new Uint8Array([5, target ? 5 : 4, 0, 1, 0, 0, 0, 0, 0, 0]));
      return;
    }
    conns.add(upstream);
    await conn.write(new Uint8Array([5, 0, 0, 1, 127, 0, 0, 1, 0, 0]));
    await Promise.allSettled([
      conn.readable.pipeTo(upstream.writable),
      upstream.readable.pipeTo(conn.writable),
    ]);
    conns.delete(upstream);
  }

  return {
    port: (listener.addr as Deno.NetAddr).port,
    requests,
    async close() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      await serving.catch(() => {});
    },
  };
}

function reader(conn: Deno.Conn) {
  let pending = new Uint8Array(0);
  return async (n: number): Promise<Uint8Array> => {
    while (pending.length < n) {
      const buf = new Uint8Array(256);
      const got = await conn.read(buf);
      if (got === null) throw new Error("closed");
      const next = new Uint8Array(pending.length + got);
      next.set(pending);
      next.set(buf.subarray(0, got), pending.length);
      pending = next;
    }
    const out = pending.slice(0, n);
    pending = pending.slice(n);
    return out;
  };
}
