import type { ParseError } from '../../common/errors.js';
import { CLASS, Cls, COMMA, EQUALS, LBRACE, RBRACE } from './chars.js';
import { asciiString, labelValueString } from './decode.js';
import { plainValueLine } from './float.js';
import { NUM } from './num.js';
import { MAX_LINE_BYTES, commonPrefix, parseErrorAt, plainValueThenBrace, scanLabelValue, scanName, skipBlanks } from './scanner.js';
import { Entry, MetricType, type Parser } from './types.js';

/** Label-name checkpoints kept per series; labels beyond are simply not resumable. */
export const MAX_CHECKPOINTS = 64;

/**
 * State, the series scan with its prefix reuse, the HELP/TYPE name reuse, acceptSeries' plain
 * value path and the allocating accessors shared by both formats. Each subclass has its own
 * next() and its own grammar after the name (afterName, labelSet: text allows blanks,
 * OpenMetrics does not). Sharing series() measured neutral (parser and cached-ingester
 * benchmarks within their run-to-run noise, 2–4 %). The sample line's bookkeeping stays inline
 * in each next(): in a parse loop, TextParser.next with series() and afterName() inlined fills
 * V8's cumulative inlining budget (920 bytecode bytes), and helpers for it (more bytecode)
 * pushed afterName() out: +4–5 % ns/sample, measured. Every field is initialised here with
 * the type it keeps (doubles as NaN), so V8 gives the objects one stable shape.
 */
export abstract class BaseParser implements Parser {
  protected buf: Uint8Array = new Uint8Array(0);
  protected start = 0;
  protected end = 0;
  /** Where the next entry starts, and its 1-based line. */
  protected pos = 0;
  protected nextLine = 1;
  protected done = false;

  line = 0;
  nameStart = 0;
  nameEnd = 0;
  seriesStart = 0;
  seriesEnd = 0;
  value = NaN;
  timestampMs = NaN;
  textStart = 0;
  textEnd = 0;
  metricType: MetricType = MetricType.Unknown;
  protected entry: Entry = Entry.EOF;

  /**
   * Series-prefix reuse (see next()): the previous series' start, length and name length,
   * and its checkpoints, the offsets (from the series start) where a label name starts. A
   * series sharing bytes [0, L) with the previous one resumes at the last checkpoint below L:
   * the state there is the same, the bytes before were validated one line ago.
   */
  protected dv: DataView = new DataView(new ArrayBuffer(8));
  protected prevStart = 0;
  protected prevLen = 0;
  protected prevNameLen = 0;
  protected readonly cps = new Int32Array(MAX_CHECKPOINTS);
  protected cpCount = 0;
  /** The last HELP/TYPE name (a TYPE line's name is usually its HELP line's). */
  protected descStart = 0;
  protected descLen = 0;

  reset(buf: Uint8Array, start = 0, end = buf.length): void {
    this.buf = buf;
    this.end = Math.max(0, Math.min(end, buf.length));
    this.start = Math.max(0, Math.min(start, this.end));
    this.pos = this.start;
    this.nextLine = 1;
    this.done = false;
    this.line = 0;
    this.entry = Entry.EOF;
    this.prevLen = 0;
    this.cpCount = 0;
    this.descLen = 0;
    // Over the rest of the ArrayBuffer, so that an engine handing in subarrays of one reused
    // buffer (same start, another length each scrape) keeps its DataView.
    const dv = this.dv;
    if (dv.buffer !== buf.buffer || dv.byteOffset !== buf.byteOffset) this.dv = new DataView(buf.buffer, buf.byteOffset);
  }

  abstract next(): Entry;

  /** Where the next entry starts (always a line start): SkippingParser's position. */
  get position(): number {
    return this.pos;
  }

  /**
   * A SkippingParser's accepted run (value and timestamp already set): the Series entry
   * current, as next() had returned it, the next line at `next`.
   */
  protected accepted(seriesStart: number, seriesEnd: number, nameEnd: number, lines: number, next: number): void {
    const line = this.nextLine + lines;
    this.line = line;
    this.nameStart = seriesStart;
    this.nameEnd = nameEnd;
    this.seriesStart = seriesStart;
    this.seriesEnd = seriesEnd;
    // No checkpoints were recorded for this series: no prefix reuse from it.
    this.prevLen = 0;
    this.cpCount = 0;
    this.pos = next;
    this.nextLine = line + 1;
    this.entry = Entry.Series;
  }

  /**
   * acceptSeries after the format's check, the value starting at vs: the commonest rest of a
   * line (a plain decimal, LF) inline, anything else through the format's acceptTail(). Each
   * format keeps its own small acceptSeries: one shared acceptSeries in this class (the check
   * a virtual call) got inlined into the cached ingester's loop in place of the scrape cache's
   * calls, +10–14 % ns/sample with its JavaScript matcher, measured. MUST stay allocation-free.
   */
  protected acceptValue(vs: number, seriesStart: number, seriesEnd: number, nameEnd: number, lines: number): boolean {
    const next = plainValueLine(this.dv, this.buf, vs, this.end);
    if (next < 0 || next - seriesStart > MAX_LINE_BYTES) return this.acceptTail(seriesStart, seriesEnd, nameEnd, lines);
    this.value = NUM[0];
    this.timestampMs = NaN;
    this.accepted(seriesStart, seriesEnd, nameEnd, lines, next);
    return true;
  }

  /** acceptValue for any other rest of the line: the format's tail(), then accepted(). */
  protected abstract acceptTail(seriesStart: number, seriesEnd: number, nameEnd: number, lines: number): boolean;

  /** See SkippingParser.acceptRuns. */
  acceptRuns(next: number, lines: number, samples: number): boolean {
    if (samples === 0) return true;
    const line = this.nextLine + lines - 1;
    this.line = line;
    this.prevLen = 0;
    this.cpCount = 0;
    this.timestampMs = NaN;
    this.pos = next;
    this.nextLine = line + 1;
    this.entry = Entry.Series;
    return true;
  }

  /** A comment or descriptor line ending at `le` (its LF or the end) is the current entry. */
  protected endComment(le: number, entry: Entry): Entry {
    this.pos = le < this.end ? le + 1 : le;
    this.nextLine = this.line + 1;
    return (this.entry = entry);
  }

  /**
   * A HELP/TYPE/UNIT line's metric name from its first byte n, in a line whose text ends at
   * te; sets nameStart/nameEnd and returns the name's end. A TYPE line repeats its HELP
   * line's name: compared 8 bytes a step (with the byte after it), not re-validated.
   */
  protected descriptorName(b: Uint8Array, n: number, te: number): number {
    const dl = this.descLen;
    if (dl !== 0 && n + dl < te && commonPrefix(this.dv, b, this.descStart, n, dl + 1) === dl + 1) {
      this.nameStart = n;
      this.nameEnd = n + dl;
      this.descStart = n;
      return n + dl;
    }
    const s = n;
    n = scanName(this.dv, b, n + 1, te);
    this.nameStart = s;
    this.nameEnd = n;
    this.descStart = s;
    this.descLen = n - s;
    return n;
  }

  labels(out: [string, string][]): [string, string][] {
    out.length = 0;
    if (this.entry !== Entry.Series) return out;
    const b = this.buf;
    const e = this.seriesEnd;
    let i = skipBlanks(b, this.nameEnd, e);
    if (i >= e || b[i] !== LBRACE) return out;
    i++;
    // The series was validated by next(): this walk only finds the pieces.
    for (;;) {
      i = skipBlanks(b, i, e);
      if (i >= e || b[i] === RBRACE) return out;
      const ns = i;
      while (i < e && (CLASS[b[i]] & Cls.Label) !== 0) i++;
      const name = asciiString(b, ns, i);
      i = skipBlanks(b, i, e);
      if (b[i] === EQUALS) i++;
      i = skipBlanks(b, i, e) + 1; // past the opening quote
      const ve = scanLabelValue(this.dv, b, i, e);
      if (ve < 0) return out;
      if (name !== '__name__') out.push([name, labelValueString(b, i, ve)]);
      i = skipBlanks(b, ve + 1, e);
      if (i < e && b[i] === COMMA) i++;
    }
  }

  metricName(): string {
    return asciiString(this.buf, this.nameStart, this.nameEnd);
  }

  /** What the last failed tail() expected, for the ParseError. */
  protected tailExpected = '';

  protected fail(pos: number, expected: string): number {
    this.tailExpected = expected;
    return ~pos;
  }

  /**
   * The series `name{labels}` from its first byte; sets nameEnd, returns the series' end.
   * Series-prefix reuse: most series share a long prefix with the one before (a histogram's
   * buckets, a family's label sets). The shared bytes are compared 8 a step and not re-read;
   * the scan resumes at the last checkpoint inside them, where the state is the same.
   */
  protected series(b: Uint8Array, start: number, end: number): number {
    const pl = this.prevLen;
    const pnl = this.prevNameLen;
    if (pl !== 0) {
      const common = commonPrefix(this.dv, b, this.prevStart, start, pl < end - start ? pl : end - start);
      // The name and its terminator matched: same name.
      if (common > pnl) {
        this.nameEnd = start + pnl;
        const cps = this.cps;
        let n = this.cpCount;
        while (n > 0 && cps[n - 1] >> 1 > common) n--;
        if (n > 0) {
          const cp = cps[--n];
          this.cpCount = n;
          // Commonest case, a histogram's next bucket: only the last value differs. Finish
          // it inline when it is plain and closes the set; else the general scan.
          if ((cp & 1) !== 0) {
            const j = plainValueThenBrace(b, start + (cp >> 1), end);
            if (j > 0) {
              this.cpCount = n + 1;
              return j;
            }
          }
          return this.labelSet(b, start + (cp >> 1), end, start, (cp & 1) !== 0);
        }
        this.cpCount = 0;
        return this.afterName(b, start + pnl, end, start);
      }
    }
    // A family's first series usually starts with the name of its TYPE line.
    let i = start + 1;
    const dl = this.descLen;
    if (dl !== 0 && dl < end - start && commonPrefix(this.dv, b, this.descStart, start, dl) === dl) i = start + dl;
    i = scanName(this.dv, b, i, end);
    this.nameEnd = i;
    this.cpCount = 0;
    return this.afterName(b, i, end, start);
  }

  /** After the metric name at i: the optional label set; returns the series' end. Format-specific (blanks). */
  protected abstract afterName(b: Uint8Array, i: number, end: number, start: number): number;
  /** Label pairs from i up to and including '}'; inValue: i is inside a label value. Format-specific (blanks, commas). */
  protected abstract labelSet(b: Uint8Array, i: number, end: number, start: number, inValue: boolean): number;

  /** The error for byte pos of the current line. Allocates; error path only. */
  protected error(pos: number, expected: string): ParseError {
    this.prevLen = 0; // the checkpoints may be half-written
    this.descLen = 0;
    return parseErrorAt(this.buf, this.start, this.end, pos, this.line, expected);
  }
}
