/**
 * The QR encoder against python-qrcode 8.2 (qr_vectors.json: byte mode, level M, versions 1-10 and
 * all eight masks; made by feeding each text and mask to `qrcode.QRCode(error_correction=
 * ERROR_CORRECT_M, mask_pattern=mask, border=0)` with `add_data(text.encode(), optimize=0)`).
 */
import assert from "node:assert/strict";
import { qrMatrix } from "../../core/encoding/qr.ts";
import { qrSvg } from "../../admin/panel/views.tsx";

interface Vector {
  readonly text: string;
  readonly mask: number;
  readonly rows: readonly string[];
}

const { vectors }: { vectors: Vector[] } = JSON.parse(
  await Deno.readTextFile(new URL("./qr_vectors.json", import.meta.url)),
);

Deno.test("qr: matches python-qrcode module for module (versions 1-10, masks 0-7)", () => {
  assert.equal(vectors.length, 18);
  for (const v of vectors) {
    const rows = qrMatrix(new TextEncoder().encode(v.text), v.mask).map((r) =>
      r.map((d) => d ? "1" : "0").join("")
    );
    assert.deepEqual(rows, v.rows, `${v.text.length} bytes, mask ${v.mask}`);
  }
});

Deno.test("qr: without a forced mask the symbol is one of the eight valid ones", () => {
  const v = vectors.filter((v) => v.text === vectors.at(-1)!.text);
  const rows = qrMatrix(new TextEncoder().encode(v[0].text)).map((r) => r.map((d) => d ? "1" : "0").join(""));
  assert.ok(v.some((x) => JSON.stringify(x.rows) === JSON.stringify(rows)));
});

Deno.test("qr: more than version 10-M holds is a RangeError", () => {
  assert.throws(() => qrMatrix(new Uint8Array(214)), RangeError);
  assert.equal(qrMatrix(new Uint8Array(213)).length, 57);
});

Deno.test("qr: the SVG is one path in a quiet zone, with no inline style", () => {
  const svg = String(qrSvg("smp://AAAA@relay.example"));
  assert.match(svg, /^<svg[^>]*viewBox="0 0 33 33"/);
  assert.match(svg, /<path d="M4 4h1v1h-1z/);
  assert.doesNotMatch(svg, /style=/);
});
