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
 */
export interface HeapTrend {
  /** Growth of the post-GC heap floor, bytes per hour (negative: it shrank). */
  growthBytesPerHour: number;
  /** The floor's median, bytes. */
  floorBytes: number;
  buckets: number;
  /** How well a line fits the floors (1: exactly). */
  r2: number;
  /** Growth over LEAK_BOUND of the floor per hour (and over 1 MiB an hour), on a line that fits (r² ≥ 0.5): a leak. */
  leak: boolean;
  /** What was fitted: heap after each mark-compact, or the per-bucket floor of heap used. */
  source: 'mark-compacts' | 'floor';
}

/** Growth per hour above which the report flags a leak, as a fraction of the floor. */
export const LEAK_BOUND = 0.1;

/** The shortest window a trend is read from: five minutes. */
export const MIN_SPAN_MS = 300_000;

export function heapTrend(frames: Frame[], events: TimedGcEvent[] = []): HeapTrend | null {
  if (frames.length < 2) return null;
  const start = frames[0]!.startMs;
  const span = frames.at(-1)!.endMs - start;
  if (span < MIN_SPAN_MS) return null;
  // A Go target: every cycle is a full mark, and gctrace says the live (marked) heap.
  const mcs = events.filter((e) => (e.main && e.kind === 'mark-compact') || e.kind === 'go');
  if (mcs.length >= 5 && mcs.at(-1)!.wallMs - mcs[0]!.wallMs >= span / 2) {
    const fit = linearFit(
      mcs.map((e) => e.wallMs - start),
      mcs.map(afterGc),
    );
    return judge(fit.slope * 3_600_000, median(mcs.map(afterGc)), mcs.length, fit.r2, 'mark-compacts');
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
  const fit = linearFit(
    whole.map(([b]) => (b + 0.5) * width),
    whole.map(([, v]) => v),
  );
  return judge(fit.slope * 3_600_000, median(whole.map(([, v]) => v)), whole.length, fit.r2, 'floor');
}

const afterGc = (e: TimedGcEvent): number => e.heapLiveBytes ?? e.sizeAfterBytes;

function judge(growthBytesPerHour: number, floorBytes: number, buckets: number, r2: number, source: HeapTrend['source']): HeapTrend {
  const leak = r2 >= 0.5 && growthBytesPerHour > Math.max(2 ** 20, LEAK_BOUND * floorBytes);
  return { growthBytesPerHour, floorBytes, buckets, r2, leak, source };
}
