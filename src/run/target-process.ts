import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { PromsoakError } from '../common/errors.js';

/**
 * A target process promsoak launched (a Prometheus, a VictoriaMetrics, any scraper): its
 * stdout and stderr go to files in the run directory (stderr also to `onStderr`, for Go's
 * gctrace), and it is stopped with SIGTERM, then SIGKILL after a grace period, on every
 * exit path of the soak.
 */
export interface LaunchedProcess {
  pid: number;
  child: ChildProcess;
  /** Resolves when it has exited (never rejects). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last ~4 KB of its stderr. */
  stderrTail(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it is gone. */
  stop(graceMs?: number): Promise<void>;
}

export interface LaunchOptions {
  argv: string[];
  env: Record<string, string>;
  /** taskset CPU list ("0" or "0-1"); null: not pinned. */
  cpus: string | null;
  stdoutFile: string;
  stderrFile: string;
  onStderr: (chunk: Buffer) => void;
}

export function launchProcess(o: LaunchOptions): LaunchedProcess {
  const argv = o.cpus === null ? o.argv : ['taskset', '-c', o.cpus, ...o.argv];
  const child = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = createWriteStream(o.stdoutFile);
  const err = createWriteStream(o.stderrFile);
  let tail = '';
  child.stdout!.pipe(out);
  child.stderr!.on('data', (d: Buffer) => {
    err.write(d);
    tail = (tail + d.toString()).slice(-4000);
    o.onStderr(d);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', (e) => {
      tail += `\n${e.message}`;
      resolve({ code: null, signal: null });
    });
    child.once('close', (code, signal) => {
      err.end();
      resolve({ code, signal });
    });
  });
  return {
    pid: child.pid ?? -1,
    child,
    exited,
    stderrTail: () => tail,
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return void (await exited);
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(killer);
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
