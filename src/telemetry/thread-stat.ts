import { leadingInt } from '../common/leading-int.js';
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, readSync } from 'node:fs';

/**
 * CPU time per thread of a Node process from /proc/<pid>/task/<tid>/stat (Linux), and the
 * thread's class (the coordinator reads the engine's: run/engine-proc.ts). Node 20 names every
 * thread "node", so classes come from what is known:
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
      const parsed = parseStat(Number(t), readFileSync(`${base}/${t}/stat`, 'latin1'));
      if (parsed) out.push(parsed);
    } catch {
      // the thread ended between readdir and read
    }
  }
  return out;
}

/**
 * readThreadTimes for a process read once a second, cheaply: each thread's file stays open and is re-read in place (pread at 0), the thread list
 * is listed again every few seconds only, and the file read is `schedstat` where the kernel has
 * it: its first field is the thread's time on a CPU in ns (stat's utime + stime in 10 ms ticks is
 * coarser, and stat costs the kernel more to write: it fills some fifty fields).
 * With `keep`, only the threads it keeps are read (one pread each a second): the coordinator
 * reads the engine's main thread and V8's, and takes "other" as the process's total less those.
 */
export class ThreadStatReader {
  private readonly threads = new Map<number, { fd: number; name: string; schedstat: boolean }>();
  /** Threads `keep` turned down, by tid, with their names: asked again at each refresh, without a read. */
  private skipped = new Map<number, string>();
  private readonly buf = Buffer.allocUnsafe(1024);
  private reads = 0;
  constructor(
    private readonly base = '/proc/self/task',
    private readonly keep?: (t: { tid: number; name: string }) => boolean,
  ) {}

  read(): ThreadTimes[] {
    if (this.reads++ % 5 === 0) this.refresh();
    const out: ThreadTimes[] = [];
    for (const [tid, t] of this.threads) {
      let n = 0;
      try {
        n = readSync(t.fd, this.buf, 0, this.buf.length, 0);
      } catch {
        closeSync(t.fd);
        this.threads.delete(tid); // the thread ended
        continue;
      }
      if (t.schedstat) {
        out.push({ tid, name: t.name, cpuSeconds: leadingInt(this.buf, n) / 1e9 });
      } else {
        const parsed = parseStat(tid, this.buf.toString('latin1', 0, n));
        if (parsed) out.push(parsed);
      }
    }
    return out;
  }

  close(): void {
    for (const t of this.threads.values()) closeSync(t.fd);
    this.threads.clear();
  }

  private refresh(): void {
    let tids: number[];
    try {
      tids = readdirSync(this.base).map(Number);
    } catch {
      return; // not Linux
    }
    const skipped = new Map<number, string>();
    for (const tid of tids) {
      if (this.threads.has(tid)) continue;
      try {
        const known = this.skipped.get(tid);
        const stat = known !== undefined ? { tid, name: known } : parseStat(tid, readFileSync(`${this.base}/${tid}/stat`, 'latin1'));
        if (!stat) continue;
        if (this.keep && !this.keep(stat)) {
          skipped.set(tid, stat.name);
          continue;
        }
        let fd: number;
        let schedstat = true;
        try {
          fd = openSync(`${this.base}/${tid}/schedstat`, 'r');
        } catch {
          fd = openSync(`${this.base}/${tid}/stat`, 'r'); // a kernel without CONFIG_SCHED_INFO
          schedstat = false;
        }
        this.threads.set(tid, { fd, name: stat.name, schedstat });
      } catch {
        // ended meanwhile
      }
    }
    this.skipped = skipped;
  }
}

/** comm may hold spaces and parentheses: fields start after the last ')'; utime, stime are fields 14, 15. */
function parseStat(tid: number, stat: string): ThreadTimes | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = stat.slice(close + 2).split(' ');
  return { tid, name: stat.slice(stat.indexOf('(') + 1, close), cpuSeconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND };
}

/**
 * One thread's times from its stat file: /proc/thread-self/stat for the calling thread (Node 20
 * has no per-thread cpuUsage in a worker; process.threadCpuUsage came in 23.9), or
 * /proc/<pid>/task/<tid>/stat for another; undefined where it cannot be read.
 */
export function readThreadStat(path = '/proc/thread-self/stat'): ThreadTimes | undefined {
  try {
    const stat = readFileSync(path, 'latin1');
    return parseStat(Number(stat.slice(0, stat.indexOf(' '))), stat);
  } catch {
    return undefined;
  }
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

  classify(t: { tid: number; name: string }): ThreadClass {
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
