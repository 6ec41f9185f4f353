/**
 * ASCII number formatting straight into a byte buffer: the renderer's hot path.
 * MUST stay allocation-free: runs once per rendered sample.
 * Each function writes at `off` and returns the offset after the last byte written.
 */

const ZERO = 48;

function digits32(n: number): number {
  if (n < 100000) {
    if (n < 100) return n < 10 ? 1 : 2;
    return n < 1000 ? 3 : n < 10000 ? 4 : 5;
  }
  if (n < 10000000) return n < 1000000 ? 6 : 7;
  return n < 100000000 ? 8 : n < 1000000000 ? 9 : 10;
}

/** "00" … "99": two digits per division, as Go's strconv and V8's own itoa do. */
const PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  PAIRS[2 * i] = ZERO + ((i / 10) | 0);
  PAIRS[2 * i + 1] = ZERO + (i % 10);
}

/** A non-negative integer below 2^53. */
export function writeUint(out: Uint8Array, off: number, n: number): number {
  if (n < 2147483648) {
    let v = n | 0; // int32 from here on: TurboFan turns the divisions into multiplications
    const end = off + digits32(v);
    let p = end;
    while (v >= 100) {
      const q = (v / 100) | 0;
      const r = (v - q * 100) << 1;
      out[--p] = PAIRS[r + 1]!;
      out[--p] = PAIRS[r]!;
      v = q;
    }
    if (v >= 10) {
      out[--p] = PAIRS[(v << 1) + 1]!;
      out[--p] = PAIRS[v << 1]!;
    } else out[--p] = ZERO + v;
    return end;
  }
  return writeUintWide(out, off, n);
}

/** Kept out of writeUint so that writeUint stays small enough for TurboFan to inline. */
function writeUintWide(out: Uint8Array, off: number, n: number): number {
  // Exact for integers below 2^53.
  let len = 10;
  for (let m = Math.floor(n / 1e10); m > 0; m = Math.floor(m / 10)) len++;
  let p = off + len;
  const end = p;
  while (n >= 10) {
    const q = Math.floor(n / 10);
    out[--p] = ZERO + (n - q * 10);
    n = q;
  }
  out[--p] = ZERO + n;
  return end;
}

/** A non-negative integer count of thousandths, as `int.ddd`. */
export function writeMillis(out: Uint8Array, off: number, millis: number): number {
  const ip = Math.floor(millis / 1000);
  const frac = (millis - ip * 1000) | 0;
  off = writeUint(out, off, ip);
  out[off] = 46; // '.'
  const d1 = (frac / 100) | 0;
  const r = (frac - d1 * 100) << 1;
  out[off + 1] = ZERO + d1;
  out[off + 2] = PAIRS[r]!;
  out[off + 3] = PAIRS[r + 1]!;
  return off + 4;
}

/** Any float, in a form Prometheus parses. Allocates a string: only for replayed values. */
export function writeFloat(out: Uint8Array, off: number, v: number): number {
  if (Number.isInteger(v) && v >= 0 && v < 9007199254740992) return writeUint(out, off, v);
  const s = Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v);
  for (let i = 0; i < s.length; i++) out[off + i] = s.charCodeAt(i);
  return off + s.length;
}

/** The most bytes a value written by this module can take (sign, 17 digits, '.', exponent). */
export const MAX_VALUE_BYTES = 32;
