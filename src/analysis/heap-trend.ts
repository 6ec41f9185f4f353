import type { Frame, TimedGcEvent } from '../protocol/frame.js';
import { linearFit } from './fit.js';
import { median } from './stats.js';

/**
 * Does the engine's heap grow over the soak? What is live shows right after a full
 * collection: with at least five mark-compacts of the main isolate spread over half the
 * window, their heap-after sizes are fitted with a line. Otherwise the window is cut into
 * buckets (a tenth of it, at least 10 s) and the lowest heap reading of each, its floor, is
 * fitted instead (an upper bound: between mark-compacts the old generation fills). The slope,
 * per hour, is the growth of what the engine keeps; a leak needs a line that fits (r² ≥ 0.5),
 * not a few noisy points. A window shorter than MIN_SPAN_MS says nothing (null): a minute's
 * sawtooth extrapolated to an hour is noise.
 *
 * A leak grows as fast at the end of the window as at its start; a warm-up (JIT code and
 * feedback, a connection pool filling to its size) grows early and levels off, yet a line
 * through its rise can fit and pass the leak bound. So the second half of the window is fitted
 * on its own as well: growth that passes the bound over the window but not over its second
 * half is `settling` (not yet steady) rather than a leak. A 10-minute churn soak with failing
 * scrapes read 2.0 MiB/h over the window (r² 0.72), 0.46 MiB/h over its second half:
 * compiled code and the client's sockets (test/analysis.test.ts, WARMING_UP).
 */
export interface HeapTrend {
  /** Growth of the post-GC heap floor, bytes per hour (negative: it shrank). */
  growthBytesPerHour: number;
  /** The floor's median, bytes. */
  floorBytes: number;
  buckets: number;
  /** How well a line fits the floors (1: exactly). */
  r2: number;
  /**
   * Growth over LEAK_BOUND of the floor per hour (and over 1 MiB an hour), on a line that fits
   * (r² ≥ 0.5), still over that bound in the window's second half: a leak.
   */
  leak: boolean;
  /** Growth that would be a leak over the window but stays under the bound in its second half: a warm-up levelling off. */
  settling: boolean;
  /** The slope over the window's second half alone, bytes per hour (null: fewer than MIN_LATE_POINTS there). */
  lateGrowthBytesPerHour: number | null;
  /** What was fitted: heap after each mark-compact, or the per-bucket floor of heap used. */
  source: 'mark-compacts' | 'floor';
}

/** Growth per hour above which the report flags a leak, as a fraction of the floor. */
export const LEAK_BOUND = 0.1;

/** The shortest window a trend is read from: five minutes. */
export const MIN_SPAN_MS = 300_000;

/** Points the second half of the window needs for its own slope. */
export const MIN_LATE_POINTS = 3;

const HOUR_MS = 3_600_000;

export function heapTrend(frames: Frame[], events: TimedGcEvent[] = []): HeapTrend | null {
  if (frames.length < 2) return null;
  const start = frames[0]!.startMs;
  const span = frames.at(-1)!.endMs - start;
  if (span < MIN_SPAN_MS) return null;
  // A Go target: every cycle is a full mark, and gctrace says the live (marked) heap.
  const mcs = events.filter((e) => (e.main && e.kind === 'mark-compact') || e.kind === 'go');
  if (mcs.length >= 5 && mcs.at(-1)!.wallMs - mcs[0]!.wallMs >= span / 2) {
    return judge(
      mcs.map((e) => e.wallMs - start),
      mcs.map(afterGc),
      span,
      'mark-compacts',
    );
  }
  const width = Math.max(10_000, span / 10);
  const floors = new Map<number, number>();
  for (const f of frames) {
    if (f.heap.usedBytes === null) continue;
    const b = Math.floor((f.endMs - start) / width);
    floors.set(b, Math.min(floors.get(b) ?? Infinity, f.heap.usedBytes));
  }
  // The last bucket may be a sliver: only whole ones.
  const whole = [...floors].filter(([b]) => (b + 1) * width <= span + 1000);
  if (whole.length < 5) return null;
  return judge(
    whole.map(([b]) => (b + 0.5) * width),
    whole.map(([, v]) => v),
    span,
    'floor',
  );
}

const afterGc = (e: TimedGcEvent): number => e.heapLiveBytes ?? e.sizeAfterBytes;

/** The line through (ms from the window's start, heap bytes), and through its second half alone. */
function judge(xs: number[], ys: number[], span: number, source: HeapTrend['source']): HeapTrend {
  const fit = linearFit(xs, ys);
  const growthBytesPerHour = fit.slope * HOUR_MS;
  const floorBytes = median(ys);
  const bound = Math.max(2 ** 20, LEAK_BOUND * floorBytes);
  const late = xs.flatMap((x, i) => (x >= span / 2 ? [i] : []));
  const lateXs = late.map((i) => xs[i]!);
  const lateGrowthBytesPerHour =
    late.length >= MIN_LATE_POINTS && lateXs.some((x) => x !== lateXs[0])
      ? linearFit(
          lateXs,
          late.map((i) => ys[i]!),
        ).slope * HOUR_MS
      : null;
  const growing = fit.r2 >= 0.5 && growthBytesPerHour > bound;
  const settling = growing && lateGrowthBytesPerHour !== null && lateGrowthBytesPerHour <= bound;
  return { growthBytesPerHour, floorBytes, buckets: xs.length, r2: fit.r2, leak: growing && !settling, settling, lateGrowthBytesPerHour, source };
}
