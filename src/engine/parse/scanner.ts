import { ParseError } from '../../common/errors.js';
import { BACKSLASH, CLASS, Cls, COMMA, EQUALS, LBRACE, LF, QUOTE, RBRACE, SP, TAB } from './chars.js';
import { utf8SequenceEnd, utf8String } from './decode.js';

/** Longest label value accepted; a longer one is a ParseError (it would only bloat the head). */
export const MAX_LABEL_VALUE_BYTES = 64 * 1024;
/** Longest line accepted. */
export const MAX_LINE_BYTES = 1024 * 1024;

/**
 * Scans a label value from just after its opening quote. Returns the index of the closing
 * quote, or ~pos (< 0) with pos at the offending byte: end of input or LF (unterminated),
 * a backslash with nothing to escape, or an invalid UTF-8 sequence.
 * MUST stay allocation-free: runs once per label of every sample.
 */
export function scanLabelValue(dv: DataView, b: Uint8Array, i: number, end: number): number {
  for (;;) {
    // Four bytes a step: the lowest flagged byte of the OR of the zero-byte tests is a true
    // stop (a borrow can only flag bytes above a true zero byte).
    while (i + 4 <= end) {
      const v = dv.getInt32(i, true);
      const q = v ^ 0x22222222;
      const s = v ^ 0x5c5c5c5c;
      const l = v ^ 0x0a0a0a0a;
      const m = (((q - 0x01010101) & ~q) | ((s - 0x01010101) & ~s) | ((l - 0x01010101) & ~l) | v) & 0x80808080;
      if (m !== 0) {
        i += (31 - Math.clz32(m & -m)) >> 3;
        break;
      }
      i += 4;
    }
    while (i < end && (CLASS[b[i]] & Cls.ValueStop) === 0) i++;
    if (i >= end) return ~i;
    const c = b[i];
    if (c === QUOTE) return i;
    if (c === BACKSLASH) {
      const n = i + 1;
      if (n >= end || b[n] === LF) return ~i;
      // An escaped non-ASCII byte starts a UTF-8 sequence that must still be validated.
      i = b[n] < 0x80 ? n + 1 : n;
      continue;
    }
    if (c === LF) return ~i;
    const e = utf8SequenceEnd(b, i, end);
    if (e < 0) return ~i;
    i = e;
  }
}

/** What a failed scanLabelValue stopped on, as the "expected" part of the error. */
export function labelValueExpectation(b: Uint8Array, pos: number, end: number): string {
  if (pos >= end || b[pos] === LF) return 'closing double quote of label value';
  if (b[pos] === BACKSLASH) return 'escaped character after backslash';
  return 'valid UTF-8 in label value';
}

/**
 * A ParseError at byte `pos` of line `line`: the column counts characters (UTF-8 sequences)
 * from the line's start, 1-based; "found" quotes the token at pos. Allocates; error path only.
 */
export function parseErrorAt(b: Uint8Array, start: number, end: number, pos: number, line: number, expected: string): ParseError {
  let ls = pos > end ? end : pos;
  while (ls > start && b[ls - 1] !== LF) ls--;
  let column = 1;
  for (let k = ls; k < pos && k < end; k++) if ((b[k] & 0xc0) !== 0x80) column++;
  return new ParseError(line, column, expected, describeToken(b, pos, end));
}

const MAX_FOUND_BYTES = 32;

function isDelimiter(c: number): boolean {
  return c === SP || c === TAB || c === LF || c === QUOTE || c === COMMA || c === EQUALS || c === LBRACE || c === RBRACE;
}

/** The token at pos for an error message: `end of input`, `end of line`, or a quoted string. */
export function describeToken(b: Uint8Array, pos: number, end: number): string {
  if (pos >= end) return 'end of input';
  if (b[pos] === LF) return 'end of line';
  let e = pos + 1;
  if (!isDelimiter(b[pos])) {
    while (e < end && e - pos < MAX_FOUND_BYTES && !isDelimiter(b[e])) e++;
    while (e < end && (b[e] & 0xc0) === 0x80) e++; // finish a UTF-8 sequence
  } else {
    while (e < end && (b[e] & 0xc0) === 0x80) e++;
  }
  const more = e < end && e - pos >= MAX_FOUND_BYTES && !isDelimiter(b[e]) ? '…' : '';
  return JSON.stringify(utf8String(b, pos, e) + more);
}

/** Skips spaces and tabs. */
export function skipBlanks(b: Uint8Array, i: number, end: number): number {
  while (i < end && (CLASS[b[i]] & Cls.Blank) !== 0) i++;
  return i;
}

// Node's Buffer#indexOf is memchr (13 ns for an 80-byte line here); V8's own
// Uint8Array#indexOf is a plain loop (42 ns). Node's also takes a plain Uint8Array.
const bufferIndexOf = Buffer.prototype.indexOf;

/** Index of the LF ending the line at i, or `end`. */
export function lineEnd(b: Uint8Array, i: number, end: number): number {
  const j = bufferIndexOf.call(b, LF, i);
  return j < 0 || j > end ? end : j;
}

/** Whether b[s, e) is exactly the ASCII word w. */
export function isWord(b: Uint8Array, s: number, e: number, w: string): boolean {
  if (e - s !== w.length) return false;
  for (let j = 0; j < w.length; j++) if (b[s + j] !== w.charCodeAt(j)) return false;
  return true;
}

/**
 * Length of the common prefix of b[p, p+n) and b[q, q+n), eight bytes per step through a
 * DataView over b (an inlined load each; a byte loop costs about 5× more), the first differing
 * byte then located with an int32 XOR. Compared as doubles: NaN patterns compare unequal (a
 * shorter prefix: harmless), and ±0 compare equal with different sign bytes, which the
 * byte-7 check catches.
 */
export function commonPrefix(dv: DataView, b: Uint8Array, p: number, q: number, n: number): number {
  let j = 0;
  while (j + 8 <= n) {
    const x = dv.getFloat64(p + j, true);
    if (x !== dv.getFloat64(q + j, true) || (x === 0 && b[p + j + 7] !== b[q + j + 7])) break;
    j += 8;
  }
  if (j + 4 <= n) {
    const d = dv.getInt32(p + j, true) ^ dv.getInt32(q + j, true);
    if (d !== 0) return j + ((31 - Math.clz32(d & -d)) >> 3);
    j += 4;
    if (j + 4 <= n) {
      const d2 = dv.getInt32(p + j, true) ^ dv.getInt32(q + j, true);
      if (d2 !== 0) return j + ((31 - Math.clz32(d2 & -d2)) >> 3);
      j += 4;
    }
  }
  while (j < n && b[p + j] === b[q + j]) j++;
  return j;
}

/**
 * Mask with bit 7 set in each byte of the little-endian word v that is not a metric-name
 * byte [a-zA-Z0-9_:]: SWAR range tests, four bytes in ~20 int32 operations.
 */
function notNameBytes(v: number): number {
  // Bytes >= 0x80 are flagged by `| v`; additions can carry out of such a byte, but only
  // into higher bytes, so the lowest flagged byte is always right.
  const t = v | 0x20202020; // fold case: only A-Z and a-z land in 0x61..0x7a
  const letter = (t + 0x1f1f1f1f) & ~(t + 0x05050505); // 0x61 <= t <= 0x7a
  const digit = (v + 0x50505050) & ~(v + 0x45454545); // 0x30 <= v <= 0x3a: digits and ':'
  const x = v ^ 0x5f5f5f5f;
  const under = ~(((x & 0x7f7f7f7f) + 0x7f7f7f7f) | x); // v == '_'
  return (~(letter | digit | under) | v) & 0x80808080;
}

/** End of the run of metric-name bytes starting at i: four bytes a step, then bytewise. */
export function scanName(dv: DataView, b: Uint8Array, i: number, end: number): number {
  while (i + 4 <= end) {
    const m = notNameBytes(dv.getInt32(i, true));
    if (m !== 0) return i + ((31 - Math.clz32(m & -m)) >> 3);
    i += 4;
  }
  while (i < end && (CLASS[b[i]] & Cls.Name) !== 0) i++;
  return i;
}

/** Bytes b[i, i+4) as a little-endian int32 (for matching four-letter keywords), or 0. */
export function word4(dv: DataView, i: number, end: number): number {
  return i + 4 <= end ? dv.getInt32(i, true) : 0;
}

/** 'HELP', 'TYPE', 'UNIT' as little-endian int32s. */
export const WORD_HELP = 0x504c4548;
export const WORD_TYPE = 0x45505954;
export const WORD_UNIT = 0x54494e55;

/**
 * A label value with no escape, no LF and no non-ASCII byte, closed by `"}`, from just inside
 * its opening quote: returns the index after the `}`, or 0 when the value is anything else
 * (the caller then takes the general path, which also reports errors).
 */
export function plainValueThenBrace(b: Uint8Array, i: number, end: number): number {
  const vs = i;
  while (i < end) {
    const c = b[i];
    if (c === QUOTE) break;
    if (c === BACKSLASH || c === LF || c >= 0x80) return 0;
    i++;
  }
  return i + 1 < end && b[i + 1] === RBRACE && i - vs <= MAX_LABEL_VALUE_BYTES ? i + 2 : 0;
}
