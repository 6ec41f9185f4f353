import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/tools.js';

// 100 exporters, 3 repeats: at 20 exporters a 2 s window holds one GC, and its bytes/sample spread (2216–3526 for naive) left Welch's 2-a-side interval spanning 0.
const SOAK = ['compare', 'smoke', '--exporters', '100', '--repeat', '3', '--duration', '3', '--warmup', '1'];

test('CLI --baseline --gate: a stored cached-ingester compare; the same again passes every gate, the naive ingester fails bytesPerSample<+10% with its interval', { timeout: 280_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-compare-gate-'));
  const stored = runCli([...SOAK, '--ingester', 'cached', '--out', join(out, 'baseline')], { timeout: 90_000 });
  assert.equal(stored.status, 0, stored.stderr);
  const baseline = join(out, 'baseline', readdirSync(join(out, 'baseline'))[0]!);
  const gates = ['--gate', 'bytesPerSample<+10%', '--gate', 'scrapes.failed==0'];

  const aa = runCli([...SOAK, '--ingester', 'cached', '--baseline', baseline, ...gates, '--out', join(out, 'aa')], { timeout: 90_000 });
  assert.equal(aa.status, 0, aa.stdout + aa.stderr);
  assert.match(aa.stdout, /against the stored baseline .* \(baseline, 3 repeats\): unpaired \(Welch\)/);
  assert.match(aa.stdout, /gate bytesPerSample<\+10% passed: [+−±][\d.]+ % \[[+−±][\d.]+, [+−±][\d.]+\] against the stored baseline\./);
  assert.match(aa.stdout, /gate scrapes\.failed==0 passed: 0, 0, 0 in 3 repeats\./);

  // The naive ingester allocates several times the bytes a sample (every series' labels parsed again each scrape).
  const worse = runCli([...SOAK, '--ingester', 'naive', '--baseline', baseline, ...gates, '--out', join(out, 'naive')], { timeout: 90_000 });
  assert.equal(worse.status, 1, worse.stdout + worse.stderr);
  assert.match(worse.stdout, /FAILED: gate bytesPerSample<\+10%: \+\d+\.\d\d % \[\+\d+\.\d\d, \+\d+\.\d\d\] against the stored baseline: a detectable regression past \+10 %\./);
  assert.match(worse.stdout, /gate scrapes\.failed==0 passed/);
  const json = JSON.parse(readFileSync(join(out, 'naive', readdirSync(join(out, 'naive'))[0]!, 'compare.json'), 'utf8'));
  assert.equal(json.baseline.repeats, 3);
  assert.deepEqual(json.gates.map((g: { expression: string; ok: boolean }) => [g.expression, g.ok]), [['bytesPerSample<+10%', false], ['scrapes.failed==0', true]]);
  assert.equal(json.comparisons[0].design, 'unpaired');
});
