import type { EventLoopUtilization } from 'node:perf_hooks';
import type { Worker } from 'node:worker_threads';
import { C, slotValue } from './thread-counters.js';
import { readThreadStat } from '../telemetry/thread-stat.js';
import type { FleetThread } from '../protocol/fleet-stats.js';

/** A serving thread whose event loop is this busy over a second is saturated: requests wait in the kernel for it. */
export const SATURATED_UTILIZATION = 0.95;

interface Last {
  cpuSeconds: number;
  elu: EventLoopUtilization | undefined;
  second: FleetThread['lastSecond'];
}

/**
 * Each serving thread's CPU (its own /proc/self/task/<tid>/stat, so one busy thread shows
 * even when the process's total does not) and event-loop utilization (its Worker's, from
 * here), per second: which thread, if any, the fleet's ceiling is.
 */
export class ThreadMeter {
  private last: Last[] = [];
  private atMs = Date.now();

  constructor(
    private readonly shared: SharedArrayBuffer,
    private readonly threads: number,
    private readonly pool: { threads: Worker[] },
  ) {
    for (let slot = 0; slot <= threads; slot++) this.last.push({ cpuSeconds: this.cpu(slot), elu: this.elu(slot), second: null });
  }

  /** Closes the second: every thread's CPU and utilization since the last tick. */
  tick(now = Date.now()): void {
    const seconds = Math.max(1e-3, (now - this.atMs) / 1000);
    this.atMs = now;
    for (let slot = 0; slot <= this.threads; slot++) {
      const l = this.last[slot]!;
      const cpuSeconds = this.cpu(slot);
      const elu = this.elu(slot);
      const worker = slot === 0 ? undefined : this.worker(slot);
      const u = elu && l.elu ? (worker ? worker.performance.eventLoopUtilization(elu, l.elu) : performance.eventLoopUtilization(elu, l.elu)).utilization : null;
      l.second = { cpuCores: round3(Math.max(0, cpuSeconds - l.cpuSeconds) / seconds), utilization: u === null ? null : round3(u) };
      l.cpuSeconds = cpuSeconds;
      l.elu = elu;
    }
  }

  /** Serving threads saturated in the last second (the main port's thread not counted: it serves no targets). */
  saturated(): number {
    let n = 0;
    for (let slot = 1; slot <= this.threads; slot++) {
      const s = this.last[slot]!.second;
      if (s && ((s.utilization ?? 0) >= SATURATED_UTILIZATION || s.cpuCores >= SATURATED_UTILIZATION)) n++;
    }
    return n;
  }

  threadsNow(): FleetThread[] {
    const out: FleetThread[] = [];
    for (let slot = 0; slot <= this.threads; slot++) {
      const v = (c: C): number => slotValue(this.shared, slot, c);
      out.push({
        role: slot === 0 ? 'main' : 'serving',
        port: v(C.Port),
        tid: slot === 0 ? process.pid : v(C.Tid),
        connections: v(C.Open),
        connectionsRefused: v(C.Refused),
        scrapes: v(C.Scrapes),
        cpuSeconds: round3(this.cpu(slot)),
        lastSecond: this.last[slot]!.second,
      });
    }
    return out;
  }

  private worker(slot: number): Worker | undefined {
    const id = slotValue(this.shared, slot, C.ThreadId);
    return this.pool.threads.find((w) => w.threadId === id);
  }

  private elu(slot: number): EventLoopUtilization | undefined {
    if (slot === 0) return performance.eventLoopUtilization();
    return this.worker(slot)?.performance.eventLoopUtilization();
  }

  private cpu(slot: number): number {
    const tid = slot === 0 ? process.pid : slotValue(this.shared, slot, C.Tid);
    if (!(tid > 0)) return 0;
    return readThreadStat(`/proc/self/task/${tid}/stat`)?.cpuSeconds ?? slotValue(this.shared, slot, C.CpuSeconds);
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
