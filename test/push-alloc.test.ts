import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadProfile } from '../src/profile/load.js';
import { buildModel } from '../src/fleet/render/model.js';
import { buildPushLayout } from '../src/push/series-layout.js';
import { RemoteWriteV1Encoder } from '../src/push/encode-v1.js';
import { RemoteWriteV2Encoder } from '../src/push/encode-v2.js';
import { maxCompressedLength, SnappyCompressor } from '../src/push/snappy.js';
import { countGcs, exposeGc, measureAllocation } from '../scripts/lib/alloc-meter.js';

/**
 * Allocation, not timing: heap bytes and scavenges while 2000-sample remote-write requests of
 * the default profile are encoded and compressed into reused buffers, exporter after exporter.
 */
const profile = loadProfile('default');
const model = buildModel(profile);
const layout = buildPushLayout(model);
const BATCH = 2000;
const REQUESTS = 300;

interface Encoder {
  readonly buf: Uint8Array;
  readonly length: number;
  beginExporter(id: number, t: number, epochMs: number): void;
  appendLine(i: number): void;
  reset(): void;
}

function pusher(enc: Encoder): () => void {
  const snappy = new SnappyCompressor();
  const out = new Uint8Array(maxCompressedLength(enc.buf.length));
  let id = 0;
  let line = 0;
  let t = 100;
  return () => {
    enc.reset();
    enc.beginExporter(id, t, 1_767_225_600_000);
    for (let k = 0; k < BATCH; k++) {
      if (line === 0 && k > 0) enc.beginExporter(id, t, 1_767_225_600_000);
      enc.appendLine(line);
      if (++line === model.lines) {
        line = 0;
        if (++id === profile.exporters) {
          id = 0;
          t += 5;
        }
      }
    }
    snappy.compress(enc.buf, enc.length, out);
  };
}

describe('push: allocation per sample in steady state', () => {
  for (const [name, enc] of [
    ['1.0', new RemoteWriteV1Encoder(layout, model, BATCH)],
    ['2.0', new RemoteWriteV2Encoder(layout, model, BATCH)],
  ] as [string, Encoder][]) {
    it(`remote write ${name}: encode + snappy allocate under 0.5 B/sample, and no scavenge over ${REQUESTS} requests`, async () => {
      const push = pusher(enc);
      for (let i = 0; i < 300; i++) push(); // warm-up: JIT-compiled
      // Steady state is the lowest of three windows: on a busy machine TurboFan may finish (or
      // redo) its work inside one, and code not yet optimized allocates (~800 B a request seen).
      const bytesPerCall = Math.min(...[0, 1, 2].map(() => measureAllocation(push, REQUESTS).bytesPerCall));
      const perSample = bytesPerCall / BATCH;
      // Under 0.5 B/sample: a boxed number per exporter (200 samples) is 0.06 B/sample, and with V8's
      // inlining off (a budget that CI's timing can exhaust) 2 to 4 per exporter were measured, 0.13 and
      // 0.24 B/sample; one per sample would be 12.
      assert.ok(perSample < 0.5, `${name} allocated ${perSample.toFixed(2)} B/sample (${bytesPerCall.toFixed(0)} B per request, the lowest of three windows)`);
      exposeGc()();
      const gcs = await countGcs(() => {
        for (let i = 0; i < REQUESTS; i++) push();
      });
      // 600k samples: at even 16 B/sample that would be 9.6 MB of young-generation garbage.
      assert.ok(gcs.minor <= 1, `${gcs.minor} scavenges over ${REQUESTS * BATCH} samples`);
    });
  }
});
