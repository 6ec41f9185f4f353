import client from 'prom-client';
import { loadProfile, type ResolvedProfile } from '../src/profile/load.js';
import { ExporterSet } from '../src/fleet/render/exporter-set.js';
import { labelCombinations, DEFAULT_BUCKETS, DEFAULT_QUANTILES } from '../src/fleet/render/model.js';
import type { Format } from '../src/fleet/render/layout.js';
import { measureAsync, measureSync } from './lib/measure.js';
import type { Row } from './lib/rows.js';

/**
 * Rendering one exporter's scrape: promsoak's renderer (the worker's path: a recycled body
 * buffer) against prom-client 15's registry.metrics() for the same families and label sets.
 */
export async function runRenderBench(profileName = 'default', seconds = 2): Promise<Row[]> {
  const profile = loadProfile(profileName);
  const set = new ExporterSet(profile);
  const n = set.seriesPerExporter;
  const rows: Row[] = [];
  const results: Record<string, number> = {};
  for (const format of ['text', 'openmetrics'] as Format[]) {
    let recycled = set.renderTransferable(0, 0, format).buffer as ArrayBuffer;
    let i = 0;
    let bytes = 0;
    const m = measureSync(() => {
      for (let k = 0; k < 50; k++, i++) {
        const body = set.renderTransferable(i % profile.exporters, 100 + i * 0.001, format, recycled);
        bytes += body.length;
        recycled = body.buffer as ArrayBuffer;
      }
      return 50 * n;
    }, seconds);
    const bodyBytes = bytes / i;
    results[format] = m.nsPerOp;
    rows.push({
      bench: 'render',
      subject: `promsoak ${format === 'text' ? 'text 0.0.4' : 'OpenMetrics'}`,
      input: `${profileName} profile (${n} series, ${(bodyBytes / 1024).toFixed(1)} KiB)`,
      nsPerSample: m.nsPerOp,
      mbPerSecond: bodyBytes / n / m.nsPerOp * 1000,
      bytesPerSample: m.bytesPerOp,
      note: `${m.cleanBatches}/${m.batches} GC-free batches`,
    });
  }
  const reg = promClientRegistry(profile);
  const sample = await reg.metrics();
  const promSamples = sample.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
  const m = await measureAsync(async () => {
    await reg.metrics();
    return promSamples;
  }, seconds);
  rows.push({
    bench: 'render',
    subject: 'prom-client 15 registry.metrics()',
    input: `same families and label sets (${promSamples} series)`,
    nsPerSample: m.nsPerOp,
    mbPerSecond: Buffer.byteLength(sample) / promSamples / m.nsPerOp * 1000,
    bytesPerSample: m.bytesPerOp,
    note: `${m.cleanBatches}/${m.batches} GC-free batches; promsoak text is ${(m.nsPerOp / results.text!).toFixed(0)}x faster`,
  });
  return rows;
}

/** prom-client metrics with the profile's families, label sets and some observations. */
export function promClientRegistry(profile: ResolvedProfile): client.Registry {
  const reg = new client.Registry();
  for (const f of profile.families) {
    if (f.type === 'replay') continue;
    const count = f.count ?? 1;
    for (let k = 0; k < count; k++) {
      const name = count === 1 ? f.name : `${f.name}_${k}`;
      const help = f.help ?? name;
      const labelNames = (f.labels ?? []).map((l) => l.name);
      const combos = labelCombinations(f).map((c) => Object.fromEntries(c));
      switch (f.type) {
        case 'counter': {
          const c = new client.Counter({ name, help, labelNames, registers: [reg] });
          combos.forEach((l, i) => c.inc(l, 1000 + i));
          break;
        }
        case 'gauge':
        case 'untyped': {
          const g = new client.Gauge({ name, help, labelNames, registers: [reg] });
          combos.forEach((l, i) => g.set(l, i * 1.5));
          break;
        }
        case 'histogram': {
          const h = new client.Histogram({ name, help, labelNames, buckets: f.buckets ?? DEFAULT_BUCKETS, registers: [reg] });
          combos.forEach((l) => {
            for (let j = 0; j < 20; j++) h.observe(l, j * 0.05);
          });
          break;
        }
        case 'summary': {
          const s = new client.Summary({ name, help, labelNames, percentiles: f.quantiles ?? DEFAULT_QUANTILES, registers: [reg] });
          combos.forEach((l) => {
            for (let j = 0; j < 20; j++) s.observe(l, j * 0.05);
          });
          break;
        }
      }
    }
  }
  return reg;
}
