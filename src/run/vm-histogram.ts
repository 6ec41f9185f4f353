import * as hdr from 'hdr-histogram-js';
import { SCRAPE_HISTOGRAM } from '../common/defaults.js';
import type { Frame } from '../protocol/frame.js';
import { scrapeFigures } from './frames.js';

/**
 * VictoriaMetrics' histograms (`<name>_bucket{vmrange="7.743e-04...8.799e-04"}`: counters of
 * log-spaced buckets, each ~13 % wide), turned into a second's scrape durations as the built-in
 * engine's frames carry them: percentiles and an encoded hdr histogram (µs) that merges exactly.
 * Each observation is counted at its bucket's upper bound, so a percentile reads at most one
 * bucket (~13 %) high, never low. Its /metrics is outside input: at most MAX_BUCKETS buckets,
 * each bound finite and ordered, counts that only grow; anything else gives no figure.
 */
const MAX_BUCKETS = 2000;
/** Observations a bucket may gain in one reading's interval: more is not a scrape count. */
const MAX_DELTA = 1e9;

/** The upper bound of a `lo...hi` range, in seconds; null when it is not one. */
export function vmrangeUpper(range: string): number | null {
  const m = /^([0-9.eE+-]{1,32})\.\.\.([0-9.eE+-]{1,32})$/.exec(range);
  if (!m) return null;
  const lo = Number(m[1]);
  const hi = Number(m[2]);
  return Number.isFinite(lo) && Number.isFinite(hi) && lo >= 0 && hi > lo ? hi : null;
}

/**
 * The scrape durations observed between two readings of the bucket counters (vmrange → count),
 * as Frame's scrapeMs and scrapeHistogram; null when they cannot be one (a reset, a malformed or
 * oversized body).
 */
export function vmDurationsBetween(prev: ReadonlyMap<string, number>, cur: ReadonlyMap<string, number>): Pick<Frame, 'scrapeMs' | 'scrapeHistogram'> | null {
  if (cur.size > MAX_BUCKETS) return null;
  const h = hdr.build(SCRAPE_HISTOGRAM);
  try {
    for (const [range, count] of cur) {
      const d = count - (prev.get(range) ?? 0);
      if (!Number.isFinite(d) || d < 0 || d > MAX_DELTA || !Number.isInteger(d)) return null;
      if (d === 0) continue;
      const hi = vmrangeUpper(range);
      if (hi === null) return null;
      const us = Math.min(SCRAPE_HISTOGRAM.highestTrackableValue, Math.max(SCRAPE_HISTOGRAM.lowestDiscernibleValue, Math.round(hi * 1e6)));
      h.recordValueWithCount(us, d);
    }
    return scrapeFigures(h);
  } finally {
    h.destroy();
  }
}
