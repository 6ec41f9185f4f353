import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, ROOT } from './tools.js';

/** A process as /proc/<pid>/stat tells it. */
export interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  pgrp: number;
}

/** Every live process of the machine (zombies, already dead and waiting to be reaped, left out). */
export function liveProcesses(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (f[0] === 'Z' || f[0] === 'X') continue;
    out.push({ pid: Number(name), state: f[0]!, ppid: Number(f[1]), pgrp: Number(f[2]) });
  }
  return out;
}

export function alive(pid: number): boolean {
  return liveProcesses().some((p) => p.pid === pid);
}

/** Polls until `ok()` or `ms` pass; returns the last `ok()`. */
export async function until(ok: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!ok() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return ok();
}

export interface Coordinator {
  pid: number;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number }>;
}

/** `promsoak <args> --out <out>` as its own process, killed after `timeoutMs` (a hang reads as code null). */
export function startCli(args: string[], out: string, timeoutMs = 90_000): Coordinator {
  const t0 = Date.now();
  const c = spawn(process.execPath, [CLI, ...args, '--out', out], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: '1' } });
  let stdout = '';
  let stderr = '';
  c.stdout.on('data', (d) => (stdout += d));
  c.stderr.on('data', (d) => (stderr += d));
  const killer = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
  const done = new Promise<Awaited<Coordinator['done']>>((resolve) =>
    c.on('exit', (code, signal) => {
      clearTimeout(killer);
      // Its output to the end: what it wrote just before it exited.
      setTimeout(() => resolve({ code, signal, stdout, stderr, ms: Date.now() - t0 }), 100);
    }),
  );
  return { pid: c.pid!, done };
}

/** The one run directory under `out`, once there is one. */
export function runDir(out: string): string | undefined {
  const dirs = existsSync(out) ? readdirSync(out) : [];
  return dirs.length === 1 ? join(out, dirs[0]!) : undefined;
}

/** Lines in a run directory's file (0 while it is not there). */
export function lineCount(dir: string | undefined, file: string): number {
  if (!dir || !existsSync(join(dir, file))) return 0;
  return readFileSync(join(dir, file), 'utf8').split('\n').filter(Boolean).length;
}

/** The default profile cut to 3 exporters scraped every second, written into `dir` as `<name>.json`: a soak small enough for a launched test target. */
export function tinyProfile(dir: string, name: string): string {
  const p = JSON.parse(readFileSync(join(ROOT, 'profiles', 'default.json'), 'utf8'));
  Object.assign(p, { name, exporters: 3, scrapeIntervalSeconds: 1, scrapeTimeoutSeconds: 1 });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(p));
  return file;
}
