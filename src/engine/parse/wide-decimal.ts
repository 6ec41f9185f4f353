import { asciiString } from './decode.js';
import { EL_IO, eiselLemire } from './eisel-lemire.js';
import { NUM, POW10 } from './num.js';

/**
 * The mantissa did not fit 53 bits or the exponent is large: take up to 19 significant
 * digits exactly and let Eisel-Lemire round (for more digits, as Go: if man and man+1 round
 * alike, that is the answer). Only when that gives up (ties, subnormals, overflow) is a
 * string decoded, for Number() to round.
 */
export function wideDecimal(b: Uint8Array, s: number, mantEnd: number, k: number, exp: number, neg: boolean): void {
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
