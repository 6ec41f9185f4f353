/**
 * Integer hashing for the exporter model: every simulated value is a pure function of
 * (seed, exporter, series, time), so runs are reproducible and any worker can render any
 * exporter. murmur3's fmix32 finaliser over Math.imul: no allocation, a few ns.
 */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Combines two 32-bit values into one well-mixed unsigned 32-bit hash. */
export function mix2(a: number, b: number): number {
  return fmix32((a ^ Math.imul(b + 0x9e3779b9, 0x27d4eb2d)) >>> 0);
}

export function mix3(a: number, b: number, c: number): number {
  return mix2(mix2(a, b), c);
}

/** FNV-1a of a string, for deriving per-family keys once at model build time. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A uniform number in [0, 1) from a hash. */
export function unit(h: number): number {
  return (h >>> 0) / 4294967296;
}
