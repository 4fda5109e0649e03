import assert from "node:assert/strict";
import { sha512 as nobleSha512 } from "@noble/hashes/sha2.js";
import { createBackgroundHasher } from "./background_hash.ts";
import { randomBytes } from "./keys.ts";

Deno.test("a background SHA-512 equals noble's, over pieces that straddle its batches", async () => {
  const message = randomBytes(9 * 1024 * 1024 + 12345);
  const hasher = createBackgroundHasher("sha512");
  // one buffer reused for every piece, as callers do: update copies before returning
  const piece = new Uint8Array(65537);
  for (let off = 0; off < message.length; off += piece.length) {
    const part = message.subarray(off, off + piece.length);
    piece.set(part);
    await hasher.update(piece.subarray(0, part.length));
    piece.fill(0);
  }
  assert.deepEqual(await hasher.digest(), nobleSha512(message));
});

Deno.test("a background hasher digests empty and short input, and refuses use after its end", async () => {
  assert.deepEqual(await createBackgroundHasher("sha512").digest(), nobleSha512(new Uint8Array(0)));
  const hasher = createBackgroundHasher("sha512");
  await hasher.update(Uint8Array.of(1, 2, 3));
  assert.deepEqual(await hasher.digest(), nobleSha512(Uint8Array.of(1, 2, 3)));
  await assert.rejects(() => hasher.digest());
});

Deno.test("closing a background hasher without a digest ends its worker", async () => {
  const hasher = createBackgroundHasher("sha512");
  await hasher.update(randomBytes(3 * 1024 * 1024));
  hasher.close();
  hasher.close();
  await assert.rejects(async () => await hasher.update(Uint8Array.of(1)));
});
