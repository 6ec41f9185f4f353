import { SampleLimitError } from '../../common/errors.js';
import { Head } from './head.js';
import type { HeadStats } from './head-stats.js';
import type { Ingester, IngesterOptions, IngestResult } from './ingester.js';
import { createParser, formatOf } from '../parse/index.js';
import { MAX_LINE_BYTES } from '../parse/scanner.js';
import { Entry, isSkippingParser, type Parser, type SkippingParser } from '../parse/types.js';
import { ScrapeCache } from './scrape-cache.js';
import { ScrapeSequence } from './sequence.js';
import { RunsStop, SeqFormat, SeqScratch } from './sequence-layout.js';

export type ParserFactory = (contentType: string) => Parser;

/**
 * The default ingester: byte-level pull parser → per-target scrape cache on the raw series
 * bytes → typed-array head. On a cache hit nothing is decoded and nothing is allocated; labels
 * are decoded and interned only for a series seen for the first time (or again after churn).
 * For text and OpenMetrics bodies the target's scrape sequence goes further: a line that repeats the last scrape's
 * bytes up to its value costs a compare of those bytes and the value's parse.
 *
 * A scrape that fails half-way (ParseError, sample limit) is rolled back, as Prometheus rolls
 * back its appender: none of its samples stays in the head, the series it created are freed and
 * their cache entries dropped (the next scrape adds them again, and counts them then), and it
 * adds nothing to `last`. The cache's churn sweep is skipped for that scrape, as in Prometheus.
 * A good scrape pays for this with two O(1) calls; the rollback costs O(the target's series).
 */
export class CachedIngester implements Ingester {
  readonly head: Head;
  /** The last ingest() call's counts (this object is reused). */
  readonly last: IngestResult = { samples: 0, seriesAdded: 0 };
  /**
   * Per target, by its id in the head (head.target()): its scrape cache and the sequence over
   * it (diffing: it starts and ends the cache's scrapes). No object of its own per target.
   */
  private readonly seqs: (ScrapeSequence | undefined)[] = [];
  /**
   * Per target id, its sequence's and cache's bytes as counted after its last scrape, and their
   * sum: stats() reads the sum instead of visiting every target's arrays (a cold walk over 1000
   * targets took the telemetry agent ~1 ms each time it asked).
   */
  private readonly seqBytesOf: number[] = [];
  private seqBytes = 0;
  /** The head id of the target ingest() is on. */
  private target = -1;
  /** What every target's sequence uses within a scrape only. */
  private readonly scratch = new SeqScratch();
  private textParser: Parser | undefined;
  private omParser: Parser | undefined;
  private lastContentType = '';
  private lastParser: Parser | undefined;
  private readonly pairs: [string, string][] = [];
  /** Series added by the current ingest() call. */
  private added = 0;
  /** A view of the last body's ArrayBuffer (engines reuse one buffer: kept across calls). */
  private dv: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(8));

  constructor(
    private readonly options: IngesterOptions,
    private readonly parserFactory: ParserFactory = createParser,
  ) {
    this.head = new Head({ window: options.headWindow });
  }

  ingest(body: Uint8Array, target: string, timestampMs: number, contentType: string): number {
    const id = (this.target = this.head.target(target));
    const seq = this.seqs[id] ?? this.addTarget(id);
    const p = this.parserFor(contentType);
    this.last.samples = 0;
    this.last.seriesAdded = 0;
    this.added = 0;
    p.reset(body, 0, body.length);
    seq.begin(p === this.textParser ? SeqFormat.Text : SeqFormat.OpenMetrics);
    this.head.beginScrape(id);
    let n: number;
    try {
      n = isSkippingParser(p) ? this.ingestSequence(p, body, seq, timestampMs) : this.ingestLines(p, body, seq, timestampMs);
    } catch (e) {
      this.rollback(seq);
      this.countBytes(id, seq);
      throw e;
    }
    this.head.endScrape();
    const dropped = seq.end(body);
    for (let i = 0; i < dropped.length; i++) this.head.release(dropped[i]!);
    this.countBytes(id, seq);
    this.last.samples = n;
    this.last.seriesAdded = this.added;
    return n;
  }

  /**
   * Scrape-to-scrape diffing (see ScrapeSequence): where the body repeats the last
   * scrape's bytes up to the next series, only the value is parsed; elsewhere the full path.
   * MUST stay allocation-free on sequence hits and cache hits: this loop runs once per sample.
   */
  private ingestSequence(p: SkippingParser, body: Uint8Array, seq: ScrapeSequence, timestampMs: number): number {
    const r = seq.result;
    const head = this.head;
    const io = head.io;
    const limit = this.options.sampleLimit;
    const end = body.length;
    const wasm = seq.useBody(body);
    // matchNext()'s view of the body; not needed while the WebAssembly matcher runs. Kept
    // loop-invariant: reassigning it in the loop costs the JavaScript path ~30 % (measured).
    const dv = wasm ? this.dv : this.bodyView(body);
    let n = 0;
    /** The line p.position is on. */
    let line = 1;
    for (;;) {
      // As many lines as repeat the last scrape with a plain value, in WebAssembly (-1: off).
      // Not called at all when off: called for a -1 on every line, it took the place that
      // head.put() needs in V8's inlining budget (the
      // JavaScript matcher's rows of bench-engine at 4 B/sample in most runs, measured).
      const m = wasm ? seq.matchRuns(p.position, end, MAX_LINE_BYTES) : -1;
      let hit = false;
      if (m < 0) hit = seq.matchNext(dv, body, p.position, end);
      else if (p.acceptRuns(r.runsEnd, r.runsLines, m)) {
        if (m > 0) {
          n = this.appendRuns(seq, m, n, timestampMs);
          line = p.line + 1;
        }
        // The run it stopped on: its series matched (the rest of the line is parsed below), or not.
        if (r.stop === RunsStop.SeriesMatched) {
          seq.matchAt(p.position);
          hit = true;
        }
      }
      let ref: number;
      if (hit && p.acceptSeries(r.keyStart, r.keyEnd, r.nameEnd, r.lines)) {
        if (limit > 0 && n >= limit) throw new SampleLimitError(limit);
        ref = seq.takeMatch();
      } else if ((ref = this.fullLine(p, body, seq, line, n)) < 0) break;
      const t = p.timestampMs;
      io[0] = t === t ? t : timestampMs;
      io[1] = p.value;
      head.put(ref);
      n++;
      line = p.line + 1;
    }
    return n;
  }

  /** A DataView over the body's ArrayBuffer from the body on (engines reuse one buffer: kept across calls). */
  private bodyView(body: Uint8Array): DataView<ArrayBufferLike> {
    const dv = this.dv;
    if (dv.buffer === body.buffer && dv.byteOffset === body.byteOffset) return dv;
    return (this.dv = new DataView(body.buffer, body.byteOffset));
  }

  /** The last matchRuns()'s m lines into the head (n samples before them); returns n + m. MUST stay allocation-free. */
  private appendRuns(seq: ScrapeSequence, m: number, n: number, timestampMs: number): number {
    const head = this.head;
    const limit = this.options.sampleLimit;
    const take = limit > 0 && n + m > limit ? limit - n : m;
    const values = seq.result.values;
    const v0 = seq.result.valuesAt;
    const io = head.io;
    for (let i = 0; i < take; i++) {
      io[0] = timestampMs;
      io[1] = values[v0 + i]!;
      head.put(seq.takeRun(i));
    }
    if (take < m) throw new SampleLimitError(limit);
    return n + m;
  }

  /**
   * ingestSequence off the sequence: the next sample line through next() and the cache (kept
   * out of the loop so that its hot calls inline); its ref, or -1 at the end of the body.
   * MUST stay allocation-free on cache hits.
   */
  private fullLine(p: SkippingParser, body: Uint8Array, seq: ScrapeSequence, line: number, n: number): number {
    const pos = p.position;
    let e = p.next();
    while (e !== Entry.Series && e !== Entry.EOF) e = p.next();
    if (e === Entry.EOF) return -1;
    const limit = this.options.sampleLimit;
    if (limit > 0 && n >= limit) throw new SampleLimitError(limit);
    const ref = this.resolve(p, body, seq.cache);
    seq.noteSample(pos, p.seriesStart, p.nameEnd, p.seriesEnd, p.line - line);
    return ref;
  }

  /** Every line through the parser (parsers without acceptSeries). MUST stay allocation-free on cache hits. */
  private ingestLines(p: Parser, body: Uint8Array, seq: ScrapeSequence, timestampMs: number): number {
    const cache = seq.cache;
    const head = this.head;
    const io = head.io;
    const limit = this.options.sampleLimit;
    let n = 0;
    for (;;) {
      const e = p.next();
      if (e === Entry.EOF) break;
      if (e !== Entry.Series) continue;
      if (limit > 0 && n >= limit) throw new SampleLimitError(limit);
      const ref = this.resolve(p, body, cache);
      const t = p.timestampMs;
      io[0] = t === t ? t : timestampMs;
      io[1] = p.value;
      head.put(ref);
      n++;
    }
    return n;
  }

  /**
   * Undoes the scrape in progress (it threw): its samples out of the head, the series it created
   * freed and out of the cache. The sequence is left as the last good scrape wrote it (begin()
   * forgets this scrape's records).
   */
  private rollback(seq: ScrapeSequence): void {
    const head = this.head;
    const cache = seq.cache;
    const created = cache.rollback();
    for (let e = 0; e < cache.size; e++) head.discard(cache.refAt(e));
    head.rollbackScrape();
    for (let i = 0; i < created.length; i++) head.release(created[i]!);
    this.added = 0;
  }

  /** The current series' ref: a scrape-cache hit, or a new series. */
  private resolve(p: Parser, body: Uint8Array, cache: ScrapeCache): number {
    let ref = cache.get(body, p.seriesStart, p.seriesEnd);
    if (ref < 0) {
      ref = this.newSeries(p, this.target);
      cache.add(body, p.seriesStart, p.seriesEnd, ref);
      this.added++;
    }
    return ref;
  }

  /** Brings a target's share of seqBytes up to date (once a scrape: a few byteLength reads). */
  private countBytes(id: number, seq: ScrapeSequence | undefined): void {
    const b = seq === undefined ? 0 : seq.cache.bytes + seq.bytes;
    this.seqBytes += b - this.seqBytesOf[id]!;
    this.seqBytesOf[id] = b;
  }

  stats(): HeadStats {
    const s = this.head.stats();
    // The scrape caches are part of what the ingester holds per series.
    s.bytes += this.seqBytes;
    s.bytesPerSeries = s.series > 0 ? s.bytes / s.series : 0;
    return s;
  }

  /** Forgets a target (it left service discovery): its series are freed. */
  dropTarget(target: string): void {
    const id = this.head.findTarget(target);
    const seq = id < 0 ? undefined : this.seqs[id];
    if (seq === undefined) return;
    const refs = seq.clear();
    for (let i = 0; i < refs.length; i++) this.head.release(refs[i]!);
    this.seqs[id] = undefined;
    this.countBytes(id, undefined);
  }

  close(): void {
    for (let id = 0; id < this.seqs.length; id++) if (this.seqs[id] !== undefined) this.dropTarget(this.head.targetName(id)!);
  }

  private addTarget(id: number): ScrapeSequence {
    const seq = new ScrapeSequence(new ScrapeCache(), this.scratch);
    this.seqs[id] = seq;
    while (this.seqBytesOf.length <= id) this.seqBytesOf.push(0);
    this.countBytes(id, seq);
    return seq;
  }

  /** The parser for a Content-Type; the last one's answer is kept (formatOf's RegExp match allocates). */
  private parserFor(contentType: string): Parser {
    if (contentType === this.lastContentType && this.lastParser !== undefined) return this.lastParser;
    const p =
      formatOf(contentType) === 'openmetrics'
        ? (this.omParser ??= this.parserFactory(contentType))
        : (this.textParser ??= this.parserFactory(contentType));
    this.lastContentType = contentType;
    this.lastParser = p;
    return p;
  }

  /** Cache miss: decode the labels, sort them by name (a canonical set), hand them to the head. */
  private newSeries(p: Parser, target: number): number {
    const pairs = this.pairs;
    pairs.length = 0;
    p.labels(pairs);
    if (pairs.length > 1) pairs.sort(byName);
    const flat: string[] = new Array(1 + pairs.length * 2);
    flat[0] = p.metricName();
    for (let i = 0; i < pairs.length; i++) {
      flat[1 + 2 * i] = pairs[i]![0];
      flat[2 + 2 * i] = pairs[i]![1];
    }
    return this.head.create(flat, target);
  }
}

function byName(a: [string, string], b: [string, string]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

export default function createCachedIngester(options: IngesterOptions): CachedIngester {
  return new CachedIngester(options);
}
