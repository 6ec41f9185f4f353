import { seqKernel } from '../wasm/seq-kernel.js';
import type { ScrapeCache } from './scrape-cache.js';
import { Run, RunList, SeqFormat, SeqMatch, SeqScratch } from './sequence-layout.js';
import { wasmRuns, type WasmRuns } from './sequence-wasm.js';
import { needsSameBytes, sameBytes } from './sequence-js.js';
import { grow, pow2AtLeast } from './typed-arrays.js';

/**
 * Scrape-to-scrape diffing over a target's scrape cache: a target exposes the same series in
 * the same order every scrape, and its bodies differ only in values. The sequence keeps the
 * last scrape's sample lines in order as runs of bytes: run i is everything from the end of
 * sample line i-1 up to sample i's series end (blank and comment lines, leading blanks, the
 * series), with its cache entry (layout: Run). matchNext() compares the body at the parser's
 * position with the next run, 8 bytes a step; when equal, the series, its ref and where its
 * name ends are known without scanning for quotes, escapes or braces and without hashing, and
 * the parser only reads the value (SkippingParser.acceptSeries). Anything else goes the full
 * way (next(), the cache's get()/add(), noteSample()); end() then rewrites the sequence from
 * that scrape.
 * matchRuns() does the same in WebAssembly (sequence-wasm.ts) for as many runs in a row as
 * match with a plain value after them, 16 bytes a step; matchNext() is its JavaScript
 * counterpart, for the line it stops at, and the whole way when WebAssembly is off.
 * The matchers report in `result`, and the runs of a scrape are recorded in `pend`: a SeqScratch
 * that an ingester's sequences share (ingest() runs to its end before the next).
 * A target's own state is two typed arrays (a DataView of its bytes only once the JavaScript
 * matcher runs) and the hint its cache keeps per entry: at 5000 targets every object a target
 * holds is 5000 objects for a mark-compact.
 * INVARIANT: a run's series bytes equal its entry's key (runs are copied from bodies whose
 * series resolved to that entry, and compaction remaps the entries), so a sequence hit is
 * exactly a get() hit; a stale or misplaced cursor costs time, never correctness.
 */
export class ScrapeSequence {
  /** What the last matchRuns(), matchNext() or matchAt() found (shared, see SeqScratch). */
  readonly result: SeqMatch;
  /** The WebAssembly matcher (null: off). */
  private readonly wasm: WasmRuns | null;
  // Runs live in runBytes; run k is runs[k * Run.Size …], offsets into runBytes.
  private runBytes = new Uint8Array(0);
  /** matchNext()'s view of runBytes, made when the JavaScript matcher first runs (null: not yet, or runBytes was replaced). */
  private runDv: DataView | null = null;
  private runs = new Int32Array(0);
  private len = 0;
  /** The WebAssembly matcher's views of runs and runBytes: their used part (kept while that is unchanged). */
  private tabView = new Int32Array(0);
  private bytesView = new Uint8Array(0);
  /** The run expected next. */
  private cursor = 0;
  /** The format whose parser recorded the runs (see begin). */
  private format = SeqFormat.None;
  /** Whether this scrape left the sequence: from then on its samples are recorded in pend. */
  private dirty = false;
  /** Runs [0, clean) matched this scrape's first samples in order: commit() keeps them. */
  private clean = 0;
  /** Body offset where the first recorded run starts. */
  private dirtyFrom = 0;
  /** This scrape's runs from the first deviation on, as body offsets (shared, see SeqScratch). */
  private readonly pend: RunList;
  /** The last matchNext()'s run start in the body. */
  private matchPos = 0;

  constructor(
    readonly cache: ScrapeCache,
    scratch = new SeqScratch(),
  ) {
    this.wasm = wasmRuns(seqKernel());
    this.result = scratch.result;
    this.pend = scratch.pend;
  }

  /** Bytes held by the sequence's typed arrays (allocated capacity, not just the used part; the shared scratch left out). */
  get bytes(): number {
    return this.runBytes.byteLength + this.runs.byteLength;
  }

  /**
   * Starts a scrape, on the cache too (its iterStart()). `format` names the parser whose
   * sequence hits this scrape takes: runs recorded by another format's parser are dropped,
   * since its grammar accepted them.
   */
  begin(format: SeqFormat): void {
    if (format !== this.format) {
      this.format = format;
      this.len = 0;
    }
    this.cache.iterStart();
    this.cursor = 0;
    this.dirty = false;
    this.pend.length = 0;
  }

  /**
   * Whether body[pos, …) starts with the next run: then `result` holds its series (matchAt).
   * `dv` views body's ArrayBuffer from body.byteOffset on. The caller MUST call takeMatch()
   * once the line is accepted, or take the full path (next(), get()/add(), noteSample()).
   * MUST stay allocation-free: runs once per sample.
   */
  matchNext(dv: DataView, body: Uint8Array, pos: number, end: number): boolean {
    const k = this.cursor;
    if (k >= this.len) return false;
    const runs = this.runs;
    const r = k * Run.Size;
    const s = runs[r + Run.Start]!;
    const len = runs[r + Run.KeyEnd]! - s;
    if (len > end - pos) return false;
    if (runs[r + Run.Slow] !== 0) {
      if (!sameBytes(this.runBytes, s, body, pos, len)) return false;
    } else {
      // Eight bytes a step as doubles, two steps a round, the last step overlapping the one
      // before (runs are ≥ 8 bytes, else Run.Slow). Equal doubles are equal bytes except for ±0
      // and NaN: commit() marks a run with such a word on this grid Run.Slow (needsSameBytes).
      // Inline, not a function: as one, it ended up a call per line (alltypes, JavaScript
      // matcher: 61 → 64 ns/sample).
      const sdv = this.runDv ?? (this.runDv = new DataView(this.runBytes.buffer));
      const last = len - 8;
      let j = 0;
      for (; j + 8 < last; j += 16) {
        if (sdv.getFloat64(s + j, true) !== dv.getFloat64(pos + j, true) || sdv.getFloat64(s + j + 8, true) !== dv.getFloat64(pos + j + 8, true)) return false;
      }
      if (j < last && sdv.getFloat64(s + j, true) !== dv.getFloat64(pos + j, true)) return false;
      if (sdv.getFloat64(s + last, true) !== dv.getFloat64(pos + last, true)) return false;
    }
    this.matchAt(pos);
    return true;
  }

  /**
   * As a matchNext() hit, for the run already compared (matchRuns() stopped on it with
   * RunsStop.SeriesMatched), at body offset pos. MUST stay allocation-free.
   */
  matchAt(pos: number): void {
    const runs = this.runs;
    const r = this.cursor * Run.Size;
    const s = runs[r + Run.Start]!;
    const out = this.result;
    this.matchPos = pos;
    out.keyStart = pos + (runs[r + Run.Key]! - s);
    out.nameEnd = pos + (runs[r + Run.NameEnd]! - s);
    out.keyEnd = pos + (runs[r + Run.KeyEnd]! - s);
    out.lines = runs[r + Run.Lines]!;
  }

  /**
   * The body matchRuns() reads this scrape, after begin(): copies it and the runs into the
   * WebAssembly matcher's memory (once a scrape, out of the per-line path). Returns whether
   * matchRuns() runs; false when the kernel is off or its memory cannot grow to hold them
   * (this scrape then matches in JavaScript, with matchNext()).
   */
  useBody(body: Uint8Array): boolean {
    const w = this.wasm;
    if (w === null) return false;
    if (this.len === 0) return true;
    const n = this.len * Run.Size;
    const used = this.runs[n - Run.Size + Run.KeyEnd]!;
    // The views are kept while the tables are: a scrape that left the sequence as it was allocates nothing.
    let tv = this.tabView;
    if (tv.buffer !== this.runs.buffer || tv.length !== n) tv = this.tabView = this.runs.subarray(0, n);
    let bv = this.bytesView;
    if (bv.buffer !== this.runBytes.buffer || bv.length !== used) bv = this.bytesView = this.runBytes.subarray(0, used);
    return w.load(tv, bv, body, this.result);
  }

  /**
   * WebAssembly matchNext() for many lines: from the next run and body offset pos, how many
   * runs in a row the body repeats, each followed by one space, a plain decimal
   * (plainValueLine's grammar) and LF, the line within maxLine bytes. `result` has their
   * values and where and why it stopped. The caller takes them with takeRun(0 … n-1), in
   * order. Only after useBody() said yes (else the caller uses matchNext()).
   * MUST stay allocation-free: a call covers many samples.
   */
  matchRuns(pos: number, end: number, maxLine: number): number {
    return this.wasm!.match(this.cursor, this.len, pos, end, maxLine, this.result);
  }

  /** Run i of the last matchRuns() is taken (as takeMatch()): marks its entry seen, returns its ref. MUST stay allocation-free. */
  takeRun(i: number): number {
    const k = this.cursor++;
    const e = this.runs[k * Run.Size + Run.Entry]!;
    if (this.dirty) this.recordRunAt(k, e, this.wasm!.lineAt(i));
    return this.cache.hit(e);
  }

  /** The last matchNext()'s line was accepted: marks its entry seen and returns its ref. MUST stay allocation-free. */
  takeMatch(): number {
    const k = this.cursor++;
    const e = this.runs[k * Run.Size + Run.Entry]!;
    if (this.dirty) this.recordRunAt(k, e, this.matchPos);
    return this.cache.hit(e);
  }

  /**
   * A sample that took the full path, after its get() hit or add(): its run is body[segStart,
   * keyEnd) with `lines` LFs before the series at keyStart. The sequence is rewritten at
   * end(); the cursor moves to the run after this series' last one, if it has one (a series
   * gone or a comment changed costs one full-path line, not the rest of the scrape).
   */
  noteSample(segStart: number, keyStart: number, nameEnd: number, keyEnd: number, lines: number): void {
    const e = this.cache.lastEntry;
    if (!this.dirty) {
      this.dirty = true;
      this.clean = this.cursor;
      this.dirtyFrom = segStart;
    }
    this.pend.push(segStart, keyStart, nameEnd, keyEnd, lines, e);
    // The run the entry was last at, if it still is (an entry added since the last end() is in none: -1).
    const j = this.cache.hint(e);
    if (j >= 0 && j < this.len && this.runs[j * Run.Size + Run.Entry] === e) this.cursor = j + 1;
  }

  /**
   * Ends a scrape (body still valid), on the cache too: rewrites the sequence (commit()), then
   * the cache's iterDone(), whose dropped refs it returns (its reused array), and follows the
   * cache's compaction.
   */
  end(body: Uint8Array): readonly number[] {
    this.commit(body);
    const dropped = this.cache.iterDone();
    if (dropped.length > 0) this.remap();
    return dropped;
  }

  /** Drops everything, the cache's entries too (the target went away); returns the refs held (the cache's clear()). */
  clear(): readonly number[] {
    this.len = 0;
    this.cursor = 0;
    this.dirty = false;
    return this.cache.clear();
  }

  /** Run k, matched at body offset pos, recorded (as body offsets) for commit(). */
  private recordRunAt(k: number, e: number, pos: number): void {
    const runs = this.runs;
    const r = k * Run.Size;
    const shift = pos - runs[r + Run.Start]!;
    this.pend.push(pos, runs[r + Run.Key]! + shift, runs[r + Run.NameEnd]! + shift, runs[r + Run.KeyEnd]! + shift, runs[r + Run.Lines]!, e);
  }

  /**
   * The runs that matched in order from the start are kept in place, the rest is copied from
   * the body (one copy of the body from the first deviation on). Nothing happens when every
   * sample matched.
   */
  private commit(body: Uint8Array): void {
    if (!this.dirty) {
      if (this.cursor < this.len) this.len = this.cursor; // the last series went away
      return;
    }
    const keep = this.clean;
    const n = this.pend.length;
    const pend = this.pend.runs;
    const base = keep > 0 ? this.runs[(keep - 1) * Run.Size + Run.KeyEnd]! : 0;
    const from = this.dirtyFrom;
    const to = n > 0 ? pend[(n - 1) * Run.Size + Run.KeyEnd]! : from;
    if (base + (to - from) > this.runBytes.length) {
      const next = new Uint8Array(pow2AtLeast((base + (to - from)) * 1.25));
      next.set(this.runBytes.subarray(0, base));
      this.runBytes = next;
      this.runDv = null;
    }
    if (to > from) this.runBytes.set(body.subarray(from, to), base);
    if ((keep + n) * Run.Size > this.runs.length) this.runs = grow(this.runs, new Int32Array(pow2AtLeast((keep + n) * Run.Size)));
    const runs = this.runs;
    const shift = base - from;
    for (let i = 0; i < n; i++) {
      const p = i * Run.Size;
      const r = (keep + i) * Run.Size;
      const s = (runs[r + Run.Start] = pend[p + Run.Start]! + shift);
      runs[r + Run.Key] = pend[p + Run.Key]! + shift;
      runs[r + Run.NameEnd] = pend[p + Run.NameEnd]! + shift;
      const ke = (runs[r + Run.KeyEnd] = pend[p + Run.KeyEnd]! + shift);
      runs[r + Run.Lines] = pend[p + Run.Lines]!;
      const e = pend[p + Run.Entry]!;
      runs[r + Run.Entry] = e;
      runs[r + Run.Slow] = needsSameBytes(this.runBytes, s, ke - s) ? 1 : 0;
      this.cache.setHint(e, keep + i);
    }
    this.len = keep + n;
    this.dirty = false;
  }

  /**
   * After the cache compacted: the runs' entries follow (the hints moved with them), and a run
   * whose entry went away (not seen, so not in this scrape: only after a failed scrape) ends
   * the sequence there.
   */
  private remap(): void {
    const cache = this.cache;
    const runs = this.runs;
    for (let i = 0; i < this.len; i++) {
      const e = cache.movedTo(runs[i * Run.Size + Run.Entry]!);
      if (e < 0) {
        this.len = i;
        break;
      }
      runs[i * Run.Size + Run.Entry] = e;
    }
  }
}

