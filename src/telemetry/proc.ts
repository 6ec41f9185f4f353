import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';

/**
 * CPU and memory of any local process from /proc (Linux), for a system under test promsoak
 * did not write (a Go scraper, any command): nothing runs inside it, so everything is read
 * from outside, once a second.
 */
export type ThreadClass = 'main' | 'v8Platform' | 'worker' | 'other';

export interface ThreadSample {
  tid: number;
  /** comm: at most 15 bytes, set by the thread itself (Go sets none: every thread has the program's name). */
  name: string;
  userSeconds: number;
  systemSeconds: number;
}

export interface ProcSample {
  pid: number;
  atMs: number;
  /** The process's start time (field 22, clock ticks since boot): a pid reused by another process has another. */
  startTicks: number;
  /** The whole process, threads that have ended included. */
  userSeconds: number;
  systemSeconds: number;
  rssBytes: number;
  threads: ThreadSample[];
}

/**
 * Tells threads of a Node process apart where their names do not. Node 20 names no thread
 * (every one is "node"), so only the process itself can say which tids are its worker
 * threads (`/proc/thread-self` read in the worker) or its V8 platform threads.
 */
export interface ThreadHints {
  workerTids?: ReadonlySet<number>;
  platformTids?: ReadonlySet<number>;
}

/** ENOENT: no such pid or tid; ESRCH: it ended while its file was open. */
const GONE = new Set(['ENOENT', 'ESRCH']);
const buf = Buffer.allocUnsafe(4096);

/** A /proc file's text, or undefined when the process or thread is gone. */
function readProcFile(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if (GONE.has((e as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw e;
  }
  try {
    let n = 0;
    for (let got = 1; got > 0 && n < buf.length; n += got) got = readSync(fd, buf, n, buf.length - n, null);
    return buf.toString('latin1', 0, n);
  } catch (e) {
    if (GONE.has((e as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw e;
  } finally {
    closeSync(fd);
  }
}

/** `getconf NAME` once, or the fallback where getconf is missing. */
function sysconf(name: string, fallback: number): number {
  try {
    const v = Number(execFileSync('getconf', [name], { encoding: 'utf8', timeout: 5000 }).trim());
    return Number.isInteger(v) && v > 0 ? v : fallback;
  } catch {
    return fallback;
  }
}
let ticksPerSecond: number | undefined;
let pageBytes: number | undefined;
/** Bytes a memory page (statm counts pages): `getconf PAGESIZE`, once. */
export const pageSize = (): number => (pageBytes ??= sysconf('PAGESIZE', 4096));

interface Stat {
  name: string;
  state: string;
  utime: number;
  stime: number;
  /** num_threads: a zombie leader with live threads is a running process. */
  threads: number;
  startTicks: number;
}

/** comm may hold spaces and ')': the fields start after the last ')'. state is field 3, utime/stime 14/15, num_threads 20, starttime 22. */
function parseStat(text: string): Stat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const f = text.slice(close + 2).split(' ');
  return { name: text.slice(text.indexOf('(') + 1, close), state: f[0]!, utime: Number(f[11]), stime: Number(f[12]), threads: Number(f[17]), startTicks: Number(f[19]) };
}

/**
 * One sample of a process: its CPU times, RSS and every thread's CPU times. Null when the
 * process is gone (no such pid, or a zombie: it has exited and will never run again).
 * Threads that end between the listing and their read are left out.
 */
export function readProc(pid: number): ProcSample | null {
  ticksPerSecond ??= sysconf('CLK_TCK', 100);
  const atMs = Date.now();
  const text = readProcFile(`/proc/${pid}/stat`);
  const stat = text === undefined ? undefined : parseStat(text);
  // A zombie has exited and waits for its parent; its leader alone being one (threads left) is still running.
  if (!stat || stat.state === 'X' || (stat.state === 'Z' && stat.threads <= 1)) return null;
  const statm = readProcFile(`/proc/${pid}/statm`);
  if (statm === undefined) return null;
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch (e) {
    if (GONE.has((e as NodeJS.ErrnoException).code ?? '')) return null;
    throw e;
  }
  const threads: ThreadSample[] = [];
  for (const tid of tids) {
    const t = readProcFile(`/proc/${pid}/task/${tid}/stat`);
    const s = t === undefined ? undefined : parseStat(t);
    // The thread's stat carries its comm: /task/<tid>/comm would be a second read for the same name.
    if (s) threads.push({ tid: Number(tid), name: s.name, userSeconds: s.utime / ticksPerSecond, systemSeconds: s.stime / ticksPerSecond });
  }
  return {
    pid,
    atMs,
    startTicks: stat.startTicks,
    userSeconds: stat.utime / ticksPerSecond,
    systemSeconds: stat.stime / ticksPerSecond,
    // statm: size resident shared … in pages.
    rssBytes: Number(statm.split(' ')[1]) * pageSize(),
    threads,
  };
}

/**
 * A thread's class. The main thread is tid == pid (whatever its name: process.title renames
 * it). Names where the runtime gives them: Node ≥ 22's platform workers "V8Worker"
 * (V8's default platform: "V8 DefaultWorke[r]"), its worker_threads "WorkerThread" (or the
 * worker's own `name`), libuv's pool "libuv-worker" (other). Go names no thread: main, else other.
 */
export function classifyThread(name: string, tid: number, pid: number, hints?: ThreadHints): ThreadClass {
  if (tid === pid) return 'main';
  if (hints?.workerTids?.has(tid)) return 'worker';
  if (hints?.platformTids?.has(tid)) return 'v8Platform';
  if (/^V8 ?(Worker|DefaultWorke)/.test(name)) return 'v8Platform';
  if (/^WorkerThread/.test(name)) return 'worker';
  return 'other';
}

export interface CpuBetween {
  /** Cores: CPU seconds per wall second, the whole process (threads that ended included). */
  total: number;
  user: number;
  system: number;
  byClass: Record<ThreadClass, number>;
  /** total less the sum of byClass: threads that ended between the two samples. */
  unattributed: number;
  /** Threads alive at the second sample. */
  threads: number;
}

/** Cores used between two samples of one process, in total and by thread class. */
export function cpuBetween(a: ProcSample, b: ProcSample, hints?: ThreadHints): CpuBetween {
  if (a.pid !== b.pid || a.startTicks !== b.startTicks) throw new Error(`cpuBetween: samples of two processes (pid ${a.pid} and ${b.pid}, started at tick ${a.startTicks} and ${b.startTicks})`);
  const seconds = (b.atMs - a.atMs) / 1000;
  if (!(seconds > 0)) throw new Error(`cpuBetween: the second sample is not later than the first (${a.atMs} → ${b.atMs} ms)`);
  const before = new Map(a.threads.map((t) => [t.tid, t.userSeconds + t.systemSeconds]));
  const byClass: Record<ThreadClass, number> = { main: 0, v8Platform: 0, worker: 0, other: 0 };
  let attributed = 0;
  for (const t of b.threads) {
    const now = t.userSeconds + t.systemSeconds;
    const was = before.get(t.tid) ?? 0;
    // A thread born after the first sample: all its time is since then (a reused tid likewise).
    const used = now >= was ? now - was : now;
    byClass[classifyThread(t.name, t.tid, b.pid, hints)] += used / seconds;
    attributed += used;
  }
  const user = (b.userSeconds - a.userSeconds) / seconds;
  const system = (b.systemSeconds - a.systemSeconds) / seconds;
  return { total: user + system, user, system, byClass, unattributed: Math.max(0, user + system - attributed / seconds), threads: b.threads.length };
}
