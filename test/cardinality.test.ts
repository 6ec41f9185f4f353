import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { linearFit, spread } from '../src/analysis/fit.js';
import { articleFits } from '../src/cardinality/article.js';
import { planCases, resolveOptions } from '../src/cardinality/spec.js';
import { runCase, snapshotTop, SCHEMA, type CardinalityReport } from '../src/cardinality/run.js';
import { summarizeSnapshotFile } from '../src/heap/snapshot-summary.js';
import { renderBody } from '../src/cardinality/case/engine-subject.js';
import { cardinalityCommand } from '../src/commands/cardinality.js';
import { PromsoakError } from '../src/common/errors.js';

describe('linear fit', () => {
  it('recovers an exact line', () => {
    const xs = [25_000, 50_000, 75_000, 100_000];
    const f = linearFit(xs, xs.map((x) => 232 * x + 4096));
    assert.ok(Math.abs(f.slope - 232) < 1e-9, String(f.slope));
    assert.ok(Math.abs(f.intercept - 4096) < 1e-6, String(f.intercept));
    assert.equal(f.r2, 1);
    assert.equal(f.n, 4);
  });
  it('matches hand-computed least squares on noisy points', () => {
    // x̄ = 2.5, ȳ = 4.75, Sxx = 5, Sxy = 9.5: slope 1.9, intercept 0; SSres 0.7, SStot 18.75.
    const f = linearFit([1, 2, 3, 4], [2, 4, 5, 8]);
    assert.ok(Math.abs(f.slope - 1.9) < 1e-12);
    assert.ok(Math.abs(f.intercept) < 1e-12);
    assert.ok(Math.abs(f.r2 - (1 - 0.7 / 18.75)) < 1e-12);
  });
  it('refuses too few or identical x values', () => {
    assert.throws(() => linearFit([1], [1]), RangeError);
    assert.throws(() => linearFit([2, 2], [1, 3]), RangeError);
    assert.throws(() => linearFit([1, 2], [1]), RangeError);
  });
  it('median and spread', () => {
    assert.deepEqual(spread([3, 1, 2]), { median: 2, min: 1, max: 3 });
    assert.deepEqual(spread([4, 1, 2, 3]), { median: 2.5, min: 1, max: 4 });
  });
  it("the article's Go numbers are linear too (about 0.5 kB per label set)", () => {
    for (const f of articleFits()) {
      assert.ok(f.r2 > 0.97, `${f.type} R² ${f.r2}`);
      assert.ok(f.slope > 400 && f.slope < 1000, `${f.type} ${f.slope} B/set`);
    }
  });
});

describe('options and plan', () => {
  it('validates before defaults, naming the option', () => {
    assert.throws(() => resolveOptions({ labelSets: [10, -3] }), (e: unknown) => e instanceof PromsoakError && /--label-sets .*got -3/.test(e.message));
    assert.throws(() => resolveOptions({ types: ['counter', 'timer' as 'counter'] }), /--types .*got timer/);
    assert.throws(() => resolveOptions({ repeat: 0 }), /--repeat/);
  });
  it('plans the ladder at the smallest observation count, then the grid, without duplicates', () => {
    const o = resolveOptions({ types: ['counter'], labelSets: [2000, 1000], observations: [10, 1], gridLabelSets: [1000], repeat: 2 });
    assert.deepEqual(o.labelSets, [1000, 2000]);
    const shapes = planCases(o).map((c) => `${c.labelSets}x${c.observations}/r${c.repeat}`);
    assert.deepEqual(shapes, ['1000x1/r0', '2000x1/r0', '1000x10/r0', '1000x1/r1', '2000x1/r1', '1000x10/r1']);
  });
  it('the default grid is the documented one', () => {
    const cases = planCases(resolveOptions({}));
    assert.equal(cases.length, (4 * 4 + 4 * 4 * 4) * 3);
  });
});

describe('heap snapshot of a case', () => {
  it('is read by the heap summariser: the vector class is in it, top rows by self size first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'promsoak-cardinality-snap-'));
    const path = join(dir, 'case.heapsnapshot');
    await runCase({ subject: 'prom-client', type: 'counter', labelSets: 2000, observations: 1, headWindow: 8, repeat: 0, heapSnapshot: path });
    const top = snapshotTop(path, 5);
    assert.equal(top.length, 5);
    for (let i = 1; i < top.length; i++) assert.ok(top[i - 1]!.selfSize >= top[i]!.selfSize, JSON.stringify(top));
    assert.ok(summarizeSnapshotFile(path).rows.some((r) => r.name === 'Counter' && r.count >= 1), 'a prom-client Counter in the snapshot');
  });
});

describe('cardinality runs (fresh child processes)', () => {
  it('prom-client: linear in label sets, flat in observations; JSON contract; self-contained HTML', async () => {
    const out = mkdtempSync(join(tmpdir(), 'promsoak-cardinality-'));
    const lines: string[] = [];
    const r = await cardinalityCommand(
      { types: ['counter', 'histogram'], labelSets: [500, 1000, 2000], observations: [1, 20], gridLabelSets: [1000], repeat: 1, out },
      (l) => lines.push(l),
    );
    assert.equal(r.cases.length, 8);
    for (const c of r.cases) {
      const [lo, hi] = c.type === 'counter' ? [50, 2000] : [100, 5000];
      assert.ok(c.bytesPerLabelSet > lo && c.bytesPerLabelSet < hi, `${c.type} ${c.labelSets}×${c.observations}: ${c.bytesPerLabelSet} B/set`);
    }
    for (const f of r.fits) {
      assert.ok(f.r2 >= 0.98, `${f.type} R² ${f.r2}`);
      assert.ok(f.slope > 0, `${f.type} slope ${f.slope}`);
    }
    for (const f of r.flatness) assert.ok(f.spread < 0.15, `${f.type} moves ${(f.spread * 100).toFixed(1)}% with observations`);
    assert.ok(lines.some((l) => /^counter\s/.test(l)) && lines.some((l) => l.includes('21267.43kB')), lines.join('\n'));

    const json = JSON.parse(readFileSync(join(out, 'cardinality.json'), 'utf8')) as CardinalityReport;
    assert.equal(json.schema, SCHEMA);
    assert.equal(json.cases.length, 8);
    for (const c of json.cases) {
      for (const k of ['labelSets', 'observations', 'bytes', 'heapBytes', 'bytesPerLabelSet', 'bytesPerSeries', 'seriesPerLabelSet'] as const) {
        assert.equal(typeof c[k], 'number', k);
      }
    }
    assert.deepEqual(json.fits.map((f) => f.type).sort(), ['counter', 'histogram']);
    for (const f of json.fits) for (const k of ['slope', 'intercept', 'r2', 'bytesPerLabelSet'] as const) assert.equal(typeof f[k], 'number');
    assert.ok(json.article.fits.length === 3 && json.summary.every((s) => s.bytesPerLabelSet.min <= s.bytesPerLabelSet.median));

    const html = readFileSync(join(out, 'cardinality.html'), 'utf8');
    assert.doesNotMatch(html, /<script[^>]*\ssrc\s*=/i);
    assert.doesNotMatch(html, /<link[^>]*href\s*=\s*["']?(https?:)?\/\//i);
    assert.match(html, /uPlot/);
    assert.match(html, /<\/html>\s*$/);
  });

  it('engine: bytes per series in the head, flat over repeated scrapes', async () => {
    // 8000 sets: the heap reading's own noise (~±100 kB) stays a few % of what is measured.
    const spec = { subject: 'engine', type: 'counter', labelSets: 8000, headWindow: 8, repeat: 0 } as const;
    const one = await runCase({ ...spec, observations: 1 });
    const many = await runCase({ ...spec, observations: 5 });
    assert.ok(one.bytesPerSeries > 50 && one.bytesPerSeries < 5000, `${one.bytesPerSeries} B/series`);
    assert.ok(Math.abs(many.bytes - one.bytes) / one.bytes < 0.1, `${one.bytes} vs ${many.bytes}`);
    assert.ok((one.estimateBytes ?? 0) > 0);
  });

  it('renders the bodies the engine ingests', () => {
    const h = renderBody('histogram', 2).toString();
    assert.equal(h.split('\n').filter((l) => l && !l.startsWith('#')).length, 2 * 14);
    assert.match(h, /^test_bucket\{foo="foo",bar="bar",baz="baz-1",le="\+Inf"\} 11$/m);
  });
});
