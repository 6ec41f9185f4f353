import { readFileSync } from 'node:fs';

/** USER_HZ: the unit of utime/stime; 100 on every Linux that Node runs on. */
const CLOCK_TICKS = 100;

/**
 * A thread's kernel id and CPU (utime + stime), from a /proc stat file: /proc/thread-self/stat
 * for the calling thread (Node 20 has no per-thread cpuUsage in a worker; process.threadCpuUsage
 * came in 23.9), /proc/self/task/<tid>/stat for another. null where it cannot be read.
 */
export function threadStat(path = '/proc/thread-self/stat'): { tid: number; seconds: number } | null {
  try {
    const s = readFileSync(path, 'latin1');
    const tid = Number(s.slice(0, s.indexOf(' ')));
    // Fields after the command name (which may hold spaces, in parentheses): utime is field 14, stime 15.
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    const seconds = (Number(rest[11]) + Number(rest[12])) / CLOCK_TICKS;
    return Number.isFinite(seconds) ? { tid, seconds } : null;
  } catch {
    return null;
  }
}
