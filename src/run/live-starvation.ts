import { DEFAULT_CRITERIA, rate, type StarvationCriteria } from '../analysis/starvation.js';
import type { Frame } from '../protocol/frame.js';
import { upperBound } from '../analysis/stats.js';
import { num, type LiveFrame } from './live-frame.js';

/** What one second says of starvation while the soak runs (null: not measured, or not known yet). */
export interface LiveStarvation {
  /** This second's samples/s over the median of the measured seconds so far (this one included). */
  ratioToMedian: number | null;
  starved: boolean | null;
}

/**
 * Starvation as the soak's summary decides it (analysis/starvation.ts, the same criteria: more
 * than belowMedianPct below the median, or event-loop delay p99 over eventLoopDelayMs), but
 * live: against the running median of the measured seconds so far, where the summary uses the
 * whole window's median (and the engine's schedule when it knows it). A second judged live is
 * not judged again when the median moves, so the live count can differ from summary.json's.
 * Warm-up seconds are left out, as the summary leaves them out.
 */
export class RunningStarvation {
  /** Measured seconds' samples/s, kept sorted: one insertion a second, O(n) (a week is 604,800). */
  private readonly sorted: number[] = [];

  constructor(private readonly c: StarvationCriteria = DEFAULT_CRITERIA) {}

  observe(f: LiveFrame): LiveStarvation {
    if (f.warmup !== false) return { ratioToMedian: null, starved: null };
    const delay = num(f.eventLoop?.delayP99Ms);
    const loopStalled = delay !== null && delay > this.c.eventLoopDelayMs;
    const samples = num(f.samples);
    const startMs = num(f.startMs);
    const endMs = num(f.endMs);
    // Without a rate only the event loop can tell: stalled is starved, else not known.
    if (samples === null || startMs === null || endMs === null || endMs <= startMs) return { ratioToMedian: null, starved: loopStalled || null };
    const r = rate({ samples, startMs, endMs } as Frame);
    this.insert(r);
    const med = this.median();
    const deficit = med > 0 ? Math.max(0, (med - r) / med) : 0;
    return { ratioToMedian: med > 0 ? r / med : null, starved: deficit * 100 > this.c.belowMedianPct || loopStalled };
  }

  private insert(v: number): void {
    this.sorted.splice(upperBound(this.sorted, v), 0, v);
  }

  /** stats.ts's median (linear interpolation between the middle two), on the kept sorted array. */
  private median(): number {
    const a = this.sorted;
    const pos = (a.length - 1) / 2;
    const lo = Math.floor(pos);
    return a[lo]! + (a[Math.ceil(pos)]! - a[lo]!) * (pos - lo);
  }
}
