import type { Summary } from '../analysis/summary.js';
import { METRICS, type MetricKey } from '../compare/aggregate.js';

/**
 * The headline figures of summary.json, as `promsoak compare`'s table has them (compare/aggregate.ts
 * METRICS), and which way each reads better: every one is a cost (lower is better) but the
 * ingestion rate.
 */
const HIGHER_IS_BETTER: ReadonlySet<string> = new Set<MetricKey>(['samplesMean']);

export interface Figure {
  key: string;
  title: string;
  digits: number;
  lowerIsBetter: boolean;
  get: (s: Summary) => number;
}

export const HEADLINE: readonly Figure[] = METRICS.map((m) => ({
  key: m.key,
  title: m.title,
  digits: m.digits,
  lowerIsBetter: !HIGHER_IS_BETTER.has(m.key),
  get: (s: Summary) => {
    // An older summary may lack a figure's object: n/a, not a crash.
    try {
      const v = m.get(s);
      return typeof v === 'number' && Number.isFinite(v) ? v : NaN;
    } catch {
      return NaN;
    }
  },
}));
