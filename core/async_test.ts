import assert from "node:assert/strict";
import { allSettled } from "./async.ts";

Deno.test("allSettled gives every value in order", async () => {
  assert.deepEqual(
    await allSettled([Promise.resolve(1), 2, new Promise<string>((r) => setTimeout(() => r("c"), 5))]),
    [
      1,
      2,
      "c",
    ],
  );
});

Deno.test("allSettled throws the first failure only after the slower ones have settled", async () => {
  let slowDone = false;
  const slow = new Promise<void>((r) => setTimeout(() => r(void (slowDone = true)), 20));
  await assert.rejects(
    () => allSettled([Promise.reject(new Error("first")), slow, Promise.reject(new Error("second"))]),
    /first/,
  );
  assert.ok(slowDone);
});
