import type { Frame, TimedGcEvent } from '../protocol/frame.js';
import type { StarvedSecond } from './summary.js';
import { blame } from './gc-blame.js';

/**
 * Seconds of the measured window for which the engine sent no frame: the telemetry agent
 * sends one a second from the engine's main thread, so a frozen engine (SIGSTOP), a blocked
 * main thread (a synchronous wait, a long pause) or a dead IPC channel shows as time that no
 * frame covers. Those seconds are the worst starvation there is, and a summary that left them
 * out would read a broken run as a good one.
 *
 * A frame normally covers ~1 s and the next one starts where it ended. Silence is:
 * - the part of a frame beyond its first second (the agent's timer fired late: the main
 *   thread was blocked);
 * - time between two frames (frames lost);
 * - time between the window's edges and the first or last frame, past the second in which
 *   the next frame was due (the engine stopped reporting before the end, or started late).
 *
 * A target promsoak did not write (`--target`) is read by the coordinator, not by an agent on
 * its main thread: a frame that lasts longer than a second is a meta-scrape the target was slow
 * to answer (it was busy: its samples in that frame are real and its rate says how busy), not a
 * silence; only time no frame covers (its metrics did not answer at all) is.
 */
export interface Silence {
  fromMs: number;
  toMs: number;
}

/** A frame this much longer than a second, or a gap this long, is silence (timer jitter stays below). */
const SLACK_MS = 500;

export function findSilences(frames: Frame[], windowStartMs: number | null, windowEndMs: number | null, longFramesAreSilent = true): Silence[] {
  const out: Silence[] = [];
  const add = (fromMs: number, toMs: number): void => {
    if (toMs - fromMs > SLACK_MS) out.push({ fromMs, toMs });
  };
  if (frames.length === 0) {
    if (windowStartMs !== null && windowEndMs !== null) add(windowStartMs, windowEndMs);
    return out;
  }
  // A frame is due a second after the last one: the window's edges are silent only past that.
  const edge = (fromMs: number, toMs: number): void => {
    if (toMs - fromMs > 1000 + SLACK_MS) out.push({ fromMs, toMs });
  };
  if (windowStartMs !== null) edge(windowStartMs, frames[0]!.startMs);
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!;
    if (longFramesAreSilent && f.endMs - f.startMs > 1000 + SLACK_MS) out.push({ fromMs: f.startMs + 1000, toMs: f.endMs });
    const next = frames[i + 1];
    if (next) add(f.endMs, next.startMs);
  }
  if (windowEndMs !== null) edge(frames.at(-1)!.endMs, windowEndMs);
  return out;
}

/** Whole seconds of silence, at least one per silence (what the rates and starvation count). */
export const silentSeconds = (s: Silence): number => Math.max(1, Math.round((s.toMs - s.fromMs) / 1000));

/**
 * One starved second per second of silence, 0 samples each, with what GC explains of it
 * (gc-blame.ts, the rule frame seconds have): the second lost all of itself, and only the
 * engine's main-thread GC (pauses, incremental marking) can have stopped it; helper threads run
 * beside a frozen main thread and take none of its time.
 */
export function silentStarvedSeconds(silences: Silence[], events: TimedGcEvent[], soakStartMs: number): StarvedSecond[] {
  const out: StarvedSecond[] = [];
  // Events by time, each second's found by bisection: a long silence is not seconds × events.
  const sorted = [...events].sort((a, b) => a.wallMs - b.wallMs);
  const firstAt = (ms: number): number => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid]!.wallMs < ms) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  for (const s of silences) {
    const n = silentSeconds(s);
    const step = (s.toMs - s.fromMs) / n;
    for (let k = 0; k < n; k++) {
      const from = s.fromMs + k * step;
      const to = from + step;
      const inIt: TimedGcEvent[] = [];
      for (let i = firstAt(from); i < sorted.length && sorted[i]!.wallMs < to; i++) inIt.push(sorted[i]!);
      const sum = (f: (e: TimedGcEvent) => number): number => inIt.reduce((a, e) => a + f(e), 0);
      const b = blame(step, sum((e) => e.pauseMs + e.incrementalMs));
      out.push({
        t: Math.round((to - soakStartMs) / 1000),
        samples: 0,
        deficitPct: 100,
        eventLoopDelayP99Ms: Math.round(step),
        cpuCores: 0,
        lostMs: b.lostMs,
        gc: {
          count: inIt.length,
          markCompacts: inIt.filter((e) => e.kind === 'mark-compact').length,
          scavenges: inIt.filter((e) => e.kind === 'scavenge').length,
          pauseMs: Math.round(sum((e) => e.pauseMs) * 10) / 10,
          incrementalMs: Math.round(sum((e) => e.incrementalMs) * 10) / 10,
          backgroundMs: Math.round(sum((e) => e.backgroundMs) * 10) / 10,
          allocatedBytes: sum((e) => e.allocatedBytes),
          explainedMs: b.explainedMs,
        },
        withGc: b.withGc,
        noFrame: true,
      });
    }
  }
  return out;
}
