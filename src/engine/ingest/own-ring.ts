/**
 * A series with its own per-sample timestamps (Head moves a series here when its sample is older
 * than its target's newest scrape; rare): a ring of `window` timestamps, newest at cursor - 1.
 * Its values stay in the head's chunk, at the ring's positions (head-chunks.ts). It remembers
 * where the scrape that last appended to it found it, so that Head.rollbackScrape() can take
 * that scrape back (rollback-log.ts).
 */
import { CHUNK_SHIFT } from './head-chunks.js';

export class OwnRing {
  /** The next position. */
  cursor: number;
  count: number;
  /** The scrape (Head's stamp; 0: none) that enter() last saw, the ring as it found it, and its appends since. */
  private stamp = 0;
  private cursorAt = 0;
  private countAt = 0;
  private appended = 0;

  /** Holding `count` samples at positions 0…count-1. */
  constructor(
    readonly times: Float64Array,
    count: number,
  ) {
    this.count = count;
    this.cursor = count % times.length;
  }

  /** Position of the oldest sample. */
  get first(): number {
    const w = this.times.length;
    return (this.cursor - this.count + w) % w;
  }

  /**
   * Scrape `stamp` appends to it (before its push()): the first time, remembers the ring as it
   * was before the scrape, its oldest `before` samples, and returns true (the head logs it).
   */
  enter(stamp: number, before = this.count): boolean {
    if (this.stamp === stamp) return false;
    const w = this.times.length;
    this.stamp = stamp;
    this.appended = this.count - before;
    this.countAt = before;
    this.cursorAt = (this.cursor - this.appended + w) % w;
    return true;
  }

  /** A sample at io[0] (ms; Head.io, not a double argument: see there): writes its time, returns the position for its value. */
  push(io: Float64Array): number {
    const w = this.times.length;
    const p = this.cursor;
    this.times[p] = io[0]!;
    this.cursor = p + 1 === w ? 0 : p + 1;
    if (this.count < w) this.count++;
    this.appended++;
    return p;
  }

  /** Copies its samples, oldest first, into the outs: `vals` its chunk's values, `local` its column there. Returns how many. */
  read(vals: Float64Array, local: number, outT: Float64Array, outV: Float64Array): number {
    const w = this.times.length;
    const first = this.first;
    for (let i = 0; i < this.count; i++) {
      const at = (first + i) % w;
      outT[i] = this.times[at]!;
      outV[i] = vals[(at << CHUNK_SHIFT) + local]!;
    }
    return this.count;
  }

  /** The newest sample's value (NaN without samples), as read(). */
  lastValue(vals: Float64Array, local: number): number {
    const w = this.times.length;
    return this.count === 0 ? NaN : vals[(((this.cursor - 1 + w) % w) << CHUNK_SHIFT) + local]!;
  }

  /** Scrape `stamp` failed: back to where it found the ring. Samples its appends overwrote (past the ring's free places) are lost. */
  rollback(stamp: number): void {
    if (this.stamp !== stamp) return;
    this.cursor = this.cursorAt;
    this.count = Math.max(0, Math.min(this.countAt, this.times.length - this.appended));
    this.stamp = 0;
  }
}
