import assert from "node:assert/strict";
import {
  decodeBase64,
  decodeBase64Url,
  encodeBase64,
  encodeBase64Url,
  encodeBase64UrlUnpadded,
} from "./base64.ts";
import { fromHex, toHex } from "./bytes.ts";
import { SeededRandom } from "../../tests/_util/random.ts";

Deno.test("base64url is written with '=' padding (the SMP test server fingerprint)", () => {
  const fp = "LcJUMfVhwD8yxjAiSaDzzGF3-kLG4Uh0Fl_ZIjrRwjI=";
  const bytes = decodeBase64Url(fp);
  assert.equal(bytes.length, 32);
  assert.equal(encodeBase64Url(bytes), fp);
  assert.deepEqual(decodeBase64Url(fp.slice(0, -1)), bytes, "accepts input without padding");
});

Deno.test("RFC 4648 test vectors, padded and unpadded", () => {
  const cases: [string, string][] = [["", ""], ["f", "Zg=="], ["fo", "Zm8="], ["foo", "Zm9v"], [
    "foob",
    "Zm9vYg==",
  ], [
    "fooba",
    "Zm9vYmE=",
  ], ["foobar", "Zm9vYmFy"]];
  for (const [plain, b64] of cases) {
    const bytes = new TextEncoder().encode(plain);
    assert.equal(encodeBase64Url(bytes), b64);
    assert.equal(encodeBase64UrlUnpadded(bytes), b64.replace(/=+$/, ""));
    assert.deepEqual(decodeBase64Url(b64), bytes);
    assert.deepEqual(decodeBase64Url(b64.replace(/=+$/, "")), bytes);
  }
});

Deno.test("the url alphabet uses '-' and '_', standard uses '+' and '/'", () => {
  const bytes = fromHex("fbff");
  assert.equal(encodeBase64Url(bytes), "-_8=");
  assert.equal(encodeBase64(bytes), "+/8=");
  assert.equal(toHex(decodeBase64("+/8=")), "fbff");
  assert.throws(() => decodeBase64Url("+/8="));
});

Deno.test("malformed base64url is rejected", () => {
  for (const bad of ["A", "AB=C", "ab$d", "Zg===", "Zh==", "é"]) {
    assert.throws(() => decodeBase64Url(bad), bad);
  }
});

Deno.test("random bytes round-trip through both alphabets", () => {
  const rnd = new SeededRandom(5);
  for (let i = 0; i < 300; i++) {
    const b = rnd.bytes(rnd.int(100));
    assert.deepEqual(decodeBase64Url(encodeBase64Url(b)), b);
    assert.deepEqual(decodeBase64Url(encodeBase64UrlUnpadded(b)), b);
    assert.deepEqual(decodeBase64(encodeBase64(b)), b);
    assert.equal(encodeBase64(b), btoa(String.fromCharCode(...b)));
  }
});
