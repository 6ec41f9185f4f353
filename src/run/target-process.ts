import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { DEFAULTS } from '../common/defaults.js';
import { PromsoakError } from '../common/errors.js';
import { CappedLog, type LogCount } from './capped-log.js';
import { adoptGroup, releaseGroup, signalGroup } from './process-groups.js';

/**
 * A target process promsoak launched (a Prometheus, a VictoriaMetrics, any scraper), in a
 * process group of its own: its stdout and stderr go to capped files in the run directory
 * (stderr also to `onStderr`, for Go's gctrace), and the whole group, whatever the target
 * started included, is stopped with SIGTERM, then SIGKILL after a grace period, on every exit
 * path of the soak (process-groups.ts: the coordinator's exit and death too).
 */
export interface LaunchedProcess {
  pid: number;
  child: ChildProcess;
  /**
   * Resolves when it has exited and its output is read (never rejects): at most
   * PIPE_GRACE_MS after its exit, should something it started still hold its stdout or stderr.
   */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last ~4 KB of its stderr. */
  stderrTail(): string;
  /** SIGTERM to its group, then SIGKILL after `graceMs` to what is left; resolves once it is gone. */
  stop(graceMs?: number): Promise<void>;
  /** What each log file kept and dropped. */
  logs(): LogCount[];
}

export interface LaunchOptions {
  argv: string[];
  env: Record<string, string>;
  /** taskset CPU list ("0" or "0-1"); null: not pinned. */
  cpus: string | null;
  stdoutFile: string;
  stderrFile: string;
  /** Bytes kept of each log file; the rest is counted and dropped. Default DEFAULTS.targetLogLimitBytes. */
  logLimitBytes?: number;
  onStderr: (chunk: Buffer) => void;
  /** A write to a log file failed (disk full): told once per file, the rest of that log is dropped. */
  onLogError?: (file: string, e: NodeJS.ErrnoException) => void;
}

/** After the target's exit, how long its pipes may stay open (held by something it started) before they are cut. */
export const PIPE_GRACE_MS = 5000;

export function launchProcess(o: LaunchOptions): LaunchedProcess {
  const argv = o.cpus === null ? o.argv : ['taskset', '-c', o.cpus, ...o.argv];
  // detached: its own session and process group (not unref'd: the soak waits for it as before).
  const child = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const pgid = child.pid;
  if (pgid !== undefined) adoptGroup(pgid);
  const limit = o.logLimitBytes ?? DEFAULTS.targetLogLimitBytes;
  const onLogError = o.onLogError ?? (() => {});
  const out = new CappedLog(o.stdoutFile, 'target.stdout.log', limit, onLogError);
  const err = new CappedLog(o.stderrFile, 'target.stderr.log', limit, onLogError);
  let tail = '';
  child.stdout!.pipe(out);
  child.stderr!.pipe(err);
  child.stderr!.on('data', (d: Buffer) => {
    // Only the chunk's end can reach the tail: a target spamming stderr is not decoded whole.
    tail = (tail + d.subarray(-4000).toString()).slice(-4000);
    o.onStderr(d);
  });
  const closeLogs = (): Promise<void> =>
    Promise.all(
      [out, err].map(
        (log) =>
          new Promise<void>((r) => {
            if (log.writableFinished || log.destroyed) return r();
            log.once('finish', r);
            if (!log.writableEnded) log.end();
          }),
      ),
    ).then(() => undefined);
  let groupGone = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // Spawning failed (no such program): no 'exit' follows.
    child.once('error', (e) => {
      tail += `\n${e.message}`;
      if (child.pid === undefined) void closeLogs().then(() => resolve({ code: null, signal: null }));
    });
    child.once('exit', (code, signal) => {
      // A group left empty by the leader's exit is forgotten at once: its id may be reused by
      // another group, which stop(), the exit hook or the watchdog would then signal.
      if (pgid !== undefined && !signalGroup(pgid, 0)) {
        releaseGroup(pgid);
        groupGone = true;
      }
      // Its pipes close when the last process holding them does ('close'): past the grace, they are cut.
      const cut = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
      }, PIPE_GRACE_MS);
      child.once('close', () => {
        clearTimeout(cut);
        void closeLogs().then(() => resolve({ code, signal }));
      });
    });
  });
  let stopping: Promise<void> | undefined;
  return {
    pid: child.pid ?? -1,
    child,
    exited,
    stderrTail: () => tail,
    logs: () => [out.count(), err.count()],
    stop(graceMs = 5000) {
      return (stopping ??= (async () => {
        if (pgid === undefined || groupGone) return void (await exited);
        // Its group, even when it has exited itself: what it started may still run.
        if (signalGroup(pgid, 'SIGTERM')) {
          const deadline = Date.now() + graceMs;
          const leaderRuns = (): boolean => child.exitCode === null && child.signalCode === null;
          while ((leaderRuns() || signalGroup(pgid, 0)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
          signalGroup(pgid, 'SIGKILL');
        }
        await exited;
        releaseGroup(pgid);
      })());
    },
  };
}

/** The program's full path, or a one-line error (exit 1) when it is not installed. */
export function resolveBinary(binary: string, what: string): string {
  const r = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', binary], { encoding: 'utf8' });
  const path = r.stdout.trim();
  if (r.status !== 0 || !path) throw new PromsoakError('PROMSOAK_TARGET_START', `--target ${what}: "${binary}" is not installed or not on PATH`);
  return path;
}

/** The first line of `<binary> --version` (or `-version`), or null when it says nothing useful. */
export function binaryVersion(path: string, flag = '--version'): string | null {
  const r = spawnSync(path, [flag], { encoding: 'utf8', timeout: 10_000 });
  const line = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n')[0];
  return line ? line.trim() : null;
}
