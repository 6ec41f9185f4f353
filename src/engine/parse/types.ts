/**
 * The exposition parser's contract, modelled on Prometheus's textparse.Parser: a pull
 * iterator over bytes. `next()` advances to the next entry and returns its kind; the
 * accessors below describe the current entry as OFFSETS INTO THE BUFFER given to reset().
 *
 * Lifetime rule: offsets and fields become invalid after the next call to next() or reset();
 * the buffer must not change while it is being parsed.
 *
 * MUST stay allocation-free per sample: next() and the Series accessors run once per sample
 * on the engine's hot path. Only label decoding (labels()), used on a scrape-cache miss,
 * and errors may allocate.
 */
export const enum Entry {
  /** No more entries (end of buffer, or `# EOF` in OpenMetrics). */
  EOF = 0,
  /** `# HELP name text`: nameStart/nameEnd, textStart/textEnd (escaped as in the input). */
  Help = 1,
  /** `# TYPE name type`: nameStart/nameEnd, metricType. */
  Type = 2,
  /** `# UNIT name unit` (OpenMetrics): nameStart/nameEnd, textStart/textEnd. */
  Unit = 3,
  /** Any other comment line. */
  Comment = 4,
  /** A sample: seriesStart/seriesEnd (`name{labels}` exactly as in the input), nameStart/nameEnd, value, timestamp. */
  Series = 5,
}

export const enum MetricType {
  Unknown = 0,
  Counter = 1,
  Gauge = 2,
  Histogram = 3,
  Summary = 4,
  GaugeHistogram = 5,
  Info = 6,
  StateSet = 7,
}

export type ExpositionFormat = 'text' | 'openmetrics';

export interface Parser {
  /** Starts parsing buf[start, end). */
  reset(buf: Uint8Array, start?: number, end?: number): void;
  /** Advances; throws ParseError (with line, column, expected, found) on malformed input. */
  next(): Entry;

  /** 1-based line of the current entry. */
  readonly line: number;
  readonly nameStart: number;
  readonly nameEnd: number;
  /** Series entries: the raw series bytes, the scrape cache's key. */
  readonly seriesStart: number;
  readonly seriesEnd: number;
  readonly value: number;
  /** NaN when the sample has no timestamp; milliseconds otherwise (OpenMetrics seconds are converted). */
  readonly timestampMs: number;
  /** Help/Unit entries: the text, still escaped. */
  readonly textStart: number;
  readonly textEnd: number;
  /** Type entries. */
  readonly metricType: MetricType;

  /**
   * Decodes the current Series entry's labels (escapes resolved, UTF-8 decoded) into `out`
   * as name/value pairs, __name__ excluded. Allocates: call only on a cache miss.
   */
  labels(out: [string, string][]): [string, string][];
  /** The metric name of the current entry, decoded. Allocates. */
  metricName(): string;
}

/**
 * A parser that can take a sample line its caller recognised, without scanning the series.
 * The scrape cache's sequence (scrape-to-scrape diffing, see ingest/sequence.ts) knows that the
 * bytes from `position` up to a series' end are byte-for-byte a run that this parser accepted
 * before, starting at a line start: whole blank and comment lines, then a sample line's
 * leading blanks and series. Identical bytes at a line start parse identically (text lines
 * do not depend on the lines before), so only the rest of the line is left to parse.
 */
export interface SkippingParser extends Parser {
  /** Where the next entry starts (always a line start). */
  readonly position: number;
  /**
   * Takes the caller's word that buf[position, seriesEnd) is such a run, with `lines` LFs in
   * it, the series at [seriesStart, seriesEnd) and its name ending at nameEnd; parses the
   * value, timestamp and line end exactly as next() would. Returns true with the Series entry
   * current (as next() had returned it), or false, changing nothing that next() depends on,
   * when the rest of the line is not what next() would accept after that series (another
   * series that shares the prefix, a malformed value): the caller then calls next(), which
   * parses the line in full and throws the ParseError if there is one.
   * MUST stay allocation-free: runs once per sample.
   */
  acceptSeries(seriesStart: number, seriesEnd: number, nameEnd: number, lines: number): boolean;
  /**
   * Takes the caller's word that buf[position, next) is `samples` whole sample lines, `lines`
   * LFs in all, each a run this parser accepted before followed by one space, a plain decimal and LF
   * (the scrape cache's WebAssembly matcher checked them, values included): moves past them,
   * the last one's line current (its offsets, value and timestamp are not set). Returns false,
   * changing nothing, when this parser takes no more lines (OpenMetrics after `# EOF`).
   * MUST stay allocation-free.
   */
  acceptRuns(next: number, lines: number, samples: number): boolean;
}

export function isSkippingParser(p: Parser): p is SkippingParser {
  return typeof (p as Partial<SkippingParser>).acceptSeries === 'function';
}
