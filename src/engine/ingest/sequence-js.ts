/**
 * The JavaScript matcher's byte compares (ScrapeSequence.matchNext compares most runs eight
 * bytes a step as doubles, inline; these are for the runs that grid cannot take).
 * MUST stay allocation-free: run once per sample.
 */

/** Whether body[pos, pos + len) equals a[s, s + len), byte by byte. */
export function sameBytes(a: Uint8Array, s: number, body: Uint8Array, pos: number, len: number): boolean {
  for (let j = 0; j < len; j++) if (a[s + j] !== body[pos + j]) return false;
  return true;
}

/**
 * Whether the run dv[s, s + len) must be compared with sameBytes(): shorter than 8 bytes, or
 * with a double on matchNext's grid that is ±0 or NaN (equal doubles are equal bytes except
 * for those; never in text, but bytes are bytes).
 */
export function needsSameBytes(dv: DataView, s: number, len: number): boolean {
  if (len < 8) return true;
  const last = len - 8;
  for (let j = 0; ; j += 8) {
    if (j > last) j = last;
    const x = dv.getFloat64(s + j, true);
    if (x === 0 || x !== x) return true;
    if (j === last) return false;
  }
}
