import type { TimedGcEvent } from '../protocol/frame.js';
import type { GoGcCycle } from './go-gctrace.js';

/**
 * A Go GC cycle (GODEBUG=gctrace=1) as a gc.ndjson event beside V8's, with `runtime: 'go'`.
 * The fields keep their V8 meaning so that one analysis reads both:
 *
 * - pauseMs: the two stop-the-world phases, wall clock (sweep termination + mark termination);
 * - incrementalMs: mark assists, the CPU that goroutines doing the program's own work spent
 *   marking (V8's incremental steps are the same idea: GC work charged to the mutator);
 * - backgroundMs: the dedicated and idle mark workers' CPU, plus the stop-the-world phases'
 *   CPU beyond their wall time (gctrace counts STW CPU as wall × GOMAXPROCS);
 *
 * so pause + incremental + background is exactly gctrace's CPU figure for the cycle (a Go
 * GC's CPU is gctrace's, not a guess).
 *
 * allocatedBytes: what the program allocated from the end of the previous cycle to the end of
 * this one. Objects allocated while a cycle marks are marked with it (allocate-black: they
 * count in its live heap), so after the previous cycle the heap grows from its live size to
 * this one's "before" until this cycle starts, and on to this one's "after" while it marks:
 * after − previous live. gctrace counts in whole MB, so each cycle's figure is good to about
 * ±1 MiB; go_memstats_alloc_bytes_total is the exact one.
 */
export function goCycleEvent(c: GoGcCycle, previousLiveBytes: number | null, wallMs: number, soakStartMs: number): TimedGcEvent {
  const pauseMs = c.clockMs.sweepTerm + c.clockMs.markTerm;
  const stwCpuMs = c.cpuMs.sweepTerm + c.cpuMs.markTerm;
  return {
    wallMs,
    t: soakStartMs > 0 ? (wallMs - soakStartMs) / 1000 : 0,
    main: true,
    runtime: 'go',
    isolate: 'go',
    kind: 'go',
    pauseMs: round3(pauseMs),
    incrementalMs: round3(c.cpuMs.assist),
    backgroundMs: round3(c.cpuMs.background + c.cpuMs.idle + Math.max(0, stwCpuMs - pauseMs)),
    allocatedBytes: previousLiveBytes === null ? 0 : Math.max(0, c.heapAfterBytes - previousLiveBytes),
    promotedBytes: 0,
    sizeBeforeBytes: c.heapBeforeBytes,
    sizeAfterBytes: c.heapAfterBytes,
    heapLiveBytes: c.heapLiveBytes,
    heapGoalBytes: c.heapGoalBytes,
    procs: c.procs,
    cycle: c.cycle,
  };
}

/** A Go GC cycle's CPU, ms: gctrace's own sum. */
export function goCycleCpuMs(c: GoGcCycle): number {
  return c.cpuMs.sweepTerm + c.cpuMs.assist + c.cpuMs.background + c.cpuMs.idle + c.cpuMs.markTerm;
}

const round3 = (v: number): number => Math.round(v * 1000) / 1000;
