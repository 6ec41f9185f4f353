import { PromsoakError } from '../../common/errors.js';
import type { Ingester } from '../../engine/ingest/ingester.js';
import { seriesPerLabelSet, type Built } from './prom-client-subject.js';
import type { MetricType } from '../../protocol/cardinality-case.js';

export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
const BUCKETS = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'];
const QUANTILES = ['0.01', '0.05', '0.5', '0.9', '0.95', '0.99', '0.999'];

/**
 * The exposition body prom-client would serve for the same vector (text format 0.0.4, its
 * default buckets and percentiles), {foo="foo",bar="bar",baz="baz-<i>"} for i < labelSets.
 * Rendered directly: prom-client's own metrics() would hold every line as a string at once.
 */
export function renderBody(type: MetricType, labelSets: number): Buffer {
  const chunks: Buffer[] = [Buffer.from(`# HELP test test\n# TYPE test ${type}\n`)];
  let lines: string[] = [];
  for (let i = 0; i < labelSets; i++) {
    const l = `foo="foo",bar="bar",baz="baz-${i}"`;
    const v = (i % 1000) / 8;
    switch (type) {
      case 'counter':
      case 'gauge':
        lines.push(`test{${l}} ${v}`);
        break;
      case 'histogram':
        for (let b = 0; b < BUCKETS.length; b++) lines.push(`test_bucket{${l},le="${BUCKETS[b]}"} ${b}`);
        lines.push(`test_sum{${l}} ${v}`, `test_count{${l}} ${BUCKETS.length - 1}`);
        break;
      case 'summary':
        for (const q of QUANTILES) lines.push(`test{${l},quantile="${q}"} ${v}`);
        lines.push(`test_sum{${l}} ${v}`, `test_count{${l}} 7`);
        break;
    }
    if (lines.length >= 4096) {
      chunks.push(Buffer.from(lines.join('\n') + '\n'));
      lines = [];
    }
  }
  if (lines.length > 0) chunks.push(Buffer.from(lines.join('\n') + '\n'));
  return Buffer.concat(chunks);
}

export interface EngineSubject {
  /** A fresh ingester (the engine's default, `cached`). */
  create(headWindow: number): Ingester;
}

/** Loads the engine lazily, so prom-client cases never depend on it. */
export async function loadEngine(): Promise<EngineSubject> {
  try {
    const mod = await import('../../engine/ingest/cached.js');
    return { create: (headWindow) => new mod.CachedIngester({ headWindow, sampleLimit: 0 }) };
  } catch (e) {
    throw new PromsoakError('PROMSOAK_CHILD_FAILED', `subject engine needs the engine (src/engine): ${(e as Error).message}`);
  }
}

/**
 * Ingests `body` `scrapes` times (15 s apart) from one target into a fresh ingester. The
 * first scrape creates every series; later ones hit the scrape cache and only append, so
 * retained memory must not grow with them (the head's window is preallocated).
 */
export function buildEngine(engine: EngineSubject, type: MetricType, body: Buffer, labelSets: number, scrapes: number, headWindow: number): Built {
  const ing = engine.create(headWindow);
  const t0 = 1_700_000_000_000;
  const perSet = seriesPerLabelSet(type);
  for (let s = 0; s < scrapes; s++) {
    const n = ing.ingest(body, 'cardinality', t0 + s * 15_000, TEXT_CONTENT_TYPE);
    if (n !== labelSets * perSet) throw new Error(`engine ingested ${n} samples, expected ${labelSets * perSet}`);
  }
  return {
    seriesPerLabelSet: perSet,
    labelSets: () => (ing.stats?.().series ?? 0) / perSet,
    estimateBytes: () => ing.stats?.().bytes ?? 0,
  };
}
