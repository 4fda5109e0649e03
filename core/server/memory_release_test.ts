import assert from "node:assert/strict";
import { MemoryReleaser, releaseFreedMemory } from "./memory_release.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("releaseFreedMemory trims glibc's heaps on Linux with FFI allowed", () => {
  // the tests run with --allow-all on Debian (glibc)
  assert.equal(releaseFreedMemory(), Deno.build.os === "linux");
});

Deno.test("MemoryReleaser trims once activity stops, and not more often than its interval", async () => {
  const trims: number[] = [];
  const start = Date.now();
  const r = new MemoryReleaser({
    quietMs: 150,
    intervalMs: 800,
    release: () => trims.push(Date.now() - start),
  });
  try {
    for (let i = 0; i < 5; i++) {
      r.noteActivity();
      await sleep(10);
    }
    assert.equal(trims.length, 0, "no trim while connections keep coming");
    await sleep(300);
    assert.equal(trims.length, 1, "one trim after the burst");
    r.noteActivity();
    await sleep(200);
    assert.equal(trims.length, 1, `the next waits for the interval: ${trims}`);
    await sleep(700);
    assert.equal(trims.length, 2);
    assert.ok(trims[1] - trims[0] >= 790, `trims ${trims} closer than the interval`);
    r.noteActivity();
    r.close();
    await sleep(300);
    assert.equal(trims.length, 2, "nothing after close");
  } finally {
    r.close();
  }
});
