import assert from "node:assert/strict";
import { idHash, PeriodSets } from "./period_sets.ts";

const id = (n: number) => new Uint8Array(24).fill(n);

Deno.test("ID hashes are stable, distinct for distinct IDs and within 53 bits", () => {
  const seen = new Set<number>();
  for (let i = 0; i < 20000; i++) {
    const qid = new Uint8Array(24);
    new DataView(qid.buffer).setUint32(0, i);
    const h = idHash(qid);
    assert.ok(Number.isSafeInteger(h) && h >= 0);
    seen.add(h);
  }
  assert.equal(seen.size, 20000);
  assert.equal(idHash(id(7)), idHash(id(7)));
});

Deno.test("roll reports the day always, the week on Mondays and the month on the 1st", () => {
  const s = new PeriodSets();
  s.add(id(1));
  s.add(id(2));
  s.add(id(1));
  assert.deepEqual(s.counts(), { day: 2, week: 2, month: 2 });
  // 2026-03-03 is a Tuesday
  assert.deepEqual(s.roll(new Date("2026-03-03T00:00:00Z")), { day: 2, week: undefined, month: undefined });
  assert.deepEqual(s.counts(), { day: 0, week: 2, month: 2 });
  // 2026-06-01 is a Monday and the 1st
  assert.deepEqual(s.roll(new Date("2026-06-01T00:00:00Z")), { day: 0, week: 2, month: 2 });
  assert.deepEqual(s.counts(), { day: 0, week: 0, month: 0 });
});

Deno.test("data and restore carry the hashed sets, not the IDs", () => {
  const s = new PeriodSets();
  s.add(id(3));
  const copy = new PeriodSets();
  copy.restore(s.data());
  assert.deepEqual(copy.data(), { day: [idHash(id(3))], week: [idHash(id(3))], month: [idHash(id(3))] });
});
