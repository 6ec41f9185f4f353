import { availableParallelism } from 'node:os';
import type { GoGcCycle } from './go-gctrace.js';
import { goCycleCpuMs } from './go-gc-event.js';

/** A heap of more than this (1 PB) or a figure that is not finite cannot be a real cycle's: 400 digits of MB read as Infinity. */
const MAX_BYTES = 1e15;

function believableSizes(c: GoGcCycle): boolean {
  const sizes = [c.heapBeforeBytes, c.heapAfterBytes, c.heapLiveBytes, c.heapGoalBytes, c.stacksBytes ?? 0, c.globalsBytes ?? 0];
  const times = [c.atSeconds, c.cpuPercentSinceStart, c.procs, ...Object.values(c.clockMs), ...Object.values(c.cpuMs)];
  return sizes.every((b) => Number.isFinite(b) && b <= MAX_BYTES) && times.every((v) => Number.isFinite(v));
}

/** Lateness allowed to the wall clock: the target starts a little after the guard, its lines arrive in chunks. */
const SLACK_MS = 2000;

/**
 * Keeps a target's gctrace to what can be true (anything may print gc lines on stderr: an
 * exec: target is any program). A cycle number not above the last one accepted is a repeat,
 * and not counted twice; a cycle that began after the time the target has run, or whose wall
 * time, with every cycle accepted before it, exceeds the time since the target started, or
 * whose CPU, with theirs, exceeds that time on every core of the machine, cannot have happened.
 * Both are left out and counted, so the soak's GC share of CPU can never exceed what is
 * physically possible.
 */
export class GoGcGuard {
  repeated = 0;
  impossible = 0;
  private lastCycle = 0;
  private clockMs = 0;
  private cpuMs = 0;

  constructor(
    private readonly startedMs: number,
    private readonly cores = availableParallelism(),
  ) {}

  accept(c: GoGcCycle, arrivedMs: number): boolean {
    if (c.cycle <= this.lastCycle) {
      this.repeated++;
      return false;
    }
    const elapsedMs = Math.max(0, arrivedMs - this.startedMs) + SLACK_MS;
    const clockMs = c.clockMs.sweepTerm + c.clockMs.mark + c.clockMs.markTerm;
    const cpuMs = goCycleCpuMs(c);
    if (!believableSizes(c) || c.atSeconds * 1000 > elapsedMs || this.clockMs + clockMs > elapsedMs || this.cpuMs + cpuMs > elapsedMs * this.cores) {
      this.impossible++;
      return false;
    }
    this.lastCycle = c.cycle;
    this.clockMs += clockMs;
    this.cpuMs += cpuMs;
    return true;
  }

  get rejected(): number {
    return this.repeated + this.impossible;
  }
}
