import { CLASS, Cls, COMMA, EQUALS, HASH, LBRACE, LF, QUOTE, RBRACE, SP } from './chars.js';
import { BaseParser, MAX_CHECKPOINTS } from './base-parser.js';
import { parseFloatAt } from './float.js';
import { NUM } from './num.js';
import { parseSecondsAt } from './timestamp.js';
import {
  MAX_LABEL_VALUE_BYTES,
  MAX_LINE_BYTES,
  WORD_HELP,
  WORD_TYPE,
  WORD_UNIT,
  isWord,
  labelValueExpectation,
  lineEnd,
  scanLabelValue,
  word4,
} from './scanner.js';
import { Entry, MetricType, type SkippingParser } from './types.js';

/**
 * OpenMetrics 1.0 text, as Prometheus's openmetricslex/openmetricsparse read it: exactly one
 * space between tokens, no blank lines, commas between labels and none trailing, only
 * `# HELP` / `# TYPE` / `# UNIT` descriptors, exemplars (` # {…} value [timestamp]`) validated
 * and skipped, and the body MUST end with `# EOF` (a truncated body is an error; anything
 * after `# EOF` too). Timestamps are float seconds, returned as integer milliseconds.
 */
export class OpenMetricsParser extends BaseParser implements SkippingParser {
  /** MUST stay allocation-free for Series entries: runs once per sample. */
  next(): Entry {
    if (this.done) return Entry.EOF;
    const b = this.buf;
    const end = this.end;
    let i = this.pos;
    const line = this.nextLine;
    this.line = line;
    if (i >= end) throw this.error(i, '"# EOF"');
    const c = b[i];
    if (c === HASH) return this.descriptor(i);
    if ((CLASS[c] & Cls.NameStart) === 0) throw this.error(i, 'metric name, "# HELP", "# TYPE", "# UNIT" or "# EOF"');

    const start = i;
    i = this.series(b, i, end);
    this.nameStart = start;
    this.seriesStart = start;
    this.seriesEnd = i;
    this.prevStart = start;
    this.prevLen = i - start;
    this.prevNameLen = this.nameEnd - start;
    if (i >= end || b[i] !== SP) throw this.error(i, this.seriesEnd === this.nameEnd ? 'label set or space' : 'space');
    const next = this.tail(b, i + 1, end, start);
    if (next < 0) throw this.error(~next, this.tailExpected);
    this.pos = next;
    this.nextLine = line + 1;
    return (this.entry = Entry.Series);
  }

  /**
   * See SkippingParser. MUST stay allocation-free: runs once per sample on a sequence hit.
   * The format's part, exactly one space before the value and nothing after `# EOF`; the rest
   * in acceptValue().
   */
  acceptSeries(seriesStart: number, seriesEnd: number, nameEnd: number, lines: number): boolean {
    if (this.done || seriesEnd >= this.end || this.buf[seriesEnd] !== SP) return false;
    return this.acceptValue(seriesEnd + 1, seriesStart, seriesEnd, nameEnd, lines);
  }

  /** See SkippingParser.acceptRuns: none after `# EOF`. */
  override acceptRuns(next: number, lines: number, samples: number): boolean {
    return !this.done && super.acceptRuns(next, lines, samples);
  }

  /** acceptSeries for any other rest of the line (signs, specials, long floats, timestamps, exemplars): tail(). */
  protected acceptTail(seriesStart: number, seriesEnd: number, nameEnd: number, lines: number): boolean {
    let next: number;
    try {
      next = this.tail(this.buf, seriesEnd + 1, this.end, seriesStart);
    } catch {
      return false; // a malformed exemplar: next() parses the line again and throws with its line
    }
    if (next < 0) return false;
    this.accepted(seriesStart, seriesEnd, nameEnd, lines, next);
    return true;
  }

  /**
   * The rest of a sample line from just after the space after the series (which starts at
   * `start`): value, optional timestamp and exemplar, line end. Sets value and timestampMs;
   * returns where the next line starts, or ~pos of the error with tailExpected set.
   * MUST stay allocation-free: runs once per sample.
   */
  private tail(b: Uint8Array, i: number, end: number, start: number): number {
    let k = parseFloatAt(this.dv, b, i, end, true);
    if (k < 0 || (k < end && b[k] !== SP && b[k] !== LF)) return this.fail(i, 'value');
    this.value = NUM[0];
    let ts = NaN;
    i = k;
    if (i < end && b[i] === SP) {
      i++;
      if (i < end && b[i] === HASH) i = this.exemplar(b, i, end);
      else {
        k = parseSecondsAt(b, i, end);
        if (k < 0 || (k < end && b[k] !== SP && b[k] !== LF)) return this.fail(i, 'timestamp or exemplar');
        ts = NUM[0];
        i = k;
        if (i < end && b[i] === SP) i = this.exemplar(b, i + 1, end);
      }
    }
    if (i < end) {
      if (b[i] !== LF) return this.fail(i, 'end of line');
      i++;
    }
    if (i - start > MAX_LINE_BYTES) return this.fail(start, `line of at most ${MAX_LINE_BYTES} bytes`);
    this.timestampMs = ts;
    return i;
  }

  protected afterName(b: Uint8Array, i: number, end: number, start: number): number {
    if (i >= end || b[i] !== LBRACE) return i;
    if (i + 1 < end && b[i + 1] === RBRACE) return i + 2;
    return this.labelSet(b, i + 1, end, start, false);
  }

  /**
   * From just after `{` (non-empty set) or a checkpoint (a label name, or just inside a
   * value's quote when `inValue`) to just after `}`. MUST stay allocation-free.
   */
  protected labelSet(b: Uint8Array, i: number, end: number, start: number, inValue: boolean): number {
    const cps = this.cps;
    for (;;) {
      if (!inValue) {
        if (i >= end || (CLASS[b[i]] & Cls.LabelStart) === 0) throw this.error(i, b[i - 1] === LBRACE ? 'label name or "}"' : 'label name');
        if (this.cpCount < MAX_CHECKPOINTS) cps[this.cpCount++] = (i - start) << 1;
        i++;
        while (i < end && (CLASS[b[i]] & Cls.Label) !== 0) i++;
        if (i >= end || b[i] !== EQUALS) throw this.error(i, '"=" after label name');
        i++;
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
        const c = b[i];
        if (c === RBRACE) return i + 1;
        if (c === COMMA) {
          i++;
          continue;
        }
      }
      throw this.error(i, '"," or "}" after label value');
    }
  }

  /** ` # {labels} value [timestamp]` from the `#`: validated, skipped. Returns the LF's index (or end). */
  private exemplar(b: Uint8Array, i: number, end: number): number {
    if (!(i + 2 < end && b[i] === HASH && b[i + 1] === SP && b[i + 2] === LBRACE)) throw this.error(i, 'exemplar "# {"');
    i = i + 3 < end && b[i + 3] === RBRACE ? i + 4 : this.exemplarLabels(b, i + 3, end);
    if (i >= end || b[i] !== SP) throw this.error(i, 'space before exemplar value');
    let k = parseFloatAt(this.dv, b, ++i, end, false);
    if (k < 0 || (k < end && b[k] !== SP && b[k] !== LF)) throw this.error(i, 'exemplar value');
    if (k < end && b[k] === SP) {
      i = k + 1;
      k = parseSecondsAt(b, i, end);
      if (k < 0 || (k < end && b[k] !== LF)) throw this.error(i, 'exemplar timestamp');
    }
    return k;
  }

  /** An exemplar's non-empty label set, from just after `{`; no checkpoints. */
  private exemplarLabels(b: Uint8Array, i: number, end: number): number {
    const n = this.cpCount;
    const r = this.labelSet(b, i, end, 0, false);
    this.cpCount = n;
    return r;
  }

  /** `# HELP|TYPE|UNIT name text` or `# EOF`. */
  private descriptor(i: number): Entry {
    const b = this.buf;
    const end = this.end;
    const le = lineEnd(b, i, end);
    if (le - i > MAX_LINE_BYTES) throw this.error(i, `line of at most ${MAX_LINE_BYTES} bytes`);
    if (i + 1 >= le || b[i + 1] !== SP) throw this.error(i + 1, 'space after "#"');
    const k = i + 2;
    if (isWord(b, k, le, 'EOF')) {
      const after = le < end ? le + 1 : le;
      if (after < end) {
        this.line++;
        throw this.error(after, 'end of input after "# EOF"');
      }
      this.done = true;
      this.pos = after;
      return (this.entry = Entry.EOF);
    }
    let entry: Entry;
    const w = k + 4 < le && b[k + 4] === SP ? word4(this.dv, k, le) : 0;
    if (w === WORD_HELP) entry = Entry.Help;
    else if (w === WORD_TYPE) entry = Entry.Type;
    else if (w === WORD_UNIT) entry = Entry.Unit;
    else throw this.error(k, '"HELP", "TYPE", "UNIT" or "EOF" after "# "');
    let n = k + 5;
    if (n >= le || (CLASS[b[n]] & Cls.NameStart) === 0) throw this.error(n, 'metric name');
    n = this.descriptorName(b, n, le);
    if (n >= le || b[n] !== SP) throw this.error(n, 'space after metric name');
    this.textStart = n + 1;
    this.textEnd = le;
    if (entry === Entry.Type) {
      const type = omType(b, n + 1, le);
      if (type === -1) {
        throw this.error(n + 1, 'metric type (counter, gauge, histogram, gaugehistogram, summary, info, stateset or unknown)');
      }
      this.metricType = type;
    }
    return this.endComment(le, entry);
  }
}

function omType(b: Uint8Array, s: number, e: number): MetricType | -1 {
  if (isWord(b, s, e, 'counter')) return MetricType.Counter;
  if (isWord(b, s, e, 'gauge')) return MetricType.Gauge;
  if (isWord(b, s, e, 'histogram')) return MetricType.Histogram;
  if (isWord(b, s, e, 'gaugehistogram')) return MetricType.GaugeHistogram;
  if (isWord(b, s, e, 'summary')) return MetricType.Summary;
  if (isWord(b, s, e, 'info')) return MetricType.Info;
  if (isWord(b, s, e, 'stateset')) return MetricType.StateSet;
  if (isWord(b, s, e, 'unknown')) return MetricType.Unknown;
  return -1;
}
