import assert from "node:assert/strict";
import { type BrokerMsg, encodeBrokerMsg, encodeBrokerTransmission, parseBrokerMsg } from "./responses.ts";
import { encodeServerTransmission } from "./transmission.ts";
import { encodeSmpError, readSmpError, type SmpError } from "./errors.ts";
import { decode } from "../encoding/binary.ts";
import { toHex } from "../encoding/bytes.ts";
import { generateKeyPair } from "../crypto/keys.ts";

const ascii = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const dh = generateKeyPair("X25519").publicKey;
const id = (n: number) => new Uint8Array(24).fill(n);
const norm = (m: unknown) =>
  JSON.parse(
    JSON.stringify(m, (_, x) => (x instanceof Uint8Array ? toHex(x) : typeof x === "bigint" ? `${x}n` : x)),
  );

const samples: BrokerMsg[] = [
  { type: "IDS", ids: { rcvId: id(1), sndId: id(2), srvDhKey: dh } },
  {
    type: "IDS",
    ids: {
      rcvId: id(1),
      sndId: id(2),
      srvDhKey: dh,
      queueMode: "M",
      linkId: id(3),
      serviceId: id(4),
      serverNtfCreds: { notifierId: id(5), srvNtfDhKey: dh },
    },
  },
  { type: "LNK", senderId: id(1), data: { fixedData: ascii("f"), userData: ascii("u") } },
  { type: "SOK", serviceId: undefined },
  { type: "SOK", serviceId: id(7) },
  { type: "SOKS", count: 2n },
  { type: "MSG", msgId: id(8), encBody: new Uint8Array(16122).fill(9) },
  { type: "NID", notifierId: id(1), srvNtfDhKey: dh },
  { type: "NMSG", nonce: id(2), encMeta: new Uint8Array(144) },
  {
    type: "PKEY",
    sessionId: id(3),
    versions: { min: 8, max: 17 },
    certKey: { chain: [ascii("leaf"), ascii("ca")], signedKey: ascii("sk") },
  },
  { type: "RRES", encResponse: ascii("r") },
  { type: "PRES", encResponse: ascii("p") },
  { type: "END" },
  { type: "ENDS", count: 1n },
  { type: "DELD" },
  { type: "INFO", json: '{"qiSnd":true}' },
  { type: "OK" },
  { type: "ERR", error: { type: "AUTH" } },
  { type: "PONG" },
];

Deno.test("every server message round-trips at v18", () => {
  for (const msg of samples) {
    const parsed = parseBrokerMsg(18, encodeBrokerMsg(18, msg));
    assert.ok(parsed.ok, msg.type);
    assert.deepEqual(norm(parsed.value), norm(msg), msg.type);
  }
});

Deno.test("IDS layouts per version", () => {
  const ids = { rcvId: id(1), sndId: id(2), srvDhKey: dh, queueMode: "M" as const, linkId: id(3) };
  const base = 4 + 25 + 25 + 45;
  assert.equal(encodeBrokerMsg(8, { type: "IDS", ids }).length, base);
  assert.equal(text(encodeBrokerMsg(9, { type: "IDS", ids }).subarray(base)), "T");
  assert.equal(text(encodeBrokerMsg(15, { type: "IDS", ids }).subarray(base, base + 2)), "1M");
  assert.equal(encodeBrokerMsg(15, { type: "IDS", ids }).length, base + 2 + 26);
  assert.equal(encodeBrokerMsg(16, { type: "IDS", ids }).length, base + 2 + 26 + 1);
  assert.equal(encodeBrokerMsg(17, { type: "IDS", ids }).length, base + 2 + 26 + 2);
  const v9 = parseBrokerMsg(9, encodeBrokerMsg(9, { type: "IDS", ids }));
  assert.ok(
    v9.ok && v9.value.type === "IDS" && v9.value.ids.queueMode === "M" && v9.value.ids.linkId === undefined,
  );
});

Deno.test("older clients get what they can parse: SOK→OK (<16), DELD→END (<10), BLOCKED→AUTH (<12), no notice (<18)", () => {
  assert.equal(text(encodeBrokerMsg(15, { type: "SOK" })), "OK");
  assert.equal(text(encodeBrokerMsg(16, { type: "SOK" })), "SOK 0");
  assert.equal(text(encodeBrokerMsg(9, { type: "DELD" })), "END");
  assert.equal(text(encodeBrokerMsg(10, { type: "DELD" })), "DELD");
  const blocked: BrokerMsg = {
    type: "ERR",
    error: { type: "BLOCKED", info: { reason: "spam", notice: { ttl: 3600 } } },
  };
  assert.equal(text(encodeBrokerMsg(11, blocked)), "ERR AUTH");
  assert.equal(text(encodeBrokerMsg(12, blocked)), "ERR BLOCKED reason=spam");
  assert.equal(text(encodeBrokerMsg(18, blocked)), 'ERR BLOCKED reason=spam,notice={"ttl":3600}');
});

Deno.test("error encodings match the reference text", () => {
  const cases: [SmpError, string][] = [
    [{ type: "BLOCK" }, "BLOCK"],
    [{ type: "CMD", error: "NO_ENTITY" }, "CMD NO_ENTITY"],
    [{ type: "PROXY", error: { type: "BASIC_AUTH" } }, "PROXY BASIC_AUTH"],
    [{ type: "PROXY", error: { type: "PROTOCOL", error: { type: "AUTH" } } }, "PROXY PROTOCOL AUTH"],
    [
      { type: "PROXY", error: { type: "BROKER", error: { type: "TRANSPORT", error: { type: "NO_AUTH" } } } },
      "PROXY BROKER TRANSPORT NO_AUTH",
    ],
    [{
      type: "PROXY",
      error: {
        type: "BROKER",
        error: { type: "TRANSPORT", error: { type: "HANDSHAKE", error: "IDENTITY" } },
      },
    }, "PROXY BROKER TRANSPORT HANDSHAKE IDENTITY"],
    [{ type: "PROXY", error: { type: "BROKER", error: { type: "NETWORK" } } }, "PROXY BROKER NETWORK"],
    [{ type: "PROXY", error: { type: "BROKER", error: { type: "TIMEOUT" } } }, "PROXY BROKER TIMEOUT"],
    [{ type: "BLOCKED", info: { reason: "content" } }, "BLOCKED reason=content"],
    [
      { type: "BLOCKED", info: { reason: "spam", notice: { ttl: null } } },
      "BLOCKED reason=spam,notice={}",
    ],
    [{ type: "STORE", message: "disk full" }, "STORE disk full"],
    [{ type: "NO_MSG" }, "NO_MSG"],
    [{ type: "LARGE_MSG" }, "LARGE_MSG"],
  ];
  for (const [error, expected] of cases) {
    assert.equal(text(encodeSmpError(error)), expected);
    assert.deepEqual(decode(encodeSmpError(error), readSmpError), { ok: true, value: error });
  }
  const withDetail = decode(ascii("PROXY BROKER RESPONSE \x05oops!"), readSmpError);
  assert.deepEqual(withDetail, {
    ok: true,
    value: { type: "PROXY", error: { type: "BROKER", error: { type: "RESPONSE", message: "oops!" } } },
  });
  assert.deepEqual(decode(ascii("CMD NO_QUEUE"), readSmpError), {
    ok: true,
    value: { type: "CMD", error: "NO_ENTITY" },
  });
  for (const bad of ["NOPE", "CMD WHAT", "BLOCKED reason=ham", "BLOCKED reason=spam,notice={", "PROXY"]) {
    assert.equal(decode(ascii(bad), readSmpError).ok, false, bad);
  }
});

Deno.test("a broker transmission is the server transmission of the encoded message, in one buffer", () => {
  const sessionId = new Uint8Array(32).fill(9);
  for (const version of [6, 18]) {
    const p = { version, sessionId };
    for (const msg of samples) {
      assert.deepEqual(
        encodeBrokerTransmission(p, id(3), id(4), msg),
        encodeServerTransmission(p, id(3), id(4), encodeBrokerMsg(version, msg)),
      );
    }
  }
});
