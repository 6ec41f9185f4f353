import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/tools.js';
import { checkTogether } from '../src/compare/together.js';
import { planVariants } from '../src/compare/plan.js';

test('compare --together is refused before anything runs, one line naming what it needs; nothing is made', () => {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-together-'));
  const r = runCli(['compare', 'smoke', '--together', '--ingester', 'cached,naive', '--duration', '2', '--warmup', '1', '--out', out]);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^promsoak: --together needs each engine to scrape the shared fleet under target ids of its own .* run without --together \(each variant in turn, interleaved A B A B\)$/m);
  assert.deepEqual(readdirSync(out), [], 'no compare directory, no run');
  // Another system than the engine, an axis other than the ingester's and V8's: named.
  const t = runCli(['compare', 'smoke', '--together', '--target', 'builtin,url:http://127.0.0.1:1/metrics', '--target-samples', 'x', '--out', out]);
  assert.equal(t.status, 2, t.stderr);
  assert.match(t.stderr, /--together needs the built-in engine: url:http:\/\/127\.0\.0\.1:1\/metrics is another system/);
});

test('--together: the first reason that applies, with the cores it would take', () => {
  const two = (axes: Parameters<typeof planVariants>[0]) => planVariants(axes, 16);
  assert.throws(() => checkTogether({ together: true, cores: [1, 2] }, two({ cores: [1, 2] }), 16), /varies --ingester and --v8-flags only .*: not --cores;/);
  assert.throws(() => checkTogether({ together: true }, two({}), 16), /needs two variants or more/);
  assert.throws(() => checkTogether({ together: true, ingesters: ['cached', 'naive'] }, two({ ingesters: ['cached', 'naive'] }), 16), /cores of its own \(one core each and 14 for the fleet\)/);
  assert.throws(() => checkTogether({ together: true, ingesters: ['cached', 'naive'] }, two({ ingesters: ['cached', 'naive'] }), 2), /on 2 cores the 2 engines and the fleet would share them/);
  // Without --together nothing is said.
  assert.doesNotThrow(() => checkTogether({ ingesters: ['cached', 'naive'] }, two({ ingesters: ['cached', 'naive'] }), 2));
});
