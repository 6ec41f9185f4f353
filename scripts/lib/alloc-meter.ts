import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { PerformanceObserver, constants } from 'node:perf_hooks';

/**
 * Counting heap allocation in-process on Node 20, which has no total-allocated counter.
 *
 * Method: heapUsed (V8's size of objects; for the young generation, its allocation top) read
 * after every call of the measured function. Between two reads without a GC the difference
 * is exactly what was allocated, plus the reading's own object (calibrated on an empty call
 * and subtracted). A call during which a GC ran shows a drop and is left out of the sum
 * (counted in `gcCalls`), so the result is the mean over the calls without a GC. Off-heap
 * memory (ArrayBuffer backing stores, Buffers) is not seen.
 */
export interface AllocMeasurement {
  /** Mean bytes allocated per call, the reading's own allocation subtracted. */
  bytesPerCall: number;
  calls: number;
  /** Calls left out because a GC ran during them. */
  gcCalls: number;
}

let gcFn: (() => void) | undefined;

/** global.gc, exposed at run time when the process was started without --expose-gc. */
export function exposeGc(): () => void {
  if (gcFn) return gcFn;
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') return (gcFn = g);
  setFlagsFromString('--expose-gc');
  gcFn = runInNewContext('gc') as () => void;
  return gcFn;
}

function rawPerCall(fn: () => void, calls: number): AllocMeasurement {
  const mu = process.memoryUsage;
  let sum = 0;
  let counted = 0;
  let gcCalls = 0;
  let prev = mu().heapUsed;
  for (let i = 0; i < calls; i++) {
    fn();
    const cur = mu().heapUsed;
    const d = cur - prev;
    if (d >= 0) {
      sum += d;
      counted++;
    } else {
      gcCalls++;
    }
    prev = cur;
  }
  return { bytesPerCall: counted > 0 ? sum / counted : NaN, calls, gcCalls };
}

const noop = (): void => undefined;

/** Bytes allocated per call of fn, over `calls` calls (after a warm-up of calls / 10). */
export function measureAllocation(fn: () => void, calls: number): AllocMeasurement {
  const gc = exposeGc();
  rawPerCall(fn, Math.max(1, Math.floor(calls / 10)));
  rawPerCall(noop, 200);
  gc();
  const base = rawPerCall(noop, 1000).bytesPerCall;
  gc();
  const m = rawPerCall(fn, calls);
  return { ...m, bytesPerCall: Math.max(0, m.bytesPerCall - base) };
}

/** Young-generation (scavenge) and other GCs seen by a perf_hooks 'gc' observer while fn runs. */
export async function countGcs(fn: () => void): Promise<{ minor: number; major: number; other: number }> {
  const counts = { minor: 0, major: 0, other: 0 };
  const t0 = performance.now();
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.startTime < t0) continue;
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) counts.minor++;
      else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) counts.major++;
      else counts.other++;
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  fn();
  // GC entries are delivered asynchronously.
  await new Promise((r) => setTimeout(r, 50));
  obs.disconnect();
  return counts;
}
