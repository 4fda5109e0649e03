import assert from "node:assert/strict";
import { decode, encode, ParseError, type Reader, type Writer } from "./binary.ts";
import { fromHex, toHex } from "./bytes.ts";
import { SeededRandom } from "../../tests/_util/random.ts";

Deno.test("Int64 matches the upstream EncodingTests vector", () => {
  const bytes = encode((w) => w.int64(1234567890123456789n));
  assert.equal(toHex(bytes), "112210f47de98115");
  assert.deepEqual(decode(bytes, (r) => r.int64()), { ok: true, value: 1234567890123456789n });
});

Deno.test("Int64 is signed and round-trips its extremes", () => {
  for (const n of [0n, -1n, 2n ** 63n - 1n, -(2n ** 63n)]) {
    assert.deepEqual(decode(encode((w) => w.int64(n)), (r) => r.int64()), { ok: true, value: n });
  }
  assert.equal(toHex(encode((w) => w.int64(-1))), "ffffffffffffffff");
  assert.throws(() => encode((w) => w.int64(2n ** 63n)));
});

Deno.test("SystemTime is whole seconds as Int64 (2022-01-01T10:24:05Z = 1641032645)", () => {
  const seconds = Date.parse("2022-01-01T10:24:05Z") / 1000;
  assert.equal(seconds, 1641032645);
  const bytes = encode((w) => w.systemTime(seconds));
  assert.equal(toHex(bytes), "0000000061d02bc5");
  assert.deepEqual(decode(bytes, (r) => r.systemTime()), { ok: true, value: seconds });
});

Deno.test("Word16/Word32 are big-endian", () => {
  assert.equal(toHex(encode((w) => w.word16(0x1234).word32(0xdeadbeef))), "1234deadbeef");
  assert.deepEqual(decode(fromHex("ffffffff"), (r) => r.word32()), { ok: true, value: 0xffffffff });
});

Deno.test("Bool and Maybe use the ASCII tags", () => {
  const bytes = encode((w) => {
    w.bool(true).bool(false);
    w.maybe(undefined, (w, v: number) => w.byte(v));
    w.maybe(7, (w, v) => w.byte(v));
  });
  assert.equal(toHex(bytes), "5446303107");
  const parsed = decode(
    bytes,
    (r) => [r.bool(), r.bool(), r.maybe((r) => r.byte()), r.maybe((r) => r.byte())],
  );
  assert.deepEqual(parsed, { ok: true, value: [true, false, undefined, 7] });
  assert.equal(decode(fromHex("32"), (r) => r.maybe((r) => r.byte())).ok, false);
  assert.equal(decode(fromHex("74"), (r) => r.bool()).ok, false);
});

Deno.test("short and large byte strings carry u8 and u16 lengths", () => {
  const b = Uint8Array.of(1, 2, 3);
  assert.equal(toHex(encode((w) => w.shortBytes(b).largeBytes(b))), "03010203" + "0003010203");
  assert.throws(() => encode((w) => w.shortBytes(new Uint8Array(256))), /max 255/);
  assert.equal(toHex(encode((w) => w.shortBytes(new Uint8Array(0)))), "00");
});

Deno.test("lists are u8-counted; NonEmpty rejects a zero count", () => {
  const bytes = encode((w) => w.list([1, 2], (w, v) => w.word16(v)));
  assert.equal(toHex(bytes), "0200010002");
  assert.equal(decode(fromHex("00"), (r) => r.nonEmpty((r) => r.byte())).ok, false);
  assert.deepEqual(decode(fromHex("00"), (r) => r.list((r) => r.byte())), { ok: true, value: [] });
});

Deno.test("a version range with min > max is rejected", () => {
  assert.deepEqual(decode(fromHex("00060012"), (r) => r.versionRange()), {
    ok: true,
    value: { min: 6, max: 18 },
  });
  assert.equal(decode(fromHex("00120006"), (r) => r.versionRange()).ok, false);
});

Deno.test("tags end at a space, which is consumed separately", () => {
  const r = decode(new TextEncoder().encode("SEND F hi"), (r) => {
    const tag = r.tag();
    r.space();
    const flag = r.tag();
    r.space();
    return [tag, flag, new TextDecoder().decode(r.tail())];
  });
  assert.deepEqual(r, { ok: true, value: ["SEND", "F", "hi"] });
  assert.equal(decode(new TextEncoder().encode(" X"), (r) => r.tag()).ok, false);
});

Deno.test("trailing bytes are an error unless allowed", () => {
  assert.equal(decode(fromHex("0102"), (r) => r.byte()).ok, false);
  assert.deepEqual(decode(fromHex("0102"), (r) => r.byte(), { allowTrailing: true }), { ok: true, value: 1 });
});

type Field = { write: (w: Writer) => void; read: (r: Reader) => unknown; value: unknown };

function randomField(rnd: SeededRandom): Field {
  switch (rnd.int(9)) {
    case 0: {
      const v = rnd.int(256);
      return { write: (w) => w.byte(v), read: (r) => r.byte(), value: v };
    }
    case 1: {
      const v = rnd.int(65536);
      return { write: (w) => w.word16(v), read: (r) => r.word16(), value: v };
    }
    case 2: {
      const v = rnd.next();
      return { write: (w) => w.word32(v), read: (r) => r.word32(), value: v };
    }
    case 3: {
      const v = BigInt.asIntN(64, (BigInt(rnd.next()) << 32n) | BigInt(rnd.next()));
      return { write: (w) => w.int64(v), read: (r) => r.int64(), value: v };
    }
    case 4: {
      const v = rnd.bytes(rnd.int(256));
      return { write: (w) => w.shortBytes(v), read: (r) => r.shortBytes().slice(), value: v };
    }
    case 5: {
      const v = rnd.bytes(rnd.int(2000));
      return { write: (w) => w.largeBytes(v), read: (r) => r.largeBytes().slice(), value: v };
    }
    case 6: {
      const v = rnd.int(2) === 0;
      return { write: (w) => w.bool(v), read: (r) => r.bool(), value: v };
    }
    case 7: {
      const v = rnd.int(2) === 0 ? undefined : rnd.bytes(rnd.int(40));
      return {
        write: (w) => w.maybe(v, (w, b) => w.shortBytes(b)),
        read: (r) => r.maybe((r) => r.shortBytes().slice()),
        value: v,
      };
    }
    default: {
      const v = Array.from({ length: rnd.int(5) }, () => rnd.int(65536));
      return {
        write: (w) => w.list(v, (w, n) => w.word16(n)),
        read: (r) => r.list((r) => r.word16()),
        value: v,
      };
    }
  }
}

Deno.test("random records round-trip, and every truncation is a ParseError", () => {
  const rnd = new SeededRandom(20261123);
  for (let i = 0; i < 300; i++) {
    const fields = Array.from({ length: 1 + rnd.int(6) }, () => randomField(rnd));
    const bytes = encode((w) => fields.forEach((f) => f.write(w)));
    const readAll = (r: Reader) => fields.map((f) => f.read(r));
    assert.deepEqual(
      decode(bytes, readAll),
      { ok: true, value: fields.map((f) => f.value) },
      `seed case ${i}`,
    );
    for (let cut = 0; cut < bytes.length; cut += 1 + rnd.int(8)) {
      const result = decode(bytes.subarray(0, cut), readAll);
      assert.equal(result.ok, false, `truncated to ${cut} must fail`);
      assert.ok(!result.ok && result.error instanceof ParseError);
    }
  }
});

Deno.test("random garbage never escapes as anything but a ParseError", () => {
  const rnd = new SeededRandom(7);
  for (let i = 0; i < 2000; i++) {
    const bytes = rnd.bytes(rnd.int(64));
    const result = decode(bytes, (r) => {
      r.maybe((r) => r.shortBytes());
      r.list((r) => r.largeBytes());
      return r.int64();
    });
    if (!result.ok) assert.ok(result.error instanceof ParseError);
  }
});
