import assert from "node:assert/strict";
import { fromHex, toHex } from "../encoding/bytes.ts";
import { SbChain, sbcHkdf, sbcInit } from "./sb_chain.ts";

const run = (first: number, last: number) =>
  Uint8Array.from({ length: last - first + 1 }, (_, i) => first + i);

// smp.md §7.2 V3 (derived with node:crypto HKDF from the Crypto.hs definitions): sessionId 01..20, secret 21..40.
const V3 = {
  ck1: "ea2f289fa335ea9f9fbcb74cb81d1770c07a760489b52f7302191b74751ac05d",
  ck2: "19d5b50589bd892d3b28f25c1a345a8fd822881df4a68f766fa8835ffcbf0c07",
  ck1Block1: {
    key: "7255ff71fe29b29d85a19d8198c29031b430ff2f1765f3b4fe6b2c136e7054a8",
    nonce: "83f3fdec12bc0a5c0048579bae195f07c53145184b86d83c",
    next: "bf4f328764b8458c59db468bdee6b7e8aee5504a72eaa36b904f568bfcec9ec5",
  },
  ck1Block2: {
    key: "268ec4097906d9de5880706c5b76801fd329f552655434561c89c1cf93481848",
    nonce: "c6ed811285d7da034b2c6bbe69929029926a05db497216b3",
  },
  ck2Block1: {
    key: "2beb569082e1f3ca3a6641a3a77cb8a893e54baa1046d8b102a168137b675e55",
    nonce: "a51f5decf0fb4598ef2f2c97eb7acdd81cf4e08afde7f225",
  },
};

Deno.test("V3: sbcInit splits HKDF(sessionId, secret) into the two direction chains", () => {
  const [ck1, ck2] = sbcInit(run(1, 32), run(33, 64));
  assert.equal(toHex(ck1), V3.ck1);
  assert.equal(toHex(ck2), V3.ck2);
});

Deno.test("V3: sbcHkdf gives the block key, nonce and next chain key", () => {
  const step1 = sbcHkdf(fromHex(V3.ck1));
  assert.equal(toHex(step1.key), V3.ck1Block1.key);
  assert.equal(toHex(step1.nonce), V3.ck1Block1.nonce);
  assert.equal(toHex(step1.nextChainKey), V3.ck1Block1.next);
  const step2 = sbcHkdf(step1.nextChainKey);
  assert.equal(toHex(step2.key), V3.ck1Block2.key);
  assert.equal(toHex(step2.nonce), V3.ck1Block2.nonce);
  const other = sbcHkdf(fromHex(V3.ck2));
  assert.equal(toHex(other.key), V3.ck2Block1.key);
  assert.equal(toHex(other.nonce), V3.ck2Block1.nonce);
});

Deno.test("SbChain advances one step per block and keeps the directions apart", () => {
  const [ck1, ck2] = sbcInit(run(1, 32), run(33, 64));
  const down = new SbChain(ck1), up = new SbChain(ck2);
  const b1 = down.next();
  assert.equal(toHex(b1.key), V3.ck1Block1.key);
  assert.equal(toHex(b1.nonce), V3.ck1Block1.nonce);
  assert.equal(toHex(up.next().key), V3.ck2Block1.key);
  assert.equal(toHex(down.next().key), V3.ck1Block2.key);
  assert.notEqual(toHex(ck1), V3.ck1, "advancing overwrites the chain key it was given");
  assert.equal(toHex(ck1), toHex(sbcHkdf(sbcHkdf(fromHex(V3.ck1)).nextChainKey).nextChainKey));
});

Deno.test("a chain key of the wrong length is a programmer error", () => {
  assert.throws(() => new SbChain(new Uint8Array(31)), RangeError);
  assert.throws(() => sbcHkdf(new Uint8Array(64)), RangeError);
});
