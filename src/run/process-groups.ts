import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The process groups of the targets this coordinator launched (each spawned `detached`: its
 * own session and group, whose id is its pid), so that a stop reaches everything a target
 * started (`sh -c` → the program → its children), not only the process promsoak forked.
 *
 * They must not outlive the coordinator on any path: a soak stops them in its `finally`; the
 * coordinator's 'exit' (process.exit, a second Ctrl-C, an uncaught exception) sends SIGTERM to
 * any still registered; and one watchdog process per coordinator (watchdog-main.ts), which
 * holds a pipe from it, kills them when that pipe closes: the coordinator killed with SIGKILL
 * included. The watchdog starts with the first thing watched and ends when the coordinator
 * does.
 *
 * The engine child and cardinality cases are watched as single processes (`watchProcess`):
 * the engine stops on its own when its IPC channel closes, unless its event loop is blocked
 * (an ingester that never returns); a case runs to its end, minutes at the largest sizes.
 */
const groups = new Set<number>();
let watchdog: ChildProcess | undefined;
let hooked = false;

/** How long the watchdog gives the groups between SIGTERM and SIGKILL. */
const WATCHDOG_GRACE_MS = 2000;
export const WATCHDOG_MAIN = fileURLToPath(new URL('./watchdog-main.js', import.meta.url));

/** A group to stop on every exit path of this process, until `releaseGroup`. */
export function adoptGroup(pgid: number): void {
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const g of groups) signalGroup(g, 'SIGTERM');
    });
  }
  groups.add(pgid);
  tell(`+g${pgid}\n`);
}

/** The group is gone (stopped and waited for): nobody signals its id again, which the system may reuse. */
export function releaseGroup(pgid: number): void {
  if (groups.delete(pgid)) tell(`-g${pgid}\n`);
}

/** A child process of this one (not a group) that the watchdog kills if this process dies first; `unwatch` once it has exited. */
export function watchProcess(pid: number): void {
  tell(`+p${pid}\n`);
}

export function unwatchProcess(pid: number): void {
  if (watchdog) tell(`-p${pid}\n`);
}

/** Sends `signal` to every process of the group (0: none, only asks); false when none is left. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** The watchdog's pid, once one runs (tests). */
export function watchdogPid(): number | undefined {
  return watchdog?.pid;
}

function tell(line: string): void {
  if (!watchdog) {
    watchdog = spawn(process.execPath, ['--max-old-space-size=16', WATCHDOG_MAIN, String(WATCHDOG_GRACE_MS)], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
    // Neither the watchdog nor its pipe keeps this process alive; it ends when this one does.
    watchdog.unref();
    (watchdog.stdin as unknown as { unref?: () => void }).unref?.();
    watchdog.stdin!.on('error', () => {});
    watchdog.on('error', () => {});
  }
  watchdog.stdin!.write(line);
}
