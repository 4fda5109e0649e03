/** Issue #17: the live page's small charts, drawn on the server from the panel's readings. */
import assert from "node:assert/strict";
import { SPARK_HEIGHT, SPARK_WIDTH, sparkline } from "../../admin/panel/sparkline.tsx";

const readings = (values: number[], stepMs = 5000) =>
  values.map((v, i) => ({ at: new Date(Date.UTC(2026, 4, 1, 10) + i * stepMs), values: { n: v } }));
const points = (p: string) => p.split(" ").map((xy) => xy.split(",").map(Number));

Deno.test("sparkline: a level spans the readings, its range in the caption, the last point marked", () => {
  const s = sparkline(readings([3, 5, 4]), { key: "n", label: "Queues", chart: "level" });
  const xy = points(s.points);
  assert.equal(xy.length, 3);
  assert.deepEqual(xy[0], [3, SPARK_HEIGHT - 3], "the lowest value at the bottom, at the left");
  assert.deepEqual(xy[1], [SPARK_WIDTH / 2, 3], "the highest at the top");
  assert.deepEqual(s.last, { x: SPARK_WIDTH - 3, y: SPARK_HEIGHT / 2 });
  assert.equal(s.caption, "3 to 5, last 10 s");
});

Deno.test("sparkline: a counter is drawn as its rate per minute; a reset is not a negative rate", () => {
  const s = sparkline(readings([0, 10, 10, 3], 60_000), { key: "n", label: "Sent", chart: "rate" });
  assert.equal(points(s.points).length, 3);
  assert.equal(s.caption, "up to 10/min, last 3 min");
  assert.ok(points(s.points).every(([, y]) => y >= 3 && y <= SPARK_HEIGHT - 3));
});

Deno.test("sparkline: an hour of readings is merged into at most 120 points", () => {
  const s = sparkline(readings(Array.from({ length: 721 }, (_, i) => i)), {
    key: "n",
    label: "Q",
    chart: "level",
  });
  assert.ok(points(s.points).length <= 120);
  assert.equal(s.caption, "0 to 720, last hour");
  assert.deepEqual(s.last, { x: SPARK_WIDTH - 3, y: 3 }, "the latest reading is always drawn");
});

Deno.test("sparkline: one reading is one point for a level, nothing yet for a rate", () => {
  const one = readings([7]);
  assert.deepEqual(sparkline(one, { key: "n", label: "Q", chart: "level" }).last, {
    x: SPARK_WIDTH - 3,
    y: SPARK_HEIGHT / 2,
  });
  assert.deepEqual(sparkline(one, { key: "n", label: "S", chart: "rate" }), {
    points: "",
    caption: "collecting readings…",
  });
});
