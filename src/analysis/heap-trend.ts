import type { Frame } from '../protocol/frame.js';
import { linearFit } from './fit.js';
import { median } from './stats.js';

/**
 * Does the engine's heap grow over the soak? The heap used right after each collection is
 * what is live; between collections it climbs with allocation. So the window is cut into
 * buckets (a tenth of it, at least 10 s) and the lowest heap reading of each bucket, its
 * floor, is fitted with a line: its slope, per hour, is the growth of what the engine keeps.
 * A soak shorter than five buckets of 10 s says nothing (null).
 */
export interface HeapTrend {
  /** Growth of the post-GC heap floor, bytes per hour (negative: it shrank). */
  growthBytesPerHour: number;
  /** The floor's median, bytes. */
  floorBytes: number;
  buckets: number;
  /** How well a line fits the floors (1: exactly). */
  r2: number;
  /** Growth over LEAK_BOUND of the floor per hour (and over 1 MiB an hour): a leak. */
  leak: boolean;
}

/** Growth per hour above which the report flags a leak, as a fraction of the floor. */
export const LEAK_BOUND = 0.1;

export function heapTrend(frames: Frame[]): HeapTrend | null {
  if (frames.length < 2) return null;
  const start = frames[0]!.startMs;
  const span = frames.at(-1)!.endMs - start;
  const width = Math.max(10_000, span / 10);
  const floors = new Map<number, number>();
  for (const f of frames) {
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
  const growthBytesPerHour = fit.slope * 3_600_000;
  const floorBytes = median(whole.map(([, v]) => v));
  return { growthBytesPerHour, floorBytes, buckets: whole.length, r2: fit.r2, leak: growthBytesPerHour > Math.max(2 ** 20, LEAK_BOUND * floorBytes) };
}
