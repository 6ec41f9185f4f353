import type { Frame, TimedGcEvent } from '../protocol/frame.js';
import type { StarvedSecond } from './summary.js';
import { median, pearson } from './stats.js';

export interface StarvationCriteria {
  /** A second is starved when its samples fall this many % below the median… */
  belowMedianPct: number;
  /** …or its event-loop delay p99 passes this bound. */
  eventLoopDelayMs: number;
  /** GC "did something" in a second: a mark-compact, or more GC ms than this. */
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

/**
 * Finds the starved seconds and what GC did in each (and the second before it). `rates`: each
 * frame's samples/s as the summary reads them (against the schedule when it is known).
 */
export function findStarvation(frames: Frame[], gc: SecondGc[], c: StarvationCriteria, rates: number[] = frames.map(rate)): StarvationResult {
  const med = median(rates);
  const deficit = rates.map((r) => (med > 0 ? Math.max(0, (med - r) / med) : 0));
  const seconds: StarvedSecond[] = [];
  frames.forEach((fr, i) => {
    const loopDelay = fr.eventLoop?.delayP99Ms ?? null;
    const starved = deficit[i]! * 100 > c.belowMedianPct || (loopDelay !== null && loopDelay > c.eventLoopDelayMs);
    if (!starved) return;
    const g = gc[i]!;
    const prev = gc[i - 1];
    const gcDid = (s: SecondGc | undefined): boolean => s !== undefined && (s.markCompacts > 0 || gcMs(s) > c.gcMsPerSecond);
    seconds.push({
      t: Math.round(fr.t),
      samples: Math.round(rates[i]!),
      deficitPct: round1(deficit[i]! * 100),
      eventLoopDelayP99Ms: loopDelay === null ? null : round1(loopDelay),
      cpuCores: round2(fr.cpu.total),
      gc: { count: g.count, markCompacts: g.markCompacts, scavenges: g.scavenges, pauseMs: round1(g.pauseMs), backgroundMs: round1(g.backgroundMs), allocatedBytes: g.allocatedBytes },
      withGc: gcDid(g) || gcDid(prev),
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

/** Samples per second of a frame, normalised by its real length. */
export function rate(f: Frame): number {
  const seconds = (f.endMs - f.startMs) / 1000;
  return seconds > 0 ? f.samples / seconds : 0;
}

const round1 = (v: number): number => Math.round(v * 10) / 10;
const round2 = (v: number): number => Math.round(v * 100) / 100;
