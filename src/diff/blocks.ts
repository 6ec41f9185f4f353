import type { Frame } from '../protocol/frame.js';
import type { HarnessPause } from '../analysis/summary.js';
import { mean, measured, sum } from '../analysis/stats.js';

/**
 * Batch means of a steady soak's per-second series. Seconds are repeats of one another but not
 * independent (a GC, a slow scrape spill into the next second), so an interval over seconds
 * would be too narrow; means over blocks of several seconds are nearly independent and their
 * spread is what the interval is read from.
 */

/** The series compared, one value per block; lowerIsBetter decides which way reads worse. */
export const SERIES = [
  { key: 'samplesPerSecond', title: 'samples/s', digits: 0, lowerIsBetter: false },
  { key: 'cpuCores', title: 'CPU cores', digits: 3, lowerIsBetter: true },
  { key: 'rssMiB', title: 'RSS MiB', digits: 1, lowerIsBetter: true },
  { key: 'scrapeP99Ms', title: 'scrape p99 ms', digits: 2, lowerIsBetter: true },
  { key: 'gcPauseMsPerSecond', title: 'GC pause ms/s', digits: 2, lowerIsBetter: true },
] as const;

export type SeriesKey = (typeof SERIES)[number]['key'];

export interface Blocks {
  /** Seconds a block spans (a whole number of scrape intervals, at least the block asked for). */
  blockSeconds: number;
  /** Blocks kept: those with at least 80 % of their seconds measured. */
  count: number;
  /** Seconds of the window left out: the harness stalled or paused in them (and the 2 s after a stall). */
  secondsLeftOut: number;
  /** Per series, one mean per block (NaN where a block had none of it). */
  values: Record<SeriesKey, number[]>;
  /** Each block's place on the grid (blocks from `originMs`): two runs made at the same time pair by it. */
  index: number[];
}

/** After a harness stall the fleet's backlog clears for a while: as analysis/summarize.ts, 2 s. */
const STALL_TAIL_MS = 2000;

/** The block length: at least `askedSeconds`, a whole number of scrape intervals (a block of 10 s at a 15 s interval would hold 0 or 1 scrape of each target). */
export function blockSecondsFor(askedSeconds: number, intervalSeconds: number): number {
  const interval = Math.max(1, Math.round(intervalSeconds));
  return Math.ceil(askedSeconds / interval) * interval;
}

export interface WindowOf {
  windowStartMs: number | null;
  windowEndMs: number | null;
  harnessPauses?: HarnessPause[];
  harnessStalls?: HarnessPause[];
}

/** The measured window's frames: not warm-up, inside windowStartMs..windowEndMs where known. */
export function windowFrames(frames: readonly Frame[], w: WindowOf): Frame[] {
  return frames.filter((f) => !f.warmup && (w.windowStartMs === null || f.endMs > w.windowStartMs) && (w.windowEndMs === null || f.startMs < w.windowEndMs));
}

/**
 * The measured window's frames, those the harness stalled or paused in left out, cut into
 * blocks of `blockSeconds` from `originMs` (default: the window's first frame; two runs made
 * at the same time are cut on one grid, so that their blocks are the same seconds).
 */
export function blockMeans(frames: readonly Frame[], w: WindowOf, blockSeconds: number, originMs?: number): Blocks {
  const window = windowFrames(frames, w);
  const spoilt = [...(w.harnessPauses ?? []).map((p) => ({ ...p, tail: 0 })), ...(w.harnessStalls ?? []).map((p) => ({ ...p, tail: STALL_TAIL_MS }))];
  const kept = window.filter((f) => !spoilt.some((p) => f.startMs < p.toMs + p.tail && f.endMs > p.fromMs));
  const values = Object.fromEntries(SERIES.map((s) => [s.key, [] as number[]])) as unknown as Blocks['values'];
  const origin = originMs ?? window[0]?.startMs ?? 0;
  const index: number[] = [];
  const byBlock = new Map<number, Frame[]>();
  for (const f of kept) {
    const i = Math.floor((f.startMs - origin) / (blockSeconds * 1000));
    const list = byBlock.get(i);
    if (list) list.push(f);
    else byBlock.set(i, [f]);
  }
  let count = 0;
  for (const i of [...byBlock.keys()].sort((a, b) => a - b)) {
    const fs = byBlock.get(i)!;
    const seconds = sum(fs.map((f) => (f.endMs - f.startMs) / 1000));
    // A block cut short by the window's end or a stall would weigh a few seconds as many.
    if (seconds < 0.8 * blockSeconds) continue;
    count++;
    index.push(i);
    const gc = fs.filter((f) => f.gcObserved);
    values.samplesPerSecond.push(sum(fs.map((f) => f.samples)) / seconds);
    values.cpuCores.push(sum(fs.map((f) => f.cpu.total * ((f.endMs - f.startMs) / 1000))) / seconds);
    values.rssMiB.push(mean(fs.map((f) => f.heap.rssBytes)) / 2 ** 20);
    values.scrapeP99Ms.push(mean(measured(fs.map((f) => f.scrapeMs?.p99))));
    values.gcPauseMsPerSecond.push(gc.length ? sum(gc.map((f) => f.gcObserved!.pauseMs)) / sum(gc.map((f) => (f.endMs - f.startMs) / 1000)) : NaN);
  }
  return { blockSeconds, count, secondsLeftOut: window.length - kept.length, values, index };
}
