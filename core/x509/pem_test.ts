import assert from "node:assert/strict";
import { X509Error } from "./errors.ts";
import { encodePem, parsePem } from "./pem.ts";

const isBadPem = (e: unknown) => e instanceof X509Error && e.code === "BAD_PEM";

Deno.test("PEM: encodes 64-character lines and parses back", () => {
  const der = Uint8Array.from({ length: 100 }, (_, i) => i);
  const pem = encodePem("CERTIFICATE", der);
  const lines = pem.trimEnd().split("\n");
  assert.equal(lines[0], "-----BEGIN CERTIFICATE-----");
  assert.equal(lines[1].length, 64);
  assert.equal(lines.at(-1), "-----END CERTIFICATE-----");
  assert.ok(pem.endsWith("\n"));
  assert.deepEqual(parsePem(pem), [{ label: "CERTIFICATE", der }]);
});

Deno.test("PEM: finds every block in order, ignoring text around them and CRLF line ends", () => {
  const a = encodePem("CERTIFICATE", Uint8Array.of(1, 2, 3));
  const b = encodePem("PRIVATE KEY", Uint8Array.of(4, 5)).replaceAll("\n", "\r\n");
  const blocks = parsePem(`subject=CN = x\n${a}some text\n${b}`);
  assert.deepEqual(blocks.map((x) => x.label), ["CERTIFICATE", "PRIVATE KEY"]);
  assert.deepEqual(blocks[1].der, Uint8Array.of(4, 5));
  assert.deepEqual(parsePem("no blocks here"), []);
});

Deno.test("PEM: mismatched labels, bad base64 and an unterminated block are BAD_PEM", () => {
  assert.throws(() => parsePem("-----BEGIN CERTIFICATE-----\nAQID\n-----END PRIVATE KEY-----\n"), isBadPem);
  assert.throws(() => parsePem("-----BEGIN CERTIFICATE-----\nAQ*D\n-----END CERTIFICATE-----\n"), isBadPem);
  assert.throws(() => parsePem("-----BEGIN CERTIFICATE-----\nAQ-D\n-----END CERTIFICATE-----\n"), isBadPem);
  assert.throws(() => parsePem("-----BEGIN CERTIFICATE-----\nAQID\n"), isBadPem);
  assert.throws(
    () => parsePem(encodePem("CERTIFICATE", Uint8Array.of(1)) + "-----BEGIN CERTIFICATE-----\n"),
    isBadPem,
  );
});
