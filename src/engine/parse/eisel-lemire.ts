/**
 * Decimal to double without allocating, for the mantissas the exact fast path in float.ts
 * cannot take (≥ 2^53, i.e. the 16–19 digit shortest forms Go and Python print, or
 * |exponent| > 22). A port of Go's strconv.eiselLemire64 (Daniel Lemire, "Number Parsing at
 * a Gigabyte per Second", 2021) to 16-bit limbs held in doubles, since JavaScript has no
 * 64-bit integers that do not allocate (BigInt does). It either returns the correctly rounded
 * result or gives up (rare: halfway ties, subnormals, overflow) for the caller's fallback.
 */

const MIN_EXP10 = -348;
const MAX_EXP10 = 347;

/**
 * 128-bit approximations (rounded down) of the powers of ten, as Go's detailedPowersOfTen:
 * entry e holds the top 128 bits of 10^e, normalised, as eight 16-bit limbs, least
 * significant first. Built once with BigInt at load time.
 */
const POW10_128 = ((): Uint16Array => {
  const t = new Uint16Array((MAX_EXP10 - MIN_EXP10 + 1) * 8);
  for (let e = MIN_EXP10; e <= MAX_EXP10; e++) {
    let v: bigint;
    if (e >= 0) {
      v = 5n ** BigInt(e);
      const bits = v.toString(2).length;
      v = bits >= 128 ? v >> BigInt(bits - 128) : v << BigInt(128 - bits);
    } else {
      const d = 5n ** BigInt(-e);
      const bits = d.toString(2).length;
      v = (1n << BigInt(bits + 127)) / d;
    }
    const at = (e - MIN_EXP10) * 8;
    for (let j = 0; j < 8; j++) t[at + j] = Number((v >> BigInt(16 * j)) & 0xffffn);
  }
  return t;
})();

// Scratch: the mantissa, a 128-bit product, and a double's bytes. Module-level typed arrays:
// nothing here allocates per call.
const M = new Float64Array(4);
const X = new Float64Array(8);
const Y = new Float64Array(8);
/**
 * In/out slots (see float.ts for why): EL_IO[0], EL_IO[1] take the mantissa's high and low
 * 32 bits (passed as arguments, uint32s above 2^31 would be boxed); EL_IO[2] gets the result.
 */
export const EL_IO = new Float64Array(3);
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
// Index of the high (sign and exponent) word of a double in U32.
const HI = ((): number => {
  F64[0] = -0;
  return U32[1] !== 0 ? 1 : 0;
})();

const P16 = 65536;
const P32 = 4294967296;

/** out[0..8) = M × POW10_128 limbs [at + off, at + off + 4): 64 × 64 → 128 bits. */
function mul64(out: Float64Array, at: number): void {
  let carry = 0;
  for (let k = 0; k < 8; k++) {
    let s = carry;
    const lo = k > 3 ? k - 3 : 0;
    const hi = k < 3 ? k : 3;
    for (let i = lo; i <= hi; i++) s += M[i] * POW10_128[at + k - i];
    const limb = s % P16;
    out[k] = limb;
    carry = (s - limb) / P16;
  }
}

/** (a limbs [ao, ao+4) as 64 bits) + M overflows 64 bits? */
function addOverflows(a: Float64Array, ao: number): boolean {
  let carry = 0;
  for (let i = 0; i < 4; i++) carry = (a[ao + i] + M[i] + carry) >= P16 ? 1 : 0;
  return carry === 1;
}

/**
 * man = EL_IO[0]·2^32 + EL_IO[1] (an integer below 2^64, nonzero) times 10^exp10, rounded to
 * nearest even. Returns false when the algorithm cannot decide; otherwise EL_IO[2] holds the
 * result.
 */
export function eiselLemire(exp10: number, neg: boolean): boolean {
  if (exp10 < MIN_EXP10 || exp10 > MAX_EXP10) return false;
  let hi = EL_IO[0] >>> 0;
  let lo = EL_IO[1] >>> 0;
  // Normalisation: shift the mantissa left until its top bit is set.
  const clz = hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo);
  if (clz >= 32) {
    hi = (lo << (clz - 32)) >>> 0;
    lo = 0;
  } else if (clz > 0) {
    hi = ((hi << clz) | (lo >>> (32 - clz))) >>> 0;
    lo = (lo << clz) >>> 0;
  }
  M[0] = lo & 0xffff;
  M[1] = lo >>> 16;
  M[2] = hi & 0xffff;
  M[3] = hi >>> 16;
  let retExp2 = ((217706 * exp10) >> 16) + 64 + 1023 - clz;

  // Multiplication by the high 64 bits of the power: X = (xHi: limbs 4..7, xLo: limbs 0..3).
  const at = (exp10 - MIN_EXP10) * 8;
  mul64(X, at + 4);
  // Wider approximation, when the low bits might carry into the ones we keep.
  if ((X[4] & 0x1ff) === 0x1ff && addOverflows(X, 0)) {
    mul64(Y, at);
    // merged = X + (Y >> 64)
    let carry = 0;
    for (let i = 0; i < 8; i++) {
      const s = X[i] + (i < 4 ? Y[i + 4] : 0) + carry;
      carry = s >= P16 ? 1 : 0;
      X[i] = carry ? s - P16 : s;
    }
    const mergedLoAllOnes = X[0] === 0xffff && X[1] === 0xffff && X[2] === 0xffff && X[3] === 0xffff;
    if ((X[4] & 0x1ff) === 0x1ff && mergedLoAllOnes && addOverflows(Y, 0)) return false;
  }
  // Shifting to 54 bits.
  const x3 = X[7] * P16 + X[6];
  const x2 = X[5] * P16 + X[4];
  const msb = x3 >>> 31;
  const shift = msb + 9;
  const rHi = x3 >>> shift;
  const rLo = ((x3 << (32 - shift)) | (x2 >>> shift)) >>> 0;
  retExp2 -= 1 ^ msb;
  // Half-way ambiguity.
  if (X[0] === 0 && X[1] === 0 && X[2] === 0 && X[3] === 0 && (X[4] & 0x1ff) === 0 && (rLo & 3) === 1) return false;
  // From 54 to 53 bits: round half up on the extra bit (ties were excluded above).
  let m = rHi * 2147483648 + (rLo + (rLo & 1)) / 2;
  if (m >= 9007199254740992) {
    m = m / 2;
    retExp2 += 1;
  }
  if (retExp2 <= 0 || retExp2 >= 0x7ff) return false;
  const mHi = Math.floor(m / P32);
  U32[HI] = (neg ? 0x80000000 : 0) | (retExp2 << 20) | (mHi & 0xfffff);
  U32[1 - HI] = m - mHi * P32;
  EL_IO[2] = F64[0];
  return true;
}
