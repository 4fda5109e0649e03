/**
 * Distinct entities (queues, files) active in the current day, week and month, as the reference
 * servers count them (`PeriodStats` in Server/Stats.hs). The sets hold one-way hashes, never the
 * IDs themselves, so the counts — and the stats backup that carries the sets across restarts —
 * say nothing about which entities were active.
 */

/** Sizes of the three sets. */
export interface PeriodCounts {
  readonly day: number;
  readonly week: number;
  readonly month: number;
}

/** The daily report of a period set: weeks end on Mondays and months on the 1st (UTC). */
export interface PeriodReport {
  readonly day: number;
  readonly week?: number;
  readonly month?: number;
}

/** The sets as the stats backup writes them (`dayHashes=`, `weekHashes=`, `monthHashes=`). */
export interface PeriodSetsData {
  readonly day: readonly number[];
  readonly week: readonly number[];
  readonly month: readonly number[];
}

/**
 * 53-bit hash of an ID. Two 32-bit FNV-1a lanes with different offsets, finalised by a murmur3
 * mix; collisions only undercount.
 */
export function idHash(id: Uint8Array): number {
  let a = 0x811c9dc5, b = 0x050c5d1f;
  for (const byte of id) {
    a = Math.imul(a ^ byte, 0x01000193);
    b = Math.imul(b ^ byte, 0x01000193);
  }
  return (fmix32(a) & 0x1fffff) * 0x100000000 + fmix32(b ^ a);
}

function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export class PeriodSets {
  day = new Set<number>();
  week = new Set<number>();
  month = new Set<number>();

  add(id: Uint8Array): void {
    const h = idHash(id);
    this.day.add(h);
    this.week.add(h);
    this.month.add(h);
  }

  counts(): PeriodCounts {
    return { day: this.day.size, week: this.week.size, month: this.month.size };
  }

  /** Reports and clears the day; the week on Mondays and the month on the 1st (`periodStatCounts`). */
  roll(now: Date): PeriodReport {
    const day = this.day.size;
    this.day = new Set();
    let week: number | undefined, month: number | undefined;
    if (now.getUTCDay() === 1) {
      week = this.week.size;
      this.week = new Set();
    }
    if (now.getUTCDate() === 1) {
      month = this.month.size;
      this.month = new Set();
    }
    return { day, week, month };
  }

  data(): PeriodSetsData {
    return { day: [...this.day], week: [...this.week], month: [...this.month] };
  }

  restore(d: PeriodSetsData): void {
    this.day = new Set(d.day);
    this.week = new Set(d.week);
    this.month = new Set(d.month);
  }
}
