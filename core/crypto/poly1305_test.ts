import assert from "node:assert/strict";
import { poly1305 as noblePoly1305 } from "@noble/ciphers/_poly1305.js";
import { fromHex, toHex } from "../encoding/bytes.ts";
import { Poly1305 } from "./_poly1305.ts";
import { randomBytes } from "./keys.ts";
import { SeededRandom } from "../../tests/_util/random.ts";

const mac = (key: Uint8Array, msg: Uint8Array) => new Poly1305(key).update(msg).digest();
const hex = (s: string) => fromHex(s.replace(/\s/g, ""));
const ff16 = "ff".repeat(16);

Deno.test("Poly1305 matches RFC 8439 §2.5.2", () => {
  const key = hex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b");
  const tag = mac(key, new TextEncoder().encode("Cryptographic Forum Research Group"));
  assert.equal(toHex(tag), "a8061dc1305136c6c22b8baf0c0127a9");
});

// RFC 8439 Appendix A.3 vectors #5-#9: the carries and final reductions that limb code gets wrong.
const EDGE_CASES: [key: string, msg: string, tag: string][] = [
  ["02" + "00".repeat(31), ff16, "03" + "00".repeat(15)],
  ["02" + "00".repeat(15) + ff16, "02" + "00".repeat(15), "03" + "00".repeat(15)],
  ["01" + "00".repeat(31), ff16 + "f0" + "ff".repeat(15) + "11" + "00".repeat(15), "05" + "00".repeat(15)],
  ["01" + "00".repeat(31), ff16 + "fb" + "fe".repeat(15) + "01".repeat(16), "00".repeat(16)],
  ["02" + "00".repeat(31), "fd" + "ff".repeat(15), "fa" + "ff".repeat(15)],
];

Deno.test("Poly1305 handles the RFC 8439 A.3 reduction edge cases", () => {
  for (const [key, msg, tag] of EDGE_CASES) {
    assert.equal(toHex(mac(hex(key), hex(msg))), tag, `message ${msg}`);
    assert.equal(toHex(noblePoly1305(hex(msg), hex(key))), tag);
  }
});

Deno.test("Poly1305 agrees with @noble/ciphers on random and saturated inputs", () => {
  const rnd = new SeededRandom();
  for (let trial = 0; trial < 500; trial++) {
    const key = trial % 7 === 0 ? new Uint8Array(32).fill(0xff) : rnd.bytes(32);
    const msg = trial % 3 === 0 ? new Uint8Array(rnd.int(200)).fill(0xff) : rnd.bytes(rnd.int(1100));
    assert.deepEqual(mac(key, msg), noblePoly1305(msg, key), `seed ${rnd.seed}, trial ${trial}`);
  }
});

Deno.test("Poly1305 fed in random pieces equals one update", () => {
  const rnd = new SeededRandom();
  for (let trial = 0; trial < 50; trial++) {
    const key = randomBytes(32), msg = rnd.bytes(rnd.int(3000));
    const inc = new Poly1305(key);
    for (let i = 0; i < msg.length;) {
      const n = rnd.int(40);
      inc.update(msg.subarray(i, i + n));
      i += n;
    }
    assert.deepEqual(inc.digest(), mac(key, msg), `seed ${rnd.seed}`);
  }
});

Deno.test("Poly1305 reads unaligned views correctly", () => {
  const key = randomBytes(32), buf = randomBytes(1001);
  for (const off of [1, 2, 3, 5]) {
    assert.deepEqual(mac(key, buf.subarray(off)), noblePoly1305(buf.slice(off), key));
  }
});

Deno.test("a finished Poly1305 refuses further use", () => {
  const p = new Poly1305(randomBytes(32));
  p.digest();
  assert.throws(() => p.update(new Uint8Array(1)), /finished/);
  assert.throws(() => p.digest(), /finished/);
});
