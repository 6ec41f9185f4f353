import { BACKSLASH, LF, QUOTE } from './chars.js';

/**
 * Bytes to strings, for label decoding on a scrape-cache miss, error messages and the rare
 * float the fast path cannot take. Allocates: NEVER call from the per-sample hot path.
 */
// Node's string constructors behind Buffer#toString; they take any Uint8Array and cost a
// quarter of a concat loop or TextDecoder plus subarray. utf8Slice turns invalid sequences
// into U+FFFD.
type Slice = (this: Uint8Array, start: number, end: number) => string;
const proto = Buffer.prototype as unknown as { latin1Slice: Slice; utf8Slice: Slice };
const latin1Slice = proto.latin1Slice;
const utf8Slice = proto.utf8Slice;

/** [s, e) holds ASCII only (the caller validated it). */
export function asciiString(b: Uint8Array, s: number, e: number): string {
  return latin1Slice.call(b, s, e);
}

/** UTF-8 bytes to a string (invalid sequences become U+FFFD). */
export function utf8String(b: Uint8Array, s: number, e: number): string {
  return utf8Slice.call(b, s, e);
}

/**
 * A label value as written between its quotes, escapes resolved as Prometheus does:
 * `\\` → `\`, `\"` → `"`, `\n` → newline; any other `\x` is kept as is.
 */
export function labelValueString(b: Uint8Array, s: number, e: number): string {
  let i = s;
  while (i < e && b[i] !== BACKSLASH) i++;
  if (i === e) return utf8String(b, s, e);
  const out = new Uint8Array(e - s);
  let n = 0;
  for (i = s; i < e; i++) {
    const c = b[i];
    if (c === BACKSLASH && i + 1 < e) {
      const x = b[i + 1];
      if (x === BACKSLASH || x === QUOTE) {
        out[n++] = x;
        i++;
        continue;
      }
      if (x === 0x6e /* n */) {
        out[n++] = LF;
        i++;
        continue;
      }
    }
    out[n++] = c;
  }
  return utf8Slice.call(out, 0, n);
}

/**
 * End of the valid UTF-8 sequence starting at b[i] (a byte ≥ 0x80), or -1. Rejects overlong
 * forms, surrogates and code points above U+10FFFF, as Go's utf8.Valid does.
 */
export function utf8SequenceEnd(b: Uint8Array, i: number, end: number): number {
  const c = b[i];
  if (c < 0xc2) return -1;
  if (c < 0xe0) return i + 1 < end && (b[i + 1] & 0xc0) === 0x80 ? i + 2 : -1;
  if (c < 0xf0) {
    if (i + 2 >= end) return -1;
    const c1 = b[i + 1];
    if ((c1 & 0xc0) !== 0x80 || (b[i + 2] & 0xc0) !== 0x80) return -1;
    if ((c === 0xe0 && c1 < 0xa0) || (c === 0xed && c1 >= 0xa0)) return -1;
    return i + 3;
  }
  if (c < 0xf5) {
    if (i + 3 >= end) return -1;
    const c1 = b[i + 1];
    if ((c1 & 0xc0) !== 0x80 || (b[i + 2] & 0xc0) !== 0x80 || (b[i + 3] & 0xc0) !== 0x80) return -1;
    if ((c === 0xf0 && c1 < 0x90) || (c === 0xf4 && c1 >= 0x90)) return -1;
    return i + 4;
  }
  return -1;
}
