import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { interleave, planVariants } from '../src/compare/plan.js';
import { findCores } from '../src/compare/verdict.js';
import type { VariantResult } from '../src/compare/aggregate.js';
import { runCli } from './helpers/tools.js';

test('variants: the cross product, labelled by the axes that vary; too many cores is a clear error', () => {
  const v = planVariants({ cores: [1, 2], ingesters: ['cached', 'naive'], v8Flags: ['--max-semi-space-size=16', '--max-semi-space-size=64'] }, 2);
  assert.equal(v.length, 8);
  assert.equal(v[0]!.label, 'cores=1 ingester=cached v8=--max-semi-space-size=16');
  assert.deepEqual(v[7]!.v8Flags, ['--max-semi-space-size=64']);
  assert.equal(planVariants({ ingesters: ['naive'] }, 2)[0]!.label, 'baseline');
  assert.throws(() => planVariants({ cores: [1, 3] }, 2), /--cores 3 is more than this machine's 2 cores/);
  assert.deepEqual(interleave(v.slice(0, 2), 2).map((x) => `${x.variant}.${x.repeat}`), ['0.0', '1.0', '1.1', '0.1']);
  assert.deepEqual(interleave(v.slice(0, 3), 3).map((x) => `${x.variant}.${x.repeat}`), ['0.0', '1.0', '2.0', '2.1', '1.1', '0.1', '0.2', '1.2', '2.2']);
});

test('find-cores picks the smallest flat core count', () => {
  const r = (cores: number, cv: number, cpuP99: number, starved: number): VariantResult =>
    ({ variant: { label: `cores=${cores}`, cores, ingester: 'naive', v8Flags: [] }, runs: [], fleetShared: false, fleetSaturatedRuns: 0,
       stats: { samplesCv: { median: cv }, cpuPeak: { median: cpuP99 }, starved: { median: starved } } }) as unknown as VariantResult;
  assert.equal(findCores([r(1, 0.3, 1.0, 12), r(2, 0.04, 1.2, 0)], 0.1, 0.9).coresNeeded, 2);
  assert.equal(findCores([r(1, 0.3, 1.0, 12), r(2, 0.2, 1.9, 3)], 0.1, 0.9).coresNeeded, null);
});

test('CLI compare: interleaved runs, compare.json with one entry per run, compare.html, a verdict', { timeout: 120_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-compare-'));
  const r = runCli(['compare', 'smoke', '--v8-flags', '--max-semi-space-size=1', '--v8-flags', '--max-semi-space-size=32', '--repeat', '2', '--duration', '2', '--warmup', '1', '--out', out], { timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^variant\s+runs\s+samples\/s/m);
  assert.match(r.stdout, /v8=--max-semi-space-size=32 vs v8=--max-semi-space-size=1 \(paired by round, 2 rounds\): /);
  const dir = join(out, readdirSync(out)[0]!);
  const json = JSON.parse(readFileSync(join(dir, 'compare.json'), 'utf8'));
  assert.equal(json.schemaVersion, 2);
  assert.equal(json.runs.length, 4);
  assert.deepEqual(json.runs.map((x: { variant: string }) => x.variant), ['v8=--max-semi-space-size=1', 'v8=--max-semi-space-size=32', 'v8=--max-semi-space-size=32', 'v8=--max-semi-space-size=1']); // every other round in reverse
  for (const run of json.runs) assert.ok(existsSync(join(run.dir, 'summary.json')));
  assert.equal(json.variants.length, 2);
  assert.ok(existsSync(join(dir, 'compare.html')));
});
