import type { Summary } from '../analysis/summary.js';
import type { NumericSummaryKey } from './summary-paths.js';
import { readSummaryKey } from './summary-paths.js';

/**
 * The headline figures every variant's difference from the baseline is given for. `absolute`:
 * a count whose baseline is often 0 (starved seconds), where a % is undefined: its difference is
 * in its own unit. Any other figure falls back to that when a baseline run reads 0.
 */
export interface Figure {
  id: string;
  title: string;
  key: NumericSummaryKey;
  lowerIsBetter: boolean;
  /** The unit of an absolute difference. */
  unit: string;
  /** Shown in the unit's terms (GC share in % of CPU, RSS in MiB). */
  scale: number;
  digits: number;
  absolute?: boolean;
}

export const FIGURES: readonly Figure[] = [
  { id: 'usPerSample', title: 'µs/sample', key: 'cpu.usPerSample', lowerIsBetter: true, unit: 'µs', scale: 1, digits: 2 },
  { id: 'cpuAvg', title: 'CPU avg', key: 'cpu.avgCores', lowerIsBetter: true, unit: 'cores', scale: 1, digits: 2 },
  { id: 'cpuPeak', title: 'CPU p99', key: 'cpu.peakCores', lowerIsBetter: true, unit: 'cores', scale: 1, digits: 2 },
  { id: 'bytesPerSample', title: 'B/sample', key: 'bytesPerSample', lowerIsBetter: true, unit: 'B', scale: 1, digits: 0 },
  { id: 'gcShare', title: 'GC share of CPU', key: 'gc.cpuShare', lowerIsBetter: true, unit: 'points', scale: 100, digits: 1 },
  { id: 'peakRss', title: 'peak RSS', key: 'memory.peakRssBytes', lowerIsBetter: true, unit: 'MiB', scale: 2 ** -20, digits: 0 },
  { id: 'samplesCv', title: 'ingestion CV', key: 'samplesPerSecond.cv', lowerIsBetter: true, unit: '', scale: 1, digits: 3 },
  { id: 'starved', title: 'starved seconds', key: 'starvation.windows', lowerIsBetter: true, unit: 's', scale: 1, digits: 1, absolute: true },
  { id: 'scrapeP99', title: 'scrape p99', key: 'scrapes.durationMs.p99', lowerIsBetter: true, unit: 'ms', scale: 1, digits: 1 },
  { id: 'samplesMean', title: 'samples/s', key: 'samplesPerSecond.mean', lowerIsBetter: false, unit: 'samples/s', scale: 1, digits: 0 },
];

/** A figure of one run in its unit's terms; NaN where not measured. */
export function figureOf(f: Figure, s: Summary | undefined): number {
  return s === undefined ? NaN : readSummaryKey(s, f.key) * f.scale;
}
