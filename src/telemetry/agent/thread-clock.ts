import { openSync, readSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { leadingInt } from '../../common/leading-int.js';

/**
 * The calling thread's CPU time in ms, to time the agent's own work on the engine's main thread:
 * wall time would count the seconds the thread spent preempted (on a busy machine, the
 * coordinator that the agent's write wakes runs first, and a frame read 200–450 µs of wall
 * where its CPU was a fraction of that).
 * - process.threadCpuUsage() where Node has it (≥ 23.9);
 * - else /proc/thread-self/schedstat, kept open (its first field: ns on a CPU), right after a
 *   process.cpuUsage(): the kernel brings the running thread's figure up to date only at
 *   scheduler events (a tick: ms apart) and when the process's usage is read (getrusage), and
 *   without that the figure moved in whole ticks (a 0.2 ms span read 0 or 4 ms);
 * - else wall time (`cpu` false).
 */
export interface ThreadClock {
  now(): number;
  readonly cpu: boolean;
}

export function threadClock(): ThreadClock {
  const p = process as unknown as { threadCpuUsage?: () => { user: number; system: number } };
  if (typeof p.threadCpuUsage === 'function') {
    const f = p.threadCpuUsage.bind(process);
    return {
      cpu: true,
      now: () => {
        const u = f();
        return (u.user + u.system) / 1000;
      },
    };
  }
  try {
    const fd = openSync('/proc/thread-self/schedstat', 'r');
    const buf = Buffer.allocUnsafe(128);
    return {
      cpu: true,
      now: () => {
        process.cpuUsage();
        return leadingInt(buf, readSync(fd, buf, 0, buf.length, 0)) / 1e6;
      },
    };
  } catch {
    return { cpu: false, now: () => performance.now() };
  }
}
