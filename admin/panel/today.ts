/**
 * Today's row of the daily history, before the server logs it at 00:00 UTC: read from the live
 * counters. They count since their period's start (`fromTime`): with `log_stats` on that is the last
 * midnight (or the server's start today), and the counters are today's; otherwise the figures are
 * taken relative to the panel's first reading today. Gauges (queues, files) are what there is now.
 */
import {
  type DailyFigures,
  HISTORY,
  type LiveFigures,
  type ServerKind,
} from "../../core/server/panel_source.ts";
import type { LiveSample } from "./samples.ts";

export interface TodaySoFar extends DailyFigures {
  /** what the figures count from: 00:00 UTC, or later when nothing was counted before */
  readonly since: Date;
  readonly at: Date;
}

const midnightUtc = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));

/** `dayStart`: the panel's first reading of this server today, if any. */
export function todaySoFar(kind: ServerKind, live: LiveFigures, dayStart?: LiveSample): TodaySoFar {
  const midnight = midnightUtc(live.at);
  const day = midnight.toISOString().slice(0, 10);
  const now = (key: string) => live.values[key] ?? 0;
  const values = (counted: (key: string) => number) =>
    Object.fromEntries(HISTORY[kind].map((f) => [f.key, f.gauge ? now(f.key) : counted(f.key)]));
  if (live.fromTime !== undefined && live.fromTime >= midnight) {
    return { day, since: live.fromTime, at: live.at, values: values(now) };
  }
  // the counters run since before midnight: take what they added since the day's first reading,
  // when no reset came between (a reset starts a new period, and so a new fromTime)
  const base = dayStart?.fromTime?.getTime() === live.fromTime?.getTime() ? dayStart : undefined;
  if (!base) return { day, since: live.at, at: live.at, values: values(() => 0) };
  return {
    day,
    since: base.at,
    at: live.at,
    values: values((key) => Math.max(0, now(key) - (base.values[key] ?? 0))),
  };
}
