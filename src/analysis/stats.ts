/** Small statistics over plain number arrays (frames are few: one per second). */

/** The values that were measured (a target that does not expose a figure gives null). */
export function measured(a: readonly (number | null | undefined)[]): number[] {
  const out: number[] = [];
  for (const v of a) if (v !== null && v !== undefined) out.push(v);
  return out;
}

export function sum(a: readonly number[]): number {
  let s = 0;
  for (const v of a) s += v;
  return s;
}

export function mean(a: readonly number[]): number {
  return a.length === 0 ? NaN : sum(a) / a.length;
}

/** Linear interpolation between closest ranks (numpy's default); q in [0, 1]. */
export function quantile(a: readonly number[], q: number): number {
  if (a.length === 0) return NaN;
  const s = [...a].sort((x, y) => x - y);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

export const median = (a: readonly number[]): number => quantile(a, 0.5);

export function stddev(a: readonly number[]): number {
  if (a.length < 2) return 0;
  const m = mean(a);
  let s = 0;
  for (const v of a) s += (v - m) ** 2;
  return Math.sqrt(s / (a.length - 1));
}

/** Student's t at 97.5 % for 1..30 degrees of freedom; past 30, t(30) (a little wide: the normal's 1.96 is 4 % less). */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

/**
 * Half the width of the 95 % confidence interval of the mean of independent measurements
 * (Student's t): the mean is mean(a) ± this. NaN with fewer than two.
 */
export function meanHalfWidth95(a: readonly number[]): number {
  if (a.length < 2) return NaN;
  return (T975[Math.min(a.length - 1, T975.length) - 1]! * stddev(a)) / Math.sqrt(a.length);
}

/** Coefficient of variation: stddev / mean (sample stddev). */
export function cv(a: readonly number[]): number {
  const m = mean(a);
  return m === 0 ? NaN : stddev(a) / m;
}

/** Pearson's r; NaN when either series is constant. */
export function pearson(x: readonly number[], y: readonly number[]): number {
  const n = Math.min(x.length, y.length);
  if (n < 3) return NaN;
  const mx = mean(x.slice(0, n));
  const my = mean(y.slice(0, n));
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx === 0 || syy === 0 ? NaN : sxy / Math.sqrt(sxx * syy);
}

export function max(a: readonly number[]): number {
  let m = -Infinity;
  for (const v of a) if (v > m) m = v;
  return a.length ? m : NaN;
}

export function min(a: readonly number[]): number {
  let m = Infinity;
  for (const v of a) if (v < m) m = v;
  return a.length ? m : NaN;
}

/** To a tenth (what a starved second's figures are kept to). */
export const round1 = (v: number): number => Math.round(v * 10) / 10;

/** The first index of sorted `a` whose value is above `v` (how many are at or below it): one bisection. */
export function upperBound(a: ArrayLike<number>, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
