/**
 * A straight line with its uncertainty: ordinary least squares (analysis/fit.ts linearFit), the
 * coefficients' standard errors, and the 95 % prediction interval of one new measurement at x
 * (Student's t at n − 2 degrees of freedom, analysis/difference.ts t975).
 */
import { linearFit } from '../analysis/fit.js';
import { t975 } from '../analysis/difference.js';

export interface LineFit {
  intercept: number;
  slope: number;
  /** Standard errors of the intercept and the slope. */
  interceptSe: number;
  slopeSe: number;
  /** The residuals' standard deviation (n − 2 degrees of freedom). */
  residualSd: number;
  r2: number;
  n: number;
  /** Mean of x and Σ(x − mean)², kept for the prediction interval. */
  xMean: number;
  sxx: number;
}

/** A value with its 95 % interval. */
export interface Interval {
  value: number;
  low: number;
  high: number;
}

/** The line through (x, y) with its errors; null with fewer than 3 points or fewer than 2 distinct x (no error can be had). */
export function fitLine(xs: readonly number[], ys: readonly number[]): LineFit | null {
  const n = xs.length;
  if (n < 3 || new Set(xs).size < 2) return null;
  const f = linearFit(xs, ys);
  let xMean = 0;
  for (const x of xs) xMean += x;
  xMean /= n;
  let sxx = 0;
  let ssRes = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i]! - xMean) ** 2;
    ssRes += (ys[i]! - (f.intercept + f.slope * xs[i]!)) ** 2;
  }
  const residualSd = Math.sqrt(ssRes / (n - 2));
  return {
    intercept: f.intercept,
    slope: f.slope,
    interceptSe: residualSd * Math.sqrt(1 / n + (xMean * xMean) / sxx),
    slopeSe: residualSd / Math.sqrt(sxx),
    residualSd,
    r2: f.r2,
    n,
    xMean,
    sxx,
  };
}

/** The line's value at x, and the 95 % interval a new measurement there falls in. */
export function predictAt(f: LineFit, x: number): Interval {
  const value = f.intercept + f.slope * x;
  const half = t975(f.n - 2) * f.residualSd * Math.sqrt(1 + 1 / f.n + (x - f.xMean) ** 2 / f.sxx);
  return { value, low: value - half, high: value + half };
}

/** Where a line reaches a value, and the interval of x where its prediction interval's edges do; `high` null when the lower edge never does (too uncertain to bound). */
export interface Reach {
  value: number;
  low: number;
  high: number | null;
}

/**
 * Where the line reaches y (x = (y − a) / b), with the interval of x where the prediction
 * interval's upper and lower edges reach it; null where the line does not rise (b ≤ 0).
 * The edges are found by bisection over [0, 1000 × the answer].
 */
export function reachAt(f: LineFit, y: number): Reach | null {
  if (!(f.slope > 0)) return null;
  const value = (y - f.intercept) / f.slope;
  const hi = Math.max(1, Math.abs(value)) * 1000;
  const solve = (edge: (x: number) => number): number | null => {
    let lo = 0;
    let up = hi;
    if (edge(lo) >= y) return 0;
    if (edge(up) < y) return null;
    for (let k = 0; k < 200; k++) {
      const mid = (lo + up) / 2;
      if (edge(mid) >= y) up = mid;
      else lo = mid;
    }
    return (lo + up) / 2;
  };
  // The upper edge reaches y first (the low x), the lower edge last (the high x).
  return { value, low: solve((x) => predictAt(f, x).high) ?? 0, high: solve((x) => predictAt(f, x).low) };
}
