import assert from "node:assert/strict";
import { fromHex } from "../encoding/bytes.ts";
import { Http2Error, Http2ErrorCode } from "./errors.ts";
import {
  encodeHeaders,
  type HeaderField,
  HpackDecoder,
  huffmanCodes,
  huffmanDecode,
  huffmanLengths,
} from "./hpack.ts";

/** A test-side Huffman encoder from the canonical codes, padding with 1s (RFC 7541 §5.2). */
function huffmanEncode(bytes: Uint8Array): Uint8Array {
  const codes = huffmanCodes();
  const lengths = huffmanLengths();
  const bits: number[] = [];
  for (const b of bytes) {
    for (let i = lengths[b] - 1; i >= 0; i--) bits.push(Math.floor(codes[b] / 2 ** i) & 1);
  }
  while (bits.length % 8) bits.push(1);
  const out = new Uint8Array(bits.length / 8);
  bits.forEach((bit, i) => (out[i >> 3] |= bit << (7 - (i & 7))));
  return out;
}

const ascii = (s: string) => new TextEncoder().encode(s);

Deno.test("the Huffman code is a complete prefix code: its lengths fill the code space exactly", () => {
  const lengths = huffmanLengths();
  assert.equal(lengths.length, 257);
  assert.equal(lengths.reduce((sum, l) => sum + 2 ** -l, 0), 1);
  assert.equal(lengths[256], 30); // EOS
  assert.equal(huffmanCodes()[256], 0x3fffffff);
});

Deno.test("Huffman strings of RFC 7541 C.4 and C.6 decode; every octet round-trips", () => {
  const cases: [string, string][] = [
    ["f1e3c2e5f23a6ba0ab90f4ff", "www.example.com"],
    ["a8eb10649cbf", "no-cache"],
    ["25a849e95ba97d7f", "custom-key"],
    ["25a849e95bb8e8b4bf", "custom-value"],
    ["6402", "302"],
    ["aec3771a4b", "private"],
    ["d07abe941054d444a8200595040b8166e082a62d1bff", "Mon, 21 Oct 2013 20:13:21 GMT"],
    ["9d29ad171863c78f0b97c8e9ae82ae43d3", "https://www.example.com"],
  ];
  for (const [hex, text] of cases) {
    assert.equal(new TextDecoder().decode(huffmanDecode(fromHex(hex))), text);
    assert.deepEqual(huffmanEncode(ascii(text)), fromHex(hex));
  }
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  assert.deepEqual(huffmanDecode(huffmanEncode(all)), all);
});

Deno.test("Huffman decoding refuses EOS, padding of 0s, and padding of 8 bits or more", () => {
  const refused = (hex: string) =>
    assert.throws(
      () => huffmanDecode(fromHex(hex)),
      (e) => e instanceof Http2Error && e.code === Http2ErrorCode.COMPRESSION_ERROR,
    );
  refused("ffffffff"); // EOS (30 ones) and two more bits
  refused("f1e3c2e5f23a6ba0ab90f4fe"); // "www.example.com" padded with a 0
  refused("f1e3c2e5f23a6ba0ab90f4ffff"); // and a whole byte of padding more
});

/** Decodes blocks in order with one context, checking the fields and the dynamic table after each. */
function decodes(size: number, steps: [hex: string, fields: HeaderField[], table: HeaderField[]][]) {
  const decoder = new HpackDecoder(size);
  for (const [hex, fields, table] of steps) {
    assert.deepEqual(decoder.decode(fromHex(hex)), fields);
    assert.deepEqual(decoder.table, table);
  }
}

const request1: HeaderField[] = [[":method", "GET"], [":scheme", "http"], [":path", "/"], [
  ":authority",
  "www.example.com",
]];
const request2: HeaderField[] = [...request1, ["cache-control", "no-cache"]];
const request3: HeaderField[] = [
  [":method", "GET"],
  [":scheme", "https"],
  [":path", "/index.html"],
  [":authority", "www.example.com"],
  ["custom-key", "custom-value"],
];

Deno.test("RFC 7541 C.2: single literal fields and an indexed one", () => {
  decodes(4096, [["400a637573746f6d2d6b65790d637573746f6d2d686561646572", [["custom-key", "custom-header"]], [
    [
      "custom-key",
      "custom-header",
    ],
  ]]]);
  decodes(4096, [["040c2f73616d706c652f70617468", [[":path", "/sample/path"]], []]]);
  decodes(4096, [["100870617373776f726406736563726574", [["password", "secret"]], []]]);
  decodes(4096, [["82", [[":method", "GET"]], []]]);
});

for (
  const [name, blocks] of [
    ["C.3: requests without Huffman", [
      "828684410f7777772e6578616d706c652e636f6d",
      "828684be58086e6f2d6361636865",
      "828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565",
    ]],
    ["C.4: requests with Huffman", [
      "828684418cf1e3c2e5f23a6ba0ab90f4ff",
      "828684be5886a8eb10649cbf",
      "828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf",
    ]],
  ] as const
) {
  Deno.test(`RFC 7541 ${name} share one dynamic table`, () => {
    decodes(4096, [
      [blocks[0], request1, [[":authority", "www.example.com"]]],
      [blocks[1], request2, [["cache-control", "no-cache"], [":authority", "www.example.com"]]],
      [blocks[2], request3, [["custom-key", "custom-value"], ["cache-control", "no-cache"], [
        ":authority",
        "www.example.com",
      ]]],
    ]);
  });
}

const date1 = "Mon, 21 Oct 2013 20:13:21 GMT";
const date2 = "Mon, 21 Oct 2013 20:13:22 GMT";
const cookie = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1";
const location: HeaderField = ["location", "https://www.example.com"];

for (
  const [name, blocks] of [
    ["C.5: responses without Huffman", [
      "4803333032580770726976617465611d4d6f6e2c203231204f637420323031332032303a31333a323120474d546e1768747470733a2f2f7777772e6578616d706c652e636f6d",
      "4803333037c1c0bf",
      "88c1611d4d6f6e2c203231204f637420323031332032303a31333a323220474d54c05a04677a69707738666f6f3d4153444a4b48514b425a584f5157454f50495541585157454f49553b206d61782d6167653d333630303b2076657273696f6e3d31",
    ]],
    ["C.6: responses with Huffman", [
      "488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29ad171863c78f0b97c8e9ae82ae43d3",
      "4883640effc1c0bf",
      "88c16196d07abe941054d444a8200595040b8166e084a62d1bffc05a839bd9ab77ad94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007",
    ]],
  ] as const
) {
  Deno.test(`RFC 7541 ${name} evict from a 256-octet table`, () => {
    decodes(256, [
      [
        blocks[0],
        [[":status", "302"], ["cache-control", "private"], ["date", date1], location],
        [location, ["date", date1], ["cache-control", "private"], [":status", "302"]],
      ],
      [
        blocks[1],
        [[":status", "307"], ["cache-control", "private"], ["date", date1], location],
        [[":status", "307"], location, ["date", date1], ["cache-control", "private"]],
      ],
      [
        blocks[2],
        [
          [":status", "200"],
          ["cache-control", "private"],
          ["date", date2],
          location,
          ["content-encoding", "gzip"],
          ["set-cookie", cookie],
        ],
        [["set-cookie", cookie], ["content-encoding", "gzip"], ["date", date2]],
      ],
    ]);
  });
}

Deno.test("table size updates: honoured at the start of a block, refused over the limit or after a field", () => {
  const decoder = new HpackDecoder(4096);
  decoder.decode(fromHex("828684410f7777772e6578616d706c652e636f6d"));
  assert.equal(decoder.table.length, 1);
  decoder.decode(fromHex("2082")); // size 0 empties the table, then :method GET
  assert.equal(decoder.table.length, 0);
  const refused = (hex: string) =>
    assert.throws(
      () => new HpackDecoder(4096).decode(fromHex(hex)),
      (e) => e instanceof Http2Error && e.code === Http2ErrorCode.COMPRESSION_ERROR,
    );
  refused("3fe21f"); // 4097
  refused("8220"); // after a field
});

Deno.test("malformed blocks are compression errors, never out-of-range reads", () => {
  const refused = (hex: string) =>
    assert.throws(
      () => new HpackDecoder().decode(fromHex(hex)),
      (e) => e instanceof Http2Error && e.code === Http2ErrorCode.COMPRESSION_ERROR,
    );
  refused("80"); // index 0
  refused("be"); // index 62, the table is empty
  refused("ff"); // an integer that never ends
  refused("ffffffffffff7f"); // an integer too large
  refused("400a6375"); // a name shorter than its length
  refused("41"); // a literal without its value
});

Deno.test("encodeHeaders: static entries by index, the rest as literals a decoder reads back", () => {
  const fields: HeaderField[] = [
    [":method", "POST"],
    [":scheme", "https"],
    [":authority", "xftp.example.com"],
    [":path", "/"],
    ["content-type", "application/octet-stream"],
    ["x-long", "v".repeat(300)],
  ];
  const block = encodeHeaders(fields);
  assert.deepEqual(block.subarray(0, 2), fromHex("8387"));
  const decoder = new HpackDecoder();
  assert.deepEqual(decoder.decode(block), fields);
  assert.equal(decoder.table.length, 0);
  assert.throws(() => encodeHeaders([["x", "\u0100"]]), RangeError);
});
