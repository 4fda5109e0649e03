/** serverSyntaxTests (smp.md §8): raw transmissions and the reference's answers, keeping corrId and entity. */
import assert from "node:assert/strict";
import { errType, startRelay, text } from "./_harness.ts";
import { encodeTransmission, transmissionForAuth } from "../../core/smp/transmission.ts";
import { decodeBase64 } from "../../core/encoding/base64.ts";
import { concatBytes } from "../../core/encoding/bytes.ts";
import { encodePublicKeyDer, generateKeyPair } from "../../core/crypto/keys.ts";
import { encode } from "../../core/encoding/binary.ts";

// tests/ServerTests.hs `sampleSig`: a valid-looking Ed25519 signature of nothing in particular
const sampleSig = decodeBase64(
  "e8JK+8V3fq6kOLqco/SaKlpNaQ7i1gfOrXoqekEl42u4mF8Bgu14T5j0189CGcUhJHw2RwCMvON+qbvQ9ecJAA==",
);
const queueId = text("12345678901234567890abcd");
const key = encodePublicKeyDer(generateKeyPair("Ed25519").publicKey);
const dhKey = encodePublicKeyDer(generateKeyPair("X25519").publicKey);

Deno.test("server syntax cases answer with the reference's errors", async () => {
  const h = await startRelay();
  try {
    const c = await h.connect();
    const cases: [string, Uint8Array, Uint8Array, Uint8Array, string][] = [
      ["unknown command", new Uint8Array(), new Uint8Array(), text("HELLO"), "CMD UNKNOWN"],
      ["NEW without params", sampleSig, new Uint8Array(), text("NEW"), "CMD SYNTAX"],
      ["NEW with a junk key", sampleSig, new Uint8Array(), text("NEW 1234 junk"), "CMD SYNTAX"],
      [
        "NEW unsigned",
        new Uint8Array(),
        new Uint8Array(),
        concatBytes(text("NEW "), encode((w) => w.shortBytes(key).shortBytes(dhKey)), text("0S1M00")),
        "CMD NO_AUTH",
      ],
      [
        "NEW with a queue ID",
        sampleSig,
        queueId,
        concatBytes(text("NEW "), encode((w) => w.shortBytes(key).shortBytes(dhKey)), text("0S1M00")),
        "CMD HAS_AUTH",
      ],
      [
        "KEY valid syntax",
        sampleSig,
        queueId,
        concatBytes(text("KEY "), encode((w) => w.shortBytes(key))),
        "AUTH",
      ],
      ["KEY without params", sampleSig, queueId, text("KEY"), "CMD SYNTAX"],
      ["KEY junk", sampleSig, queueId, text("KEY 1 2"), "CMD SYNTAX"],
      [
        "KEY unsigned",
        new Uint8Array(),
        queueId,
        concatBytes(text("KEY "), encode((w) => w.shortBytes(key))),
        "CMD NO_AUTH",
      ],
      [
        "KEY without queue",
        sampleSig,
        new Uint8Array(),
        concatBytes(text("KEY "), encode((w) => w.shortBytes(key))),
        "CMD NO_AUTH",
      ],
      ["SUB valid", sampleSig, queueId, text("SUB"), "AUTH"],
      ["OFF valid", sampleSig, queueId, text("OFF"), "AUTH"],
      ["DEL valid", sampleSig, queueId, text("DEL"), "AUTH"],
      ["SUB with =", sampleSig, queueId, text("SUB="), "CMD UNKNOWN"],
      ["DEL unsigned", new Uint8Array(), queueId, text("DEL"), "CMD NO_AUTH"],
      ["DEL without queue", sampleSig, new Uint8Array(), text("DEL"), "CMD NO_AUTH"],
      ["SEND valid", new Uint8Array(), queueId, text("SEND F hello"), "AUTH"],
      ["SEND without params", new Uint8Array(), queueId, text("SEND"), "CMD SYNTAX"],
      ["SEND without queue", new Uint8Array(), new Uint8Array(), text("SEND F hello"), "CMD NO_ENTITY"],
      [
        "ACK valid",
        sampleSig,
        queueId,
        concatBytes(text("ACK "), encode((w) => w.shortBytes(text("msgid")))),
        "AUTH",
      ],
      ["ACK without params", sampleSig, queueId, text("ACK"), "CMD SYNTAX"],
      [
        "ACK unsigned",
        new Uint8Array(),
        queueId,
        concatBytes(text("ACK "), encode((w) => w.shortBytes(text("msgid")))),
        "CMD NO_AUTH",
      ],
      ["PING", new Uint8Array(), new Uint8Array(), text("PING"), "PONG"],
      ["a server message", new Uint8Array(), new Uint8Array(), text("OK"), "CMD UNKNOWN"],
      ["a bad authorization length", new Uint8Array(10), queueId, text("SUB"), "BLOCK"],
    ];
    for (const [name, auth, entityId, cmd, expected] of cases) {
      const corrId = text(name.slice(0, 12));
      const { toSend } = transmissionForAuth(c.session, corrId, entityId, cmd);
      const [response] = c.sendEncoded([{ corrId, bytes: encodeTransmission(c.session, toSend, auth) }]);
      const result = await response;
      assert.equal(errType(result.msg), expected, name);
      const expectEntity = expected === "BLOCK" || expected === "PONG" ? new Uint8Array() : entityId;
      assert.deepEqual(result.entityId, expectEntity, `${name}: entity`);
    }
  } finally {
    await h.close();
  }
});
