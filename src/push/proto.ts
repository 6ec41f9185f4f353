/**
 * The few protobuf wire primitives remote write needs, writing into a caller's buffer at an
 * offset and returning the offset after: no allocation, for the push's hot path.
 */

/** Bytes a varint of v (0 ≤ v < 2^53) takes. */
export function varintSize(v: number): number {
  if (v < 128) return 1;
  if (v < 16384) return 2;
  if (v < 2097152) return 3;
  if (v < 268435456) return 4;
  let n = 4;
  v = Math.floor(v / 268435456);
  while (v > 0) {
    n++;
    v = Math.floor(v / 128);
  }
  return n;
}

/** A varint of 0 ≤ v < 2^53. */
export function writeVarint(out: Uint8Array, off: number, v: number): number {
  while (v >= 2147483648) {
    out[off++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  let x = v | 0;
  while (x >= 0x80) {
    out[off++] = (x & 0x7f) | 0x80;
    x >>>= 7;
  }
  out[off++] = x;
  return off;
}

const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);

/** A double's 8 bytes, little-endian (protobuf's fixed64). */
export function writeDouble(out: Uint8Array, off: number, v: number): number {
  f64[0] = v;
  out[off] = f64Bytes[0]!;
  out[off + 1] = f64Bytes[1]!;
  out[off + 2] = f64Bytes[2]!;
  out[off + 3] = f64Bytes[3]!;
  out[off + 4] = f64Bytes[4]!;
  out[off + 5] = f64Bytes[5]!;
  out[off + 6] = f64Bytes[6]!;
  out[off + 7] = f64Bytes[7]!;
  return off + 8;
}

/** Prometheus's stale marker: the NaN 0x7ff0000000000002, little-endian. */
export const STALE_NAN_BYTES = Uint8Array.of(0x02, 0, 0, 0, 0, 0, 0xf0, 0x7f);

export function writeStaleNaN(out: Uint8Array, off: number): number {
  out.set(STALE_NAN_BYTES, off);
  return off + 8;
}

/** A field's key byte: (field << 3) | wire type. */
export const enum Wire {
  Varint = 0,
  Fixed64 = 1,
  Bytes = 2,
}
export function key(field: number, wire: Wire): number {
  return (field << 3) | wire;
}

/** Decimal digits of a non-negative integer below 2^53 (an exporter id, an epoch). */
export function decimalDigits(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}
