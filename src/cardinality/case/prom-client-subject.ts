import client from 'prom-client';
import type { MetricType } from '../../protocol/cardinality-case.js';

/** What a subject built; the child keeps it referenced until it has measured. */
export interface Built {
  seriesPerLabelSet: number;
  /** Label sets the subject holds (a sanity check that also keeps the build alive). */
  labelSets(): number;
  /** engine only: the subject's own estimate of its bytes. */
  estimateBytes?(): number;
}

/** prom-client's default buckets (11) + +Inf, _sum, _count. */
const HISTOGRAM_SERIES = 11 + 1 + 2;
/** prom-client's default percentiles (7) + _sum, _count. */
const SUMMARY_SERIES = 7 + 2;

export const seriesPerLabelSet = (t: MetricType): number =>
  t === 'histogram' ? HISTOGRAM_SERIES : t === 'summary' ? SUMMARY_SERIES : 1;

/**
 * Values spread over the default buckets (0.005 … 10, and above): a cheap deterministic
 * generator, so every run observes the same values and no bucket stays empty.
 */
export function valueAt(i: number, j: number): number {
  const h = Math.imul(i ^ Math.imul(j, 0x9e3779b1), 0x85ebca6b) >>> 0;
  return (h % 12_000) / 1000;
}

/**
 * The article's program for prom-client: a vector with labels foo, bar, baz in a fresh
 * Registry; for each i, the child for {foo="foo", bar="bar", baz="baz-<i>"} (GetMetricWith),
 * then `observations` recordings on it. A fresh labels object per set, as user code has.
 */
export function buildPromClient(type: MetricType, labelSets: number, observations: number): Built {
  const registry = new client.Registry();
  const conf = { name: 'test', help: 'test', labelNames: ['foo', 'bar', 'baz'] as const, registers: [registry] };
  let metric: client.Metric<'foo' | 'bar' | 'baz'>;
  switch (type) {
    case 'counter': {
      const m = new client.Counter(conf);
      for (let i = 0; i < labelSets; i++) {
        const child = m.labels({ foo: 'foo', bar: 'bar', baz: `baz-${i}` });
        for (let j = 0; j < observations; j++) child.inc();
      }
      metric = m;
      break;
    }
    case 'gauge': {
      const m = new client.Gauge(conf);
      for (let i = 0; i < labelSets; i++) {
        const child = m.labels({ foo: 'foo', bar: 'bar', baz: `baz-${i}` });
        for (let j = 0; j < observations; j++) child.set(valueAt(i, j));
      }
      metric = m;
      break;
    }
    case 'histogram': {
      const m = new client.Histogram(conf);
      for (let i = 0; i < labelSets; i++) {
        const child = m.labels({ foo: 'foo', bar: 'bar', baz: `baz-${i}` });
        for (let j = 0; j < observations; j++) child.observe(valueAt(i, j));
      }
      metric = m;
      break;
    }
    case 'summary': {
      const m = new client.Summary(conf);
      for (let i = 0; i < labelSets; i++) {
        const child = m.labels({ foo: 'foo', bar: 'bar', baz: `baz-${i}` });
        for (let j = 0; j < observations; j++) child.observe(valueAt(i, j));
      }
      metric = m;
      break;
    }
  }
  return {
    seriesPerLabelSet: seriesPerLabelSet(type),
    labelSets: () => {
      // prom-client keeps one entry per label set in `hashMap` (internal, stable since v11).
      const map = (metric as unknown as { hashMap?: Record<string, unknown> }).hashMap;
      return registry.getSingleMetric('test') === metric && map ? Object.keys(map).length : -1;
    },
  };
}
