import assert from "node:assert/strict";
import { encodeTransmission, parseTransmission, transmissionForAuth } from "./transmission.ts";
import { encodeCommand } from "./commands.ts";
import { privateKey, publicKeyOf, sign, verify } from "../crypto/keys.ts";
import { encode } from "../encoding/binary.ts";
import { fromHex, toHex } from "../encoding/bytes.ts";

const range = (from: number, n: number) => Uint8Array.from({ length: n }, (_, i) => from + i);

// smp.md §7.2 V6: Ed25519 seed 01..20 signs a v18 SEND with sessionId c9..e8, corrId and entity 01..18.
Deno.test("V6: a signed v18 SEND has the documented signed bytes, signature and batch", () => {
  const params = { version: 18, sessionId: range(0xc9, 32) };
  const corrId = range(1, 24);
  const cmd = encodeCommand(18, { type: "SEND", notification: false, body: new TextEncoder().encode("hi") });
  const { authorized, toSend } = transmissionForAuth(params, corrId, corrId, cmd);
  assert.equal(
    toHex(authorized),
    "20" + toHex(range(0xc9, 32)) + "18" + toHex(corrId) + "18" + toHex(corrId) + "53454e442046206869",
  );
  const key = privateKey("Ed25519", range(1, 32));
  const sig = sign(key, authorized);
  assert.equal(
    toHex(sig),
    "930e7a60a5b678725df384ab87bac3e471aedf1c4e7ea0282ed0b847e01d828aea3a1decb3185367fc91e6e7c0b2589ef18fab4c540f33ab3fcea2fde4f2b003",
  );
  const t = encodeTransmission(params, toSend, sig);
  const batch = encode((w) => w.byte(1).largeBytes(t));
  assert.equal(toHex(batch.subarray(0, 5)), "01007d40" + toHex(sig.subarray(0, 1)));
  // after the signature: '0' (no service signature, v16+), then corrId, entity and the command
  assert.equal(toHex(batch.subarray(68, 70)), "3018");

  const parsed = parseTransmission(params, t);
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.value.authorized, authorized);
  assert.deepEqual(parsed.value.corrId, corrId);
  assert.equal(parsed.value.serviceSignature, undefined);
  assert.ok(verify(publicKeyOf(key), parsed.value.authorized, parsed.value.authorization));
});

Deno.test("v6 carries the sessionId on the wire; v7-15 have no service-signature byte", () => {
  const sessionId = fromHex("aabb");
  const cmd = new TextEncoder().encode("PING");
  const v6 = transmissionForAuth({ version: 6, sessionId }, fromHex("01"), new Uint8Array(0), cmd);
  assert.equal(
    toHex(encodeTransmission({ version: 6, sessionId }, v6.toSend)),
    "00" + "02aabb" + "0101" + "00" + "50494e47",
  );
  const parsed6 = parseTransmission(
    { version: 6, sessionId },
    encodeTransmission({ version: 6, sessionId }, v6.toSend),
  );
  assert.ok(parsed6.ok);
  assert.deepEqual(parsed6.value.sessionId, sessionId);
  const v7 = transmissionForAuth({ version: 7, sessionId }, fromHex("01"), new Uint8Array(0), cmd);
  assert.equal(
    toHex(encodeTransmission({ version: 7, sessionId }, v7.toSend, fromHex("11"))),
    "0111" + "0101" + "00" + "50494e47",
  );
  assert.equal(
    toHex(encodeTransmission({ version: 16, sessionId }, v7.toSend, fromHex("11"))),
    "011130" + "0101" + "00" + "50494e47",
  );
});

Deno.test("truncated transmissions are parse errors", () => {
  const p = { version: 18, sessionId: new Uint8Array(32) };
  const { toSend } = transmissionForAuth(p, range(1, 24), range(1, 24), new TextEncoder().encode("SUB"));
  const t = encodeTransmission(p, toSend, new Uint8Array(64), undefined);
  for (let cut = 0; cut < 1 + 64 + 1 + 25 + 25; cut++) {
    assert.equal(parseTransmission(p, t.subarray(0, cut)).ok, false, `cut ${cut}`);
  }
});
