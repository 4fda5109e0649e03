import assert from "node:assert/strict";
import { decodeText, str, type TextReader } from "./text.ts";
import { SeededRandom } from "../../tests/_util/random.ts";

Deno.test("strEncode of bytes is padded base64url; tuples use spaces, lists commas", () => {
  const line = str.tuple(str.bytes(Uint8Array.of(1, 2, 3)), str.list([1, 2, 3], str.int), str.bool(true));
  assert.equal(line, "AQID 1,2,3 T");
  const parsed = decodeText(line, (r) => {
    const b = r.bytes();
    r.space();
    const ns = r.list((i) => i.decimal());
    r.space();
    return [b, ns, r.bool()];
  });
  assert.deepEqual(parsed, { ok: true, value: [Uint8Array.of(1, 2, 3), [1, 2, 3], true] });
});

Deno.test("an absent Maybe is the empty string and parses as undefined", () => {
  assert.equal(str.maybe(undefined, str.int), "");
  assert.deepEqual(decodeText("", (r) => r.optional((r) => r.bytes())), { ok: true, value: undefined });
  assert.deepEqual(decodeText("AQ==", (r) => r.optional((r) => r.bytes())), {
    ok: true,
    value: Uint8Array.of(1),
  });
});

Deno.test("UTCTime is ISO 8601 with fractional seconds only when present", () => {
  assert.equal(str.utcTime(new Date("2022-01-01T10:24:05Z")), "2022-01-01T10:24:05Z");
  assert.equal(str.utcTime(new Date("2022-01-01T10:24:05.120Z")), "2022-01-01T10:24:05.12Z");
  const d = decodeText("2022-01-01T10:24:05.123456Z", (r) => r.utcTime());
  assert.deepEqual(d, { ok: true, value: new Date("2022-01-01T10:24:05.123Z") });
  assert.equal(decodeText("2022-13-01T10:24:05Z", (r) => r.utcTime()).ok, false);
  assert.equal(decodeText("yesterday", (r) => r.utcTime()).ok, false);
});

Deno.test("utcTime as the stats files write it (`iso8601Show`): fractional seconds only when present, without trailing zeros", () => {
  assert.equal(str.utcTime(new Date("2026-03-02T10:20:30.000Z")), "2026-03-02T10:20:30Z");
  assert.equal(str.utcTime(new Date("2026-03-02T10:20:30.500Z")), "2026-03-02T10:20:30.5Z");
  assert.equal(str.utcTime(new Date("2026-03-02T10:20:30.123Z")), "2026-03-02T10:20:30.123Z");
});

Deno.test("version ranges render as 'min-max' or a single version", () => {
  assert.equal(str.versionRange({ min: 1, max: 4 }), "1-4");
  assert.equal(str.versionRange({ min: 3, max: 3 }), "3");
  assert.deepEqual(decodeText("1-4", (r) => r.versionRange()), { ok: true, value: { min: 1, max: 4 } });
  assert.deepEqual(decodeText("3", (r) => r.versionRange()), { ok: true, value: { min: 3, max: 3 } });
  assert.equal(decodeText("4-1", (r) => r.versionRange()).ok, false);
});

Deno.test("bad text input is a ParseError with the offset", () => {
  const result = decodeText("AQID x", (r) => {
    r.bytes();
    r.space();
    return r.decimal();
  });
  assert.equal(result.ok, false);
  assert.ok(!result.ok && result.error.offset === 5);
  assert.equal(decodeText("", (r) => r.bytes()).ok, false, "base64url must be non-empty");
  assert.equal(decodeText("1,,2", (r) => r.list((i) => i.decimal())).ok, false);
  assert.equal(decodeText("", (r) => r.nonEmptyList((i) => i.decimal())).ok, false);
});

Deno.test("random store-log-like lines round-trip", () => {
  const rnd = new SeededRandom(11);
  const parseLine = (r: TextReader) => {
    const id = r.bytes();
    r.space();
    const keys = r.nonEmptyList((i) => i.bytes());
    r.space();
    const n = r.decimal();
    return { id, keys, n };
  };
  for (let i = 0; i < 200; i++) {
    const value = {
      id: rnd.bytes(1 + rnd.int(40)),
      keys: Array.from({ length: 1 + rnd.int(4) }, () => rnd.bytes(1 + rnd.int(50))),
      n: rnd.next(),
    };
    const line = str.tuple(str.bytes(value.id), str.list(value.keys, str.bytes), str.int(value.n));
    assert.deepEqual(decodeText(line, parseLine), { ok: true, value });
    // cut before the last field: a shorter decimal would still be a (different) valid line
    assert.equal(decodeText(line.slice(0, rnd.int(line.lastIndexOf(" ") + 1)), parseLine).ok, false);
  }
});
