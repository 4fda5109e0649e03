import assert from "node:assert/strict";
import { parseSocksProxy, socks5Connect, SocksError } from "./socks5.ts";
import { startSocksServer } from "../../tests/_util/socks_server.ts";

Deno.test("parseSocksProxy: host:port, [v6]:port and :port", () => {
  assert.deepEqual(parseSocksProxy("localhost:9050"), { hostname: "localhost", port: 9050 });
  assert.deepEqual(parseSocksProxy("[::1]:9050"), { hostname: "::1", port: 9050 });
  assert.deepEqual(parseSocksProxy(":9050"), { hostname: "127.0.0.1", port: 9050 });
  assert.equal(parseSocksProxy("localhost"), undefined);
  assert.equal(parseSocksProxy("localhost:70000"), undefined);
});

Deno.test("socks5Connect: the proxy resolves the name; bytes flow both ways", async () => {
  const echo = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const echoing = (async () => {
    const c = await echo.accept();
    await c.readable.pipeTo(c.writable).catch(() => {});
  })();
  const socks = startSocksServer((host) =>
    host === "hidden.onion" ? { hostname: "127.0.0.1", port: (echo.addr as Deno.NetAddr).port } : undefined
  );
  try {
    const conn = await socks5Connect({ hostname: "127.0.0.1", port: socks.port }, "hidden.onion", 5223);
    assert.deepEqual(socks.requests, ["hidden.onion:5223"]);
    await conn.write(new TextEncoder().encode("ping"));
    const buf = new Uint8Array(4);
    let n = 0;
    while (n < 4) n += (await conn.read(buf.subarray(n))) ?? 4;
    assert.equal(new TextDecoder().decode(buf), "ping");
    conn.close();
  } finally {
    await socks.close();
    echo.close();
    await echoing;
  }
});

Deno.test("socks5Connect: a refused target, a proxy that wants a password and no proxy are clear errors", async () => {
  const socks = startSocksServer(() => undefined);
  const wantsPassword = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const refusing = (async () => {
    const c = await wantsPassword.accept();
    await c.read(new Uint8Array(3));
    await c.write(new Uint8Array([5, 0xff]));
    c.close();
  })();
  try {
    await assert.rejects(
      socks5Connect({ hostname: "127.0.0.1", port: socks.port }, "nowhere.onion", 5223),
      (e) =>
        e instanceof SocksError &&
        /could not connect to nowhere\.onion:5223: host unreachable/.test(e.message),
    );
    await assert.rejects(
      socks5Connect({ hostname: "127.0.0.1", port: (wantsPassword.addr as Deno.NetAddr).port }, "x.onion", 1),
      /wants authentication/,
    );
    await refusing;
    const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (closed.addr as Deno.NetAddr).port;
    closed.close();
    await assert.rejects(
      socks5Connect({ hostname: "127.0.0.1", port }, "x.onion", 1),
      Deno.errors.ConnectionRefused,
    );
  } finally {
    await socks.close();
    wantsPassword.close();
  }
});
