import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderCapacityTerminal } from '../src/capacity/terminal.js';
import { fitModel, predict } from '../src/capacity/model.js';
import { scaling, selfChecks } from '../src/capacity/scaling.js';
import { DEFAULT_CRITERIA } from '../src/capacity/types.js';
import { searchRun, syntheticResult } from './helpers/capacity.js';

test('terminal: each ceiling with what failed above it and GC\'s share there, the scaling, the self-check and the prediction, then every step', () => {
  const out = renderCapacityTerminal(syntheticResult(), 'runs/capacity-1');
  const lines = out.split('\n');
  assert.equal(lines[0], 'promsoak capacity: default, builtin, by rate, cores 1, 2');
  assert.ok(lines.includes('  • 1 core: ceiling 480k samples/s (480k series), held twice as long to confirm; at 500k samples/s CPU p99 1.00 cores reached the 1 core given; GC took 21.6 % of the cores there'), out);
  assert.ok(lines.includes("  • 2 cores kept 2.08 × what 1 core kept (1M against 480k samples/s); GC's share of the cores 21.6 % → 22.1 %"), out);
  assert.ok(lines.includes('  • the 1-core CPU line puts the 2-core ceiling at 1.02M samples/s (95 %: 1.01M–1.03M); measured 1M: +2.4 %'), out);
  assert.ok(lines.some((l) => l.startsWith('  • 2M samples/s and 10M series need 5 cores and 23.4 GiB (95 %: ') && l.endsWith('of RAM at 80.0 % utilisation, from the 2-core steps')), out);
  assert.ok(lines.includes('    2M samples/s is 2.0 × the most measured (1M): the line is extrapolated'), out);
  assert.equal(lines.filter((l) => /^\s+\d+\s+(geometric|bisect|confirm)\s/.test(l)).length, 12 + 13, 'every step of both searches');
  assert.ok(lines.some((l) => /^\s+6\s+geometric\s+6400\s+640k\s.*FAIL: CPU p99 1\.00 cores reached the 1 core given$/.test(l)), out);
  assert.equal(lines.at(-2), 'capacity.json and capacity.html in runs/capacity-1');
});

test('terminal: no ceiling, no model, no prediction: each said, no number invented', () => {
  const one = searchRun(1, { startExporters: 6000 });
  const two = searchRun(2, { maxSteps: 2 });
  const models = [fitModel(1, one.steps), fitModel(2, two.steps)];
  const r = syntheticResult({ cores: [one, two], scaling: scaling([one, two]), model: models, prediction: predict(models[1]!, { samples: 2e6, series: 1e7 }), selfCheck: selfChecks([one, two], models, DEFAULT_CRITERIA) });
  const out = renderCapacityTerminal(r);
  assert.match(out, /• 1 core: no load kept: the first step failed \(600k samples\/s, 6000 exporters\): CPU p99 1\.00 cores reached the 1 core given\n/);
  assert.match(out, /• 2 cores: above 20k samples\/s \(20k series\) \(--max-steps 2 reached\); GC took 1\.0 % of the cores there\n/);
  assert.match(out, /• 2 cores against 1 core: no ratio \(nothing passed at 1 core\)\n/);
  assert.match(out, /• the 1-core CPU line puts the 2-core ceiling: nowhere \(0 passing steps at 1 core: a fit needs at least 3\)\n/);
  assert.match(out, /• 2M samples\/s and 10M series: no prediction \(2 passing steps at 2 cores: a fit needs at least 3\)\n/);
  assert.doesNotMatch(out, /need \d+ cores/);
  assert.doesNotMatch(out, /NaN|Infinity|undefined/);
});

test('terminal: a profile, target or failure text from outside cannot move the cursor or forge a line', () => {
  const r = syntheticResult({ profile: 'evil\x1b[2J\nok: fake line', target: 'exec:/bin/x\r' });
  r.cores[0]!.steps[6]!.failed[0]!.words = 'shard http://127.0.0.1:1/\x1b]0;title\x07 down';
  const out = renderCapacityTerminal(r);
  assert.doesNotMatch(out, /[\x00-\x09\x0b-\x1f\x7f]/, 'no control character but the newlines between lines');
  assert.match(out, /^promsoak capacity: evil\\x1b\[2J\\nok: fake line, exec:\/bin\/x\\r, by rate/);
  assert.match(out, /\\x1b\]0;title\\x07 down/);
});

test('terminal and HTML: an answer whose passing steps were not judged on a criterion (a target without scrape durations) says so in its line', async () => {
  const { renderCapacityHtml } = await import('../src/capacity/html.js');
  const r = syntheticResult();
  const words = 'scrape latency not measured: the system does not report its scrape durations';
  for (const s of r.cores[0]!.steps) {
    s.figures.latencyP99Ms = null;
    s.notJudged = [{ criterion: 'latency', words }];
  }
  const line = renderCapacityTerminal(r).split('\n').find((l) => l.startsWith('  • 1 core: ceiling'));
  assert.equal(line, `  • 1 core: ceiling 480k samples/s (480k series), held twice as long to confirm; at 500k samples/s CPU p99 1.00 cores reached the 1 core given; GC took 21.6 % of the cores there; passed without judging latency (${words})`);
  assert.ok(renderCapacityHtml(r).includes(`<li>1 core: ceiling 480k samples/s (480k series), held twice as long to confirm; at 500k samples/s CPU p99 1.00 cores reached the 1 core given; GC took 21.6 % of the cores there; passed without judging latency (${words})</li>`));
  // Every criterion judged: nothing added.
  assert.doesNotMatch(renderCapacityTerminal(syntheticResult()), /without judging/);
});
