import { CLASS, Cls, COMMA, CR, EQUALS, HASH, LBRACE, LF, QUOTE, RBRACE, SP, TAB } from './chars.js';
import { BaseParser, MAX_CHECKPOINTS } from './base-parser.js';
import { parseFloatAt } from './float.js';
import { NUM } from './num.js';
import { parseMillisAt } from './timestamp.js';
import {
  MAX_LABEL_VALUE_BYTES,
  MAX_LINE_BYTES,
  isWord,
  labelValueExpectation,
  lineEnd,
  scanLabelValue,
  skipBlanks,
  word4,
  WORD_HELP,
  WORD_TYPE,
} from './scanner.js';
import { Entry, MetricType, type SkippingParser } from './types.js';

/** A value, timestamp or trailing blank ends at a blank, LF or CR. */
function endsToken(c: number): boolean {
  return c === SP || c === LF || c === TAB || c === CR;
}

/**
 * Prometheus text format 0.0.4, as Prometheus's promlex/promparse read it: blanks (spaces,
 * tabs) allowed between any two tokens and around a line, blank lines skipped, commas between
 * labels optional and a trailing one allowed, `# HELP` / `# TYPE` recognised, any other `#`
 * line a comment. Lenient beyond Prometheus in two places: a CR before LF is ignored, and the
 * last line needs no LF. Timestamps are integer milliseconds.
 */
export class TextParser extends BaseParser implements SkippingParser {
  /** MUST stay allocation-free for Series entries: runs once per sample. */
  next(): Entry {
    const b = this.buf;
    const end = this.end;
    let i = this.pos;
    let line = this.nextLine;
    let c = 0;
    for (;;) {
      while (i < end && ((c = b[i]) === SP || c === TAB)) i++;
      if (i >= end) {
        this.pos = i;
        this.nextLine = line;
        return (this.entry = Entry.EOF);
      }
      if (c === LF) {
        i++;
        line++;
      } else if (c === CR && (i + 1 >= end || b[i + 1] === LF)) i++;
      else break;
    }
    this.line = line;
    if (c === HASH) return this.comment(i);
    if ((CLASS[c] & Cls.NameStart) === 0) throw this.error(i, 'metric name or comment');

    const start = i;
    const se = this.series(b, i, end);
    this.nameStart = start;
    this.seriesStart = start;
    this.seriesEnd = se;
    this.prevStart = start;
    this.prevLen = se - start;
    this.prevNameLen = this.nameEnd - start;

    const next = this.tail(b, se, end, start);
    if (next < 0) throw this.error(~next, this.tailExpected);
    this.pos = next;
    this.nextLine = line + 1;
    return (this.entry = Entry.Series);
  }

  /**
   * See SkippingParser. MUST stay allocation-free: runs once per sample on a sequence hit.
   * The format's part, where the value starts (one space or none after `}`, a blank after a
   * bare name); the rest in acceptValue().
   */
  acceptSeries(seriesStart: number, seriesEnd: number, nameEnd: number, lines: number): boolean {
    if (seriesEnd >= this.end) return false;
    const c = this.buf[seriesEnd];
    // Without a label set, next() reads the name up to the first non-name byte and wants a
    // blank there: `up 1` is the series `up`, `up1 1` is not.
    if (seriesEnd === nameEnd && c !== SP && c !== TAB) return false;
    return this.acceptValue(c === SP ? seriesEnd + 1 : seriesEnd, seriesStart, seriesEnd, nameEnd, lines);
  }

  /** acceptSeries for any other rest of the line (signs, specials, long floats, timestamps, blanks, CR): tail(). */
  protected acceptTail(seriesStart: number, seriesEnd: number, nameEnd: number, lines: number): boolean {
    const next = this.tail(this.buf, seriesEnd, this.end, seriesStart);
    if (next < 0) return false;
    this.accepted(seriesStart, seriesEnd, nameEnd, lines, next);
    return true;
  }

  /**
   * The rest of a sample line from the series' end `se` (the series starts at `start`):
   * blanks, value, optional timestamp, line end. Sets value and timestampMs; returns where
   * the next line starts, or ~pos of the error with tailExpected set.
   * MUST stay allocation-free: runs once per sample.
   */
  private tail(b: Uint8Array, se: number, end: number, start: number): number {
    let i = se;
    let c = 0;
    while (i < end && ((c = b[i]) === SP || c === TAB)) i++;
    // Inline fast path for the commonest value, a short integer; anything else (and a
    // longer integer) through parseFloatAt, whose call costs ~10 ns here.
    let k = i;
    let v = 0;
    while (k < end) {
      const d = b[k] - 48;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
      k++;
    }
    if (k > i && k - i < 16 && (k >= end || (c = b[k]) === LF || c === SP || c === TAB || c === CR)) this.value = v;
    else {
      k = parseFloatAt(this.dv, b, i, end, true);
      if (k < 0 || (k < end && !endsToken(b[k]))) return this.fail(i, 'value');
      this.value = NUM[0];
    }
    let ts = NaN;
    if (k < end && b[k] === LF) i = k + 1;
    else {
      i = skipBlanks(b, k, end);
      if (i < end) {
        c = b[i];
        if (c !== LF && c !== CR) {
          k = parseMillisAt(b, i, end);
          if (k < 0 || (k < end && !endsToken(b[k]))) return this.fail(i, 'timestamp (integer milliseconds) or end of line');
          ts = NUM[0];
          i = skipBlanks(b, k, end);
        }
        if (i < end) {
          c = b[i];
          if (c === LF) i++;
          else if (c === CR && (i + 1 >= end || b[i + 1] === LF)) i = i + 2 > end ? end : i + 2;
          else return this.fail(i, ts === ts ? 'end of line after timestamp' : 'end of line');
        }
      }
    }
    if (i - start > MAX_LINE_BYTES) return this.fail(start, `line of at most ${MAX_LINE_BYTES} bytes`);
    this.timestampMs = ts;
    return i;
  }

  /** After the metric name at i: the optional label set; returns the series' end. */
  protected afterName(b: Uint8Array, i: number, end: number, start: number): number {
    let j = i;
    while (j < end && (CLASS[b[j]] & Cls.Blank) !== 0) j++;
    if (j < end && b[j] === LBRACE) return this.labelSet(b, j + 1, end, start, false);
    if (j === i) throw this.error(i, 'label set or blank after metric name');
    return i;
  }

  /**
   * From just after `{` (or a checkpoint: a label name, or just inside a value's opening quote
   * when `inValue`) to just after `}`, recording checkpoints as (offset << 1 | inValue).
   * MUST stay allocation-free.
   */
  protected labelSet(b: Uint8Array, i: number, end: number, start: number, inValue: boolean): number {
    const cps = this.cps;
    for (;;) {
      if (!inValue) {
        while (i < end && (CLASS[b[i]] & Cls.Blank) !== 0) i++;
        if (i >= end) throw this.error(i, 'label name or "}"');
        const c = b[i];
        if (c === RBRACE) return i + 1;
        if ((CLASS[c] & Cls.LabelStart) === 0) throw this.error(i, 'label name or "}"');
        if (this.cpCount < MAX_CHECKPOINTS) cps[this.cpCount++] = (i - start) << 1;
        i++;
        while (i < end && (CLASS[b[i]] & Cls.Label) !== 0) i++;
        if (i < end && b[i] !== EQUALS) i = skipBlanks(b, i, end);
        if (i >= end || b[i] !== EQUALS) throw this.error(i, '"=" after label name');
        i++;
        if (i < end && b[i] !== QUOTE) i = skipBlanks(b, i, end);
        if (i >= end || b[i] !== QUOTE) throw this.error(i, 'label value in double quotes');
        i++;
        if (this.cpCount < MAX_CHECKPOINTS) cps[this.cpCount++] = ((i - start) << 1) | 1;
      }
      inValue = false;
      const ve = scanLabelValue(this.dv, b, i, end);
      if (ve < 0) throw this.error(~ve, labelValueExpectation(b, ~ve, end));
      if (ve - i > MAX_LABEL_VALUE_BYTES) throw this.error(i, `label value of at most ${MAX_LABEL_VALUE_BYTES} bytes`);
      i = ve + 1;
      if (i < end) {
        let c = b[i];
        if (c === SP || c === TAB) {
          i = skipBlanks(b, i, end);
          c = i < end ? b[i] : 0;
        }
        if (c === COMMA) i++;
        else if (c === RBRACE) return i + 1;
        // Else (as Prometheus) the next label name with no comma at all.
      }
    }
  }

  /** A `#` line: HELP, TYPE or a plain comment. */
  private comment(i: number): Entry {
    const b = this.buf;
    const end = this.end;
    const le = lineEnd(b, i, end);
    if (le - i > MAX_LINE_BYTES) throw this.error(i, `line of at most ${MAX_LINE_BYTES} bytes`);
    const te = le > i && b[le - 1] === CR ? le - 1 : le;
    const k = skipBlanks(b, i + 1, te);
    let entry = Entry.Comment;
    if (k > i + 1 && k + 4 < te && (CLASS[b[k + 4]] & Cls.Blank) !== 0) {
      const w = word4(this.dv, k, te);
      if (w === WORD_HELP) entry = Entry.Help;
      else if (w === WORD_TYPE) entry = Entry.Type;
    }
    if (entry === Entry.Comment) {
      this.textStart = i + 1;
      this.textEnd = te;
      return this.endComment(le, Entry.Comment);
    }
    let n = skipBlanks(b, k + 5, te);
    if (n >= te || (CLASS[b[n]] & Cls.NameStart) === 0) throw this.error(n, `metric name after ${entry === Entry.Help ? 'HELP' : 'TYPE'}`);
    n = this.descriptorName(b, n, te);
    if (n < te && (CLASS[b[n]] & Cls.Blank) === 0) throw this.error(n, 'blank after metric name');
    if (entry === Entry.Help) {
      // The text starts after exactly one blank, as in Prometheus; it keeps its escapes.
      this.textStart = n < te ? n + 1 : n;
      this.textEnd = te;
      return this.endComment(le, Entry.Help);
    }
    const ts = skipBlanks(b, n, te);
    let ws = te;
    while (ws > ts && (CLASS[b[ws - 1]] & Cls.Blank) !== 0) ws--;
    this.textStart = ts;
    this.textEnd = ws;
    const type = textType(b, ts, ws);
    if (type === -1) throw this.error(ts, 'metric type (counter, gauge, histogram, summary or untyped)');
    this.metricType = type;
    return this.endComment(le, Entry.Type);
  }
}

function textType(b: Uint8Array, s: number, e: number): MetricType | -1 {
  if (isWord(b, s, e, 'counter')) return MetricType.Counter;
  if (isWord(b, s, e, 'gauge')) return MetricType.Gauge;
  if (isWord(b, s, e, 'histogram')) return MetricType.Histogram;
  if (isWord(b, s, e, 'summary')) return MetricType.Summary;
  if (isWord(b, s, e, 'untyped')) return MetricType.Unknown;
  return -1;
}
