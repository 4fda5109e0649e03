import assert from "node:assert/strict";
import { KB, MB, prepareChunkSizes, SERVER_CHUNK_SIZES, singleChunkSize } from "./chunks.ts";

const times = (n: number, size: number) => Array<number>(n).fill(size);

// XFTPCLI.testPrepareChunkSizes via xftp.md §4.2 (the argument is the payload)
const GOLDEN: [number, number[]][] = [
  [9 * MB + 256 * KB, [4 * MB, 4 * MB, 1 * MB, 1 * MB]],
  [9 * MB, [4 * MB, 4 * MB, 1 * MB]],
  [7 * MB + 1, [4 * MB, 4 * MB]],
  [7 * MB, [4 * MB, 1 * MB, 1 * MB, 1 * MB]],
  [3 * MB + 1, [4 * MB]],
  [3 * MB, times(3, 1 * MB)],
  [2 * MB + 768 * KB + 1, times(3, 1 * MB)],
  [2 * MB + 768 * KB, [1 * MB, 1 * MB, ...times(3, 256 * KB)]],
  [2 * MB + 1, [1 * MB, 1 * MB, 256 * KB]],
  [768 * KB + 1, [1 * MB]],
  [768 * KB, times(3, 256 * KB)],
  [1, [64 * KB]],
  // xftp.md §6 "prepareChunkSizes examples" (xftp-web)
  [786432, [262144, 262144, 262144]],
  [786433, [1048576]],
  [7340033, [4194304, 4194304]],
];

for (const [payload, sizes] of GOLDEN) {
  Deno.test(`prepareChunkSizes(${payload}) = ${sizes.map((s) => s / KB + "K").join(",")}`, () => {
    assert.deepEqual(prepareChunkSizes(payload), sizes);
  });
}

Deno.test("prepareChunkSizes: nothing for 0; a 17 MB file is 4M×4 + 1M×2 = 18mb", () => {
  assert.deepEqual(prepareChunkSizes(0), []);
  const sizes = prepareChunkSizes(17 * MB + 7 + 8 + 16);
  assert.deepEqual(sizes, [...times(4, 4 * MB), 1 * MB, 1 * MB]);
  assert.equal(sizes.reduce((a, b) => a + b), 18 * MB);
});

Deno.test("prepareChunkSizes always covers the payload with server chunk sizes and wastes < 1 chunk", () => {
  for (let payload = 1; payload < 20 * MB; payload += 12345 + (payload >> 4)) {
    const sizes = prepareChunkSizes(payload);
    const total = sizes.reduce((a, b) => a + b);
    assert.ok(total >= payload, `${payload}`);
    assert.ok(sizes.every((s) => SERVER_CHUNK_SIZES.includes(s)));
    assert.ok(total - payload < Math.max(...sizes), `${payload}`);
  }
});

Deno.test("singleChunkSize is the smallest server chunk that fits", () => {
  assert.equal(singleChunkSize(1), 64 * KB);
  assert.equal(singleChunkSize(64 * KB), 64 * KB);
  assert.equal(singleChunkSize(64 * KB + 1), 256 * KB);
  assert.equal(singleChunkSize(1 * MB + 1), 4 * MB);
  assert.equal(singleChunkSize(4 * MB), 4 * MB);
  assert.equal(singleChunkSize(4 * MB + 1), undefined);
});
