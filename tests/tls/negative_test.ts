/**
 * Failures over real sockets against one long-lived listener: each bad peer fails with its own
 * TlsError code, its connection is closed, and a good client is still served afterwards.
 */
import assert from "node:assert/strict";
import {
  ClientEngine,
  type ClientEngineOptions,
  connect,
  connectOver,
  listen,
  TlsConnection,
  TlsError,
  type TlsErrorCode,
  type TlsListener,
} from "../../core/tls/mod.ts";
import type { Handshake } from "../../core/tls/_messages.ts";
import { ChainError, validateChain } from "../../core/x509/mod.ts";
import { chain } from "./_fixtures.ts";
import { openSslClient } from "./_peers.ts";

const certs = await chain("ED25519");
const impostor = await chain("ED25519", "impostor");

interface Harness {
  server: TlsListener;
  errors: TlsError[];
  /** errors of established connections, as the server's reader saw them */
  readErrors: TlsError[];
  /** resolves with the next server-side handshake error */
  nextError(): Promise<TlsError>;
  close(): void;
}

/** One listener that echoes, like a relay serving many clients. */
function harness(options: Partial<Parameters<typeof listen>[0]> = {}): Harness {
  const errors: TlsError[] = [];
  const readErrors: TlsError[] = [];
  let notify: (() => void) | undefined;
  const server = listen({
    port: 0,
    certificates: [{ chain: certs.chain, privateKey: certs.privateKey }],
    alpnProtocols: ["smp/1"],
    handshakeTimeout: 1000, // generous for loaded machines; the stalled-handshake step waits this long
    onHandshakeError: (e) => {
      errors.push(e);
      notify?.();
    },
    ...options,
  });
  (async () => {
    for await (const c of server) {
      (async () => {
        try {
          for (let chunk = await c.read(); chunk; chunk = await c.read()) await c.write(chunk);
        } catch (e) {
          if (e instanceof TlsError) readErrors.push(e);
          notify?.();
        }
        await c.close();
      })();
    }
  })();
  let seen = 0;
  return {
    server,
    errors,
    readErrors,
    async nextError() {
      while (errors.length <= seen) await new Promise<void>((r) => (notify = r));
      return errors[seen++];
    },
    close: () => server.close(),
  };
}

const goodClient = (port: number, extra: Partial<ClientEngineOptions> = {}) =>
  connect({ hostname: "127.0.0.1", port, alpnProtocols: ["smp/1"], verifyServerChain: () => {}, ...extra });

async function assertStillServing(h: Harness): Promise<void> {
  const c = await goodClient(h.server.addr.port);
  await c.write(new TextEncoder().encode("ok?"));
  assert.equal(new TextDecoder().decode(await c.readExactly(3)), "ok?");
  await c.close();
}

async function rejectsWith(p: Promise<unknown>, code: TlsErrorCode, alert?: number): Promise<TlsError> {
  const e = await p.then(() => undefined, (e) => e);
  assert.ok(e instanceof TlsError, `expected TlsError ${code}, got ${e}`);
  assert.equal(e.code, code, e.message);
  if (alert !== undefined) assert.equal(e.alert, alert);
  return e;
}

/** Sends raw bytes and returns everything the server answers until it closes the socket. */
async function rawExchange(port: number, bytes: Uint8Array): Promise<Uint8Array> {
  const tcp = await Deno.connect({ hostname: "127.0.0.1", port });
  if (bytes.length) await tcp.write(bytes);
  const chunks: number[] = [];
  const buf = new Uint8Array(4096);
  for (let n = await tcp.read(buf).catch(() => null); n !== null; n = await tcp.read(buf).catch(() => null)) {
    chunks.push(...buf.subarray(0, n));
  }
  tcp.close();
  return Uint8Array.from(chunks);
}

Deno.test("negative cases: distinct errors, closed connections, the server keeps serving", async (t) => {
  const h = harness();
  const port = h.server.addr.port;
  try {
    await t.step("wrong fingerprint: the SimpleX chain rule rejects → certificate_rejected", async () => {
      const rejected = goodClient(port, {
        verifyServerChain: (chain) => validateChain(chain, impostor.keyHash),
      });
      const clientError = await rejectsWith(rejected, "certificate_rejected", 42);
      const cause = clientError.cause;
      assert.ok(
        cause instanceof ChainError && cause.code === "UNKNOWN_CA",
        "the callback's error is the cause",
      );
      const e = await h.nextError();
      assert.equal(e.code, "peer_alert");
      assert.equal(e.alert, 42);
      await assertStillServing(h);
    });

    await t.step("tampered client Finished → bad_finished", async () => {
      class TamperedFinishedClient extends ClientEngine {
        protected override sendHandshake(m: Handshake, version?: number): Uint8Array {
          if (m.type === "finished") m = { type: "finished", verifyData: m.verifyData.map((b) => b ^ 0xff) };
          return super.sendHandshake(m, version);
        }
      }
      const tcp = await Deno.connect({ hostname: "127.0.0.1", port });
      const c = new TlsConnection(
        new TamperedFinishedClient({ verifyServerChain: () => {}, alpnProtocols: ["smp/1"] }),
        tcp,
      );
      await c.handshake(); // the client believes it is done
      await rejectsWith(c.read(), "peer_alert", 51);
      assert.equal((await h.nextError()).code, "bad_finished");
      await assertStillServing(h);
    });

    await t.step("tampered record → bad_record_mac", async () => {
      const tcp = await Deno.connect({ hostname: "127.0.0.1", port });
      let flip = false;
      const transport = {
        read: (p: Uint8Array) => tcp.read(p),
        write: (p: Uint8Array) => {
          if (flip) p[p.length - 1] ^= 1;
          return tcp.write(p);
        },
        close: () => tcp.close(),
      };
      const c = await connectOver(transport, { verifyServerChain: () => {}, alpnProtocols: ["smp/1"] });
      await c.write(new TextEncoder().encode("first")); // gets past the handshake
      assert.equal(new TextDecoder().decode(await c.readExactly(5)), "first");
      flip = true;
      await c.write(new TextEncoder().encode("second"));
      await rejectsWith(c.read(), "peer_alert", 20);
      assert.deepEqual(h.readErrors.map((e) => e.code), ["bad_record_mac"]);
      await assertStillServing(h);
    });

    await t.step("wrong ALPN → no_application_protocol", async () => {
      await rejectsWith(goodClient(port, { alpnProtocols: ["xftp/1"] }), "peer_alert", 120);
      assert.equal((await h.nextError()).code, "no_application_protocol");
      await assertStillServing(h);
    });

    await t.step("TLS 1.2-only peer (openssl s_client -tls1_2) → protocol_version", async () => {
      const client = openSslClient(port, ["-tls1_2"]);
      try {
        assert.equal((await h.nextError()).code, "protocol_version");
        await client.waitFor((l) => /alert protocol version|no protocols available|wrong version/i.test(l));
      } finally {
        await client.stop();
      }
      await assertStillServing(h);
    });

    await t.step("oversized record → record_overflow", async () => {
      const header = Uint8Array.of(22, 3, 1, 0x41, 0x01); // 16641 > 2^14 + 256
      const answer = await rawExchange(port, new Uint8Array([...header, ...new Uint8Array(16641)]));
      assert.equal((await h.nextError()).code, "record_overflow");
      assert.deepEqual([...answer], [21, 3, 3, 0, 2, 2, 22], "a record_overflow alert, then close");
      await assertStillServing(h);
    });

    await t.step("malformed ClientHello → decode_error", async () => {
      const answer = await rawExchange(port, Uint8Array.of(22, 3, 1, 0, 6, 1, 0, 0, 2, 3, 3));
      assert.equal((await h.nextError()).code, "decode_error");
      assert.deepEqual([...answer], [21, 3, 3, 0, 2, 2, 50]);
      await assertStillServing(h);
    });

    await t.step("garbage before the handshake → not_tls", async () => {
      await rawExchange(port, new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
      assert.equal((await h.nextError()).code, "not_tls");
      await assertStillServing(h);
    });

    await t.step("a stalled handshake → handshake_timeout", async () => {
      const answer = await rawExchange(port, Uint8Array.of(22, 3, 1, 0, 100, 1)); // a ClientHello that never ends
      assert.equal((await h.nextError()).code, "handshake_timeout");
      assert.equal(answer.length, 0);
      await assertStillServing(h);
    });

    assert.deepEqual(h.errors.map((e) => e.code), [
      "peer_alert",
      "bad_finished",
      "no_application_protocol",
      "protocol_version",
      "record_overflow",
      "decode_error",
      "not_tls",
      "handshake_timeout",
    ]);
  } finally {
    h.close();
  }
});

Deno.test("forged CertificateVerify (server key not matching its leaf) → bad_certificate_verify", async () => {
  const h = harness({ certificates: [{ chain: certs.chain, privateKey: impostor.privateKey }] });
  try {
    await rejectsWith(goodClient(h.server.addr.port), "bad_certificate_verify", 51);
    const e = await h.nextError();
    assert.equal(e.code, "peer_alert");
    assert.equal(e.alert, 51);
  } finally {
    h.close();
  }
});

Deno.test("our client against a stalled server → handshake_timeout", async () => {
  const tcp = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = tcp.accept();
  try {
    await rejectsWith(
      connect({
        hostname: "127.0.0.1",
        port: tcp.addr.port,
        verifyServerChain: () => {},
        handshakeTimeout: 300,
      }),
      "handshake_timeout",
    );
  } finally {
    (await accepted).close();
    tcp.close();
  }
});

Deno.test("listen rejects an unusable certificate configuration up front", () => {
  assert.throws(() => listen({ port: 0, certificates: [] }), TypeError);
  assert.throws(
    () => listen({ port: 0, certificates: [{ chain: certs.chain, privateKey: new Uint8Array(10) }] }),
    TypeError,
  );
});
