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
 * Whether the run a[s, s + len) must be compared with sameBytes(): shorter than 8 bytes, or
 * with a double on matchNext's grid that is ±0 or NaN (equal doubles are equal bytes except
 * for those; never in text, but bytes are bytes). Read as bytes (little-endian), so that a
 * sequence needs no DataView until the JavaScript matcher runs: ±0 is seven zero bytes and a
 * top byte of 0 or 0x80; NaN an exponent of all ones (±Infinity too: compared byte by byte,
 * which is only slower).
 */
export function needsSameBytes(a: Uint8Array, s: number, len: number): boolean {
  if (len < 8) return true;
  const last = len - 8;
  for (let j = 0; ; j += 8) {
    if (j > last) j = last;
    const w = s + j;
    const top = a[w + 7]! & 0x7f;
    if (top === 0x7f && (a[w + 6]! & 0xf0) === 0xf0) return true;
    if (top === 0 && (a[w]! | a[w + 1]! | a[w + 2]! | a[w + 3]! | a[w + 4]! | a[w + 5]! | a[w + 6]!) === 0) return true;
    if (j === last) return false;
  }
}
