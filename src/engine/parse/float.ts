import { DOT, LF, MINUS, PLUS } from './chars.js';
import { asciiString } from './decode.js';
import { EL_IO, eiselLemire } from './eisel-lemire.js';

/**
 * Number parsing straight from bytes, for the exposition parsers.
 *
 * Results go out through NUM[0], never as a returned double: a double returned from a call
 * V8 does not inline is boxed into a fresh HeapNumber, i.e. one allocation per sample.
 * The functions return the index after the number, or ~start (< 0) when no number starts
 * there; the caller checks that a delimiter follows.
 */
export const NUM = new Float64Array(1);

/** 10^0 … 10^22: every one is an exact double, so m × 10^e and m ÷ 10^e round once. */
export const POW10 = new Float64Array([
  1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
  1e20, 1e21, 1e22,
]);
const TWO53 = 9007199254740992;

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

/**
 * The mantissa did not fit 53 bits or the exponent is large: take up to 19 significant
 * digits exactly and let Eisel-Lemire round (for more digits, as Go: if man and man+1 round
 * alike, that is the answer). Only when that gives up (ties, subnormals, overflow) is a
 * string decoded, for Number() to round.
 */
function wideDecimal(b: Uint8Array, s: number, mantEnd: number, k: number, exp: number, neg: boolean): void {
  let hi = 0;
  let lo = 0;
  let n = 0;
  let dropped = 0;
  let trunc = false;
  // The same digits as top (the first 9) and bot (the rest, nb of them) for shortDecimal.
  let top = 0;
  let bot = 0;
  for (let j = s; j < mantEnd; j++) {
    const d = b[j] - 48;
    if (d < 0 || d > 9) continue; // the '.'
    if (n === 0 && d === 0) continue; // leading zeros
    if (n < 19) {
      lo = lo * 10 + d;
      const carry = Math.floor(lo / 4294967296);
      lo -= carry * 4294967296;
      hi = hi * 10 + carry;
      if (n < 9) top = top * 10 + d;
      else bot = bot * 10 + d;
      n++;
    } else {
      dropped++;
      if (d !== 0) trunc = true;
    }
  }
  const e10 = exp + dropped;
  if (n <= 17 && e10 <= 0 && e10 >= -22 && shortDecimal(top, bot, n - 9, -e10, neg)) return;
  EL_IO[0] = hi;
  EL_IO[1] = lo;
  if (eiselLemire(e10, neg)) {
    if (!trunc) {
      NUM[0] = EL_IO[2];
      return;
    }
    NUM[0] = EL_IO[2];
    const lo1 = lo + 1 === 4294967296 ? 0 : lo + 1;
    EL_IO[0] = lo1 === 0 ? hi + 1 : hi;
    EL_IO[1] = lo1;
    if (eiselLemire(e10, neg) && EL_IO[2] === NUM[0]) return;
  }
  const v = Number(asciiString(b, s, k));
  NUM[0] = neg ? -v : v;
}

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
/** Index of a double's high (sign, exponent) word in U32. */
const HI = ((): number => {
  F64[0] = -0;
  return U32[1] !== 0 ? 1 : 0;
})();
const SPLIT = 134217729; // 2^27 + 1, Veltkamp's splitter

/**
 * The 16–17 significant digit decimals (Go's and JavaScript's shortest forms of most doubles)
 * divided by 10^f, f ≤ 22 (f = 0: the integer itself): m = top·10^nb + bot (top 9 digits, nb ≤ 8
 * more) is ≥ 2^53, so not exact as a double. Exactly: m = s + err (s = fl(m), err its rounding
 * error, both from one exact two-sum); q = fl(s / 10^f); the residual m − q·10^f is computed
 * exactly but for one last rounding far below the decision (Dekker's two-product, Sterbenz),
 * and says how many ulps of q the exact quotient lies from q; the nearest double is q plus
 * that count, rounded. Gives up (false, nothing written) where that count is within 1e-9 of a
 * halfway point, or q is a power of two or the result leaves q's binade (ulp changes); the
 * caller then takes Eisel-Lemire. Checked against Number() on millions of random inputs
 * (test/parser-fuzz.test.ts). MUST stay allocation-free.
 */
function shortDecimal(top: number, bot: number, nb: number, f: number, neg: boolean): boolean {
  if (nb < 7) return false; // < 16 digits: below 2^53, the caller's exact path
  const a = top * POW10[nb]; // exact: top·5^nb < 2^53
  const s = a + bot;
  const err = bot - (s - a); // exact (Fast2Sum, a ≥ bot)
  if (f === 0) {
    NUM[0] = neg ? -s : s; // s is m correctly rounded
    return true;
  }
  const d = POW10[f];
  const q = s / d;
  // ph + pl = q·d exactly (Dekker).
  const ph = q * d;
  let c = SPLIT * q;
  const qh = c - (c - q);
  const ql = q - qh;
  c = SPLIT * d;
  const dh = c - (c - d);
  const dl = d - dh;
  const pl = qh * dh - ph + qh * dl + ql * dh + ql * dl;
  // m − q·d: (s − ph) exact (Sterbenz), + err exact (small integers), − pl rounded once.
  const r = s - ph + err - pl;
  F64[0] = q;
  const qhi = U32[HI];
  const ex = qhi >>> 20;
  if ((qhi & 0xfffff) === 0 && U32[1 - HI] === 0) return false; // a power of two: uneven ulps around q
  U32[HI] = (ex - 52) << 20;
  U32[1 - HI] = 0;
  const ulp = F64[0];
  const t = r / (ulp * d);
  const k = Math.round(t);
  const off = t - k;
  if (off > 0.5 - 1e-9 || off < -0.5 + 1e-9) return false;
  let v = q;
  if (k !== 0) {
    v = q + k * ulp;
    F64[0] = v;
    if (U32[HI] >>> 20 !== ex) return false;
  }
  NUM[0] = neg ? -v : v;
  return true;
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
