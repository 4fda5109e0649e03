/** Issue #17: today's row of the daily history, from the live counters, before 00:00 UTC logs it. */
import assert from "node:assert/strict";
import { todaySoFar } from "../../admin/panel/today.ts";

const NOW = new Date("2026-05-01T14:30:00Z");
const values = { msgSent: 40, msgRecv: 30, qCreated: 5, qCount: 12, msgCount: 7 };

Deno.test("today: counters that started today (log_stats resets them at midnight) are today's", () => {
  const since = new Date("2026-05-01T00:00:00Z");
  assert.deepEqual(todaySoFar("smp", { at: NOW, fromTime: since, values }), {
    day: "2026-05-01",
    since,
    at: NOW,
    values,
  });
});

Deno.test("today: counters from before midnight count from the panel's first reading today", () => {
  const fromTime = new Date("2026-04-28T09:00:00Z");
  const first = {
    at: new Date("2026-05-01T00:00:04Z"),
    fromTime,
    values: { ...values, msgSent: 25, qCount: 3 },
  };
  const t = todaySoFar("smp", { at: NOW, fromTime, values }, first);
  assert.equal(t.since, first.at);
  assert.equal(t.values.msgSent, 15, "what was sent since");
  assert.equal(t.values.qCount, 12, "a gauge is what there is now");
});

Deno.test("today: without a reading from today's counting period, the counters start now at 0", () => {
  const fromTime = new Date("2026-04-28T09:00:00Z");
  const t = todaySoFar("xftp", {
    at: NOW,
    fromTime,
    values: { filesUploaded: 9, fileDownloads: 3, filesCreated: 9, filesCount: 4, filesSize: 4096 },
  }, { at: new Date("2026-05-01T01:00:00Z"), fromTime: new Date("2026-04-01T00:00:00Z"), values: {} });
  assert.equal(t.since, NOW);
  assert.deepEqual(t.values, {
    filesUploaded: 0,
    fileDownloads: 0,
    filesCreated: 0,
    filesCount: 4,
    filesSize: 4096,
  });
});
