import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/tools.js';

test('CLI compare --repeat 2 --control: the A/A twin in every round, compare.json (schema 2) carries each figure\'s difference with its interval and the control', { timeout: 150_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-compare-control-'));
  const r = runCli(['compare', 'smoke', '--control', '--repeat', '2', '--duration', '2', '--warmup', '1', '--out', out], { timeout: 150_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /differences from the baseline, with intervals that hold together at 95 % \(paired by round\):/);
  assert.match(r.stdout, /baseline′ \(control\) \(A\/A: what no change reads\)\s+baseline \(paired\)\s+µs\/sample/);
  // The control's verdict: it held, or it names the figures it cannot vouch for and why.
  assert.match(r.stdout, /baseline′ \(control\): the A\/A twin reads no detectable difference|NOT TRUSTWORTHY in this run: .*\n.*why the twins differ: /);
  const dir = join(out, readdirSync(out)[0]!);
  const json = JSON.parse(readFileSync(join(dir, 'compare.json'), 'utf8'));
  assert.equal(json.schemaVersion, 2);
  assert.deepEqual(json.runs.map((x: { variant: string; repeat: number }) => `${x.variant}#${x.repeat}`), ['baseline#0', 'baseline′ (control)#0', 'baseline′ (control)#1', 'baseline#1']); // every other round in reverse
  for (const run of json.runs) assert.ok(existsSync(join(dir, run.relDir, 'summary.json')), run.relDir);
  assert.deepEqual(json.variants.map((v: { control: boolean }) => v.control), [false, true]);
  assert.equal(json.comparisons.length, 1);
  const c = json.comparisons[0];
  assert.deepEqual([c.label, c.against, c.design, c.control], ['baseline′ (control)', 'baseline', 'paired', true]);
  assert.equal(c.figures.length, 10);
  const rss = c.figures.find((f: { figure: string }) => f.figure === 'peakRss');
  // Peak RSS is measured in every run: two pairs, a finite interval around its difference.
  assert.equal(rss.n, 2);
  assert.ok(Number.isFinite(rss.low) && Number.isFinite(rss.high) && rss.low <= rss.value && rss.value <= rss.high, JSON.stringify(rss));
  assert.equal(rss.unit, '%');
  assert.ok(['better', 'worse', 'no difference detectable'].includes(rss.word));
  const starved = c.figures.find((f: { figure: string }) => f.figure === 'starved');
  assert.equal(starved.unit, 's');
  assert.ok(json.control && json.control.label === 'baseline′ (control)' && Array.isArray(json.control.untrusted));
  const html = readFileSync(join(dir, 'compare.html'), 'utf8');
  assert.match(html, /Differences from the baseline \(simultaneous 95 % intervals\)/);
});
