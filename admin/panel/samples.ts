/**
 * The live figures over time, kept by the panel itself: every few seconds each server's figures are
 * read into a ring that holds the last hour, for the live page's charts; the first reading of each
 * UTC day is kept too, for today's row of the history. Bounded memory: a ring is a fixed array.
 */
import type { LiveFigures, PanelSource } from "../../core/server/panel_source.ts";

export type LiveSample = Pick<LiveFigures, "at" | "fromTime" | "values">;

/** The last `capacity` samples; a new one takes the oldest one's place. */
export class SampleRing {
  readonly #slots: (LiveSample | undefined)[];
  #next = 0;

  constructor(readonly capacity: number) {
    this.#slots = new Array(capacity);
  }

  push(s: LiveSample): void {
    this.#slots[this.#next] = s;
    this.#next = (this.#next + 1) % this.capacity;
  }

  /** Oldest first. */
  samples(): LiveSample[] {
    const older = this.#slots.slice(this.#next), newer = this.#slots.slice(0, this.#next);
    return [...older, ...newer].filter((s): s is LiveSample => s !== undefined);
  }

  get latest(): LiveSample | undefined {
    return this.#slots[(this.#next + this.capacity - 1) % this.capacity];
  }
}

export interface SamplerOptions {
  /** how often the timer reads the figures; default 5 s */
  readonly intervalMs?: number;
  /** how far back the rings reach; default an hour */
  readonly windowMs?: number;
}

export const SAMPLE_INTERVAL_MS = 5_000;
export const SAMPLE_WINDOW_MS = 3_600_000;

const utcDay = (d: Date) => d.toISOString().slice(0, 10);

export class LiveSampler {
  readonly intervalMs: number;
  readonly windowMs: number;
  readonly #rings: SampleRing[];
  readonly #dayStarts: (LiveSample | undefined)[];
  #timer?: ReturnType<typeof setInterval>;
  #round?: Promise<void>;

  constructor(readonly sources: readonly Pick<PanelSource, "live">[], o: SamplerOptions = {}) {
    this.intervalMs = o.intervalMs ?? SAMPLE_INTERVAL_MS;
    this.windowMs = o.windowMs ?? SAMPLE_WINDOW_MS;
    const capacity = Math.max(2, Math.ceil(this.windowMs / Math.max(1, this.intervalMs)) + 1);
    this.#rings = sources.map(() => new SampleRing(capacity));
    this.#dayStarts = sources.map(() => undefined);
  }

  /**
   * Takes a reading of server `index`: into its ring unless the last one is younger than the
   * interval (so that pages, which offer what they read, do not crowd the hour out), and as the
   * day's first reading when it is the first of its UTC day.
   */
  offer(index: number, s: LiveSample): void {
    const start = this.#dayStarts[index];
    if (!start || utcDay(start.at) !== utcDay(s.at)) this.#dayStarts[index] = s;
    const last = this.#rings[index].latest;
    if (!last || s.at.getTime() - last.at.getTime() >= this.intervalMs * 0.9) this.#rings[index].push(s);
  }

  /** Server `index`'s readings of the last window, oldest first. */
  samples(index: number, now = new Date()): LiveSample[] {
    return this.#rings[index].samples().filter((s) => now.getTime() - s.at.getTime() <= this.windowMs);
  }

  /** The first reading of server `index` on the current UTC day of `now`. */
  dayStart(index: number, now = new Date()): LiveSample | undefined {
    const s = this.#dayStarts[index];
    return s && utcDay(s.at) === utcDay(now) ? s : undefined;
  }

  /** Reads every server once; a server that cannot be reached is left out of this round. */
  sample(): Promise<void> {
    this.#round ??= Promise.all(this.sources.map(async (source, i) => {
      try {
        const live = await source.live();
        this.offer(i, { at: live.at, fromTime: live.fromTime, values: live.values });
      } catch {
        // a remote server that is down: its chart has a gap
      }
    })).then(() => {
      this.#round = undefined;
    });
    return this.#round;
  }

  /** Reads now, then every interval, until `stop`. */
  start(): void {
    this.sample();
    this.#timer = setInterval(() => this.sample(), this.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#round;
  }
}
