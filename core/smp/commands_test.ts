import assert from "node:assert/strict";
import { checkCredentials, type Command, encodeCommand, parseCommand } from "./commands.ts";
import { generateKeyPair, privateKey, type PublicKey, publicKeyOf } from "../crypto/keys.ts";
import { concatBytes, fromHex, toHex } from "../encoding/bytes.ts";
import { SeededRandom } from "../../tests/_util/random.ts";

const ascii = (s: string) => new TextEncoder().encode(s);
const ed = generateKeyPair("Ed25519").publicKey;
const ed448 = generateKeyPair("Ed448").publicKey;
const xAuth = generateKeyPair("X25519").publicKey;
const dh = generateKeyPair("X25519").publicKey;
const id = (n: number) => new Uint8Array(24).fill(n);
const data = { fixedData: ascii("fixed"), userData: ascii("user") };

/** Every command, with every optional field both present and absent. */
function sampleCommands(): Command[] {
  return [
    { type: "NEW", req: { rcvAuthKey: ed, rcvDhKey: dh, subMode: "S" } },
    {
      type: "NEW",
      req: {
        rcvAuthKey: ed448,
        rcvDhKey: dh,
        basicAuth: ascii("pwd"),
        subMode: "C",
        queueReqData: { mode: "M" },
      },
    },
    { type: "NEW", req: { rcvAuthKey: xAuth, rcvDhKey: dh, subMode: "S", queueReqData: { mode: "C" } } },
    {
      type: "NEW",
      req: {
        rcvAuthKey: ed,
        rcvDhKey: dh,
        subMode: "S",
        queueReqData: { mode: "M", link: { senderId: id(1), data } },
        ntfCreds: { authKey: ed, dhKey: dh },
      },
    },
    {
      type: "NEW",
      req: {
        rcvAuthKey: ed,
        rcvDhKey: dh,
        subMode: "C",
        queueReqData: { mode: "C", link: { linkId: id(2), senderId: id(3), data } },
      },
    },
    { type: "SUB" },
    { type: "SUBS" },
    { type: "KEY", key: ed },
    { type: "RKEY", keys: [ed, ed448] },
    { type: "LSET", linkId: id(4), data },
    { type: "LDEL" },
    { type: "NKEY", key: ed, dhKey: dh },
    { type: "NDEL" },
    { type: "GET" },
    { type: "ACK", msgId: id(5) },
    { type: "ACK", msgId: new Uint8Array(0) },
    { type: "OFF" },
    { type: "DEL" },
    { type: "QUE" },
    { type: "SKEY", key: ed },
    { type: "SEND", notification: true, body: ascii("hello") },
    { type: "SEND", notification: false, body: new Uint8Array(0) },
    { type: "PING" },
    { type: "LKEY", key: ed },
    { type: "LGET" },
    { type: "NSUB" },
    { type: "NSUBS" },
    { type: "PRXY", server: { hosts: ["smp.example.com", "abc.onion"], port: "5223", keyHash: id(6) } },
    { type: "PRXY", server: { hosts: ["[::1]"], port: "", keyHash: id(6) }, basicAuth: ascii("secret") },
    { type: "PFWD", version: 17, key: dh, encTransmission: ascii("encrypted") },
    { type: "RFWD", encForward: ascii("forwarded") },
  ];
}

/** What an older version can express of a NEW request. */
function expectedAt(v: number, cmd: Command): Command {
  if (cmd.type !== "NEW") return cmd;
  const { ntfCreds, queueReqData, ...req } = cmd.req;
  if (v >= 17) return { type: "NEW", req: { ...req, queueReqData, ntfCreds } };
  if (v >= 15) return { type: "NEW", req: { ...req, queueReqData, ntfCreds: undefined } };
  if (v >= 9) {
    return {
      type: "NEW",
      req: { ...req, queueReqData: { mode: queueReqData?.mode === "M" ? "M" : "C" }, ntfCreds: undefined },
    };
  }
  return { type: "NEW", req: { ...req, queueReqData: undefined, ntfCreds: undefined } };
}

Deno.test("every command round-trips at every version 6-18", () => {
  for (let v = 6; v <= 18; v++) {
    for (const cmd of sampleCommands()) {
      const parsed = parseCommand(v, encodeCommand(v, cmd));
      assert.ok(parsed.ok, `v${v} ${cmd.type}`);
      const expected = expectedAt(v, cmd);
      const norm = (c: Command) =>
        JSON.parse(JSON.stringify(c, (_, x) => (x instanceof Uint8Array ? toHex(x) : x)));
      assert.deepEqual(norm(parsed.command), norm(expected), `v${v} ${cmd.type}`);
    }
  }
});

Deno.test("NEW at v18 has the documented layout (serverSyntaxTests)", () => {
  const cmd: Command = {
    type: "NEW",
    req: { rcvAuthKey: ed, rcvDhKey: dh, subMode: "S", queueReqData: { mode: "M" } },
  };
  const bytes = encodeCommand(18, cmd);
  const spki = (k: PublicKey) =>
    concatBytes(
      Uint8Array.of(0x2c),
      fromHex("302a300506032b65" + (k.algorithm === "Ed25519" ? "70" : "6e") + "032100"),
      k.raw,
    );
  assert.deepEqual(bytes, concatBytes(ascii("NEW "), spki(ed), spki(dh), ascii("0S1M00")));
});

Deno.test("NEW legacy encodings: v9-14 sndSecure flag, v6-8 'A' basic auth", () => {
  const req = {
    rcvAuthKey: ed,
    rcvDhKey: dh,
    basicAuth: ascii("pw"),
    subMode: "S" as const,
    queueReqData: { mode: "M" as const },
  };
  const v9 = encodeCommand(9, { type: "NEW", req });
  assert.equal(toHex(v9.subarray(-6)), toHex(ascii("1\x02pwST")));
  const v6 = encodeCommand(6, { type: "NEW", req });
  assert.equal(toHex(v6.subarray(-5)), toHex(ascii("A\x02pwS")));
  const v6NoAuth = encodeCommand(6, { type: "NEW", req: { ...req, basicAuth: undefined } });
  assert.equal(v6NoAuth.at(-1), 0x53);
});

Deno.test("SEND layout: flag, space, raw body; extra reserved flag bytes are skipped", () => {
  assert.deepEqual(
    encodeCommand(18, { type: "SEND", notification: false, body: ascii("hi") }),
    ascii("SEND F hi"),
  );
  const parsed = parseCommand(18, ascii("SEND TXYZ body with spaces"));
  assert.deepEqual(parsed, {
    ok: true,
    command: { type: "SEND", notification: true, body: ascii("body with spaces") },
  });
});

Deno.test("parse errors: unknown tags are UNKNOWN, malformed parameters SYNTAX", () => {
  const err = (s: string | Uint8Array) => {
    const r = parseCommand(18, typeof s === "string" ? ascii(s) : s);
    return r.ok ? "ok" : r.error.type === "CMD" ? r.error.error : r.error.type;
  };
  assert.equal(err("HELLO"), "UNKNOWN");
  assert.equal(err("OK"), "UNKNOWN", "a server message is not a command");
  assert.equal(err("SUB="), "UNKNOWN");
  assert.equal(err("NEW"), "SYNTAX");
  assert.equal(err("NEW 1234"), "SYNTAX");
  assert.equal(err("KEY"), "SYNTAX");
  assert.equal(err("KEY junk"), "SYNTAX");
  assert.equal(err("SEND"), "SYNTAX");
  assert.equal(err("ACK"), "SYNTAX");
  assert.equal(err("SUB "), "SYNTAX", "trailing bytes");
  assert.equal(err("PING x"), "SYNTAX");
  assert.equal(
    err(
      concatBytes(ascii("KEY "), Uint8Array.of(68), fromHex("3042300506032b656f033900"), new Uint8Array(56)),
    ),
    "SYNTAX",
    "X448 is no auth key",
  );
  assert.equal(err(ascii("PRXY \x01\x05a/b:c\x00\x00")), "SYNTAX", "bad host");
  assert.equal(err("SUB"), "ok");
});

Deno.test("checkCredentials follows the reference's rules", () => {
  const none = new Uint8Array(0);
  const q = id(9);
  const check = (cmd: Command, auth: boolean, entity: Uint8Array) => {
    const e = checkCredentials(cmd, auth, entity);
    return e === undefined ? "ok" : e.type === "CMD" ? e.error : e.type;
  };
  const newCmd = sampleCommands()[0];
  assert.equal(check(newCmd, false, none), "NO_AUTH");
  assert.equal(check(newCmd, true, q), "HAS_AUTH");
  assert.equal(check(newCmd, true, none), "ok");
  const send: Command = { type: "SEND", notification: false, body: none };
  assert.equal(check(send, false, none), "NO_ENTITY");
  assert.equal(check(send, false, q), "ok");
  assert.equal(check(send, true, q), "ok");
  assert.equal(check({ type: "LGET" }, true, q), "HAS_AUTH");
  assert.equal(check({ type: "LGET" }, false, none), "NO_ENTITY");
  assert.equal(check({ type: "PING" }, false, q), "HAS_AUTH");
  assert.equal(check({ type: "PING" }, false, none), "ok");
  for (const type of ["SUB", "OFF", "DEL", "GET", "NSUB"] as const) {
    assert.equal(check({ type }, false, q), "NO_AUTH");
    assert.equal(check({ type }, true, none), "NO_AUTH");
    assert.equal(check({ type }, true, q), "ok");
  }
});

Deno.test("random bytes after a known tag never throw", () => {
  const rnd = new SeededRandom(42);
  const tags = ["NEW ", "KEY ", "RKEY ", "LSET ", "NKEY ", "ACK ", "SEND ", "PRXY ", "PFWD ", "RFWD "];
  for (let i = 0; i < 3000; i++) {
    const bytes = concatBytes(ascii(tags[i % tags.length]), rnd.bytes(rnd.int(120)));
    const r = parseCommand(6 + (i % 13), bytes);
    if (!r.ok) assert.equal(r.error.type, "CMD");
  }
});

Deno.test("a key from a seed encodes as the notes' SPKI", () => {
  const seedKey = publicKeyOf(privateKey("Ed25519", Uint8Array.from({ length: 32 }, (_, i) => i + 1)));
  const bytes = encodeCommand(18, { type: "SKEY", key: seedKey });
  assert.equal(
    toHex(bytes),
    toHex(ascii("SKEY ")) +
      "2c302a300506032b657003210079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664",
  );
});
