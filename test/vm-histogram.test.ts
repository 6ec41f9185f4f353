import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as hdr from 'hdr-histogram-js';
import { vmDurationsBetween, vmrangeUpper } from '../src/run/vm-histogram.js';
import { MetricsSnapshot } from '../src/telemetry/target-metrics.js';

/** VictoriaMetrics 1.79's own lines (its /metrics scraping itself), counts made up. */
function body(counts: Record<string, number>): Buffer {
  const lines = Object.entries(counts).map(([r, c]) => `vm_promscrape_scrape_duration_seconds_bucket{vmrange="${r}"} ${c}`);
  return Buffer.from(`${lines.join('\n')}\nvm_promscrape_scrape_duration_seconds_sum 0.015\nvm_promscrape_scrape_duration_seconds_count 4\n`);
}
const buckets = (counts: Record<string, number>): Map<string, number> => MetricsSnapshot.parse(body(counts)).byLabel('vm_promscrape_scrape_duration_seconds_bucket', 'vmrange');

describe('VictoriaMetrics scrape-duration histograms (vmrange buckets) as a second of scrape durations', () => {
  it('reads the upper bound of a range, and refuses what is not one', () => {
    assert.equal(vmrangeUpper('8.799e-04...1.000e-03'), 0.001);
    for (const bad of ['', '1...', '...1', '2...1', '-1...1', 'x...1', '1e400...1e401', '1..2', `${'1'.repeat(40)}...2`]) assert.equal(vmrangeUpper(bad), null, bad);
  });

  it('counts the observations between two readings at their buckets\' upper bounds: p99 never low, at most a bucket high', () => {
    const a = buckets({ '8.799e-04...1.000e-03': 1, '3.594e-03...4.084e-03': 2 });
    // 98 more scrapes near 1 ms, 2 more at 0.5 s.
    const b = buckets({ '8.799e-04...1.000e-03': 99, '3.594e-03...4.084e-03': 2, '4.642e-01...5.275e-01': 2 });
    const d = vmDurationsBetween(a, b)!;
    assert.equal(d.scrapeMs!.count, 100);
    assert.ok(Math.abs(d.scrapeMs!.p50 - 1) < 0.01, `p50 ${d.scrapeMs!.p50} ms`);
    assert.ok(d.scrapeMs!.p99 >= 464.2 && d.scrapeMs!.p99 <= 528, `p99 ${d.scrapeMs!.p99} ms`);
    // The encoded histogram merges as the built-in engine's frames do.
    const h = hdr.decodeFromCompressedBase64(d.scrapeHistogram);
    assert.equal(h.totalCount, 100);
    h.destroy();
  });

  it('a second without scrapes measures none; a reset, a bad range or an absurd count gives no figure', () => {
    const a = buckets({ '8.799e-04...1.000e-03': 5 });
    assert.deepEqual(vmDurationsBetween(a, a), { scrapeMs: { count: 0, p50: 0, p99: 0, max: 0 }, scrapeHistogram: '' });
    assert.equal(vmDurationsBetween(a, buckets({ '8.799e-04...1.000e-03': 4 })), null, 'counter went back');
    assert.equal(vmDurationsBetween(new Map(), new Map([['1...0.5', 3]])), null, 'range upside down');
    assert.equal(vmDurationsBetween(new Map(), new Map([['1.0e-03...2.0e-03', 1e12]])), null, 'more scrapes than a second holds');
    assert.equal(vmDurationsBetween(new Map(), new Map([['1.0e-03...2.0e-03', 1.5]])), null, 'a fraction of a scrape');
    const many = new Map(Array.from({ length: 2001 }, (_, i) => [`${i + 1}e-03...${i + 2}e-03`, 1] as [string, number]));
    assert.equal(vmDurationsBetween(new Map(), many), null, 'too many buckets');
  });
});
