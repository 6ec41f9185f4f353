import { FAILURE_REASONS } from '../protocol/engine-channels.js';
import type { AgentFrame } from '../protocol/agent.js';
import type { WireFrame } from '../protocol/frame-wire.js';
import type { EngineProcReading } from './engine-proc.js';
import type { LoopDelay } from '../telemetry/agent/loop-delay.js';

/**
 * p50, p99 and max (ms, nearest rank) of a second's timer lateness, µs, in values[0, n): sorts
 * them in place (a frame's own copy: a few hundred numbers a second).
 */
export function latenessFigures(values: Uint32Array, n: number): LoopDelay | undefined {
  if (n === 0) return undefined;
  const a = values.subarray(0, n).sort();
  const rank = (q: number): number => a[Math.max(0, Math.ceil(q * n) - 1)]! / 1e3;
  return { p50: rank(0.5), p99: rank(0.99), max: a[n - 1]! / 1e3 };
}

/** Cores by thread class in one frame's window, and the RSS at its arrival. */
export interface FrameThreads {
  main: number;
  v8Platform: number;
  worker: number;
  rssBytes: number;
}

/**
 * One /proc reading of the engine's threads (CPU seconds since the last) shared among the frames
 * it covers: one, unless the coordinator fell behind and the frames waited (its loop stalled;
 * the agent writes once a second whatever happens: agent-pipe.ts holds the late ones). Each
 * frame gets the share of the process's CPU its own window had (the agent's getrusage: exact per
 * frame), as cores over its window; the split between threads is taken as the batch's. The reading's window is the
 * coordinator's, from one reading to the next, which lags the agent's by the pipe's wake-up
 * (under a millisecond unless the coordinator is busy).
 */
export function apportion(r: EngineProcReading, frames: readonly WireFrame[]): FrameThreads[] {
  const seconds = frames.map((w) => Math.max(1e-3, (w.fields.endMs - w.fields.startMs) / 1000));
  const cpu = frames.map((w, i) => (w.fields.cpuUser + w.fields.cpuSystem) * seconds[i]!);
  const cpuSum = cpu.reduce((a, b) => a + b, 0);
  const secondsSum = seconds.reduce((a, b) => a + b, 0);
  return frames.map((_, i) => {
    const share = cpuSum > 0 ? cpu[i]! / cpuSum : seconds[i]! / secondsSum;
    return { main: (r.main * share) / seconds[i]!, v8Platform: (r.v8Platform * share) / seconds[i]!, worker: (r.worker * share) / seconds[i]!, rssBytes: r.rssBytes };
  });
}

/**
 * A frame off the agent's pipe as the rest of the coordinator knows it: the agent's figures, the
 * event-loop delay from its lateness values (or the figures it measured itself), and what the
 * coordinator read of the engine from /proc at the frame's arrival (thread classes, RSS); without
 * that reading (no /proc, or the engine gone), the classes are null and the RSS 0 (the engine's
 * RSS has no other reader from outside). "other" is the process's total less the classes read,
 * never below 0 (the two windows differ by the pipe's wake-up).
 */
export function toAgentFrame(w: WireFrame, proc: FrameThreads | undefined): AgentFrame {
  const f = w.fields;
  const total = f.cpuUser + f.cpuSystem;
  const byKind: NonNullable<AgentFrame['gcObserved']>['byKind'] = {};
  if (f.scavengeCount > 0) byKind.scavenge = { count: f.scavengeCount, pauseMs: f.scavengePauseMs };
  if (f.markCompactCount > 0) byKind['mark-compact'] = { count: f.markCompactCount, pauseMs: f.markCompactPauseMs };
  if (f.otherGcCount > 0) byKind.other = { count: f.otherGcCount, pauseMs: f.otherGcPauseMs };
  let byReason: AgentFrame['scrapesFailedByReason'];
  FAILURE_REASONS.forEach((r, i) => {
    if (w.failedBy[i]! > 0) (byReason ??= {})[r] = w.failedBy[i]!;
  });
  const delay = latenessFigures(w.latenessUs, w.latenessUs.length) ?? (Number.isNaN(f.delayP50Ms) ? undefined : { p50: f.delayP50Ms, p99: f.delayP99Ms, max: f.delayMaxMs });
  return {
    startMs: f.startMs,
    endMs: f.endMs,
    samples: f.samples,
    scrapesOk: f.scrapesOk,
    scrapesFailed: f.scrapesFailed,
    scrapesFailedByReason: byReason,
    seriesAdded: f.seriesAdded,
    series: f.series,
    headBytes: f.headBytes,
    scrapeDurationsUs: w.durationsUs,
    agentMs: f.agentMs,
    cpu: {
      user: f.cpuUser,
      system: f.cpuSystem,
      total,
      main: proc ? proc.main : null,
      v8Platform: proc ? proc.v8Platform : null,
      worker: proc ? proc.worker : null,
      other: proc ? Math.max(0, total - proc.main - proc.v8Platform - proc.worker) : null,
    },
    gcObserved: { count: f.gcCount, pauseMs: f.gcPauseMs, byKind },
    heap: { usedBytes: f.heapUsedBytes, totalBytes: f.heapTotalBytes, externalBytes: f.externalBytes, arrayBuffersBytes: null, rssBytes: proc?.rssBytes ?? 0 },
    eventLoop: { delayP50Ms: delay?.p50 ?? 0, delayP99Ms: delay?.p99 ?? 0, delayMaxMs: delay?.max ?? 0, utilization: f.eluUtilization },
  };
}
