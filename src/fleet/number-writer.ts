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

/** A non-negative integer below 2^53. */
export function writeUint(out: Uint8Array, off: number, n: number): number {
  if (n < 10) {
    out[off] = ZERO + n;
    return off + 1;
  }
  if (n < 2147483648) {
    let p = off + digits32(n);
    const end = p;
    while (n >= 10) {
      const q = (n / 10) | 0;
      out[--p] = ZERO + (n - q * 10);
      n = q;
    }
    out[--p] = ZERO + n;
    return end;
  }
  // Wide path: exact for integers below 2^53.
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
  const frac = millis - ip * 1000;
  off = writeUint(out, off, ip);
  out[off] = 46; // '.'
  const d1 = (frac / 100) | 0;
  const r = frac - d1 * 100;
  const d2 = (r / 10) | 0;
  out[off + 1] = ZERO + d1;
  out[off + 2] = ZERO + d2;
  out[off + 3] = ZERO + (r - d2 * 10);
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
