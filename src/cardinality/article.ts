import { linearFit, type LinearFit } from '../analysis/fit.js';

/**
 * The Go client's numbers from the second article ("memory of Go client metric vectors by
 * label sets", prometheus/client_golang, Go heap profile `inuse_space`, mean of 3 runs):
 * a vector with labels foo, bar, baz, baz taking a new value per label set.
 *
 * Units as pprof prints them: kB = 1024 B, MB = 1024² B. The Go numbers are a sampled heap
 * profile of the whole program (runtime included), so their intercept is not comparable,
 * their slope is.
 */
const kB = 1024;
const MB = 1024 * 1024;

export const ARTICLE_NOTE = 'Go client_golang, from the second article (pprof inuse_space, mean of 3 runs; kB = 1024 B)';

export const ARTICLE_LABEL_SETS = [25_000, 50_000, 75_000, 100_000] as const;

/** Bytes by label sets (ARTICLE_LABEL_SETS), one observation per set. */
export const ARTICLE_SIZES: Record<'counter' | 'gauge', number[]> = {
  counter: [21267.43 * kB, 32551.41 * kB, 47126.58 * kB, 55.52 * MB],
  gauge: [18706.79 * kB, 34598.02 * kB, 44053.69 * kB, 56.52 * MB],
};

export const ARTICLE_HISTOGRAM_OBSERVATIONS = [250, 500, 750, 1000] as const;

/** Histogram bytes: rows ARTICLE_LABEL_SETS, columns ARTICLE_HISTOGRAM_OBSERVATIONS. */
export const ARTICLE_HISTOGRAM: number[][] = [
  [28677.73 * kB, 29971.42 * kB, 28948.4 * kB, 29973.05 * kB],
  [57.29 * MB, 59.79 * MB, 62.29 * MB, 60.29 * MB],
  [76.53 * MB, 80.53 * MB, 77.53 * MB, 82.53 * MB],
  [97.03 * MB, 95.03 * MB, 99.03 * MB, 99.03 * MB],
];

/** The article's Go numbers as printed, for tables (its own units). */
export const ARTICLE_PRINTED = {
  counter: ['21267.43kB', '32551.41kB', '47126.58kB', '55.52MB'],
  gauge: ['18706.79kB', '34598.02kB', '44053.69kB', '56.52MB'],
  histogram: [
    ['28677.73kB', '29971.42kB', '28948.40kB', '29973.05kB'],
    ['57.29MB', '59.79MB', '62.29MB', '60.29MB'],
    ['76.53MB', '80.53MB', '77.53MB', '82.53MB'],
    ['97.03MB', '95.03MB', '99.03MB', '99.03MB'],
  ],
};

export interface ArticleFit extends LinearFit {
  type: 'counter' | 'gauge' | 'histogram';
}

/** Least-squares fits of the Go numbers (histogram: every cell of its grid), bytes vs label sets. */
export function articleFits(): ArticleFit[] {
  const xs = [...ARTICLE_LABEL_SETS];
  const out: ArticleFit[] = [];
  for (const type of ['counter', 'gauge'] as const) out.push({ type, ...linearFit(xs, ARTICLE_SIZES[type]) });
  const hx: number[] = [];
  const hy: number[] = [];
  ARTICLE_HISTOGRAM.forEach((row, r) => row.forEach((v) => (hx.push(xs[r]!), hy.push(v))));
  out.push({ type: 'histogram', ...linearFit(hx, hy) });
  return out;
}
