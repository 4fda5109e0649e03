/** @jsxImportSource hono/jsx */
/**
 * The daily history as an SVG bar chart drawn on the server: two series per day, side by side; the
 * last day drawn paler when it is today's, still counting.
 */
import type { DailyFigures, FigureSpec } from "../../core/server/panel_source.ts";

const WIDTH = 720, HEIGHT = 240, PAD = 30;

export function historyChart(
  days: readonly DailyFigures[],
  first: FigureSpec,
  second: FigureSpec,
  lastIsPartial = false,
) {
  const shown = days.slice(-60);
  const value = (d: DailyFigures, f: FigureSpec) => d.values[f.key] ?? 0;
  const max = Math.max(1, ...shown.flatMap((d) => [value(d, first), value(d, second)]));
  // a few days do not stretch into bars as wide as the chart
  const slot = Math.min(24, (WIDTH - 2 * PAD) / Math.max(1, shown.length));
  const bar = Math.max(1, slot / 2 - 1);
  const y = (v: number) => HEIGHT - PAD - (v / max) * (HEIGHT - 2 * PAD);
  return (
    <svg
      xmlns="http://www.w3.org/2000/svg"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      role="img"
      aria-label={`${first.label} and ${second.label} per day`}
      class="chart"
    >
      <line x1={PAD} y1={HEIGHT - PAD} x2={WIDTH - PAD} y2={HEIGHT - PAD} class="axis" />
      <text x={PAD} y={PAD - 10} class="label">max {max}</text>
      <text x={WIDTH - PAD} y={PAD - 10} class="label end">
        <tspan class="first">■</tspan> {first.label} <tspan class="second">■</tspan> {second.label}
      </text>
      {shown.map((d, i) => {
        const x = PAD + i * slot;
        const a = value(d, first), b = value(d, second);
        const partial = lastIsPartial && i === shown.length - 1;
        const what = `${d.day}${partial ? " (today so far)" : ""}`;
        return (
          <g class={partial ? "partial" : undefined}>
            <title>{`${what}: ${first.label.toLowerCase()} ${a}, ${second.label.toLowerCase()} ${b}`}</title>
            <rect x={x} y={y(a)} width={bar} height={HEIGHT - PAD - y(a)} class="first" />
            <rect x={x + bar} y={y(b)} width={bar} height={HEIGHT - PAD - y(b)} class="second" />
          </g>
        );
      })}
      <text x={PAD} y={HEIGHT - 8} class="label">{shown[0]?.day}</text>
      {shown.length > 1 && (
        <text x={WIDTH - PAD} y={HEIGHT - 8} class="label end">
          {shown.at(-1)?.day}
          {lastIsPartial && " (today)"}
        </text>
      )}
    </svg>
  );
}
