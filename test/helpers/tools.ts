import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (tests run from dist/test/). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const CLI = join(ROOT, 'dist', 'src', 'cli.js');
/** Real captures (node_exporter, Prometheus), copied into the repository: test/data/README.md. */
export const TESTDATA = join(ROOT, 'test', 'data');

/** The path of a command on PATH (or in /usr/bin), or undefined: tests that need it skip visibly. */
export function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/bin', '/usr/sbin'])) {
    const p = join(dir, cmd);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

/** Debian's python3 with python3-prometheus-client (the python3 on PATH may be a pyenv without it). */
export function debianPython(): string | undefined {
  const py = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : undefined;
  if (!py) return undefined;
  const r = spawnSync(py, ['-c', 'import prometheus_client'], { encoding: 'utf8' });
  return r.status === 0 ? py : undefined;
}

/** Runs the built CLI; returns status, stdout, stderr. */
export function runCli(args: string[], opts: { cwd?: string; timeout?: number } = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: opts.cwd ?? ROOT, timeout: opts.timeout ?? 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
