import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
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
