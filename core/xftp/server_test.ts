import assert from "node:assert/strict";
import {
  compareXftpServers,
  encodeXftpServer,
  parseXftpServer,
  sameXftpServer,
  type XftpServer,
} from "./server.ts";

const kh = "LcJUMfVhwD8yxjAiSaDzzGF3-kLG4Uh0Fl_ZIjrRwjI=";

Deno.test("server strings round-trip: the port only when given, several hosts, short key hashes", () => {
  for (
    const text of [
      `xftp://${kh}@localhost:8000`,
      `xftp://${kh}@xftp1.simplex.im`,
      `xftp://${kh}@a.example.com,abcdef.onion:443`,
      "xftp://abc=@example1.com",
      `xftp://${kh}@[::1]:5223`,
    ]
  ) {
    assert.equal(encodeXftpServer(parseXftpServer(text)), text);
  }
  assert.deepEqual(parseXftpServer(`xftp://${kh}@localhost:8000`).hosts, ["localhost"]);
  assert.equal(parseXftpServer(`xftp://${kh}@localhost:8000`).port, 8000);
  assert.equal(parseXftpServer(`xftp://${kh}@localhost`).port, undefined);
});

Deno.test("malformed server strings are rejected", () => {
  for (
    const text of [
      `smp://${kh}@localhost`,
      `xftp://${kh}:password@localhost`,
      `xftp://@localhost`,
      `xftp://${kh}@`,
      `xftp://${kh}@a,,b`,
      `xftp://${kh}@host/path`,
      `xftp://${kh}@localhost:99999`,
      `xftp://${kh}@a b`,
    ]
  ) {
    assert.throws(() => parseXftpServer(text), text);
  }
});

Deno.test("servers compare as Haskell's ProtocolServer: IPv4 < IPv6 < onion < domain, then port, then key", () => {
  const s = (text: string) => parseXftpServer(text);
  const ordered: XftpServer[] = [
    s("xftp://AQ==@9.0.0.1"),
    s("xftp://AQ==@10.0.0.1"),
    s("xftp://AQ==@[::1]"),
    s("xftp://AQ==@[::2]"),
    s("xftp://AQ==@abc.onion"),
    s("xftp://AQ==@example.com"),
    s("xftp://AQ==@example.com:443"),
    s("xftp://Ag==@example.com:443"),
    s("xftp://AQ==@example.com:80"),
    s("xftp://AQ==@example.com,a.com"),
    s("xftp://AQ==@example2.com"),
  ];
  for (let i = 0; i < ordered.length; i++) {
    for (let j = 0; j < ordered.length; j++) {
      assert.equal(Math.sign(compareXftpServers(ordered[i], ordered[j])), Math.sign(i - j), `${i} vs ${j}`);
    }
  }
});

Deno.test("sameXftpServer treats an omitted port as 443", () => {
  const a = parseXftpServer(`xftp://${kh}@host`);
  assert.ok(sameXftpServer(a, parseXftpServer(`xftp://${kh}@host:443`)));
  assert.ok(!sameXftpServer(a, parseXftpServer(`xftp://${kh}@host:8443`)));
  assert.ok(!sameXftpServer(a, parseXftpServer(`xftp://AQ==@host`)));
  assert.ok(!sameXftpServer(a, parseXftpServer(`xftp://${kh}@host,host2`)));
});
