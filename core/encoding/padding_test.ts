import assert from "node:assert/strict";
import { pad, PaddingError, unpad } from "./padding.ts";
import { toHex } from "./bytes.ts";
import { SeededRandom } from "../../tests/_util/random.ts";

Deno.test("pad writes u16 length, the message, then '#' fill", () => {
  assert.equal(toHex(pad(new TextEncoder().encode("abc"), 8)), "0003616263232323");
  assert.equal(toHex(pad(new Uint8Array(0), 2)), "0000");
});

Deno.test("pad refuses a message that does not fit or exceeds 65533 bytes", () => {
  assert.throws(() => pad(new Uint8Array(7), 8), PaddingError);
  assert.doesNotThrow(() => pad(new Uint8Array(6), 8));
  assert.throws(() => pad(new Uint8Array(65534), 70000), PaddingError);
  assert.doesNotThrow(() => pad(new Uint8Array(65533), 70000));
});

Deno.test("unpad ignores trailing bytes but fails when the length exceeds the input", () => {
  assert.equal(toHex(unpad(Uint8Array.of(0, 2, 9, 8, 7, 7))), "0908");
  assert.throws(() => unpad(Uint8Array.of(0, 3, 1, 2)), PaddingError);
  assert.throws(() => unpad(Uint8Array.of(0)), PaddingError);
});

Deno.test("pad/unpad round-trip random messages", () => {
  const rnd = new SeededRandom(99);
  for (let i = 0; i < 200; i++) {
    const msg = rnd.bytes(rnd.int(1000));
    const padded = pad(msg, msg.length + 2 + rnd.int(100));
    assert.deepEqual(unpad(padded), msg);
  }
});
