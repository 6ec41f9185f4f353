import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli } from './helpers/tools.js';
import { runDir, startCli, tinyProfile } from './helpers/processes.js';
import type { Summary } from '../src/analysis/summary.js';

/** A launched target's logs are capped (--target-log-limit): issue 23, finding 7. */

const FAMILY = join(ROOT, 'dist', 'test', 'fixtures', 'family-target.js');

const spam = (profile: string): string[] => ['run', profile, '--target', `exec:${process.execPath} ${FAMILY} spam {port} {dir}`, '--target-metrics', 'http://127.0.0.1:{port}/metrics', '--target-samples', 'family_samples_total', '--duration', '3', '--warmup', '1'];

test('a target writing stdout as fast as it can: target.stdout.log stops at --target-log-limit, the summary and the terminal say what was dropped', { timeout: 90_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-logs-'));
  const limit = 1024 * 1024;
  const r = await startCli([...spam(tinyProfile(out, 'logs')), '--target-log-limit', String(limit)], join(out, 'runs')).done;
  assert.equal(r.code, 0, r.stderr);
  const dir = runDir(join(out, 'runs'))!;
  assert.equal(statSync(join(dir, 'target.stdout.log')).size, limit);
  const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Summary;
  const log = s.run.target!.logs!.find((l) => l.file === 'target.stdout.log')!;
  assert.equal(log.limitBytes, limit);
  assert.equal(log.bytes, limit);
  // Seconds of a loop writing 64 KiB chunks: far more than the MiB kept.
  assert.ok(log.droppedBytes > 4 * limit, `dropped ${log.droppedBytes}`);
  assert.deepEqual(s.run.target!.logs!.find((l) => l.file === 'target.stderr.log'), { file: 'target.stderr.log', limitBytes: limit, bytes: 0, droppedBytes: 0 });
  assert.match(r.stdout, /target\.stdout\.log capped at 1 MiB, [\d.]+ MiB dropped/);
});

test('--target-log-limit: not a positive integer, or with a target that writes no log, is one line and exit 2', () => {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-logs-'));
  const profile = tinyProfile(out, 'logs');
  const zero = runCli([...spam(profile), '--target-log-limit', '0', '--out', out]);
  assert.equal(zero.status, 2);
  assert.equal(zero.stderr.trim(), 'promsoak: --target-log-limit must be a positive integer (got 0)');
  const builtin = runCli(['run', profile, '--target-log-limit', '1000', '--duration', '3', '--out', out]);
  assert.equal(builtin.status, 2);
  assert.match(builtin.stderr.trim(), /^promsoak: --target-log-limit applies to --target exec or prometheus or victoria-metrics or influxdb only \(the target is builtin\)$/);
});
