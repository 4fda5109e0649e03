/**
 * Client and server engines talking to each other in memory: the negotiation paths (suites,
 * groups, HelloRetryRequest both ways, ALPN, SNI, client certificates, KeyUpdate) and the
 * tampering cases, each failing with its own TlsError code.
 */
import assert from "node:assert/strict";
import { bytesEqual } from "../../core/encoding/bytes.ts";
import {
  ClientEngine,
  type ClientEngineOptions,
  ServerEngine,
  type ServerEngineOptions,
  type TlsEngine,
  TlsError,
} from "../../core/tls/mod.ts";
import type { Handshake } from "../../core/tls/_messages.ts";
import { chain } from "./_fixtures.ts";

const ed25519 = await chain("ED25519");
const ed448 = await chain("ED448");
const web = await chain("P-256", "files.example.com");
const impostor = await chain("ED25519", "impostor");

const acceptAny = () => {};
const serverCert = (c = ed25519) => ({ chain: c.chain, privateKey: c.privateKey });

interface Outcome {
  client: TlsEngine;
  server: TlsEngine;
  clientError?: TlsError;
  serverError?: TlsError;
}

/** Shuttles bytes between two engines until both are quiet; `tamper` may rewrite a flight. */
function run(
  client: TlsEngine,
  server: TlsEngine,
  tamper?: (bytes: Uint8Array, from: "client" | "server") => Uint8Array,
): Outcome {
  const outcome: Outcome = { client, server };
  for (let moved = true; moved;) {
    moved = false;
    for (const [from, to, side] of [[client, server, "client"], [server, client, "server"]] as const) {
      let bytes = from.takeOutput();
      if (bytes === null || to.state === "failed") continue;
      if (tamper) bytes = tamper(bytes, side);
      moved = true;
      try {
        to.receive(bytes);
      } catch (e) {
        assert.ok(e instanceof TlsError, `non-TlsError thrown: ${e}`);
        if (to === server) outcome.serverError = e;
        else outcome.clientError = e;
      }
    }
  }
  return outcome;
}

function pair(c: Partial<ClientEngineOptions> = {}, s: Partial<ServerEngineOptions> = {}) {
  const client = new ClientEngine({ verifyServerChain: acceptAny, ...c });
  const server = new ServerEngine({ certificates: [serverCert()], ...s });
  return run(client, server);
}

function assertConnected(o: Outcome): void {
  assert.equal(o.clientError, undefined, o.clientError?.message);
  assert.equal(o.serverError, undefined, o.serverError?.message);
  assert.equal(o.client.state, "connected");
  assert.equal(o.server.state, "connected");
  assert.equal(o.client.sessionId?.length, 32);
  assert.ok(bytesEqual(o.client.sessionId!, o.server.sessionId!), "both sides agree on the session id");
}

Deno.test("default SimpleX profile: ChaCha20-Poly1305, X448 share accepted, Ed25519 chain", () => {
  const o = pair({ alpnProtocols: ["smp/1"] }, { alpnProtocols: ["smp/1", "h2", "http/1.1"] });
  assertConnected(o);
  assert.equal(o.client.cipherSuite?.name, "TLS_CHACHA20_POLY1305_SHA256");
  assert.equal(o.client.alpn, "smp/1");
  assert.equal(o.server.alpn, "smp/1");
  assert.equal(o.server.serverName, undefined, "the client sends no SNI unless asked");
  assert.equal(o.client.peerCertificates.length, 2);
});

Deno.test("Ed448 chain and AES-128-GCM", () => {
  const client = new ClientEngine({ verifyServerChain: acceptAny, cipherSuites: ["TLS_AES_128_GCM_SHA256"] });
  const server = new ServerEngine({ certificates: [serverCert(ed448)] });
  const o = run(client, server);
  assertConnected(o);
  assert.equal(o.server.cipherSuite?.name, "TLS_AES_128_GCM_SHA256");
});

/** Counts the flights the client sends: 2 normally, 3 with a HelloRetryRequest. */
function clientFlights(client: TlsEngine, server: TlsEngine): { outcome: Outcome; flights: number } {
  let flights = 0;
  const outcome = run(client, server, (bytes, from) => {
    if (from === "client") flights++;
    return bytes;
  });
  return { outcome, flights };
}

Deno.test("server lacking the client's only share answers HelloRetryRequest", () => {
  const client = new ClientEngine({ verifyServerChain: acceptAny }); // shares X448 only
  const server = new ServerEngine({ certificates: [serverCert()], groups: ["X25519"] });
  const { outcome, flights } = clientFlights(client, server);
  assertConnected(outcome);
  assert.equal(flights, 3);
});

Deno.test("server preferring X448 sends HelloRetryRequest to a client that shared X25519", () => {
  const client = new ClientEngine({ verifyServerChain: acceptAny, groups: ["X25519", "X448"] });
  const server = new ServerEngine({
    certificates: [serverCert()],
    groups: ["X448", "X25519"],
    preferServerGroups: true,
  });
  const { outcome, flights } = clientFlights(client, server);
  assertConnected(outcome);
  assert.equal(flights, 3);
});

Deno.test("by default the server takes any share it supports: no retry", () => {
  const client = new ClientEngine({ verifyServerChain: acceptAny, groups: ["X25519", "X448"] });
  const server = new ServerEngine({ certificates: [serverCert()], groups: ["X448", "X25519"] });
  const { outcome, flights } = clientFlights(client, server);
  assertConnected(outcome);
  assert.equal(flights, 2);
});

Deno.test("no common group fails with handshake_failure", () => {
  const o = pair({ groups: ["X448"] }, { groups: ["X25519"] });
  assert.equal(o.serverError?.code, "handshake_failure");
  assert.equal(o.clientError?.code, "peer_alert");
});

Deno.test("ALPN mismatch fails with no_application_protocol on the server and alert 120 at the client", () => {
  const o = pair({ alpnProtocols: ["smp/1"] }, { alpnProtocols: ["xftp/1"] });
  assert.equal(o.serverError?.code, "no_application_protocol");
  assert.equal(o.clientError?.code, "peer_alert");
  assert.equal(o.clientError?.alert, 120);
});

Deno.test("SNI selects the web certificate (ECDSA P-256) and no SNI the SimpleX one", () => {
  const certificates = [serverCert(ed448), { ...serverCert(web), serverNames: ["files.example.com"] }];
  const schemes = [0x0808, 0x0807, 0x0403];
  const withSni = pair({ serverName: "files.example.com", signatureSchemes: schemes }, { certificates });
  assertConnected(withSni);
  assert.equal(withSni.server.serverName, "files.example.com");
  assert.ok(bytesEqual(withSni.client.peerCertificates[0], web.chain[0]));
  const without = pair({ signatureSchemes: schemes }, { certificates });
  assertConnected(without);
  assert.ok(bytesEqual(without.client.peerCertificates[0], ed448.chain[0]));
});

Deno.test("selectCertificate callback chooses by SNI", () => {
  const simplex = serverCert(ed25519);
  const webCert = serverCert(web);
  const o = pair(
    { serverName: "anything", signatureSchemes: [0x0403, 0x0807] },
    { certificates: [simplex, webCert], selectCertificate: (sni) => (sni ? webCert : simplex) },
  );
  assertConnected(o);
  assert.ok(bytesEqual(o.client.peerCertificates[0], web.chain[0]));
});

Deno.test("CertificateRequest is answered with an empty Certificate by default", () => {
  const o = pair({}, { requestClientCertificate: true });
  assertConnected(o);
  assert.deepEqual(o.server.peerCertificates, []);
});

Deno.test("a client certificate chain reaches the server's callback and is verified", () => {
  let seen: Uint8Array[] = [];
  const o = pair(
    { certificate: { chain: ed448.chain, privateKey: ed448.privateKey } },
    { requestClientCertificate: true, verifyClientChain: (c) => void (seen = c) },
  );
  assertConnected(o);
  assert.equal(seen.length, 2);
  assert.ok(bytesEqual(o.server.peerCertificates[0], ed448.chain[0]));
});

Deno.test("a certificate request can depend on the SNI name: clients that sent one are not asked", () => {
  const certificate = { chain: ed448.chain, privateKey: ed448.privateKey };
  const request = (sni: string | undefined) => sni === undefined;
  const asked = pair({ certificate }, { requestClientCertificate: request });
  assertConnected(asked);
  assert.equal(asked.server.peerCertificates.length, 2);
  const browser = pair({ certificate, serverName: "example.com" }, { requestClientCertificate: request });
  assertConnected(browser);
  assert.deepEqual(browser.server.peerCertificates, [], "not asked, so it sent none");
});

Deno.test("wrong fingerprint: the chain callback rejects with certificate_rejected", () => {
  const o = pair({
    verifyServerChain: () => {
      throw new Error("unknown CA");
    },
  });
  assert.equal(o.clientError?.code, "certificate_rejected");
  assert.equal(o.serverError?.code, "peer_alert");
  assert.equal(o.serverError?.alert, 42);
});

Deno.test("forged CertificateVerify (key not matching the leaf) fails with bad_certificate_verify", () => {
  const o = pair({}, { certificates: [{ chain: ed25519.chain, privateKey: impostor.privateKey }] });
  assert.equal(o.clientError?.code, "bad_certificate_verify");
  assert.equal(o.serverError?.alert, 51);
});

/** A server that sends a wrong Finished: only the peer's check can catch it. */
class TamperedFinishedServer extends ServerEngine {
  protected override sendHandshake(m: Handshake, version?: number): Uint8Array {
    if (m.type === "finished") {
      m = { type: "finished", verifyData: m.verifyData.map((b, i) => (i === 0 ? b ^ 1 : b)) };
    }
    return super.sendHandshake(m, version);
  }
}

Deno.test("tampered server Finished fails with bad_finished", () => {
  const o = run(
    new ClientEngine({ verifyServerChain: acceptAny }),
    new TamperedFinishedServer({ certificates: [serverCert()] }),
  );
  assert.equal(o.clientError?.code, "bad_finished");
  assert.equal(o.serverError?.code, "peer_alert");
});

Deno.test("a flipped bit in a protected record fails with bad_record_mac", () => {
  const o = pair();
  assertConnected(o);
  o.client.write(new TextEncoder().encode("hello"));
  const record = o.client.takeOutput()!;
  record[record.length - 1] ^= 0x80;
  assert.throws(() => o.server.receive(record), (e) => e instanceof TlsError && e.code === "bad_record_mac");
  const alert = o.server.takeOutput();
  assert.ok(alert !== null && alert[0] === 23, "the server sends an encrypted alert");
});

Deno.test("KeyUpdate both ways, with and without update_requested", () => {
  const o = pair();
  assertConnected(o);
  const text = (s: string) => new TextEncoder().encode(s);
  o.client.updateKeys(true);
  o.client.write(text("after update"));
  run(o.client, o.server);
  assert.deepEqual(o.server.takeApplicationData(), [text("after update")]);
  o.server.write(text("reply"));
  o.server.updateKeys(false);
  o.server.write(text("reply 2"));
  run(o.client, o.server);
  assert.deepEqual(o.client.takeApplicationData(), [text("reply"), text("reply 2")]);
});

Deno.test("close_notify ends the stream without an error", () => {
  const o = pair();
  o.client.write(new Uint8Array(40000));
  o.client.close();
  run(o.client, o.server);
  assert.equal(o.server.takeApplicationData().reduce((n, c) => n + c.length, 0), 40000);
  assert.ok(o.server.peerClosed);
  assert.throws(
    () => o.client.write(new Uint8Array(1)),
    (e) => e instanceof TlsError && e.code === "connection_closed",
  );
});

Deno.test("handshake messages fragmented into 1-byte chunks still complete", () => {
  const client = new ClientEngine({ verifyServerChain: acceptAny });
  const server = new ServerEngine({ certificates: [serverCert(ed448)] });
  for (let round = 0; round < 4; round++) {
    for (const [from, to] of [[client, server], [server, client]] as const) {
      const bytes = from.takeOutput();
      if (bytes) { for (let i = 0; i < bytes.length; i++) to.receive(bytes.subarray(i, i + 1)); }
    }
  }
  assert.equal(client.state, "connected");
  assert.equal(server.state, "connected");
});

/** A client that claims to send 0-RTT data: early_data in its ClientHello, then a record the server cannot open. */
class EarlyDataClient extends ClientEngine {
  protected override sendHandshake(m: Handshake, version?: number): Uint8Array {
    if (m.type === "client_hello") {
      m = { ...m, extensions: [...m.extensions, { type: 42, data: new Uint8Array(0) }] };
    }
    return super.sendHandshake(m, version);
  }
}

for (const groups of [["X448"], ["X25519"]] as const) {
  Deno.test(`declined 0-RTT records are skipped${groups[0] === "X25519" ? " after a HelloRetryRequest" : ""}`, () => {
    const client = new EarlyDataClient({ verifyServerChain: acceptAny });
    const server = new ServerEngine({ certificates: [serverCert()], groups: [...groups] });
    const earlyRecord = Uint8Array.from([23, 3, 3, 0, 40, ...new Uint8Array(40).fill(0xee)]);
    server.receive(new Uint8Array([...client.takeOutput()!, ...earlyRecord]));
    const o = run(client, server);
    assertConnected(o);
  });
}
