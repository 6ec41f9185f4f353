import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The processes one bench started (fleet, Prometheus, driver), stopped on every way out: the
 * bench's `finally` (stopAll), SIGINT/SIGTERM of the bench (stopped, then exit 130), and the
 * bench process's exit (SIGKILL to any left). Each is spawned with an argv array, no shell.
 * The scratch directories it made (scratch()) are removed on the same paths.
 */
export interface Child {
  child: ChildProcess;
  pid: number;
  /** The last ~4 KB of its stdout and stderr together. */
  tail(): string;
  /** SIGTERM, SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

export class BenchChildren {
  private readonly live = new Set<Child>();
  private readonly dirs = new Set<string>();
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(`bench: ${signal}: stopping what it started\n`);
    void this.stopAll().finally(() => process.exit(130));
  };
  private readonly onExit = (): void => {
    for (const c of this.live) c.child.kill('SIGKILL');
    for (const d of this.dirs) this.removeScratch(d);
  };

  constructor() {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
    process.on('exit', this.onExit);
  }

  /** Starts `argv` (under `taskset -c <cpus>` when cpus is given) and keeps it until it is stopped. */
  spawn(argv: string[], cpus?: string, stdin: 'ignore' | 'pipe' = 'ignore'): Child {
    const full = cpus === undefined ? argv : ['taskset', '-c', cpus, ...argv];
    const child = spawn(full[0]!, full.slice(1), { stdio: [stdin, 'pipe', 'pipe'] });
    let tail = '';
    const keep = (d: Buffer): void => void (tail = (tail + d.subarray(-4000).toString()).slice(-4000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.once('error', (e) => {
        tail += `\n${e.message}`;
        if (child.pid === undefined) resolve();
      });
    });
    const c: Child = {
      child,
      pid: child.pid ?? -1,
      tail: () => tail,
      stop: async (graceMs = 5000) => {
        if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          await exited;
          clearTimeout(timer);
        }
        await exited;
        this.live.delete(c);
      },
    };
    this.live.add(c);
    void exited.then(() => this.live.delete(c));
    return c;
  }

  /** A new directory under os.tmpdir(), removed by removeScratch, stopAll or the bench's exit. */
  scratch(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.dirs.add(dir);
    return dir;
  }

  removeScratch(dir: string): void {
    rmSync(dir, { recursive: true, force: true });
    this.dirs.delete(dir);
  }

  /** Stops every process still running, the last started first, then removes the scratch directories. */
  async stopAll(): Promise<void> {
    for (const c of [...this.live].reverse()) await c.stop();
    for (const d of [...this.dirs]) this.removeScratch(d);
  }

  /** Stops everything and removes the signal and exit hooks. */
  async close(): Promise<void> {
    await this.stopAll();
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    process.off('exit', this.onExit);
  }
}
