/**
 * Interop with the openssl CLI: `openssl s_server -rev` for our client and `openssl s_client` for
 * our server, across Ed25519/Ed448 chains, both suites, X25519/X448, HelloRetryRequest in both
 * directions, ALPN, SNI-selected ECDSA web certificate and client certificates.
 */
import assert from "node:assert/strict";
import { bytesEqual } from "../../core/encoding/bytes.ts";
import { connect, listen, type TlsError } from "../../core/tls/mod.ts";
import { validateChain } from "../../core/x509/mod.ts";
import { chain } from "./_fixtures.ts";
import { openSslClient, openSslServer } from "./_peers.ts";

const text = (s: string) => new TextEncoder().encode(s);

const serverCases = [
  {
    name: "Ed25519, ChaCha20, X25519 only → HelloRetryRequest from our X448 share",
    alg: "ED25519",
    groups: "X25519",
    suites: "TLS_CHACHA20_POLY1305_SHA256",
  },
  { name: "Ed448, AES-128-GCM, X448", alg: "ED448", groups: "X448", suites: "TLS_AES_128_GCM_SHA256" },
] as const;

for (const c of serverCases) {
  Deno.test(`our client → openssl s_server: ${c.name}`, async () => {
    const certs = await chain(c.alg);
    const { peer, port } = await openSslServer({
      certFile: certs.certFile,
      keyFile: certs.keyFile,
      caFile: certs.caFile,
      groups: c.groups,
      ciphersuites: c.suites,
      alpn: "smp/1",
    });
    try {
      let presented: Uint8Array[] = [];
      const connection = await connect({
        hostname: "127.0.0.1",
        port,
        alpnProtocols: ["smp/1"],
        verifyServerChain: (chain) => {
          validateChain(chain, certs.keyHash); // the SimpleX rule: identity = SHA-256 of the CA certificate
          presented = chain;
        },
      });
      assert.equal(connection.cipherSuite, c.suites);
      assert.equal(connection.alpn, "smp/1");
      assert.equal(presented.length, 2);
      assert.ok(bytesEqual(presented[1], certs.chain[1]), "the CA certificate is the identity");
      await connection.write(text("simplex\n"));
      assert.equal(new TextDecoder().decode(await connection.readExactly(8)), "xelpmis\n");
      await connection.close();
    } finally {
      await peer.stop();
    }
  });
}

/** Runs s_client against a fresh listener, sends a line from the server, returns s_client's output. */
async function sClientSession(
  options: Omit<Parameters<typeof listen>[0], "port">,
  args: string[],
  check?: (c: import("../../core/tls/mod.ts").TlsConnection) => void,
): Promise<string[]> {
  const errors: TlsError[] = [];
  const server = listen({ port: 0, ...options, onHandshakeError: (e) => errors.push(e) });
  const client = openSslClient(server.addr.port, args);
  try {
    const connection = (await server.accept())!;
    check?.(connection);
    await connection.write(text("from our server\n"));
    await client.waitFor((l) => l === "from our server");
    await connection.close();
    assert.deepEqual(errors, []);
    return client.output;
  } finally {
    await client.stop();
    server.close();
  }
}

Deno.test("openssl s_client -groups X25519:X448 → our server wanting X448: HelloRetryRequest", async () => {
  const certs = await chain("ED448");
  const out = await sClientSession(
    {
      certificates: [{ chain: certs.chain, privateKey: certs.privateKey }],
      groups: ["X448"],
      alpnProtocols: ["smp/1"],
    },
    ["-groups", "X25519:X448", "-alpn", "smp/1"],
    (c) => assert.equal(c.alpn, "smp/1"),
  );
  assert.ok(out.includes("Server Temp Key: X448, 448 bits"), out.join("\n"));
  assert.ok(out.includes("Peer signature type: ed448"));
  assert.ok(out.includes("ALPN protocol: smp/1"));
  assert.ok(out.includes("New, TLSv1.3, Cipher is TLS_CHACHA20_POLY1305_SHA256"));
});

Deno.test("openssl s_client with AES-128-GCM, X25519 and an Ed25519 chain", async () => {
  const certs = await chain("ED25519");
  const out = await sClientSession(
    { certificates: [{ chain: certs.chain, privateKey: certs.privateKey }], alpnProtocols: ["xftp/1", "h2"] },
    ["-groups", "X25519", "-ciphersuites", "TLS_AES_128_GCM_SHA256", "-alpn", "h2,xftp/1"],
  );
  assert.ok(out.includes("Server Temp Key: X25519, 253 bits"), out.join("\n"));
  assert.ok(out.includes("Peer signature type: ED25519") || out.includes("Peer signature type: ed25519"));
  assert.ok(out.includes("ALPN protocol: h2"), "the first client protocol the server serves");
  assert.ok(out.includes("New, TLSv1.3, Cipher is TLS_AES_128_GCM_SHA256"));
});

Deno.test("openssl s_client with SNI gets the ECDSA P-256 web certificate, without SNI the Ed448 one", async () => {
  const simplex = await chain("ED448");
  const web = await chain("P-256", "files.example.com");
  const certificates = [
    { chain: simplex.chain, privateKey: simplex.privateKey },
    { chain: web.chain, privateKey: web.privateKey, serverNames: ["files.example.com"] },
  ];
  const withSni = await sClientSession(
    { certificates },
    ["-servername", "files.example.com"],
    (c) => assert.equal(c.sni, "files.example.com"),
  );
  assert.ok(withSni.includes("Peer signature type: ECDSA"), withSni.join("\n"));
  assert.ok(withSni.some((l) => l.includes("CN = files.example.com")));
  const without = await sClientSession(
    { certificates },
    ["-noservername"],
    (c) => assert.equal(c.sni, undefined),
  );
  assert.ok(without.includes("Peer signature type: ed448"), without.join("\n"));
});

Deno.test("openssl s_client presents a client certificate when our server requests one", async () => {
  const certs = await chain("ED25519");
  const clientCerts = await chain("ED448", "service");
  let received: Uint8Array[] = [];
  await sClientSession(
    {
      certificates: [{ chain: certs.chain, privateKey: certs.privateKey }],
      requestClientCertificate: true,
      verifyClientChain: (c) => void (received = c),
    },
    ["-cert", clientCerts.certFile, "-key", clientCerts.keyFile, "-cert_chain", clientCerts.caFile],
    (c) => assert.equal(c.peerCertificates.length, 2),
  );
  assert.ok(bytesEqual(received[0], clientCerts.chain[0]));
});

Deno.test("our client answers openssl's CertificateRequest with an empty Certificate", async () => {
  const certs = await chain("ED25519");
  const { peer, port } = await openSslServer({
    certFile: certs.certFile,
    keyFile: certs.keyFile,
    caFile: certs.caFile,
    extra: ["-tls1_3", "-verify", "1"],
  });
  try {
    const connection = await connect({ hostname: "127.0.0.1", port, verifyServerChain: () => {} });
    await connection.write(text("abc\n"));
    assert.equal(new TextDecoder().decode(await connection.readExactly(4)), "cba\n");
    await connection.close();
  } finally {
    await peer.stop();
  }
});

Deno.test("KeyUpdate with openssl: s_client's update_requested is answered, and ours is honoured", async () => {
  const certs = await chain("ED25519");
  const server = listen({ port: 0, certificates: [{ chain: certs.chain, privateKey: certs.privateKey }] });
  const client = openSslClient(server.addr.port, [], true);
  try {
    const connection = (await server.accept())!;
    await client.waitFor((l) =>
      l.startsWith("---") && client.output.some((o) => o.startsWith("New, TLSv1.3"))
    );
    await client.write("K\n"); // s_client: KeyUpdate with update_requested
    await client.waitFor((l) => l.startsWith("KEYUPDATE"));
    await client.write("after update\n");
    assert.equal(new TextDecoder().decode(await connection.readExactly(13)), "after update\n");
    await connection.updateKeys(true);
    await connection.write(text("ours updated\n"));
    await client.waitFor((l) => l === "ours updated");
    await connection.close();
  } finally {
    await client.stop();
    server.close();
  }

  const { peer, port } = await openSslServer({
    certFile: certs.certFile,
    keyFile: certs.keyFile,
    caFile: certs.caFile,
  });
  try {
    const connection = await connect({ hostname: "127.0.0.1", port, verifyServerChain: () => {} });
    await connection.updateKeys(true); // OpenSSL answers with its own KeyUpdate
    await connection.write(text("rotated\n"));
    assert.equal(new TextDecoder().decode(await connection.readExactly(8)), "detator\n");
    await connection.write(text("again\n"));
    assert.equal(new TextDecoder().decode(await connection.readExactly(6)), "niaga\n");
    await connection.close();
  } finally {
    await peer.stop();
  }
});

Deno.test("reference profile: s_client offering what the Haskell client offers (1.3+1.2, X448 first, Ed only)", async () => {
  const certs = await chain("ED448");
  const out = await sClientSession(
    {
      certificates: [{ chain: certs.chain, privateKey: certs.privateKey }],
      alpnProtocols: ["smp/1", "h2", "http/1.1"],
    },
    [
      "-noservername",
      "-groups",
      "X448:X25519",
      "-sigalgs",
      "ed448:ed25519",
      "-ciphersuites",
      "TLS_CHACHA20_POLY1305_SHA256",
      "-cipher",
      "ECDHE-ECDSA-CHACHA20-POLY1305",
      "-alpn",
      "smp/1",
    ],
    (c) => assert.equal(c.sni, undefined),
  );
  assert.ok(out.includes("Server Temp Key: X448, 448 bits"), out.join("\n"));
  assert.ok(out.includes("New, TLSv1.3, Cipher is TLS_CHACHA20_POLY1305_SHA256"));
});

Deno.test("reference profile: our client against s_server set up like the Haskell server (asks for a certificate)", async () => {
  const certs = await chain("ED448");
  const { peer, port } = await openSslServer({
    certFile: certs.certFile,
    keyFile: certs.keyFile,
    caFile: certs.caFile,
    groups: "X448:X25519",
    ciphersuites: "TLS_CHACHA20_POLY1305_SHA256",
    alpn: "smp/1,h2,http/1.1",
    extra: ["-sigalgs", "ed448:ed25519", "-verify", "1"],
  });
  try {
    const connection = await connect({
      hostname: "127.0.0.1",
      port,
      alpnProtocols: ["smp/1"],
      verifyServerChain: (chain) => void validateChain(chain, certs.keyHash),
    });
    assert.equal(connection.alpn, "smp/1");
    assert.equal(connection.sni, undefined);
    await connection.write(text("hs\n"));
    assert.equal(new TextDecoder().decode(await connection.readExactly(3)), "sh\n");
    await connection.close();
  } finally {
    await peer.stop();
  }
});
