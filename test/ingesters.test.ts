import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { ExporterSet } from '../src/fleet/render/exporter-set.js';
import { CONTENT_TYPE } from '../src/fleet/render/layout.js';
import { loadProfile } from '../src/profile/load.js';
import { CachedIngester } from '../src/engine/ingest/cached.js';
import { NaiveIngester, seriesKey } from '../src/engine/ingest/naive.js';
import { loadIngester } from '../src/engine/ingest/load.js';
import { ParseError, PromsoakError, SampleLimitError } from '../src/common/errors.js';

const options = { headWindow: 16, sampleLimit: 0 };
const smoke = new ExporterSet(loadProfile('smoke'));
const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** Every series of the cached head as naive-style key → last value. */
function cachedView(ing: CachedIngester): Map<string, number> {
  const out = new Map<string, number>();
  for (const ref of ing.head.refs()) {
    const l = ing.head.labels(ref)!;
    const labels: Record<string, string> = {};
    for (let i = 1; i < l.length; i += 2) labels[l[i]!] = l[i + 1]!;
    const target = ing.head.targetName(ing.head.targetOfSeries(ref))!;
    out.set(target + ' ' + seriesKey(l[0]!, labels), ing.head.lastValue(ref));
  }
  return out;
}

function naiveView(ing: NaiveIngester): Map<string, number> {
  const out = new Map<string, number>();
  for (const [target, t] of ing.targets) {
    for (const [key, s] of t.series) out.set(target + ' ' + key, s.values[s.values.length - 1]!);
  }
  return out;
}

describe('cached and naive ingesters', () => {
  for (const format of ['text', 'openmetrics'] as const) {
    it(`ingest the same samples from fleet bodies (${format}), through churn`, () => {
      const cached = new CachedIngester(options);
      const naive = new NaiveIngester(options);
      const perBody = smoke.seriesPerExporter;
      let total = 0;
      // t = 0..12 s crosses two series-churn steps of the smoke profile (every 5 s).
      for (let t = 0; t <= 12; t += 1) {
        for (const id of [0, 1, 7]) {
          const body = smoke.renderToBuffer(id, t, format);
          const target = `exporter-${id}`;
          const n1 = cached.ingest(body, target, t * 1000, CONTENT_TYPE[format]);
          const n2 = naive.ingest(body, target, t * 1000, CONTENT_TYPE[format]);
          assert.equal(n1, perBody);
          assert.equal(n2, perBody);
          assert.equal(cached.last.samples, naive.last.samples);
          assert.equal(cached.last.seriesAdded, naive.last.seriesAdded, `series added at t=${t}`);
          total += n1;
        }
        const a = cachedView(cached);
        const b = naiveView(naive);
        assert.equal(a.size, 3 * perBody, 'churned series are dropped');
        assert.deepEqual(a, b);
      }
      assert.equal(cached.stats().series, 3 * perBody);
      assert.equal(naive.stats().series, 3 * perBody);
      assert.equal(total, 13 * 3 * perBody);
      assert.ok(cached.stats().bytes > 0);
    });
  }

  it('decode escapes and Unicode in label values the same way', () => {
    const cached = new CachedIngester(options);
    const body = smoke.renderToBuffer(2, 0, 'text');
    cached.ingest(body, 't', 0, CONTENT_TYPE.text);
    const values = new Set<string>();
    for (const r of cached.head.refs()) values.add(cached.head.labels(r)!.join('|'));
    assert.ok(values.has('smoke_events_total|path|quote"d') || [...values].some((v) => v.includes('quote"d')));
    assert.ok([...values].some((v) => v.includes('new\nline')));
    assert.ok([...values].some((v) => v.includes('ünïcødé')));
    assert.ok([...values].some((v) => v.includes('back\\slash')));
  });

  it('fail a scrape over the sample limit, and on a malformed body with line and column', () => {
    for (const ing of [new CachedIngester({ headWindow: 4, sampleLimit: 10 }), new NaiveIngester({ headWindow: 4, sampleLimit: 10 })]) {
      assert.throws(() => ing.ingest(smoke.renderToBuffer(0, 0, 'text'), 't', 0, CONTENT_TYPE.text), SampleLimitError);
    }
    const bad = Buffer.from('ok_metric 1\nbroken{a="1" 2\n');
    for (const ing of [new CachedIngester(options), new NaiveIngester(options)]) {
      assert.throws(
        () => ing.ingest(bad, 't', 0, CONTENT_TYPE.text),
        (e: unknown) => e instanceof ParseError && e.line === 2 && e.column > 1 && /line 2 column \d+/.test(e.message),
      );
    }
  });

  it("cached: the byte count kept once a scrape equals a walk over every target's arrays, through growth, churn, a rollback and a dropped target", () => {
    const ing = new CachedIngester({ headWindow: 8, sampleLimit: 0 });
    type Seq = { bytes: number; cache: { bytes: number } } | undefined;
    const walk = (): number => ing.head.stats().bytes + (ing as unknown as { seqs: Seq[] }).seqs.reduce((s, q) => s + (q ? q.cache.bytes + q.bytes : 0), 0);
    const before = ing.stats().bytes;
    for (let t = 0; t <= 12; t++) {
      for (const id of [0, 1, 7, 9]) ing.ingest(smoke.renderToBuffer(id, t, t % 2 ? 'openmetrics' : 'text'), `exporter-${id}`, t * 1000, t % 2 ? CONTENT_TYPE.openmetrics : CONTENT_TYPE.text);
      assert.equal(ing.stats().bytes, walk(), `t=${t}`);
    }
    assert.ok(ing.stats().bytes > before, 'the caches grew and were counted');
    assert.throws(() => ing.ingest(Buffer.from('ok_metric 1\nbroken{a="1" 2\n'), 'exporter-0', 13_000, CONTENT_TYPE.text), ParseError);
    assert.equal(ing.stats().bytes, walk(), 'after a rollback');
    ing.dropTarget('exporter-1');
    assert.equal(ing.stats().bytes, walk(), 'after a dropped target');
    ing.ingest(smoke.renderToBuffer(1, 14, 'text'), 'exporter-1', 14_000, CONTENT_TYPE.text);
    assert.equal(ing.stats().bytes, walk(), 'the dropped target back');
  });
});

/** Every series of either ingester as naive-style key → its samples, oldest first: "values | timestamps". */
function samplesView(ing: CachedIngester | NaiveIngester): Map<string, string> {
  const out = new Map<string, string>();
  if (ing instanceof NaiveIngester) {
    for (const [target, t] of ing.targets) for (const [key, s] of t.series) out.set(`${target} ${key}`, `${s.values.join(',')} | ${s.timestamps.join(',')}`);
    return out;
  }
  const t = new Float64Array(ing.head.window);
  const v = new Float64Array(ing.head.window);
  for (const ref of ing.head.refs()) {
    const l = ing.head.labels(ref)!;
    const labels: Record<string, string> = {};
    for (let i = 1; i < l.length; i += 2) labels[l[i]!] = l[i + 1]!;
    const n = ing.head.read(ref, t, v);
    const target = ing.head.targetName(ing.head.targetOfSeries(ref))!;
    out.set(`${target} ${seriesKey(l[0]!, labels)}`, `${[...v.subarray(0, n)].join(',')} | ${[...t.subarray(0, n)].join(',')}`);
  }
  return out;
}

const text = (lines: string[]): Buffer => Buffer.from(lines.join('\n') + '\n');
const old = (v: number): string[] => Array.from({ length: 5 }, (_, i) => `old_total{i="${i}"} ${v + i}`);
const fresh = (n: number): string[] => Array.from({ length: n }, (_, i) => `new_total{i="${i}"} ${i}`);
const ingesters = (sampleLimit: number): [string, CachedIngester | NaiveIngester][] => [
  ['cached', new CachedIngester({ headWindow: 8, sampleLimit })],
  ['naive', new NaiveIngester({ headWindow: 8, sampleLimit })],
];

describe('a failed scrape is rolled back, as Prometheus rolls back its appender', () => {
  for (const [name, ing] of ingesters(8)) {
    it(`${name}: over the sample limit with new series: head, cache and counts as before; the next scrape under it ingests them`, () => {
      assert.equal(ing.ingest(text(old(10)), 't', 1000, CONTENT_TYPE.text), 5);
      assert.equal(ing.last!.seriesAdded, 5);
      const was = samplesView(ing);
      // 5 known series with new values, then 5 new ones: the 9th sample is over the limit.
      assert.throws(() => ing.ingest(text([...old(20), ...fresh(5)]), 't', 2000, CONTENT_TYPE.text), SampleLimitError);
      assert.deepEqual(samplesView(ing), was);
      assert.equal(ing.stats().series, 5);
      assert.deepEqual(ing.last, { samples: 0, seriesAdded: 0 });
      // Under the limit: the 3 new series are new again (the cache forgot them), and counted.
      assert.equal(ing.ingest(text([...old(30), ...fresh(3)]), 't', 3000, CONTENT_TYPE.text), 8);
      assert.equal(ing.last!.seriesAdded, 3);
      assert.equal(ing.stats().series, 8);
      const now = samplesView(ing);
      assert.equal(now.get('t old_total{i="0"}'), '10,30 | 1000,3000');
      assert.equal(now.get('t new_total{i="2"}'), '2 | 3000');
    });
  }

  for (const [name, ing] of ingesters(0)) {
    it(`${name}: a parse error at line N rolls back the samples and series of the lines before it`, () => {
      ing.ingest(text(old(10)), 't', 1000, CONTENT_TYPE.text);
      ing.ingest(text(old(11)), 'u', 1000, CONTENT_TYPE.text);
      const was = samplesView(ing);
      // Lines 1-7 are good (5 known series, 2 new ones), line 8 is not.
      const bad = text([...old(20), ...fresh(2), 'broken{a="1" 2', ...fresh(4)]);
      assert.throws(
        () => ing.ingest(bad, 't', 2000, CONTENT_TYPE.text),
        (e: unknown) => e instanceof ParseError && e.line === 8,
      );
      assert.deepEqual(samplesView(ing), was);
      assert.equal(ing.stats().series, 10);
      assert.deepEqual(ing.last, { samples: 0, seriesAdded: 0 });
      // The same scrape fixed: everything in it, the 4 new series counted as added.
      assert.equal(ing.ingest(text([...old(20), ...fresh(4)]), 't', 3000, CONTENT_TYPE.text), 9);
      assert.equal(ing.last!.seriesAdded, 4);
      assert.equal(samplesView(ing).get('t old_total{i="4"}'), '14,24 | 1000,3000');
      assert.equal(samplesView(ing).get('u old_total{i="4"}'), '15 | 1000', 'another target is untouched');
      // A target whose first scrape fails leaves no series behind.
      assert.throws(() => ing.ingest(bad, 'v', 1000, CONTENT_TYPE.text), ParseError);
      assert.equal(ing.stats().series, 14);
    });
  }

  it('cached and naive agree through fleet bodies, some over the sample limit, through churn; series = added - churned', () => {
    // The smoke profile's 33 series per body (churn every 5 s); some scrapes carry 2 extra lines, over a limit of 34.
    const cached = new CachedIngester({ headWindow: 16, sampleLimit: 34 });
    const naive = new NaiveIngester({ headWindow: 16, sampleLimit: 34 });
    const keysOf = (target: string): Set<string> => new Set([...samplesView(cached).keys()].filter((k) => k.startsWith(target + ' ')));
    let added = 0;
    let churned = 0;
    let failed = 0;
    for (let t = 0; t <= 12; t++) {
      for (const id of [0, 1]) {
        const target = `exporter-${id}`;
        const body = smoke.renderToBuffer(id, t, 'text');
        const over = (t + id) % 3 === 0 ? Buffer.concat([body, Buffer.from(fresh(2).join('\n') + '\n')]) : body;
        const before = keysOf(target);
        const outcome = [cached, naive].map((ing) => {
          try {
            ing.ingest(over, target, t * 1000, CONTENT_TYPE.text);
            return ing.last!.seriesAdded;
          } catch (e) {
            assert.ok(e instanceof SampleLimitError);
            return -1;
          }
        });
        assert.equal(outcome[0], outcome[1], `t=${t} ${target}`);
        if (outcome[0] === -1) {
          failed++;
          continue;
        }
        added += outcome[0]!;
        const after = keysOf(target);
        for (const k of before) if (!after.has(k)) churned++;
        assert.equal(cached.stats().series, added - churned, `t=${t} ${target}`);
        assert.equal(naive.stats().series, added - churned);
      }
      assert.deepEqual(samplesView(cached), samplesView(naive), `t=${t}`);
    }
    assert.ok(failed >= 8 && churned > 0, `${failed} failed, ${churned} churned`);
  });
});

describe('loadIngester', () => {
  it('loads the built-ins', async () => {
    assert.ok((await loadIngester('cached')) instanceof CachedIngester);
    assert.ok((await loadIngester('naive')) instanceof NaiveIngester);
  });

  it('loads a user module whose default export is a factory', async () => {
    const ing = await loadIngester(`module:${fixture('alloc-ingester.js')}`, { headWindow: 8 });
    const body = smoke.renderToBuffer(0, 0, 'text');
    assert.equal(ing.ingest(body, 't', 0, CONTENT_TYPE.text), smoke.seriesPerExporter);
    assert.equal(ing.stats?.().series, smoke.seriesPerExporter);
  });

  it('says clearly when the module is missing, exports no factory, or the name is unknown', async () => {
    await assert.rejects(loadIngester(`module:${fixture('does-not-exist.js')}`), (e: unknown) => {
      return e instanceof PromsoakError && e.code === 'PROMSOAK_INGESTER' && /not found/.test(e.message);
    });
    await assert.rejects(loadIngester(`module:${fixture('no-factory-ingester.js')}`), (e: unknown) => {
      return e instanceof PromsoakError && e.code === 'PROMSOAK_INGESTER' && /exports no factory/.test(e.message);
    });
    await assert.rejects(loadIngester('fastest'), (e: unknown) => e instanceof PromsoakError && e.code === 'PROMSOAK_USAGE');
  });
});
