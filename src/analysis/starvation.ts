import type { Frame, TimedGcEvent } from '../protocol/frame.js';
import type { StarvedSecond } from './summary.js';
import { median, pearson, round1 } from './stats.js';
import { blame, gcWorkMs, lostMsOf } from './gc-blame.js';

export interface StarvationCriteria {
  /** A second is starved when its samples fall this many % below the median… */
  belowMedianPct: number;
  /** …or its event-loop delay p99 passes this bound. */
  eventLoopDelayMs: number;
  /**
   * Kept for summary.json's criteria (schemaVersion ≤ 2 read a second "with GC" from it: a
   * mark-compact or this many GC ms); a second is now with GC when GC explains at least half of
   * what it lost (gc-blame.ts).
   */
  gcMsPerSecond: number;
}

export const DEFAULT_CRITERIA: StarvationCriteria = { belowMedianPct: 20, eventLoopDelayMs: 100, gcMsPerSecond: 30 };

/** Per measured second: the GC trace events whose wall time falls in its window. */
export interface SecondGc {
  count: number;
  markCompacts: number;
  scavenges: number;
  pauseMs: number;
  incrementalMs: number;
  /**
   * Background GC CPU in this second: the trace's `background.*` job durations, but no more
   * than the V8 platform (helper) threads' measured CPU in it. Job durations are wall time:
   * on a busy machine a job waits for a core, and parallel jobs overlap.
   */
  backgroundMs: number;
  /** The trace's background job durations as they are (wall time, not CPU). */
  backgroundJobMs: number;
  allocatedBytes: number;
  maxPauseMs: number;
}

export function gcBySecond(frames: Frame[], events: TimedGcEvent[]): SecondGc[] {
  const out: SecondGc[] = frames.map(() => ({ count: 0, markCompacts: 0, scavenges: 0, pauseMs: 0, incrementalMs: 0, backgroundMs: 0, backgroundJobMs: 0, allocatedBytes: 0, maxPauseMs: 0 }));
  const sorted = [...events].sort((a, b) => a.wallMs - b.wallMs);
  let f = 0;
  for (const e of sorted) {
    while (f < frames.length && e.wallMs >= frames[f]!.endMs) f++;
    if (f >= frames.length) break;
    if (e.wallMs < frames[f]!.startMs) continue;
    const s = out[f]!;
    s.count++;
    if (e.kind === 'mark-compact') s.markCompacts++;
    if (e.kind === 'scavenge') s.scavenges++;
    s.pauseMs += e.pauseMs;
    s.incrementalMs += e.incrementalMs;
    s.backgroundJobMs += e.backgroundMs;
    s.allocatedBytes += e.allocatedBytes;
    s.maxPauseMs = Math.max(s.maxPauseMs, e.pauseMs);
  }
  frames.forEach((f, i) => {
    const helperCpuMs = (f.cpu?.v8Platform ?? Infinity) * (f.endMs - f.startMs);
    out[i]!.backgroundMs = Math.min(out[i]!.backgroundJobMs, helperCpuMs);
  });
  return out;
}

export const gcMs = (s: SecondGc): number => s.pauseMs + s.incrementalMs + s.backgroundMs;

export interface StarvationResult {
  seconds: StarvedSecond[];
  withGc: number;
  correlation: { gcTime: number | null; allocation: number | null };
}

/** How far past the window's end a frame may end and still be judged, ms (the agent's ticks are not the soak's). */
const AFTER_END_MS = 250;

export interface StarvationContext {
  /** Each frame's time not counted as silence, ms (silence.ts: a long frame's part past its first second). */
  activeMs?: number[];
  /** Cores the engine may use: helper-thread GC competes with it when it used nearly all of them. */
  engineCores: number;
  /**
   * Where the soak ended the window (ms): a frame that ends over 250 ms after it is not judged.
   * The GC events are cut at the end, and after it the harness asks for the full GCs that
   * measure live memory: such a frame (the last one straddling the end, or one more read by a
   * coordinator that fell behind) lost samples to those and would read as a stall GC had no
   * part in (a naive soak on one core: the full GCs 660 and 940 ms after the end, in its last frame).
   */
  windowEndMs?: number | null;
}

/**
 * Finds the starved seconds and what GC explains of each (gc-blame.ts). `rates`: each frame's
 * samples/s as the summary reads them (against the schedule when it is known). A long frame's
 * second is its first (the rest is silence, listed by silence.ts): its `t` is where that ends.
 */
export function findStarvation(frames: Frame[], gc: SecondGc[], c: StarvationCriteria, rates: number[] = frames.map(rate), ctx: StarvationContext = { engineCores: 1 }): StarvationResult {
  const med = median(rates);
  const deficit = rates.map((r) => (med > 0 ? Math.max(0, (med - r) / med) : 0));
  const seconds: StarvedSecond[] = [];
  frames.forEach((fr, i) => {
    const loopDelay = fr.eventLoop?.delayP99Ms ?? null;
    const starved = deficit[i]! * 100 > c.belowMedianPct || (loopDelay !== null && loopDelay > c.eventLoopDelayMs);
    if (!starved || fr.endMs > (ctx.windowEndMs ?? Infinity) + AFTER_END_MS) return;
    const g = gc[i]!;
    const lengthMs = fr.endMs - fr.startMs;
    const activeMs = Math.max(0, Math.min(lengthMs, ctx.activeMs?.[i] ?? lengthMs));
    const b = blame(lostMsOf(deficit[i]!, activeMs, loopDelay), gcWorkMs(g.pauseMs + g.incrementalMs, g.backgroundMs, fr.cpu?.total ?? null, ctx.engineCores));
    seconds.push({
      t: Math.round(fr.t - (lengthMs - activeMs) / 1000),
      samples: Math.round(rates[i]!),
      deficitPct: round1(deficit[i]! * 100),
      eventLoopDelayP99Ms: loopDelay === null ? null : round1(loopDelay),
      cpuCores: round2(fr.cpu.total),
      lostMs: b.lostMs,
      gc: { count: g.count, markCompacts: g.markCompacts, scavenges: g.scavenges, pauseMs: round1(g.pauseMs), incrementalMs: round1(g.incrementalMs), backgroundMs: round1(g.backgroundMs), allocatedBytes: g.allocatedBytes, explainedMs: b.explainedMs },
      withGc: b.withGc,
    });
  });
  const nullIfNaN = (v: number): number | null => (Number.isNaN(v) ? null : round2(v));
  return {
    seconds,
    withGc: seconds.filter((s) => s.withGc).length,
    correlation: {
      gcTime: nullIfNaN(pearson(gc.map(gcMs), deficit)),
      allocation: nullIfNaN(pearson(gc.map((s) => s.allocatedBytes), deficit)),
    },
  };
}

/**
 * Frame seconds and silent seconds in one list, each second once: where two fall on the same
 * `t` (rounding at a silence's edge), the one that lost more stands for both, with what the
 * other lost and what GC explains of it added (a second loses at most itself), so nothing
 * lost drops out of `lostSeconds`.
 */
export function mergeStarved(a: StarvedSecond[], b: StarvedSecond[]): StarvedSecond[] {
  const byT = new Map<number, StarvedSecond>();
  for (const x of [...a, ...b]) {
    const had = byT.get(x.t);
    if (!had) {
      byT.set(x.t, x);
      continue;
    }
    const [big, small] = (x.lostMs ?? 0) > (had.lostMs ?? 0) ? [x, had] : [had, x];
    if (big.lostMs === undefined || small.lostMs === undefined) {
      byT.set(x.t, big);
      continue;
    }
    const b = blame(Math.min(1000, big.lostMs + small.lostMs), (big.gc.explainedMs ?? 0) + (small.gc.explainedMs ?? 0));
    byT.set(x.t, { ...big, lostMs: b.lostMs, withGc: b.withGc, gc: { ...big.gc, explainedMs: b.explainedMs } });
  }
  return [...byT.values()].sort((x, y) => x.t - y.t);
}

/** Samples per second of a frame, normalised by its real length. */
export function rate(f: Frame): number {
  const seconds = (f.endMs - f.startMs) / 1000;
  return seconds > 0 ? f.samples / seconds : 0;
}

const round2 = (v: number): number => Math.round(v * 100) / 100;
