import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './helpers/tools.js';
import { alive, lineCount, liveProcesses, runDir, startCli, until } from './helpers/processes.js';
import type { Summary } from '../src/analysis/summary.js';

/**
 * A run directory the disk stops accepting writes to (ENOSPC): the soak ends with one line and
 * exit 1, kills what it started, and keeps what it measured where there is room (issue 23,
 * finding 7).
 */

const FAMILY = join(ROOT, 'dist', 'test', 'fixtures', 'family-target.js');

/** The coordinator's own lines on stderr (the live progress lines left out): no stack trace. */
function promsoakLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('promsoak') || /^\s+at /.test(l) || /Error/.test(l));
}

test('ENOSPC appending to frames.ndjson mid-soak (the file turned into /dev/full): one line, exit 1, the engine stopped, summary.json of what was measured', { timeout: 90_000 }, async (t) => {
  if (!existsSync('/dev/full')) return t.skip('no /dev/full on this machine');
  const out = mkdtempSync(join(tmpdir(), 'promsoak-diskfull-'));
  const runs = join(out, 'runs');
  const c = startCli(['run', 'smoke', '--duration', '30', '--warmup', '1'], runs);
  assert.ok(await until(() => lineCount(runDir(runs), 'frames.ndjson') >= 3, 45_000), 'the soak did not start');
  const dir = runDir(runs)!;
  const engine = liveProcesses().find((p) => p.ppid === c.pid && readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').includes('engine/main.js'))?.pid;
  // Every later append opens the path again: it now writes to a device that is always full.
  rmSync(join(dir, 'frames.ndjson'));
  symlinkSync('/dev/full', join(dir, 'frames.ndjson'));
  const r = await c.done;
  assert.equal(r.code, 1, r.stderr);
  const lines = promsoakLines(r.stderr);
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^promsoak: disk full writing frames\.ndjson: the soak stopped at t=\d+(\.\d)? s; summary\.json has the \d+ s measured \(/);
  // Stopped at once, not at the end of the 30 s window.
  assert.ok(r.ms < 30_000, `took ${r.ms} ms`);
  const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Summary;
  assert.equal(s.run.stopReason, 'disk-full');
  assert.match(s.verdict[0]!, /^FAILED: disk full writing frames\.ndjson at t=/);
  assert.ok(engine === undefined || !alive(engine), 'the engine outlived the soak');
});

test('a target filling a small tmpfs through its stdout log: one line, exit 1, the target killed', { timeout: 90_000 }, async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-diskfull-'));
  const mnt = join(out, 'tmpfs');
  mkdirSync(mnt);
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt], { encoding: 'utf8' });
  if (m.status !== 0) return t.skip(`cannot mount a tmpfs here (root only): ${(m.stderr || m.error?.message || '').trim()}`);
  let target: number | undefined;
  try {
    const p = JSON.parse(readFileSync(join(ROOT, 'profiles', 'default.json'), 'utf8'));
    Object.assign(p, { name: 'disk', exporters: 3, scrapeIntervalSeconds: 1, scrapeTimeoutSeconds: 1 });
    writeFileSync(join(out, 'disk.json'), JSON.stringify(p));
    const runs = join(mnt, 'runs');
    const c = startCli(['run', join(out, 'disk.json'), '--target', `exec:${process.execPath} ${FAMILY} spam-late {port} {dir}`, '--target-metrics', 'http://127.0.0.1:{port}/metrics', '--target-samples', 'family_samples_total', '--target-log-limit', String(64 * 1024 * 1024), '--duration', '30', '--warmup', '1'], runs);
    assert.ok(await until(() => existsSync(join(runDir(runs) ?? '/nonexistent', 'family.pids')), 45_000), 'the target did not start');
    target = Number(readFileSync(join(runDir(runs)!, 'family.pids'), 'utf8').split(' ')[0]);
    const r = await c.done;
    assert.equal(r.code, 1, r.stderr);
    const lines = promsoakLines(r.stderr);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^promsoak: disk full writing target\.stdout\.log: the soak stopped at t=\d+(\.\d)? s; (summary\.json has the \d+ s measured|no room for summary\.json either) \(/);
    assert.ok(r.ms < 30_000, `took ${r.ms} ms`);
    assert.ok(!alive(target), 'the target outlived the soak');
  } finally {
    if (target && alive(target)) process.kill(-target, 'SIGKILL');
    spawnSync('umount', [mnt]);
  }
});
