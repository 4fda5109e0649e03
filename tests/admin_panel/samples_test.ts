/** Issue #17: the panel's readings of the live figures, behind the live charts and today's history row. */
import assert from "node:assert/strict";
import { LiveSampler, SampleRing } from "../../admin/panel/samples.ts";

const at = (iso: string, values: Record<string, number> = {}, fromTime?: Date) => ({
  at: new Date(iso),
  fromTime,
  values,
});

Deno.test("SampleRing: holds the last `capacity` samples, oldest first", () => {
  const ring = new SampleRing(3);
  assert.deepEqual(ring.samples(), []);
  for (let i = 1; i <= 5; i++) ring.push(at(`2026-05-01T00:00:0${i}Z`, { n: i }));
  assert.deepEqual(ring.samples().map((s) => s.values.n), [3, 4, 5]);
  assert.equal(ring.latest?.values.n, 5);
});

Deno.test("LiveSampler: readings closer than the interval do not crowd the ring; the window bounds it", () => {
  const sampler = new LiveSampler([{ live: () => at("2026-05-01T00:00:00Z") }], {
    intervalMs: 5000,
    windowMs: 60_000,
  });
  for (const s of [0, 2, 5, 6, 10, 12, 15]) {
    sampler.offer(0, at(`2026-05-01T10:00:${String(s).padStart(2, "0")}Z`));
  }
  assert.deepEqual(
    sampler.samples(0, new Date("2026-05-01T10:00:15Z")).map((s) => s.at.getUTCSeconds()),
    [0, 5, 10, 15],
  );
  assert.deepEqual(
    sampler.samples(0, new Date("2026-05-01T10:01:07Z")).map((s) => s.at.getUTCSeconds()),
    [10, 15],
    "an hour's ring shows only the last window",
  );
});

Deno.test("LiveSampler: keeps each UTC day's first reading, even one the ring skipped", () => {
  const sampler = new LiveSampler([{ live: () => at("2026-05-01T00:00:00Z") }], { intervalMs: 5000 });
  sampler.offer(0, at("2026-05-01T23:59:58Z", { n: 1 }));
  sampler.offer(0, at("2026-05-02T00:00:01Z", { n: 2 }));
  sampler.offer(0, at("2026-05-02T00:00:09Z", { n: 3 }));
  assert.equal(sampler.dayStart(0, new Date("2026-05-02T12:00:00Z"))?.values.n, 2);
  assert.equal(sampler.dayStart(0, new Date("2026-05-03T00:00:01Z")), undefined, "a new day has none yet");
});

Deno.test("LiveSampler: a round reads every server; one that fails is left out of it", async () => {
  let n = 0;
  const sampler = new LiveSampler([
    { live: () => ({ at: new Date(), values: { n: ++n } }) },
    { live: () => Promise.reject(new Error("the control port went away")) },
  ], { intervalMs: 0 });
  await sampler.sample();
  await sampler.sample();
  assert.deepEqual(sampler.samples(0).map((s) => s.values.n), [1, 2]);
  assert.deepEqual(sampler.samples(1), []);
});
