import type { Summary } from '../analysis/summary.js';
import { mean, stddev } from '../analysis/stats.js';
import { pairedDifference, repeatsToResolve, tCritical, unpairedDifference, welchSpread, wordOf, type DifferenceWord } from '../analysis/difference.js';
import { FIGURES, figureOf, type Figure } from './figures.js';

/** The size of difference the verdict says how many repeats would resolve: 5 %, or 1 of the unit for an absolute figure (1 starved second). */
export const RESOLVE_PCT = 5;
export const RESOLVE_ABSOLUTE = 1;

/**
 * One figure of a variant against the baseline: the difference in % of the baseline (or, where a
 * % is undefined, in the figure's own unit) with its 95 % interval, and what that reads as.
 * `low`/`high` are NaN when no interval can be computed (fewer than two repeats or pairs).
 */
export interface FigureDifference {
  figure: string;
  title: string;
  /** '%': relative to the baseline; otherwise the unit of an absolute difference. */
  unit: string;
  value: number;
  low: number;
  high: number;
  design: 'paired' | 'unpaired';
  /** Pairs (paired) or the smaller side's repeats (unpaired) behind it. */
  n: number;
  /** The standard deviation behind the interval, in `unit` (per pair when paired; pooled when not). */
  noise: number;
  word: DifferenceWord;
  baseMean: number;
  mean: number;
  /** Why the difference is absolute rather than %: null when it is in %. */
  absoluteWhy: string | null;
  /** Repeats (pairs) that would resolve a difference of `resolveSize` (RESOLVE_PCT %, or RESOLVE_ABSOLUTE of the unit) at the noise measured; NaN: unknown. */
  repeatsToResolve: number;
  resolveSize: number;
}

/** The difference b − a in a's unit: paired (mean of per-round differences) or Welch; detectable when its interval is clear of 0 by `resolution` (half the unit the table shows). */
export function absoluteDifference(a: readonly number[], b: readonly number[], design: 'paired' | 'unpaired', lowerIsBetter: boolean, familySize = 1, resolution = 0): { value: number; low: number; high: number; n: number; noise: number; word: DifferenceWord } {
  if (design === 'paired') {
    const d: number[] = [];
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (Number.isFinite(a[i]) && Number.isFinite(b[i])) d.push(b[i]! - a[i]!);
    const n = d.length;
    const value = n ? mean(d) : NaN;
    const s = n >= 2 ? stddev(d) : NaN;
    const hw = n >= 2 ? (tCritical(n - 1, familySize) * s) / Math.sqrt(n) : NaN;
    return { value, low: value - hw, high: value + hw, n, noise: s, word: wordOf(value - hw, value + hw, lowerIsBetter, resolution) };
  }
  const xa = a.filter(Number.isFinite);
  const xb = b.filter(Number.isFinite);
  const n = Math.min(xa.length, xb.length);
  const value = (xb.length ? mean(xb) : NaN) - (xa.length ? mean(xa) : NaN);
  const spread = welchSpread(xa, xb);
  if (!spread) return { value, low: NaN, high: NaN, n, noise: NaN, word: 'no difference detectable' };
  const hw = tCritical(spread.df, familySize) * spread.se;
  return { value, low: value - hw, high: value + hw, n, noise: spread.noise, word: wordOf(value - hw, value + hw, lowerIsBetter, resolution) };
}

/**
 * One figure's difference. Paired: `a[i]` and `b[i]` are round i's runs (NaN where a round lacks
 * one). A % where every baseline value is measured and none is 0; otherwise (and for an absolute
 * figure) the difference in the figure's unit, said why.
 */
export function valuesDifference(
  f: Pick<Figure, 'id' | 'title' | 'unit' | 'lowerIsBetter' | 'absolute'> & { digits?: number },
  a: readonly number[],
  b: readonly number[],
  design: 'paired' | 'unpaired',
  familySize = 1,
): FigureDifference {
  const used = design === 'paired' ? a.filter((x, i) => Number.isFinite(x) && Number.isFinite(b[i])) : a.filter(Number.isFinite);
  const zeroBase = used.some((x) => x === 0);
  const absoluteWhy = f.absolute ? `a count: its difference in ${f.unit}, not %` : zeroBase ? `the baseline reads 0: a % is undefined, the difference is in ${f.unit || 'its unit'}` : null;
  const baseMean = used.length ? mean(used) : NaN;
  const other = b.filter(Number.isFinite);
  const common = { figure: f.id, title: f.title, design, baseMean, mean: other.length ? mean(other) : NaN, absoluteWhy };
  // Welch's n per side is twice the pairs' for the same interval: the noise of a difference of two means.
  const perPair = design === 'paired' ? 1 : Math.SQRT2;
  if (absoluteWhy !== null) {
    const d = absoluteDifference(a, b, design, f.lowerIsBetter, familySize, f.digits === undefined ? 0 : 0.5 * 10 ** -f.digits);
    return { ...common, unit: f.unit, ...d, repeatsToResolve: repeatsToResolve(d.noise * perPair, RESOLVE_ABSOLUTE, familySize), resolveSize: RESOLVE_ABSOLUTE };
  }
  const d = design === 'paired' ? pairedDifference(a, b, f.lowerIsBetter, familySize) : unpairedDifference(a, b, f.lowerIsBetter, familySize);
  return {
    ...common,
    unit: '%',
    value: d.pct,
    low: d.lowPct,
    high: d.highPct,
    n: d.n,
    noise: d.noisePct,
    word: d.word,
    repeatsToResolve: repeatsToResolve(d.noisePct * perPair, RESOLVE_PCT, familySize),
    resolveSize: RESOLVE_PCT,
  };
}

/**
 * Every headline figure of `runs` against `base`, their intervals simultaneous: 95 % that all of
 * them hold at once (each at 1 − 0.05/FIGURES.length, Bonferroni), so that "no difference" on
 * every figure is what an A/A comparison reads 95 % of the time. Paired: index i of both is round i (undefined
 * where that round's run is missing); unpaired: two independent sets of repeats (Welch).
 */
export function figureDifferences(base: readonly (Summary | undefined)[], runs: readonly (Summary | undefined)[], design: 'paired' | 'unpaired'): FigureDifference[] {
  return FIGURES.map((f) => valuesDifference(f, base.map((s) => figureOf(f, s)), runs.map((s) => figureOf(f, s)), design, FIGURES.length));
}

/** Past a million (an interval's end on a log ratio with two rounds reaches 1e48 %), two significant digits: toFixed wrote all seventeen. */
const signed = (v: number, digits: number): string => (v > 0 ? '+' : v < 0 ? '−' : '±') + (Math.abs(v) >= 1e6 ? Math.abs(v).toPrecision(2) : Math.abs(v).toFixed(digits));

/** "+12.3 % [+8.1, +16.5]", "+2.0 s [+0.5, +3.5]", or "+12.3 % (no interval: 1 repeat)". */
export function formatDifference(d: FigureDifference, digits = d.unit === '%' ? 1 : (FIGURES.find((f) => f.id === d.figure)?.digits ?? 2)): string {
  if (!Number.isFinite(d.value)) return 'n/a';
  const u = d.unit === '%' ? ' %' : d.unit ? ` ${d.unit}` : '';
  // Two repeats give an interval from t(1): a log ratio's end can read +10^30 %; past ±10,000 % it says so, not the digits.
  const num = (x: number): string => (d.unit === '%' && Math.abs(x) > 10_000 ? (x > 0 ? '>+10000' : '<−10000') : signed(x, digits));
  const v = `${num(d.value)}${u}`;
  if (!Number.isFinite(d.low)) return `${v} (no interval: ${d.n} repeat${d.n === 1 ? '' : 's'})`;
  return `${v} [${num(d.low)}, ${num(d.high)}]`;
}

/** The word as the table and verdict say it. */
export function wordText(d: FigureDifference): string {
  return d.word === 'no difference detectable' ? 'no difference detectable at this noise' : d.word;
}
