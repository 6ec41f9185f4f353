import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadProfile, parseProfile } from '../src/profile/load.js';
import { ExporterSet } from '../src/fleet/render/exporter-set.js';
import { writeMillis, writeUint, writeFloat } from '../src/fleet/render/number-writer.js';
import { negotiate } from '../src/fleet/negotiate.js';
import { samplesOf as samples } from './helpers/exposition.js';

const smoke = new ExporterSet(loadProfile('smoke'));
const dflt = new ExporterSet(loadProfile('default'));

test('number writers match JavaScript formatting', () => {
  const buf = Buffer.alloc(64);
  const vals = [0, 1, 9, 10, 99, 100, 12345, 2147483647, 2147483648, 9007199254740991, 1e15 + 7];
  for (let i = 0; i < 2000; i++) vals.push(Math.floor(Math.random() * 2 ** (i % 53)));
  for (const v of vals) assert.equal(buf.toString('latin1', 0, writeUint(buf, 0, v)), String(v));
  for (const [m, s] of [[0, '0.000'], [5, '0.005'], [1234, '1.234'], [100000, '100.000'], [99999, '99.999']] as const) {
    assert.equal(buf.toString('latin1', 0, writeMillis(buf, 0, m)), s);
  }
  for (const v of [0.25, -3, NaN, Infinity, -Infinity, 1.5e300]) {
    assert.equal(Number(buf.toString('latin1', 0, writeFloat(buf, 0, v)).replace('+Inf', 'Infinity').replace('-Inf', '-Infinity')), v);
  }
});

test('rendering is a pure function of (seed, exporter, series, time)', () => {
  assert.deepEqual(dflt.renderToBuffer(7, 42.3, 'text'), dflt.renderToBuffer(7, 42.3, 'text'));
  assert.notDeepEqual(dflt.renderToBuffer(7, 42.3, 'text'), dflt.renderToBuffer(8, 42.3, 'text'));
  // Values change every valuesEverySeconds (1 s): within a second the body is the same.
  assert.deepEqual(dflt.renderToBuffer(7, 42.1, 'text'), dflt.renderToBuffer(7, 42.9, 'text'));
  const otherSeed = new ExporterSet({ ...loadProfile('default'), seed: 99 });
  assert.notDeepEqual(dflt.renderToBuffer(7, 42.3, 'text'), otherSeed.renderToBuffer(7, 42.3, 'text'));
});

test('each format exposes exactly the declared series', () => {
  for (const set of [smoke, dflt]) {
    assert.equal(samples(set.renderToBuffer(0, 10, 'text').toString()).size, set.seriesPerExporter);
    const om = set.renderToBuffer(0, 10, 'openmetrics').toString();
    assert.ok(om.endsWith('\n# EOF\n'));
    assert.equal(samples(om).size, set.seriesPerExporter);
  }
  assert.equal(dflt.seriesPerExporter, 200);
});

test('counters never decrease and histograms stay consistent over time', () => {
  const set = new ExporterSet({ ...loadProfile('default') });
  let prev = samples(set.renderToBuffer(3, 0, 'text').toString());
  for (let t = 1; t < 400; t += 7.3) {
    const cur = samples(set.renderToBuffer(3, t, 'text').toString());
    for (const [k, v] of cur) {
      if (/_total\{|_bucket\{|_count|_sum/.test(k)) assert.ok(v >= prev.get(k)!, `${k} went ${prev.get(k)} -> ${v} at t=${t}`);
    }
    // Cumulative buckets: non-decreasing in le, +Inf equals _count.
    const byLabels = new Map<string, number[]>();
    for (const [k, v] of cur) {
      const m = /^http_request_duration_seconds_bucket\{(.*),le="([^"]+)"\}$/.exec(k);
      if (m) byLabels.set(m[1]!, [...(byLabels.get(m[1]!) ?? []), v]);
    }
    assert.equal(byLabels.size, 6);
    for (const [labels, counts] of byLabels) {
      for (let i = 1; i < counts.length; i++) assert.ok(counts[i]! >= counts[i - 1]!, `${labels} buckets not cumulative`);
      assert.equal(counts.at(-1), cur.get(`http_request_duration_seconds_count{${labels}}`));
    }
    // Summary quantiles are ordered.
    for (let s = 0; s < 4; s++) {
      const q = [0.5, 0.9, 0.99].map((x) => cur.get(`rpc_duration_seconds{service="service-${s}",quantile="${x}"}`)!);
      assert.ok(q[0]! <= q[1]! && q[1]! <= q[2]!, `quantiles ${q}`);
    }
    prev = cur;
  }
});

test('churn replaces a fraction of series with new churn_id values, counters restart', () => {
  const set = new ExporterSet({ ...loadProfile('churn') });
  const ids = (t: number): Set<string> => new Set([...set.renderToBuffer(1, t, 'text').toString().matchAll(/churn_id="(\d+)"/g)].map((m) => m[1]!));
  const a = ids(10);
  const b = ids(200);
  assert.equal(a.size, 1);
  assert.notDeepEqual([...a], [...b]);
  const churned = [...samples(set.renderToBuffer(1, 10, 'text').toString()).keys()].filter((k) => k.includes('churn_id'));
  const fraction = churned.length / set.seriesPerExporter;
  assert.ok(fraction > 0.08 && fraction < 0.4, `churned fraction ${fraction}`);
});

test('OpenMetrics: counters get _total, untyped becomes unknown, escapes follow the format', () => {
  const p = parseProfile(
    JSON.stringify({
      exporters: 1,
      families: [
        { type: 'counter', name: 'plain', help: 'a "quoted" help\\', labels: [{ name: 'v', values: ['a"b\\c\nd'] }] },
        { type: 'untyped', name: 'u' },
      ],
    }),
    '/tmp/x.json',
  );
  const set = new ExporterSet(p);
  const text = set.renderToBuffer(0, 1, 'text').toString();
  const om = set.renderToBuffer(0, 1, 'openmetrics').toString();
  assert.match(text, /^# HELP plain a "quoted" help\\\\\n# TYPE plain counter\nplain\{v="a\\"b\\\\c\\nd"\} \d+\n/);
  assert.match(om, /^# HELP plain a \\"quoted\\" help\\\\\n# TYPE plain counter\nplain_total\{v="a\\"b\\\\c\\nd"\} \d+\n/);
  assert.match(om, /# TYPE u unknown\nu [\d.]+\n# EOF\n$/);
  assert.match(text, /# TYPE u untyped\n/);
});

test('replay serves a real capture with an instance label per exporter and advancing counters', () => {
  const set = new ExporterSet(loadProfile('node-exporter-like'));
  assert.equal(set.seriesPerExporter, 507);
  const a = samples(set.renderToBuffer(4, 0, 'text').toString());
  const b = samples(set.renderToBuffer(4, 60, 'text').toString());
  assert.equal(a.size, 507);
  assert.ok([...a.keys()].every((k) => k.includes('instance="exporter-4"')));
  const cpu = [...a.keys()].find((k) => k.startsWith('node_cpu_seconds_total{'))!;
  assert.ok(b.get(cpu)! > a.get(cpu)!, 'counter advanced');
  const gauge = [...a.keys()].find((k) => k.startsWith('node_memory_MemTotal_bytes'))!;
  assert.equal(b.get(gauge), a.get(gauge), 'gauges replay as captured');
  // node_exporter's go_memstats_alloc_bytes gauge beside go_memstats_alloc_bytes_total:
  // OpenMetrics cannot have both families, so the counter is served as unknown.
  const om = set.renderToBuffer(4, 0, 'openmetrics').toString();
  assert.match(om, /# TYPE go_memstats_alloc_bytes_total unknown\n/);
  assert.equal(samples(om).size, 507);
});

test('Accept negotiation picks OpenMetrics the way client libraries do', () => {
  const prom242 = 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
  assert.equal(negotiate(prom242), 'openmetrics');
  assert.equal(negotiate('text/plain;version=0.0.4;q=1,application/openmetrics-text;q=0.5'), 'text');
  assert.equal(negotiate(undefined), 'text');
  assert.equal(negotiate('application/json'), 'text');
  assert.equal(negotiate('*/*'), 'text');
});
