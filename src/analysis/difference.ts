import { mean, stddev } from './stats.js';

/** Student's t at 97.5 % for 1..30 degrees of freedom; past 30, the normal's 1.96 approached through 2.0 at 60. */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

/** Student's t quantile at 97.5 % (two-sided 95 %) for df degrees of freedom (fractional df rounded down, at least 1). */
export function t975(df: number): number {
  if (!(df >= 1)) return NaN;
  const d = Math.floor(df);
  if (d <= 30) return T975[d - 1]!;
  if (d <= 60) return 2.042 - ((d - 30) / 30) * (2.042 - 2.0);
  if (d <= 120) return 2.0 - ((d - 60) / 60) * (2.0 - 1.98);
  return 1.96;
}

/** How a figure reads against the baseline: a difference whose 95 % interval excludes 0 is detectable. */
export type DifferenceWord = 'better' | 'worse' | 'no difference detectable';

/**
 * A variant's difference from the baseline, in % of the baseline's mean, with its 95 % interval.
 * `lowPct`/`highPct` are NaN when it cannot be computed (fewer than two repeats, a zero baseline).
 */
export interface Difference {
  /** 100 · (mean(b) − mean(a)) / mean(a) (unpaired) or the mean of the per-round relative differences (paired). */
  pct: number;
  lowPct: number;
  highPct: number;
  /** Paired by round (runs interleaved A B A B, or seconds of one soak), or two independent samples (Welch). */
  design: 'paired' | 'unpaired';
  /** Repeats behind it (pairs when paired; the smaller side when unpaired). */
  n: number;
  /** The standard deviation behind the interval, in % of the baseline (per pair when paired, pooled when not): the noise. */
  noisePct: number;
  word: DifferenceWord;
}

/**
 * A difference is shown to 0.1 %: one whose interval, so shown, reaches 0 is not called one.
 * Rounds with no spread at all (a figure that reads the same every round) give an interval of
 * width 0, which excluded 0 on any difference, a 0.0001 % one included ("+0.0 % [+0.0, +0.0] worse").
 */
export const SHOWN_PCT = 0.05;

/** The word for an interval [low, high]: detectable when it is clear of 0 by at least `resolution` (what the table shows, rounded). */
export function wordOf(low: number, high: number, lowerIsBetter: boolean, resolution = SHOWN_PCT): DifferenceWord {
  if (!Number.isFinite(low) || !Number.isFinite(high) || (low < resolution && high > -resolution)) return 'no difference detectable';
  const up = low > 0;
  return up === lowerIsBetter ? 'worse' : 'better';
}

/**
 * The critical t of a two-sided 95 % interval with df degrees of freedom, or, with `familySize`
 * k > 1 figures judged at once, of a 1 − 0.05/k interval each (Bonferroni): the k intervals then
 * hold together with 95 % confidence, so an A/A comparison of k figures reads "no difference" on
 * all of them 95 % of the time instead of 0.95^k.
 */
export function tCritical(df: number, familySize = 1): number {
  if (!(df >= 1)) return NaN;
  return familySize <= 1 ? t975(df) : tQuantile(1 - 0.025 / familySize, df);
}

/**
 * Paired: a[i] and b[i] measured in the same round. Where every pair is positive, the per-round
 * log ratio ln(b/a), mean ± t·s/√n, read back as % (a ratio is what varies from round to round,
 * and a log keeps one skewed round from widening the interval on one side only); otherwise the
 * per-round relative difference 100·(b−a)/|a|. Pairs with a non-finite value or a zero baseline
 * are left out. `noisePct` is the per-pair standard deviation in % (100 × that of the log ratio).
 */
export function pairedDifference(a: readonly number[], b: readonly number[], lowerIsBetter: boolean, familySize = 1): Difference {
  const pairs: [number, number][] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (Number.isFinite(x) && Number.isFinite(y) && x !== 0) pairs.push([x, y]);
  }
  const n = pairs.length;
  const logs = n > 0 && pairs.every(([x, y]) => x > 0 && y > 0);
  const d = pairs.map(([x, y]) => (logs ? Math.log(y / x) : (100 * (y - x)) / Math.abs(x)));
  const m = n ? mean(d) : NaN;
  const s = n >= 2 ? stddev(d) : NaN;
  const hw = n >= 2 ? (tCritical(n - 1, familySize) * s) / Math.sqrt(n) : NaN;
  const toPct = (v: number): number => (logs ? 100 * Math.expm1(v) : v);
  const pct = toPct(m);
  const low = toPct(m - hw);
  const high = toPct(m + hw);
  return { pct, lowPct: low, highPct: high, design: 'paired', n, noisePct: logs ? 100 * s : s, word: wordOf(low, high, lowerIsBetter) };
}

/**
 * The standard error of mean(b) − mean(a), its degrees of freedom and the noise (a run's standard
 * deviation): Welch's with two repeats or more a side. With ONE run on one side (a baseline that
 * is a run directory) its noise is taken as the other side's, both being the same soak (an A/A
 * assumption): se = s·√(1 + 1/n), on n − 1 degrees of freedom. Without that, a gate against a
 * one-run baseline never judged, whatever --repeat, and passed a regression of any size with a
 * warning. Undefined when neither side has two.
 */
export function welchSpread(xa: readonly number[], xb: readonly number[]): { se: number; df: number; noise: number } | undefined {
  if (xa.length === 0 || xb.length === 0 || (xa.length < 2 && xb.length < 2)) return undefined;
  if (xa.length === 1 || xb.length === 1) {
    const many = xa.length === 1 ? xb : xa;
    const s = stddev(many);
    return { se: s * Math.sqrt(1 + 1 / many.length), df: many.length - 1, noise: s };
  }
  const va = stddev(xa) ** 2 / xa.length;
  const vb = stddev(xb) ** 2 / xb.length;
  const se = Math.sqrt(va + vb);
  const df = se === 0 ? xa.length + xb.length - 2 : (va + vb) ** 2 / (va ** 2 / (xa.length - 1) + vb ** 2 / (xb.length - 1));
  return { se, df, noise: Math.sqrt((stddev(xa) ** 2 + stddev(xb) ** 2) / 2) };
}

/**
 * Unpaired (Welch): the difference of the means in % of the baseline's mean, its interval from
 * Welch's standard error and Welch–Satterthwaite degrees of freedom (the baseline's mean taken as exact).
 */
export function unpairedDifference(a: readonly number[], b: readonly number[], lowerIsBetter: boolean, familySize = 1): Difference {
  const xa = a.filter(Number.isFinite);
  const xb = b.filter(Number.isFinite);
  const n = Math.min(xa.length, xb.length);
  const ma = xa.length ? mean(xa) : NaN;
  const mb = xb.length ? mean(xb) : NaN;
  const scale = ma === 0 ? NaN : 100 / Math.abs(ma);
  const pct = (mb - ma) * scale;
  const spread = welchSpread(xa, xb);
  if (!spread) return { pct, lowPct: NaN, highPct: NaN, design: 'unpaired', n, noisePct: NaN, word: 'no difference detectable' };
  const hw = tCritical(spread.df, familySize) * spread.se * scale;
  const noisePct = spread.noise * scale;
  return { pct, lowPct: pct - hw, highPct: pct + hw, design: 'unpaired', n, noisePct, word: wordOf(pct - hw, pct + hw, lowerIsBetter) };
}

/**
 * Repeats (pairs) needed for a 95 % interval of half-width under `effectPct` at noise `noisePct`
 * (the per-pair standard deviation, in %): the smallest n with t(n−1)·s/√n < effect, t the critical
 * value the intervals are computed with (with `familySize` k > 1, Bonferroni's 1 − 0.05/k, as
 * compare's figures are: a count from the plain 95 % t promised a resolution those intervals do
 * not reach). NaN when the noise is unknown; capped at 10,000 ("more than 10,000" is the caller's to say).
 */
export function repeatsToResolve(noisePct: number, effectPct: number, familySize = 1): number {
  if (!Number.isFinite(noisePct) || !(effectPct > 0)) return NaN;
  if (noisePct === 0) return 2;
  const resolves = (n: number): boolean => (tCritical(n - 1, familySize) * noisePct) / Math.sqrt(n) < effectPct;
  if (!resolves(10_000)) return 10_000;
  // t(n−1)/√n falls as n grows: the smallest n that resolves, by bisection.
  let lo = 1;
  let hi = 10_000;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (resolves(mid)) hi = mid;
    else lo = mid;
  }
  return Math.max(2, hi);
}

/** ln Γ(x), Lanczos (g = 7, n = 9): 15 digits for x > 0. */
function lnGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  x -= 1;
  let a = c[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** The regularised incomplete beta I_x(a, b), by its continued fraction (Lentz). */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x)) / a;
  let f = 1;
  let c = 1;
  let d = 0;
  for (let i = 0; i <= 300; i++) {
    const m = i >> 1;
    const num = i === 0 ? 1 : i % 2 === 0 ? (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m)) : -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
    d = 1 + num * d;
    if (Math.abs(d) < 1e-300) d = 1e-300;
    d = 1 / d;
    c = 1 + num / c;
    if (Math.abs(c) < 1e-300) c = 1e-300;
    const cd = c * d;
    f *= cd;
    if (Math.abs(1 - cd) < 1e-12) break;
  }
  return front * (f - 1);
}

/** P(T ≤ t) for Student's t with df degrees of freedom. */
export function tCdf(t: number, df: number): number {
  const x = df / (df + t * t);
  const tail = 0.5 * incompleteBeta(x, df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/**
 * Student's t quantile: the t with P(T ≤ t) = p (0.5 < p < 1), by bisection on tCdf.
 * With `familySize` k > 1 figures judged at once, a caller asks p = 1 − 0.05 / (2k)
 * (Bonferroni): the k intervals then hold together with 95 % confidence.
 */
export function tQuantile(p: number, df: number): number {
  if (!(df > 0) || !(p > 0.5 && p < 1)) return NaN;
  let lo = 0;
  let hi = 1;
  while (tCdf(hi, df) < p && hi < 1e9) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-10 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (tCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
