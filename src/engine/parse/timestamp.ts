import { DOT, MINUS, PLUS } from './chars.js';
import { NUM } from './num.js';

/**
 * Sample timestamps: text format 0.0.4's integer milliseconds and OpenMetrics' float seconds,
 * both to integer milliseconds in NUM[0] (the parsers' one number cell). Same return rule as
 * the float reader: the index after the timestamp, or ~i when there is none.
 */

/** Integer milliseconds (text format timestamps): `-? d+`. Exact up to 2^53. */
export function parseMillisAt(b: Uint8Array, i: number, end: number): number {
  let k = i;
  const neg = k < end && b[k] === MINUS;
  if (neg) k++;
  const ds = k;
  let ms = 0;
  while (k < end) {
    const d = b[k] - 48;
    if (d < 0 || d > 9) break;
    ms = ms * 10 + d;
    k++;
  }
  if (k === ds) return ~i;
  NUM[0] = neg ? -ms : ms;
  return k;
}

/**
 * Float seconds (OpenMetrics timestamps) to integer milliseconds, truncated toward zero like
 * Prometheus's int64(ts*1000) but computed by shifting the decimal digits, so `1.001` is
 * 1001 ms and not 1000.9999…. NaN and infinities are not timestamps (~i).
 */
export function parseSecondsAt(b: Uint8Array, i: number, end: number): number {
  let k = i;
  let neg = false;
  if (k < end) {
    const c = b[k];
    if (c === MINUS) {
      neg = true;
      k++;
    } else if (c === PLUS) k++;
  }
  const is = k;
  while (k < end && b[k] >= 0x30 && b[k] <= 0x39) k++;
  const ie = k;
  let fs = k;
  let fe = k;
  if (k < end && b[k] === DOT) {
    fs = ++k;
    while (k < end && b[k] >= 0x30 && b[k] <= 0x39) k++;
    fe = k;
  }
  if (ie === is && fe === fs) return ~i;
  let exp = 0;
  if (k < end && (b[k] | 0x20) === 0x65) {
    let m = k + 1;
    let eneg = false;
    if (m < end && (b[m] === MINUS || b[m] === PLUS)) eneg = b[m++] === MINUS;
    const es = m;
    while (m < end && b[m] >= 0x30 && b[m] <= 0x39) {
      if (exp < 1e6) exp = exp * 10 + (b[m] - 48);
      m++;
    }
    if (m > es) {
      if (eneg) exp = -exp;
      k = m;
    } else exp = 0;
  }
  // The integer part of the milliseconds is the first `point` digits of int ++ frac.
  const nInt = ie - is;
  const nAll = nInt + (fe - fs);
  const point = nInt + exp + 3;
  let ms = 0;
  const take = point < nAll ? point : nAll;
  for (let j = 0; j < take; j++) ms = ms * 10 + (b[j < nInt ? is + j : fs + j - nInt] - 48);
  if (point > nAll) ms *= Math.pow(10, point - nAll);
  if (ms === Infinity) return ~i;
  NUM[0] = neg && ms !== 0 ? -ms : ms;
  return k;
}
