import type { Summary } from '../analysis/summary.js';
import { max, median, min } from '../analysis/stats.js';
import type { Variant } from './plan.js';

/** The columns of the side-by-side table, read from each run's summary. */
export const METRICS = [
  { key: 'samplesMean', title: 'samples/s', get: (s: Summary) => s.samplesPerSecond.mean, digits: 0 },
  { key: 'samplesCv', title: 'CV', get: (s: Summary) => s.samplesPerSecond.cv, digits: 3 },
  { key: 'cpuAvg', title: 'CPU avg', get: (s: Summary) => s.cpu.avgCores, digits: 2 },
  { key: 'cpuPeak', title: 'CPU p99', get: (s: Summary) => s.cpu.peakCores, digits: 2 },
  { key: 'usPerSample', title: 'µs/sample', get: (s: Summary) => s.cpu.usPerSample ?? NaN, digits: 2 },
  { key: 'gcShare', title: 'GC % CPU', get: (s: Summary) => (s.gc.cpuShare ?? NaN) * 100, digits: 1 },
  { key: 'gcCount', title: 'GCs', get: (s: Summary) => s.gc.count, digits: 0 },
  { key: 'bytesPerSample', title: 'B/sample', get: (s: Summary) => s.bytesPerSample ?? NaN, digits: 0 },
  { key: 'starved', title: 'starved s', get: (s: Summary) => s.starvation.windows, digits: 0 },
  { key: 'scrapeP99', title: 'scrape p99 ms', get: (s: Summary) => s.scrapes.durationMs?.p99 ?? NaN, digits: 1 },
  { key: 'eldP99', title: 'loop delay p99 ms', get: (s: Summary) => s.eventLoopDelayMs?.p99 ?? NaN, digits: 1 },
  { key: 'peakRssMiB', title: 'peak RSS MiB', get: (s: Summary) => s.memory.peakRssBytes / 2 ** 20, digits: 0 },
] as const;

export type MetricKey = (typeof METRICS)[number]['key'];

export interface Stat {
  median: number;
  min: number;
  max: number;
}

export interface VariantResult {
  variant: Variant;
  /** Each run with its round (0-based; compare interleaves A B, B A …, so round r's runs pair). */
  runs: { dir: string; summary: Summary; repeat: number }[];
  stats: Record<MetricKey, Stat>;
  fleetShared: boolean;
  fleetSaturatedRuns: number;
}

export function aggregate(variant: Variant, runs: { dir: string; summary: Summary; repeat: number }[]): VariantResult {
  const stats = {} as Record<MetricKey, Stat>;
  for (const m of METRICS) {
    const vals = runs.map((r) => m.get(r.summary)).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    stats[m.key] = { median: median(vals), min: min(vals), max: max(vals) };
  }
  return {
    variant,
    runs,
    stats,
    fleetShared: runs.some((r) => r.summary.fleet.sharedWithEngine),
    fleetSaturatedRuns: runs.filter((r) => r.summary.fleet.saturated).length,
  };
}

export function formatStat(s: Stat, digits: number): string {
  if (!Number.isFinite(s.median)) return 'n/a';
  const f = (v: number): string => v.toFixed(digits);
  return s.min === s.max ? f(s.median) : `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}
