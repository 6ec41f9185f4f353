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
