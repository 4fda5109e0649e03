import assert from "node:assert/strict";
import { fromHex, toHex } from "../encoding/bytes.ts";
import {
  decodeBitString,
  decodeInteger,
  decodeOid,
  decodeString,
  decodeTime,
  DerReader,
  encodeNamedBits,
  encodeOid,
  encodeTime,
  encodeTlv,
  encodeUnsignedInteger,
  readSingle,
  Tag,
} from "./_der.ts";
import { X509Error, type X509ErrorCode } from "./errors.ts";

function rejects(code: X509ErrorCode, f: () => unknown): void {
  assert.throws(f, (e) => e instanceof X509Error && e.code === code);
}

Deno.test("DER reader: reads nested TLVs and the encoding of each", () => {
  const r = new DerReader(fromHex("3006 0201 05 0401 ff"), "t");
  const seq = r.expect(Tag.SEQUENCE, "seq");
  r.finish();
  assert.equal(toHex(seq.encoded), "3006020105" + "0401ff");
  const inner = new DerReader(seq.value, "inner");
  assert.equal(toHex(inner.expect(Tag.INTEGER, "i").value), "05");
  assert.equal(inner.optional(Tag.BOOLEAN), undefined);
  assert.equal(toHex(inner.expect(Tag.OCTET_STRING, "o").value), "ff");
  inner.finish();
});

Deno.test("DER reader: long-form lengths are read when minimal", () => {
  const value = new Uint8Array(300).fill(7);
  const node = readSingle(encodeTlv(Tag.OCTET_STRING, value), Tag.OCTET_STRING, "t");
  assert.equal(node.value.length, 300);
  assert.equal(toHex(encodeTlv(Tag.OCTET_STRING, value).subarray(0, 4)), "0482012c");
});

Deno.test("DER reader: rejects indefinite, non-minimal and oversized lengths", () => {
  rejects("MALFORMED_DER", () => readSingle(fromHex("3080 0000"), Tag.SEQUENCE, "t"));
  rejects("MALFORMED_DER", () => readSingle(fromHex("0481 05 0102030405"), Tag.OCTET_STRING, "t"));
  rejects("MALFORMED_DER", () => readSingle(fromHex("0482 0005 0102030405"), Tag.OCTET_STRING, "t"));
  rejects("MALFORMED_DER", () => readSingle(fromHex("0485 0000000001 00"), Tag.OCTET_STRING, "t"));
});

Deno.test("DER reader: rejects truncation at every position and trailing bytes", () => {
  const full = fromHex("3006 0201 05 0401 ff");
  for (let n = 0; n < full.length; n++) {
    rejects("MALFORMED_DER", () => readSingle(full.subarray(0, n), Tag.SEQUENCE, "t"));
  }
  rejects("TRAILING_DATA", () => readSingle(fromHex("0500 00"), Tag.NULL, "t"));
});

Deno.test("DER reader: rejects multi-byte tags and reports a wrong tag", () => {
  rejects("MALFORMED_DER", () => readSingle(fromHex("1f8101 00"), Tag.SEQUENCE, "t"));
  rejects("UNEXPECTED_TAG", () => readSingle(fromHex("3100"), Tag.SEQUENCE, "t"));
});

Deno.test("DER INTEGER: minimal two's complement only", () => {
  assert.equal(toHex(decodeInteger(readSingle(fromHex("0202 0080"), Tag.INTEGER, "i"), "i")), "0080");
  rejects("MALFORMED_DER", () => decodeInteger(readSingle(fromHex("0202 0001"), Tag.INTEGER, "i"), "i"));
  rejects("MALFORMED_DER", () => decodeInteger(readSingle(fromHex("0202 ff80"), Tag.INTEGER, "i"), "i"));
  rejects("MALFORMED_DER", () => decodeInteger(readSingle(fromHex("0200"), Tag.INTEGER, "i"), "i"));
  assert.equal(toHex(encodeUnsignedInteger(fromHex("0000ff"))), "020200ff");
  assert.equal(toHex(encodeUnsignedInteger(2)), "020102");
  assert.equal(toHex(encodeUnsignedInteger(0)), "020100");
});

Deno.test("DER OID: round-trips, including large arcs and the 2.x form", () => {
  for (
    const oid of ["1.3.101.112", "1.2.840.113549.1.1.11", "2.5.29.37.0", "2.999.3", "1.2.9007199254740991"]
  ) {
    assert.equal(decodeOid(readSingle(encodeOid(oid), Tag.OID, "o"), "o"), oid);
  }
  assert.equal(toHex(encodeOid("1.3.101.112")), "06032b6570");
  rejects("MALFORMED_DER", () => decodeOid(readSingle(fromHex("0603 2b8065"), Tag.OID, "o"), "o"));
  rejects("MALFORMED_DER", () => decodeOid(readSingle(fromHex("0602 2b85"), Tag.OID, "o"), "o"));
  rejects("MALFORMED_DER", () => decodeOid(readSingle(fromHex("0600"), Tag.OID, "o"), "o"));
  rejects(
    "MALFORMED_DER",
    () => decodeOid(readSingle(fromHex("060a 2a ffffffffffffffff7f"), Tag.OID, "o"), "o"),
  );
});

Deno.test("DER BIT STRING: unused bits must be zero and at most 7", () => {
  assert.equal(
    toHex(decodeBitString(readSingle(fromHex("0302 03c8"), Tag.BIT_STRING, "b"), "b").bytes),
    "c8",
  );
  rejects("MALFORMED_DER", () => decodeBitString(readSingle(fromHex("0302 03c9"), Tag.BIT_STRING, "b"), "b"));
  rejects("MALFORMED_DER", () => decodeBitString(readSingle(fromHex("0302 08c8"), Tag.BIT_STRING, "b"), "b"));
  rejects("MALFORMED_DER", () => decodeBitString(readSingle(fromHex("0300"), Tag.BIT_STRING, "b"), "b"));
});

Deno.test("DER named bits: keyUsage digitalSignature,nonRepudiation,keyAgreement is 03 02 03 c8 as OpenSSL writes it", () => {
  assert.equal(toHex(encodeNamedBits([0, 1, 4])), "030203c8");
  assert.equal(toHex(encodeNamedBits([5, 6])), "03020106");
  assert.equal(toHex(encodeNamedBits([8])), "0303070080");
});

Deno.test("DER time: UTCTime through 2049, GeneralizedTime from 2050, both ways", () => {
  const cases: [string, string][] = [
    ["1950-01-01T00:00:00Z", "170d3530303130313030303030305a"],
    ["2049-12-31T23:59:59Z", "170d3439313233313233353935395a"],
    ["2050-01-01T00:00:00Z", "180f32303530303130313030303030305a"],
    ["4764-10-19T10:38:30Z", "180f34373634313031393130333833305a"],
  ];
  for (const [iso, hex] of cases) {
    assert.equal(toHex(encodeTime(new Date(iso))), hex);
    const node = new DerReader(fromHex(hex), "t").read();
    assert.equal(decodeTime(node, "t").toISOString(), new Date(iso).toISOString());
  }
});

Deno.test("DER time: rejects impossible dates, fractions, offsets and the wrong form per tag", () => {
  const bad = [
    encodeTlv(Tag.UTC_TIME, new TextEncoder().encode("230230000000Z")), // 30 February
    encodeTlv(Tag.UTC_TIME, new TextEncoder().encode("2301010000Z")), // no seconds
    encodeTlv(Tag.UTC_TIME, new TextEncoder().encode("230101000000+0100")),
    encodeTlv(Tag.GENERALIZED_TIME, new TextEncoder().encode("20230101000000.5Z")),
    encodeTlv(Tag.GENERALIZED_TIME, new TextEncoder().encode("230101000000Z")),
    encodeTlv(Tag.UTC_TIME, new TextEncoder().encode("20230101000000Z")),
    encodeTlv(Tag.GENERALIZED_TIME, new TextEncoder().encode("20231301000000Z")),
    encodeTlv(Tag.GENERALIZED_TIME, new TextEncoder().encode("20230101240000Z")),
  ];
  for (const der of bad) rejects("BAD_TIME", () => decodeTime(new DerReader(der, "t").read(), "t"));
});

Deno.test("DER strings: UTF-8, Printable, BMP and Universal decode; invalid UTF-8 is rejected", () => {
  const str = (hex: string) => decodeString(new DerReader(fromHex(hex), "s").read(), "s");
  assert.equal(str("0c03e282ac"), "€");
  assert.equal(str("1302 4142"), "AB");
  assert.equal(str("1e04 20ac 0041"), "€A");
  assert.equal(str("1c04 0001f600"), "😀");
  rejects("BAD_VALUE", () => str("0c02 c328"));
  rejects("BAD_VALUE", () => str("1e03 20ac00"));
  rejects("UNEXPECTED_TAG", () => str("0401 41"));
});
