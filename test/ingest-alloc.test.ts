import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ExporterSet } from '../src/fleet/render/exporter-set.js';
import { CONTENT_TYPE } from '../src/fleet/render/layout.js';
import { loadProfile } from '../src/profile/load.js';
import { CachedIngester } from '../src/engine/ingest/cached.js';
import { NaiveIngester } from '../src/engine/ingest/naive.js';
import createAllocIngester from './fixtures/alloc-ingester.js';
import { countGcs, exposeGc, measureAllocation } from '../scripts/lib/alloc-meter.js';

/**
 * Allocation, not timing: counts heap bytes and scavenges while the same body is ingested
 * again and again (every series a scrape-cache hit). gc is exposed at run time (v8 flags), so
 * this runs under a plain `node --test` too.
 */
const set = new ExporterSet(loadProfile('default'));
const body = set.renderToBuffer(0, 0, 'text');
const perBody = set.seriesPerExporter;
const ct = CONTENT_TYPE.text;
const ITER = 2000;

describe('allocation per sample on cache hits', () => {
  it('the meter sees a known allocation (the calibration fixture)', () => {
    const ing = createAllocIngester({ headWindow: 1, sampleLimit: 0, bytesPerSample: 128 });
    const m = measureAllocation(() => ing.ingest(body, 't', 0, ct), 300);
    const perSample = m.bytesPerCall / perBody;
    assert.ok(Math.abs(perSample - ing.bytesPerSample) <= 32, `measured ${perSample.toFixed(1)} B/sample, allocated ${ing.bytesPerSample}`);
  });

  it('cached: near-zero bytes per sample and no scavenge over 2000 scrapes of a 200-series body', async () => {
    const ing = new CachedIngester({ headWindow: 120, sampleLimit: 0 });
    const ingest = (): void => void ing.ingest(body, 'exporter-0', 0, ct);
    for (let i = 0; i < 200; i++) ingest(); // warm-up: cache filled, JIT-compiled
    const m = measureAllocation(ingest, ITER);
    const perSample = m.bytesPerCall / perBody;
    // A constant few dozen bytes per scrape (not per sample) remain; 2 B/sample leaves room for them.
    assert.ok(perSample < 2, `cached allocated ${perSample.toFixed(2)} B/sample (${m.bytesPerCall.toFixed(0)} B per scrape)`);

    exposeGc()();
    const gcs = await countGcs(() => {
      for (let i = 0; i < ITER; i++) ingest();
    });
    // 400k samples: at even 16 B/sample that would be 6.4 MB of young-generation garbage.
    assert.ok(gcs.minor <= 1, `${gcs.minor} scavenges over ${ITER * perBody} samples`);
  });

  it('naive: the baseline allocates per sample, as designed', () => {
    const ing = new NaiveIngester({ headWindow: 120, sampleLimit: 0 });
    const ingest = (): void => void ing.ingest(body, 'exporter-0', 0, ct);
    for (let i = 0; i < 50; i++) ingest();
    const m = measureAllocation(ingest, 200);
    assert.ok(m.bytesPerCall / perBody > 100, `naive allocated ${(m.bytesPerCall / perBody).toFixed(0)} B/sample`);
  });
});
