/** @jsxImportSource hono/jsx */
/**
 * The live page's small charts, drawn on the server: one figure over the panel's readings of the
 * last hour (or since the panel started, when that is less), as an SVG polyline. A gauge is drawn
 * as its level, a counter as its rate per minute between readings. `/live.json` carries the same
 * drawing (points, last point, caption) so that the page's script can redraw it without markup.
 */
import { type FigureSpec, formatFigure } from "../../core/server/panel_source.ts";
import type { LiveSample } from "./samples.ts";

export const SPARK_WIDTH = 160, SPARK_HEIGHT = 36;
/** at most this many points, however many readings: consecutive readings are merged */
const MAX_POINTS = 120;
const PAD = 3;

export interface Sparkline {
  /** the polyline's `points`: "x,y x,y …" in the viewBox */
  readonly points: string;
  /** the last point, marked with a dot */
  readonly last?: { readonly x: number; readonly y: number };
  /** the range shown and the time it spans, e.g. "3 to 5, last 12 min" */
  readonly caption: string;
}

interface Point {
  readonly t: number;
  readonly v: number;
}

/** The last reading of each run of readings, so that there are at most MAX_POINTS. */
function merged(samples: readonly LiveSample[], key: string): Point[] {
  const step = Math.ceil(samples.length / MAX_POINTS);
  const out: Point[] = [];
  for (let i = samples.length - 1; i >= 0; i -= step) {
    out.unshift({ t: samples[i].at.getTime(), v: samples[i].values[key] ?? 0 });
  }
  return out;
}

/** A counter's increase per minute between consecutive points; after a reset, what it counted since. */
function rates(points: readonly Point[]): Point[] {
  return points.slice(1).flatMap((p, i) => {
    const prev = points[i], dt = p.t - prev.t;
    if (dt <= 0) return [];
    const added = p.v >= prev.v ? p.v - prev.v : p.v;
    return [{ t: p.t, v: added / dt * 60_000 }];
  });
}

function span(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `last ${s} s`;
  const m = Math.round(s / 60);
  return m >= 60 ? "last hour" : `last ${m} min`;
}

const formatRate = (n: number) => (n < 10 ? n.toFixed(1).replace(/\.0$/, "") : String(Math.round(n)));

/** `samples`: oldest first, the current reading last. */
export function sparkline(samples: readonly LiveSample[], f: FigureSpec): Sparkline {
  const levels = merged(samples, f.key);
  const points = f.chart === "rate" ? rates(levels) : levels;
  const t0 = samples[0]?.at.getTime() ?? 0, t1 = samples.at(-1)?.at.getTime() ?? 0;
  if (points.length === 0) return { points: "", caption: "collecting readings…" };
  // a level's range is that of every reading, not only of those drawn
  const values = f.chart === "rate" ? points.map((p) => p.v) : samples.map((s) => s.values[f.key] ?? 0);
  const max = Math.max(...values), min = f.chart === "rate" ? 0 : Math.min(...values);
  const x = (t: number) =>
    t1 > t0 ? ((t - t0) / (t1 - t0)) * (SPARK_WIDTH - 2 * PAD) + PAD : SPARK_WIDTH - PAD;
  const y = (v: number) =>
    max > min ? SPARK_HEIGHT - PAD - ((v - min) / (max - min)) * (SPARK_HEIGHT - 2 * PAD) : SPARK_HEIGHT / 2;
  const xy = points.map((p) => ({ x: Math.round(x(p.t) * 10) / 10, y: Math.round(y(p.v) * 10) / 10 }));
  const range = f.chart === "rate"
    ? max === 0 ? "none" : `up to ${formatRate(max)}/min`
    : min === max
    ? formatFigure(max, f.unit)
    : `${formatFigure(min, f.unit)} to ${formatFigure(max, f.unit)}`;
  return {
    points: xy.map((p) => `${p.x},${p.y}`).join(" "),
    last: xy.at(-1),
    caption: `${range}, ${span(t1 - t0)}`,
  };
}

/** The chart of figure `f` of server `server`; its ids let the page's script find its parts. */
export function sparklineSvg(server: number, f: FigureSpec, s: Sparkline) {
  const id = `chart-${server}-${f.key}`;
  return (
    <figure class="spark" id={id} data-server={String(server)} data-chart={f.key}>
      <svg
        xmlns="http://www.w3.org/2000/svg"
        viewBox={`0 0 ${SPARK_WIDTH} ${SPARK_HEIGHT}`}
        class="spark"
        role="img"
        aria-labelledby={`${id}-caption`}
      >
        <polyline class="spark-line" points={s.points} />
        <circle class="spark-dot" r="2.5" cx={String(s.last?.x ?? -10)} cy={String(s.last?.y ?? -10)} />
      </svg>
      <figcaption id={`${id}-caption`}>
        <span class="spark-name">{f.chart === "rate" ? `${f.label} per minute: ` : `${f.label}: `}</span>
        <span class="spark-caption">{s.caption}</span>
      </figcaption>
    </figure>
  );
}
