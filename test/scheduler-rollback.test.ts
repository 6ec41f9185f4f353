import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Scheduler } from '../src/engine/scheduler.js';
import { SelfMetrics } from '../src/engine/self-metrics.js';
import type { ScrapeCallback, ScrapeClient } from '../src/engine/client.js';
import type { ScrapeTarget } from '../src/engine/targets.js';
import { CachedIngester } from '../src/engine/ingest/cached.js';
import { NaiveIngester } from '../src/engine/ingest/naive.js';
import { CONTENT_TYPE } from '../src/fleet/render/layout.js';

/**
 * The engine's counters against its head when scrapes fail half-way (issue: a sample-limit
 * failure left its series in the head while series_added_total never counted them): the
 * scheduler and its self-metrics with a fake client that answers each scrape with the next body.
 */
const series = (name: string, n: number, v: number): string[] => Array.from({ length: n }, (_, i) => `${name}{i="${i}"} ${v}`);
const body = (...lines: string[][]): Uint8Array => Buffer.from(lines.flat().join('\n') + '\n');
const BODIES = [
  body(series('a', 5, 1)), // ok: 5 added
  body(series('a', 5, 2), series('b', 6, 2)), // 11 samples, over the limit of 8: fails
  body(series('a', 5, 3), series('b', 3, 3)), // ok: 3 added (b 0-2 again)
  body(series('a', 5, 4), series('c', 2, 4), ['broken{ 4'], series('d', 1, 4)), // parse error on line 8: fails
  body(series('a', 4, 5), series('b', 3, 5), series('d', 1, 5)), // ok: 1 added, a{i="4"} churned
];

function metricValue(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(name + ' '));
  assert.ok(line, `${name} in /metrics`);
  return Number(line.split(' ')[1]);
}

describe('scheduler counters after failed scrapes', () => {
  for (const make of [() => new CachedIngester({ headWindow: 8, sampleLimit: 8 }), () => new NaiveIngester({ headWindow: 8, sampleLimit: 8 })]) {
    const ingester = make();
    it(`${ingester.constructor.name}: series_added_total and the head's series agree (failed scrapes add nothing)`, async () => {
      const target: ScrapeTarget = { id: 'http://127.0.0.1:1/metrics', origin: 'http://127.0.0.1:1', path: '/metrics', labels: {} };
      let next = 0;
      let finished: () => void = () => undefined;
      const done = new Promise<void>((resolve) => (finished = resolve));
      const client = {
        scrape(_t: ScrapeTarget, _timeoutMs: number, cb: ScrapeCallback, tag: number): void {
          const b = BODIES[next++];
          if (b === undefined) {
            finished();
            cb(new Error('no more bodies'), null, '', tag);
            return;
          }
          setImmediate(() => cb(null, b, CONTENT_TYPE.text, tag));
        },
      } as unknown as ScrapeClient;
      let scheduler: Scheduler | undefined;
      const metrics = new SelfMetrics({ headSeries: () => ingester.stats().series, headBytes: () => 0, targets: () => scheduler?.statuses() ?? [] });
      scheduler = new Scheduler([target], client, ingester, { intervalMs: 5, timeoutMs: 5 }, metrics);
      scheduler.start();
      await done;
      await scheduler.stop();
      const c = scheduler.counters;
      // The fake client's "no more bodies" is a failed scrape too.
      assert.deepEqual([c.scrapesOk, c.scrapesFailed], [3, 3]);
      assert.equal(c.seriesAdded, 5 + 3 + 1);
      assert.equal(ingester.stats().series, 5 + 3 + 1 - 1, 'added minus the one churned');
      const text = await metrics.registry.metrics();
      assert.equal(metricValue(text, 'promsoak_engine_series_added_total'), 9);
      assert.equal(metricValue(text, 'promsoak_engine_head_series'), 8);
      assert.equal(metricValue(text, 'promsoak_engine_samples_ingested_total'), 5 + 8 + 8);
    });
  }
});
