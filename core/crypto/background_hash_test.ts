/**
 * The background hasher on each of its homes: libcrypto on Deno's blocking pool (where it loads)
 * and node:crypto on a worker, against @noble/hashes.
 */
import assert from "node:assert/strict";
import { sha256 as nobleSha256, sha512 as nobleSha512 } from "@noble/hashes/sha2.js";
import {
  type BackgroundHasher,
  createBackgroundHasher,
  createHeldHasher,
  digestOffThread,
} from "./background_hash.ts";
import { type Libcrypto, loadLibcrypto, withLibcrypto } from "./_libcrypto.ts";
import { randomBytes } from "./keys.ts";

const homes: [string, Libcrypto | null][] = [["without libcrypto", null]];
const lib = loadLibcrypto();
if (lib) homes.unshift(["libcrypto", lib]);

function eachHome(
  name: string,
  body: (hasher: () => BackgroundHasher, home: Libcrypto | null) => Promise<void>,
) {
  for (const [label, home] of homes) {
    const hasher = () => withLibcrypto(home, () => createBackgroundHasher("sha512"));
    Deno.test(`${name} (${label})`, () => body(hasher, home));
  }
}

eachHome("a background SHA-512 equals noble's, over pieces that straddle its batches", async (hasher) => {
  const message = randomBytes(9 * 1024 * 1024 + 12345);
  const h = hasher();
  // one buffer reused for every piece, as callers do: update copies before returning
  const piece = new Uint8Array(65537);
  for (let off = 0; off < message.length; off += piece.length) {
    const part = message.subarray(off, off + piece.length);
    piece.set(part);
    await h.update(piece.subarray(0, part.length));
    piece.fill(0);
  }
  assert.deepEqual(await h.digest(), nobleSha512(message));
});

eachHome(
  "a background hasher digests empty and short input, and refuses use after its end",
  async (hasher) => {
    assert.deepEqual(await hasher().digest(), nobleSha512(new Uint8Array(0)));
    const h = hasher();
    await h.update(Uint8Array.of(1, 2, 3));
    assert.deepEqual(await h.digest(), nobleSha512(Uint8Array.of(1, 2, 3)));
    await assert.rejects(() => h.digest());
  },
);

eachHome("closing a background hasher without a digest ends it", async (hasher) => {
  const h = hasher();
  await h.update(randomBytes(3 * 1024 * 1024));
  h.close();
  h.close();
  await assert.rejects(async () => await h.update(Uint8Array.of(1)));
});

eachHome("a one-shot digest off the thread equals noble's", async (_, home) => {
  const message = randomBytes(4 * 1024 * 1024 + 7);
  const [a, b] = withLibcrypto(
    home,
    () => [digestOffThread("sha256", message), digestOffThread("sha512", message)],
  );
  assert.deepEqual(await a, nobleSha256(message));
  assert.deepEqual(await b, nobleSha512(message));
});

eachHome("held updates between copied ones keep the order of the stream", async (hasher) => {
  const message = randomBytes(5 * 1024 * 1024 + 333);
  const h = hasher();
  const cuts = [0, 1000, 1_500_000, 1_500_001, 3_000_000, 4_200_000, message.length];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const piece = message.subarray(cuts[i], cuts[i + 1]);
    if (i % 2 === 0) await h.update(piece);
    else await h.updateHeld(piece);
  }
  assert.deepEqual(await h.digest(), nobleSha512(message));
});

for (const [label, home] of homes) {
  Deno.test(`a held hasher equals noble's over pieces of any size (${label})`, async () => {
    const message = randomBytes(3 * 1024 * 1024 + 5);
    const h = withLibcrypto(home, () => createHeldHasher("sha256"));
    for (const [a, b] of [[0, 1], [1, 65_537], [65_537, 2_000_000], [2_000_000, message.length]]) {
      await h.updateHeld(message.subarray(a, b));
    }
    assert.deepEqual(await h.digest(), nobleSha256(message));
    h.close();
  });
}
