/**
 * The label-set memory experiment of the second article ("memory of Go client metric vectors
 * by label sets"), for Node.js: what one more label set costs in retained heap, by metric
 * type, for prom-client's vectors and for the engine's head.
 *
 * A case is one fresh child process (case-main.ts) that builds one vector and measures it.
 */
import { PromsoakError } from '../common/errors.js';

import { DEFAULTS as COMMON } from '../common/defaults.js';
import { positiveInt, positiveInts } from '../common/options.js';
import { METRIC_TYPES, SUBJECTS, type CaseMeasurement, type CaseSpec, type MetricType, type Subject } from '../protocol/cardinality-case.js';

export interface CaseResult extends CaseSpec, CaseMeasurement {
  bytesPerLabelSet: number;
  bytesPerSeries: number;
  /** Wall time of the whole child process, ms. */
  wallMs: number;
  /** Top constructors by self size in the heap snapshot, if one was written. */
  snapshotTop?: { name: string; selfSize: number; count: number }[];
}

export interface CardinalityOptions {
  subject: Subject;
  types: MetricType[];
  /** The size ladder (the article's first table): label sets at the smallest observation count. */
  labelSets: number[];
  /** Observation counts; with more than one, the observation grid (the article's histogram table) runs. */
  observations: number[];
  /** Rows of the observation grid. Smaller than the ladder by default: cost grows as sets × observations. */
  gridLabelSets: number[];
  repeat: number;
  /** Children run at once. 1 (default) keeps timings clean; memory is per process either way. */
  jobs: number;
  headWindow: number;
  heapSnapshot: boolean;
  /** Folder for cardinality.json, cardinality.html and snapshots (absent: nothing written). */
  out?: string;
}

/**
 * The full default grid (240 children, about 4 minutes on 2 busy cores):
 * - ladder: 4 types × 25k/50k/75k/100k label sets × 1 observation × 3 repeats;
 * - grid: 4 types × 1k/2k/3k/4k label sets × 250/500/1000 observations × 3 repeats (plus
 *   the 1-observation column at those sizes).
 * The article's grid is 25k–100k label sets × 250–1000 observations: at prom-client's
 * 0.3–1 µs per observation that is 440M observations per type and repeat, and a summary's
 * digests hold ~60 kB per label set after 1000 observations (6 GB at 100k). Bytes per label
 * set do not depend on the count (the ladder shows it), so the grid's rows are small; pass
 * --grid-label-sets 25000,50000,75000,100000 for the article's own rows.
 */
export const DEFAULTS: CardinalityOptions = {
  subject: 'prom-client',
  types: [...METRIC_TYPES],
  labelSets: [25_000, 50_000, 75_000, 100_000],
  observations: [1, 250, 500, 1000],
  gridLabelSets: [1_000, 2_000, 3_000, 4_000],
  repeat: 3,
  jobs: 1,
  headWindow: COMMON.headWindow,
  heapSnapshot: false,
};

/** `--quick`: the same shapes, small enough for a test or a smoke run (a few seconds). */
export const QUICK: Partial<CardinalityOptions> = {
  labelSets: [1_000, 2_000, 4_000],
  observations: [1, 100],
  gridLabelSets: [1_000, 2_000],
  repeat: 1,
};

const usage = (msg: string): PromsoakError => new PromsoakError('PROMSOAK_USAGE', msg);

/** Validates what the user gave (before defaults), then fills in quick and default values. */
export function resolveOptions(o: Partial<CardinalityOptions> & { quick?: boolean }): CardinalityOptions {
  if (o.subject !== undefined && !SUBJECTS.includes(o.subject)) throw usage(`--subject must be one of ${SUBJECTS.join(', ')} (got ${o.subject})`);
  if (o.types !== undefined) {
    if (o.types.length === 0) throw usage(`--types must name at least one of ${METRIC_TYPES.join(', ')}`);
    for (const t of o.types) if (!METRIC_TYPES.includes(t)) throw usage(`--types must hold ${METRIC_TYPES.join(', ')} (got ${t})`);
  }
  positiveInts('--label-sets', o.labelSets, 10_000_000);
  positiveInts('--observations', o.observations, 1_000_000);
  if (o.gridLabelSets !== undefined && o.gridLabelSets.length > 0) positiveInts('--grid-label-sets', o.gridLabelSets, 10_000_000);
  positiveInt('--repeat', o.repeat, 100);
  positiveInt('--jobs', o.jobs, 64);
  positiveInt('--head-window', o.headWindow, COMMON.maxHeadWindow);
  const base = o.quick ? { ...DEFAULTS, ...QUICK } : DEFAULTS;
  const pick = <K extends keyof CardinalityOptions>(k: K): CardinalityOptions[K] => (o[k] !== undefined ? o[k] : base[k]) as CardinalityOptions[K];
  const sortUniq = (a: number[]): number[] => [...new Set(a)].sort((x, y) => x - y);
  return {
    subject: pick('subject'),
    types: [...new Set(pick('types'))],
    labelSets: sortUniq(pick('labelSets')),
    observations: sortUniq(pick('observations')),
    gridLabelSets: sortUniq(pick('gridLabelSets')),
    repeat: pick('repeat'),
    jobs: pick('jobs'),
    headWindow: pick('headWindow'),
    heapSnapshot: pick('heapSnapshot'),
    out: o.out,
  };
}

/** The observation count of the size ladder: the smallest one asked for. */
export const ladderObservations = (o: CardinalityOptions): number => o.observations[0]!;

/**
 * Every case to run, without duplicates: the ladder (types × labelSets at the smallest
 * observation count), then the observation grid (types × gridLabelSets × observations) when
 * more than one observation count is asked for; each × repeat. Ordered by repeat first, so an
 * interrupted run still has every shape once.
 */
export function planCases(o: CardinalityOptions, snapshotPath?: (c: CaseSpec) => string): CaseSpec[] {
  const shapes: [MetricType, number, number][] = [];
  const seen = new Set<string>();
  const add = (t: MetricType, n: number, obs: number): void => {
    const k = `${t}/${n}/${obs}`;
    if (seen.has(k)) return;
    seen.add(k);
    shapes.push([t, n, obs]);
  };
  const obs0 = ladderObservations(o);
  for (const t of o.types) for (const n of o.labelSets) add(t, n, obs0);
  if (o.observations.length > 1) {
    for (const t of o.types) for (const n of o.gridLabelSets) for (const obs of o.observations) add(t, n, obs);
  }
  const cases: CaseSpec[] = [];
  for (let r = 0; r < o.repeat; r++) {
    for (const [type, labelSets, observations] of shapes) {
      const c: CaseSpec = { subject: o.subject, type, labelSets, observations, repeat: r, headWindow: o.headWindow };
      // One snapshot per shape (the first repeat): they are large and the repeats look alike.
      if (o.heapSnapshot && r === 0 && snapshotPath) c.heapSnapshot = snapshotPath(c);
      cases.push(c);
    }
  }
  return cases;
}
