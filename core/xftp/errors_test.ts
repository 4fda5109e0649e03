import assert from "node:assert/strict";
import {
  encodeXftpError,
  parseXftpError,
  SIMPLE_XFTP_ERRORS,
  type XftpError,
  xftpErrorText,
} from "./errors.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const ascii = (s: string) => new TextEncoder().encode(s);

Deno.test("every error round-trips at v3 with its documented tag", () => {
  const errors: XftpError[] = [
    ...SIMPLE_XFTP_ERRORS.map((type) => ({ type })),
    ...(["UNKNOWN", "SYNTAX", "PROHIBITED", "NO_AUTH", "HAS_AUTH", "NO_ENTITY"] as const).map((error) => ({
      type: "CMD" as const,
      error,
    })),
    { type: "BLOCKED", info: { reason: "spam" } },
    { type: "BLOCKED", info: { reason: "content", notice: { ttl: 86400 } } },
  ];
  for (const e of errors) {
    const bytes = encodeXftpError(3, e);
    assert.equal(text(bytes), xftpErrorText(e));
    assert.deepEqual(parseXftpError(bytes), { ok: true, value: e });
  }
});

Deno.test("BLOCKED wire form carries the BlockingInfo text; v1-2 get AUTH", () => {
  const e: XftpError = { type: "BLOCKED", info: { reason: "spam", notice: { ttl: 60 } } };
  assert.equal(text(encodeXftpError(3, e)), 'BLOCKED reason=spam,notice={"ttl":60}');
  assert.equal(text(encodeXftpError(2, e)), "AUTH");
  assert.equal(text(encodeXftpError(1, e)), "AUTH");
});

Deno.test("CMD NO_QUEUE parses as NO_ENTITY; unknown tags and trailing bytes fail", () => {
  assert.deepEqual(parseXftpError(ascii("CMD NO_QUEUE")), {
    ok: true,
    value: { type: "CMD", error: "NO_ENTITY" },
  });
  for (const bad of ["NOPE", "CMD", "CMD BAD", "AUTH x", "BLOCKED reason=eggs", ""]) {
    assert.equal(parseXftpError(ascii(bad)).ok, false, bad);
  }
});
