import { DOT, LF, MINUS, PLUS } from './chars.js';
import { NUM, POW10, TWO53 } from './num.js';
import { wideDecimal } from './wide-decimal.js';

/**
 * Number parsing straight from bytes, for the exposition parsers: the float grammar and the
 * plain-decimal fast path here, the long mantissas in wide-decimal.ts, results in NUM[0]
 * (num.ts). The functions return the index after the number, or ~start (< 0) when no number
 * starts there; the caller checks that a delimiter follows.
 */

/**
 * A float in Go's strconv.ParseFloat decimal grammar (`[+-]? (d+ [. d*] | . d+) ([eE] [+-]? d+)?`)
 * or one of its specials (`NaN`, `[+-]Inf`, `[+-]Infinity`, any case). Fast path as Go's:
 * an integer mantissa below 2^53 and |exponent| ≤ 22 is exact, and one IEEE multiply or
 * divide rounds it correctly. Longer mantissas (the 16–17 digit shortest forms) and larger
 * exponents go to Eisel-Lemire, still allocation-free; only what that gives up on is decoded
 * to a string for Number(). With `exact` false (exemplars, only validated) the slow paths
 * are skipped and NUM[0] is left unspecified. MUST stay allocation-free on the fast paths.
 */
export function parseFloatAt(dv: DataView, b: Uint8Array, i: number, end: number, exact: boolean): number {
  let k = i;
  let neg = false;
  if (k < end) {
    const c = b[k];
    if (c === MINUS) {
      neg = true;
      k++;
    } else if (c === PLUS) k++;
  }
  const digits = k;
  let mant = 0;
  // Four digits a step (SWAR on a little-endian int32), then one at a time.
  while (k + 4 <= end) {
    const w = dv.getInt32(k, true);
    if ((w & 0xf0f0f0f0) !== 0x30303030 || ((w + 0x06060606) & 0xf0f0f0f0) !== 0x30303030) break;
    let d = w & 0x0f0f0f0f;
    d = (d * 10 + (d >>> 8)) & 0x00ff00ff;
    mant = mant * 10000 + ((d & 0xff) * 100 + (d >>> 16));
    k += 4;
  }
  while (k < end) {
    const d = b[k] - 48;
    if (d < 0 || d > 9) break;
    mant = mant * 10 + d;
    k++;
  }
  let any = k > digits;
  let exp = 0;
  if (k < end && b[k] === DOT) {
    const fs = ++k;
    while (k + 4 <= end) {
      const w = dv.getInt32(k, true);
      if ((w & 0xf0f0f0f0) !== 0x30303030 || ((w + 0x06060606) & 0xf0f0f0f0) !== 0x30303030) break;
      let d = w & 0x0f0f0f0f;
      d = (d * 10 + (d >>> 8)) & 0x00ff00ff;
      mant = mant * 10000 + ((d & 0xff) * 100 + (d >>> 16));
      k += 4;
    }
    while (k < end) {
      const d = b[k] - 48;
      if (d < 0 || d > 9) break;
      mant = mant * 10 + d;
      k++;
    }
    exp = fs - k;
    if (k > fs) any = true;
  }
  if (!any) return special(b, i, digits, end, neg);
  const mantEnd = k;
  if (k < end && (b[k] | 0x20) === 0x65) {
    let m = k + 1;
    let eneg = false;
    if (m < end) {
      const c = b[m];
      if (c === MINUS) {
        eneg = true;
        m++;
      } else if (c === PLUS) m++;
    }
    const es = m;
    let e = 0;
    while (m < end) {
      const d = b[m] - 48;
      if (d < 0 || d > 9) break;
      if (e < 1e6) e = e * 10 + d;
      m++;
    }
    if (m > es) {
      exp += eneg ? -e : e;
      k = m;
    }
  }
  if (mant < TWO53 && exp >= -22 && exp <= 22) {
    const v = exp >= 0 ? mant * POW10[exp] : mant / POW10[-exp];
    NUM[0] = neg ? -v : v;
  } else if (mant === 0) NUM[0] = neg ? -0 : 0;
  else if (exact) {
    wideDecimal(b, digits, mantEnd, k, exp, neg);
    // Past the largest double (1e400): Go's ParseFloat says "value out of range" and
    // Prometheus fails the scrape; so does this parser (only the slow path can overflow).
    if (NUM[0] === Infinity || NUM[0] === -Infinity) return ~i;
  }
  return k;
}

/**
 * The commonest rest of a sample line, for the parsers' sequence hits (acceptSeries): a plain
 * decimal `d+ [. d*] ([eE] [+-]? d{1,4})?` of at most 15 digits, |power of ten| ≤ 22, then LF.
 * Its value is exactly parseFloatAt's (one IEEE multiply or divide) into NUM[0]; returns the
 * index after the LF, or -1 for anything else (signs, specials, longer mantissas, timestamps,
 * blanks, CR, end of input), which the caller parses the full way. Kept small so that V8
 * inlines it into the hot loop. MUST stay allocation-free.
 */
export function plainValueLine(dv: DataView, b: Uint8Array, i: number, end: number): number {
  let k = i;
  let m = 0;
  // Four digits a step (SWAR, as parseFloatAt), then one at a time.
  while (k + 4 <= end) {
    const w = dv.getInt32(k, true);
    if ((w & 0xf0f0f0f0) !== 0x30303030 || ((w + 0x06060606) & 0xf0f0f0f0) !== 0x30303030) break;
    let d = w & 0x0f0f0f0f;
    d = (d * 10 + (d >>> 8)) & 0x00ff00ff;
    m = m * 10000 + ((d & 0xff) * 100 + (d >>> 16));
    k += 4;
  }
  let c = 0;
  while (k < end && (c = b[k] - 48) >= 0 && c <= 9) {
    m = m * 10 + c;
    k++;
  }
  if (k === i || k >= end) return -1;
  c = b[k];
  if (c === LF) {
    if (k - i > 15) return -1;
    NUM[0] = m;
    return k + 1;
  }
  // m goes through NUM: a double argument to a call V8 does not inline is boxed (allocates).
  NUM[0] = m;
  return fractionLine(b, k, end, k - i);
}

/** plainValueLine from the non-digit at k after `digits` integer digits (their value in NUM[0]): fraction, exponent, LF. */
function fractionLine(b: Uint8Array, k: number, end: number, digits: number): number {
  let m = NUM[0];
  let c = b[k];
  let f = 0;
  if (c === DOT) {
    const fs = ++k;
    while (k < end && (c = b[k] - 48) >= 0 && c <= 9) {
      m = m * 10 + c;
      k++;
    }
    f = k - fs;
    c = k < end ? b[k] : 0;
  }
  if (digits + f > 15) return -1;
  // An exponent (Go writes 9.03676723e+08, 7.6238e-05): folded into the power of ten.
  let e10 = -f;
  if ((c | 0x20) === 0x65 /* e */) {
    let x = k + 1;
    const neg = x < end && b[x] === MINUS;
    if (x < end && (neg || b[x] === PLUS)) x++;
    const xs = x;
    let ev = 0;
    let d = 0;
    while (x < end && x - xs < 4 && (d = b[x] - 48) >= 0 && d <= 9) {
      ev = ev * 10 + d;
      x++;
    }
    if (x > xs) {
      e10 += neg ? -ev : ev;
      k = x;
      c = k < end ? b[k] : 0;
    }
  }
  if (c !== LF || e10 < -22 || e10 > 22) return -1;
  NUM[0] = e10 === 0 ? m : e10 > 0 ? m * POW10[e10] : m / POW10[-e10];
  return k + 1;
}

function special(b: Uint8Array, i: number, k: number, end: number, neg: boolean): number {
  if (k >= end) return ~i;
  const c = b[k] | 0x20;
  if (c === 0x6e /* n */ && k === i) {
    if (k + 2 < end && (b[k + 1] | 0x20) === 0x61 && (b[k + 2] | 0x20) === 0x6e) {
      NUM[0] = NaN;
      return k + 3;
    }
    return ~i;
  }
  if (c === 0x69 /* i */ && k + 2 < end && (b[k + 1] | 0x20) === 0x6e && (b[k + 2] | 0x20) === 0x66) {
    NUM[0] = neg ? -Infinity : Infinity;
    // "infinity" as a whole, else just "inf" (as Go does).
    if (k + 7 < end && matchLower(b, k + 3, 'inity')) return k + 8;
    return k + 3;
  }
  return ~i;
}

function matchLower(b: Uint8Array, k: number, s: string): boolean {
  for (let j = 0; j < s.length; j++) if ((b[k + j] | 0x20) !== s.charCodeAt(j)) return false;
  return true;
}
