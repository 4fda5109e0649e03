import assert from "node:assert/strict";
import { decryptChunkTransit, encryptChunkTransit } from "./transit.ts";
import { FileSizeError } from "./file.ts";
import { dh, generateKeyPair, randomBytes } from "../crypto/keys.ts";
import { sha256 } from "../crypto/hash.ts";
import { concatBytes } from "../encoding/bytes.ts";
import { encryptStreamTailTag } from "../crypto/secret_stream.ts";

const server = generateKeyPair("X25519");
const client = generateKeyPair("X25519");
const nonce = randomBytes(24);
const chunk = randomBytes(65536);

async function collect(gen: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of gen) parts.push(p);
  return concatBytes(...parts);
}

async function receive(body: Uint8Array[], digest = sha256(chunk)) {
  const out: Uint8Array[] = [];
  const error = await decryptChunkTransit(
    body,
    { dhSecret: dh(server.publicKey, client.privateKey), nonce, size: chunk.length, digest },
    (p) => {
      out.push(p.slice());
    },
  );
  return { error, plain: concatBytes(...out) };
}

Deno.test("FGET transit: both ends derive the same secret; the body is ciphertext ‖ tail tag", async () => {
  const params = { dhSecret: dh(client.publicKey, server.privateKey), nonce, size: chunk.length };
  const body = await collect(encryptChunkTransit([chunk.subarray(0, 1000), chunk.subarray(1000)], params));
  assert.deepEqual(body, encryptStreamTailTag(params.dhSecret, nonce, chunk));
  for (
    const split of [[body], [body.subarray(0, 65540), body.subarray(65540)], [
      body.subarray(0, 7),
      body.subarray(7),
    ]]
  ) {
    assert.deepEqual(await receive(split), { error: undefined, plain: chunk });
  }
});

Deno.test("FGET transit failures: SIZE, CRYPTO, DIGEST", async () => {
  const params = { dhSecret: dh(client.publicKey, server.privateKey), nonce, size: chunk.length };
  const body = await collect(encryptChunkTransit([chunk], params));
  assert.deepEqual((await receive([concatBytes(body, Uint8Array.of(0))])).error, { type: "SIZE" });
  assert.deepEqual((await receive([body.subarray(0, 1000)])).error, { type: "SIZE" });
  assert.deepEqual((await receive([body.subarray(0, body.length - 1)])).error, { type: "CRYPTO" });
  const forged = body.slice();
  forged[5] ^= 1;
  assert.deepEqual((await receive([forged])).error, { type: "CRYPTO" });
  assert.deepEqual((await receive([body], randomBytes(32))).error, { type: "DIGEST" });
  await assert.rejects(() => collect(encryptChunkTransit([chunk.subarray(1)], params)), FileSizeError);
});
