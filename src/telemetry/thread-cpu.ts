import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * CPU time per thread of this process from /proc/self/task/<tid>/stat (Linux), and the
 * thread's class. Node 20 names every thread "node", so classes come from what is known:
 * - main: tid == pid;
 * - worker: tids that worker threads reported for themselves (/proc/thread-self);
 * - v8-platform: threads alive when the agent started, other than main: Node starts V8's
 *   platform workers (the GC helpers, --v8-pool-size of them) and its delayed-task thread
 *   before any user code runs;
 * - other: threads started later (libuv's threadpool, inspector).
 * Newer Node versions name threads (e.g. "V8 DefaultWorke", "libuv-worker"); names win when present.
 */
export type ThreadClass = 'main' | 'v8-platform' | 'worker' | 'other';

export interface ThreadTimes {
  tid: number;
  name: string;
  /** utime + stime, seconds. */
  cpuSeconds: number;
}

/** USER_HZ: the unit of utime/stime; 100 on every Linux this runs on (sysconf is not reachable from Node). */
const TICKS_PER_SECOND = 100;

export function readThreadTimes(pid: number | 'self' = 'self'): ThreadTimes[] {
  const base = `/proc/${pid}/task`;
  const out: ThreadTimes[] = [];
  let tids: string[];
  try {
    tids = readdirSync(base);
  } catch {
    return out; // not Linux
  }
  for (const t of tids) {
    try {
      const stat = readFileSync(`${base}/${t}/stat`, 'latin1');
      // comm may hold spaces and parentheses: fields start after the last ')'.
      const close = stat.lastIndexOf(')');
      const name = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
      const ticks = Number(fields[11]) + Number(fields[12]);
      out.push({ tid: Number(t), name, cpuSeconds: ticks / TICKS_PER_SECOND });
    } catch {
      // the thread ended between readdir and read
    }
  }
  return out;
}

/** The calling thread's tid (works in worker threads too). */
export function ownTid(): number | undefined {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return undefined;
  }
}

export class ThreadClassifier {
  private readonly early: Set<number>;
  private readonly workers = new Set<number>();
  constructor(
    private readonly pid: number,
    startupTids: number[],
  ) {
    this.early = new Set(startupTids.filter((t) => t !== pid));
  }

  addWorker(tid: number): void {
    this.workers.add(tid);
  }

  classify(t: ThreadTimes): ThreadClass {
    if (t.tid === this.pid) return 'main';
    if (this.workers.has(t.tid)) return 'worker';
    if (/^V8 |DefaultWorke|DelayedTask/.test(t.name)) return 'v8-platform';
    if (/libuv|inspector/.test(t.name)) return 'other';
    return this.early.has(t.tid) ? 'v8-platform' : 'other';
  }

  /** CPU seconds by class from one reading. */
  sum(times: ThreadTimes[]): Record<ThreadClass, number> {
    const r: Record<ThreadClass, number> = { main: 0, 'v8-platform': 0, worker: 0, other: 0 };
    for (const t of times) r[this.classify(t)] += t.cpuSeconds;
    return r;
  }
}
