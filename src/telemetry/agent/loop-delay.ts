import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
}

/**
 * p50, p99 and max (ms, nearest rank) of a second's timer lateness, µs, in values[0, n): sorts
 * them in place (the scrape log's arrays, drained: a few hundred numbers a second).
 */
export function latenessFigures(values: Uint32Array, n: number): LoopDelay | undefined {
  if (n === 0) return undefined;
  const a = values.subarray(0, n).sort();
  const rank = (q: number): number => a[Math.max(0, Math.ceil(q * n) - 1)]! / 1e3;
  return { p50: rank(0.5), p99: rank(0.99), max: a[n - 1]! / 1e3 };
}

/**
 * monitorEventLoopDelay at `resolutionMs`, read and reset once a second (ms): what
 * PROMSOAK_ELD_RESOLUTION_MS asks for instead of the timers' lateness. It runs a timer of its own
 * (50 wake-ups a second at 20 ms, a few per cent of a busy engine's CPU).
 */
export function eventLoopMonitor(resolutionMs: number): () => LoopDelay | undefined {
  const eld = monitorEventLoopDelay({ resolution: resolutionMs });
  eld.enable();
  // The monitor records intervals between its ticks: the delay is that minus its resolution.
  const ms = (ns: number): number => Math.max(0, ns / 1e6 - resolutionMs);
  return () => {
    const out = eld.count > 0 ? { p50: ms(eld.percentile(50)), p99: ms(eld.percentile(99)), max: ms(eld.max) } : undefined;
    eld.reset();
    return out;
  };
}
