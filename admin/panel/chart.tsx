/** @jsxImportSource hono/jsx */
/** The daily history as an SVG bar chart drawn on the server: messages sent and received per day. */
import type { DailyFigures } from "./source.ts";

const WIDTH = 720, HEIGHT = 240, PAD = 30;

export function historyChart(days: readonly DailyFigures[]) {
  const shown = days.slice(-60);
  const max = Math.max(1, ...shown.flatMap((d) => [d.msgSent, d.msgRecv]));
  const slot = (WIDTH - 2 * PAD) / shown.length;
  const bar = Math.max(1, slot / 2 - 1);
  const y = (v: number) => HEIGHT - PAD - (v / max) * (HEIGHT - 2 * PAD);
  return (
    <svg
      xmlns="http://www.w3.org/2000/svg"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      role="img"
      aria-label="Messages sent and received per day"
      class="chart"
    >
      <line x1={PAD} y1={HEIGHT - PAD} x2={WIDTH - PAD} y2={HEIGHT - PAD} class="axis" />
      <text x={PAD} y={PAD - 10} class="label">max {max}</text>
      {shown.map((d, i) => {
        const x = PAD + i * slot;
        return (
          <g>
            <title>{`${d.day}: sent ${d.msgSent}, received ${d.msgRecv}`}</title>
            <rect x={x} y={y(d.msgSent)} width={bar} height={HEIGHT - PAD - y(d.msgSent)} class="sent" />
            <rect
              x={x + bar}
              y={y(d.msgRecv)}
              width={bar}
              height={HEIGHT - PAD - y(d.msgRecv)}
              class="recv"
            />
          </g>
        );
      })}
      <text x={PAD} y={HEIGHT - 8} class="label">{shown[0]?.day}</text>
      <text x={WIDTH - PAD} y={HEIGHT - 8} class="label end">{shown.at(-1)?.day}</text>
    </svg>
  );
}
