/** Ordinary least squares y = slope·x + intercept, with the coefficient of determination. */
export interface LinearFit {
  slope: number;
  intercept: number;
  /** 1 − SS_res / SS_tot; 1 when every point lies on the line (also when all y are equal). */
  r2: number;
  n: number;
}

export function linearFit(xs: readonly number[], ys: readonly number[]): LinearFit {
  const n = xs.length;
  if (n !== ys.length) throw new RangeError(`linearFit: ${n} x values but ${ys.length} y values`);
  if (n < 2) throw new RangeError(`linearFit needs at least 2 points (got ${n})`);
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i]!;
    my += ys[i]!;
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (sxx === 0) throw new RangeError('linearFit needs at least 2 distinct x values');
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let ssRes = 0;
  for (let i = 0; i < n; i++) {
    const e = ys[i]! - (slope * xs[i]! + intercept);
    ssRes += e * e;
  }
  const r2 = syy === 0 ? (ssRes === 0 ? 1 : 0) : 1 - ssRes / syy;
  return { slope, intercept, r2, n };
}

/** Median, min and max of a non-empty list. */
export function spread(values: readonly number[]): { median: number; min: number; max: number } {
  if (values.length === 0) throw new RangeError('spread of an empty list');
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return { median: s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2, min: s[0]!, max: s[s.length - 1]! };
}
