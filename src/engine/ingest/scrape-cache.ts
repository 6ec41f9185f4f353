import { fmix32 } from '../../common/hash.js';
import { DATA_START, RESULT_END, RESULT_LINES, RESULT_STATUS, seqKernel, type SeqKernel } from '../wasm/seq-kernel.js';

/**
 * Per-target scrape cache: the raw series bytes of a sample line (`name{labels}` exactly as
 * exposed) → series ref, like Prometheus's scrapeCache (scrape/scrape.go). A hit decodes no
 * labels and allocates nothing: the key is hashed and compared as bytes in place.
 *
 * Layout: open addressing with linear probing over `slots` (entry index + 1, 0 = empty),
 * load factor ≤ 1/2; entries are dense typed arrays; keys live in one growable byte arena.
 * A lookup first tries the entry after the last hit (exporters repeat their order), then the
 * hash table. Each entry records the scrape iteration it was last seen in; iterDone() drops the entries
 * not seen since iterStart() (series churn) and hands their refs back so the head can free them.
 *
 * The sequence (scrape-to-scrape diffing): a target exposes the same series in the same order
 * every scrape, and its bodies differ only in values. The cache keeps the last scrape's sample
 * lines in order as runs of bytes: run i is everything from the end of sample line i-1 up to
 * sample i's series end (blank and comment lines, leading blanks, the series), with its entry.
 * matchNext() compares the body at the parser's position with the next run, 8 bytes a step;
 * when equal, the series, its ref and where its name ends are known without scanning for
 * quotes, escapes or braces and without hashing, and the parser only reads the value
 * (SkippingParser.acceptSeries). Anything else goes the full way (next(), get()/add(),
 * noteSample()); commit() then rewrites the sequence from that scrape.
 * matchRuns() does the same in WebAssembly (wasm/seq-kernel.wat) for as many runs in a row as
 * match with a plain value after them, 16 bytes a step; matchNext() is its JavaScript
 * counterpart, for the line it stops at, and the whole way when WebAssembly is off.
 * INVARIANT: a run's series bytes equal its entry's key (runs are copied from bodies whose
 * series resolved to that entry, and compaction remaps the entries), so a sequence hit is
 * exactly a get() hit; a stale or misplaced cursor costs time, never correctness.
 */
export class ScrapeCache {
  private slots: Int32Array;
  private mask: number;
  private hashes: Uint32Array;
  private offs: Uint32Array;
  private lens: Uint32Array;
  private refs: Int32Array;
  private seen: Uint32Array;
  private n = 0;
  private arena: Uint8Array;
  private arenaUsed = 0;
  private iter = 0;
  private seenThisIter = 0;
  /** The entry expected next: the one after the last hit. */
  private predicted = 0;
  private readonly dropped: number[] = [];
  /** The entry the last get() hit or add() added. */
  private lastEntry = -1;
  /** Old entry index → new one (-1: dropped), filled by a compacting iterDone(). */
  private remap: Int32Array;

  // The sequence. Runs live in seqBytes; run i is seq[i*SEQ …] (see SEQ_*), offsets into seqBytes.
  private seqBytes = new Uint8Array(0);
  private seqDv = new DataView(this.seqBytes.buffer);
  private seq = new Int32Array(0);
  private seqLen = 0;
  /** Per entry, a hint: the run it was last at (checked before use). */
  private seqAt: Int32Array;
  /** The run expected next. */
  private cursor = 0;
  /** The format whose parser recorded the sequence (see iterStart). */
  private seqFormat = 0;
  /** Whether this scrape left the sequence: from then on its samples are recorded in pend. */
  private dirty = false;
  /** Runs [0, clean) matched this scrape's first samples in order: commit() keeps them. */
  private clean = 0;
  /** Body offset where the first recorded run starts. */
  private dirtyFrom = 0;
  /** This scrape's runs from the first deviation on, as body offsets (same layout as seq). */
  private pend = new Int32Array(0);
  private pendLen = 0;
  /** The last matchNext(): the run's start and series in the body, its line count. */
  matchKeyStart = 0;
  matchNameEnd = 0;
  matchLines = 0;
  private matchPos = 0;

  /** The WebAssembly matcher (null: off), and where this scrape's data is in its memory. */
  private readonly kernel: SeqKernel | null = seqKernel();
  private kTab = 0;
  private kRuns = 0;
  private kBody = 0;
  private kSeqView = new Int32Array(0);
  private kBytesView = new Uint8Array(0);
  /** The last matchRuns(): its values start at runValues()[runsV]; the offsets at kernel i32 runsP. */
  runsV = 0;
  private runsP = 0;
  /** The last matchRuns(): body offset after its last line, LFs it consumed, and 1 when it stopped on a run whose series matched but whose rest of line is not plain. */
  runsEnd = 0;
  runsLines = 0;
  runsStatus = 0;

  constructor(initialEntries = 64) {
    const cap = pow2AtLeast(Math.max(8, initialEntries));
    this.slots = new Int32Array(cap * 2);
    this.mask = cap * 2 - 1;
    this.hashes = new Uint32Array(cap);
    this.offs = new Uint32Array(cap);
    this.lens = new Uint32Array(cap);
    this.refs = new Int32Array(cap);
    this.seen = new Uint32Array(cap);
    this.remap = new Int32Array(cap);
    this.seqAt = new Int32Array(cap);
    this.arena = new Uint8Array(cap * 64);
  }

  /** Entries held. */
  get size(): number {
    return this.n;
  }

  /** Bytes held by the cache's typed arrays (allocated capacity, not just the used part). */
  get bytes(): number {
    return (
      this.slots.byteLength +
      this.hashes.byteLength +
      this.offs.byteLength +
      this.lens.byteLength +
      this.refs.byteLength +
      this.seen.byteLength +
      this.remap.byteLength +
      this.seqAt.byteLength +
      this.arena.byteLength +
      this.seqBytes.byteLength +
      this.seq.byteLength +
      this.pend.byteLength
    );
  }

  /**
   * Starts a scrape: entries not looked up or added from now until iterDone() are dropped then.
   * `format` names the parser whose sequence hits this scrape takes (text, OpenMetrics): runs
   * recorded by another format's parser are dropped, since its grammar accepted them.
   */
  iterStart(format = 0): void {
    if (format !== this.seqFormat) {
      this.seqFormat = format;
      this.seqLen = 0;
    }
    this.iter = (this.iter + 1) >>> 0;
    this.seenThisIter = 0;
    this.predicted = 0;
    this.cursor = 0;
    this.dirty = false;
    this.pendLen = 0;
  }

  /**
   * The ref stored for buf[start, end), or -1 on a miss; a hit marks the entry seen.
   * MUST stay allocation-free: runs once per sample.
   */
  get(buf: Uint8Array, start: number, end: number): number {
    const len = end - start;
    // Exporters write their series in the same order every scrape, and entries are kept in
    // insertion order: the entry after the last hit is usually this one. Checking it first
    // skips hashing and probing (a full byte compare still decides).
    const p = this.predicted;
    if (p < this.n && this.lens[p] === len && this.equals(p, buf, start, len)) return this.hit(p);
    const h = hashBytes(buf, start, end);
    const slots = this.slots;
    const mask = this.mask;
    let i = h & mask;
    for (;;) {
      const e = slots[i]! - 1;
      if (e < 0) return -1;
      if (this.hashes[e] === h && this.lens[e] === len && this.equals(e, buf, start, len)) return this.hit(e);
      i = (i + 1) & mask;
    }
  }

  private hit(e: number): number {
    if (this.seen[e] !== this.iter) {
      this.seen[e] = this.iter;
      this.seenThisIter++;
    }
    this.predicted = e + 1;
    this.lastEntry = e;
    return this.refs[e]!;
  }

  /**
   * Whether body[pos, …) starts with the next run of the sequence: returns the body offset
   * where that run's series ends, with matchKeyStart, matchNameEnd and matchLines set, or -1.
   * `dv` views body's ArrayBuffer from body.byteOffset on. The caller MUST call takeMatch()
   * once the line is accepted, or take the full path (next(), get()/add(), noteSample()).
   * MUST stay allocation-free: runs once per sample.
   */
  matchNext(dv: DataView, body: Uint8Array, pos: number, end: number): number {
    const k = this.cursor;
    if (k >= this.seqLen) return -1;
    const seq = this.seq;
    const r = k * SEQ;
    const s = seq[r + SEQ_START]!;
    const len = seq[r + SEQ_KEY_END]! - s;
    if (len > end - pos) return -1;
    if (seq[r + SEQ_SLOW] !== 0) {
      if (!this.sameBytes(s, body, pos, len)) return -1;
    } else {
      // Eight bytes a step as doubles, two steps a round, the last step overlapping the one before (runs are
      // ≥ 8 bytes, else SEQ_SLOW). Equal doubles are equal bytes except for ±0 and NaN:
      // commit() marks a run with such a word on this grid (never in text, but bytes are
      // bytes) SEQ_SLOW.
      const sdv = this.seqDv;
      const last = len - 8;
      let j = 0;
      for (; j + 8 < last; j += 16) {
        if (sdv.getFloat64(s + j, true) !== dv.getFloat64(pos + j, true) || sdv.getFloat64(s + j + 8, true) !== dv.getFloat64(pos + j + 8, true)) return -1;
      }
      if (j < last && sdv.getFloat64(s + j, true) !== dv.getFloat64(pos + j, true)) return -1;
      if (sdv.getFloat64(s + last, true) !== dv.getFloat64(pos + last, true)) return -1;
    }
    return this.matchAt(pos);
  }

  /**
   * As matchNext() for a run already compared (matchRuns() stopped on it with runsStatus 1):
   * the next run is at body offset pos. MUST stay allocation-free.
   */
  matchAt(pos: number): number {
    const seq = this.seq;
    const r = this.cursor * SEQ;
    const s = seq[r + SEQ_START]!;
    this.matchPos = pos;
    this.matchKeyStart = pos + (seq[r + SEQ_KEY]! - s);
    this.matchNameEnd = pos + (seq[r + SEQ_NAME_END]! - s);
    this.matchLines = seq[r + SEQ_LINES]!;
    return pos + (seq[r + SEQ_KEY_END]! - s);
  }

  /**
   * WebAssembly matchNext() for many lines: from the next run and body offset pos, how many
   * runs in a row the body repeats, each followed by one space, a plain decimal
   * (plainValueLine's grammar) and LF, the line within maxLine bytes. Their values are
   * runValues()[runsV + i]; runsEnd, runsLines and runsStatus say where and why it stopped.
   * The caller takes them with takeRun(0 … n-1), in order. Returns -1 when the kernel is off
   * (the caller uses matchNext()). MUST stay allocation-free: a call covers many samples.
   */
  matchRuns(body: Uint8Array, pos: number, end: number, maxLine: number): number {
    const K = this.kernel;
    if (K === null) return -1;
    if (this.cursor >= this.seqLen) {
      this.runsEnd = pos;
      this.runsLines = 0;
      this.runsStatus = 0;
      return 0;
    }
    if ((K.owner !== this || K.stamp !== this.iter) && !this.loadKernel(K, body)) return -1;
    const n = K.match(this.kTab, this.cursor, this.seqLen, this.kRuns, this.kBody, pos, end, maxLine, this.runsV << 3, this.runsP << 2);
    const res = K.i32;
    this.runsEnd = res[RESULT_END]!;
    this.runsLines = res[RESULT_LINES]!;
    this.runsStatus = res[RESULT_STATUS]!;
    return n;
  }

  /** Whether matchRuns() runs (the WebAssembly matcher is on). */
  get kernelOn(): boolean {
    return this.kernel !== null;
  }

  /** The kernel's values (a view renewed when its memory grows: take it after matchRuns()). */
  runValues(): Float64Array {
    return this.kernel!.f64;
  }

  /** Run i of the last matchRuns() is taken (as takeMatch()): marks its entry seen, returns its ref. MUST stay allocation-free. */
  takeRun(i: number): number {
    const k = this.cursor++;
    const e = this.seq[k * SEQ + SEQ_ENTRY]!;
    if (this.dirty) this.recordRunAt(k, e, this.kernel!.i32[this.runsP + i]!);
    return this.hit(e);
  }

  /**
   * Copies this scrape's runs and body into the kernel's memory (once a scrape); false when
   * the memory cannot grow to hold them (this scrape then matches in JavaScript).
   */
  private loadKernel(K: SeqKernel, body: Uint8Array): boolean {
    const n = this.seqLen;
    const tab = DATA_START;
    const runs = align16(tab + n * SEQ * 4);
    const runsLen = this.seq[(n - 1) * SEQ + SEQ_KEY_END]!;
    const bodyAt = align16(runs + runsLen);
    const outV = align16(bodyAt + body.length);
    const outP = outV + n * 8;
    if (!K.ensure(outP + n * 4)) return false;
    // The views are kept while the tables are: a scrape that left the sequence as it was allocates nothing.
    let tv = this.kSeqView;
    if (tv.buffer !== this.seq.buffer || tv.length !== n * SEQ) tv = this.kSeqView = this.seq.subarray(0, n * SEQ);
    let bv = this.kBytesView;
    if (bv.buffer !== this.seqBytes.buffer || bv.length !== runsLen) bv = this.kBytesView = this.seqBytes.subarray(0, runsLen);
    K.i32.set(tv, tab >> 2);
    K.u8.set(bv, runs);
    K.u8.set(body, bodyAt);
    this.kTab = tab;
    this.kRuns = runs;
    this.kBody = bodyAt;
    this.runsV = outV >> 3;
    this.runsP = outP >> 2;
    K.owner = this;
    K.stamp = this.iter;
    return true;
  }

  private sameBytes(s: number, body: Uint8Array, pos: number, len: number): boolean {
    const a = this.seqBytes;
    for (let j = 0; j < len; j++) if (a[s + j] !== body[pos + j]) return false;
    return true;
  }

  /** The last matchNext()'s line was accepted: marks its entry seen and returns its ref. MUST stay allocation-free. */
  takeMatch(): number {
    const k = this.cursor++;
    const e = this.seq[k * SEQ + SEQ_ENTRY]!;
    if (this.dirty) this.recordMatch(k, e);
    return this.hit(e);
  }

  /** takeMatch() after a deviation: the matched run k is recorded (as body offsets) for commit(). */
  private recordMatch(k: number, e: number): void {
    this.recordRunAt(k, e, this.matchPos);
  }

  /** Run k, matched at body offset pos, recorded (as body offsets) for commit(). */
  private recordRunAt(k: number, e: number, pos: number): void {
    const seq = this.seq;
    const r = k * SEQ;
    const shift = pos - seq[r + SEQ_START]!;
    this.record(pos, seq[r + SEQ_KEY]! + shift, seq[r + SEQ_NAME_END]! + shift, seq[r + SEQ_KEY_END]! + shift, seq[r + SEQ_LINES]!, e);
  }

  /**
   * A sample that took the full path, after its get() hit or add(): its run is body[segStart,
   * keyEnd) with `lines` LFs before the series at keyStart. The sequence is rewritten at
   * commit(); the cursor moves to the run after this series' last one, if it has one (a series
   * gone or a comment changed costs one full-path line, not the rest of the scrape).
   */
  noteSample(segStart: number, keyStart: number, nameEnd: number, keyEnd: number, lines: number): void {
    const e = this.lastEntry;
    if (!this.dirty) {
      this.dirty = true;
      this.clean = this.cursor;
      this.dirtyFrom = segStart;
    }
    this.record(segStart, keyStart, nameEnd, keyEnd, lines, e);
    const j = this.seqAt[e]!;
    if (j < this.seqLen && this.seq[j * SEQ + SEQ_ENTRY] === e) this.cursor = j + 1;
  }

  private record(start: number, key: number, nameEnd: number, keyEnd: number, lines: number, e: number): void {
    let r = this.pendLen * SEQ;
    if (r + SEQ > this.pend.length) this.pend = grow(this.pend, new Int32Array(Math.max(64 * SEQ, this.pend.length * 2)));
    const pend = this.pend;
    pend[r++] = start;
    pend[r++] = key;
    pend[r++] = nameEnd;
    pend[r++] = keyEnd;
    pend[r++] = lines;
    pend[r] = e;
    this.pendLen++;
  }

  /**
   * Ends a scrape's sequence, before iterDone() (body still valid): the runs that matched in
   * order from the start are kept in place, the rest is copied from the body (one copy of
   * the body from the first deviation on). Nothing happens when every sample matched.
   */
  commit(body: Uint8Array): void {
    if (!this.dirty) {
      if (this.cursor < this.seqLen) this.seqLen = this.cursor; // the last series went away
      return;
    }
    const keep = this.clean;
    const n = this.pendLen;
    const pend = this.pend;
    const base = keep > 0 ? this.seq[(keep - 1) * SEQ + SEQ_KEY_END]! : 0;
    const from = this.dirtyFrom;
    const to = n > 0 ? pend[(n - 1) * SEQ + SEQ_KEY_END]! : from;
    if (base + (to - from) > this.seqBytes.length) {
      const next = new Uint8Array(pow2AtLeast((base + (to - from)) * 1.25));
      next.set(this.seqBytes.subarray(0, base));
      this.seqBytes = next;
      this.seqDv = new DataView(next.buffer);
    }
    if (to > from) this.seqBytes.set(body.subarray(from, to), base);
    if ((keep + n) * SEQ > this.seq.length) this.seq = grow(this.seq, new Int32Array(pow2AtLeast((keep + n) * SEQ)));
    const seq = this.seq;
    const shift = base - from;
    for (let i = 0; i < n; i++) {
      const p = i * SEQ;
      const r = (keep + i) * SEQ;
      seq[r + SEQ_START] = pend[p + SEQ_START]! + shift;
      seq[r + SEQ_KEY] = pend[p + SEQ_KEY]! + shift;
      seq[r + SEQ_NAME_END] = pend[p + SEQ_NAME_END]! + shift;
      seq[r + SEQ_KEY_END] = pend[p + SEQ_KEY_END]! + shift;
      seq[r + SEQ_LINES] = pend[p + SEQ_LINES]!;
      const e = pend[p + SEQ_ENTRY]!;
      seq[r + SEQ_ENTRY] = e;
      seq[r + SEQ_SLOW] = seq[r + SEQ_KEY_END]! - seq[r + SEQ_START]! < 8 || hasZeroOrNaNWord(this.seqDv, seq[r + SEQ_START]!, seq[r + SEQ_KEY_END]! - seq[r + SEQ_START]!) ? 1 : 0;
      this.seqAt[e] = keep + i;
    }
    this.seqLen = keep + n;
    this.dirty = false;
  }

  /** Adds buf[start, end) → ref, seen in this iteration. The key MUST NOT be present (call after a miss). */
  add(buf: Uint8Array, start: number, end: number, ref: number): void {
    if (this.n === this.hashes.length) this.growEntries();
    const len = end - start;
    if (this.arenaUsed + len > this.arena.length) this.growArena(this.arenaUsed + len);
    const e = this.n++;
    const h = hashBytes(buf, start, end);
    this.arena.set(buf.subarray(start, end), this.arenaUsed);
    this.hashes[e] = h;
    this.offs[e] = this.arenaUsed;
    this.lens[e] = len;
    this.refs[e] = ref;
    this.seen[e] = this.iter;
    this.seenThisIter++;
    this.arenaUsed += len;
    this.insertSlot(e, h);
    this.lastEntry = e;
  }

  /**
   * Ends a scrape: drops every entry not seen since iterStart() and returns their refs. The
   * returned array is reused: it is valid until the next iterDone(). Without churn this is
   * O(1); with churn it compacts entries and arena in place and rebuilds the slot table
   * (O(entries), the same order as Prometheus's per-scrape iterDone sweep).
   */
  iterDone(): readonly number[] {
    const dropped = this.dropped;
    dropped.length = 0;
    if (this.seenThisIter >= this.n) return dropped;
    const iter = this.iter;
    const { hashes, offs, lens, refs, seen, arena, remap, seqAt } = this;
    let w = 0;
    let arenaW = 0;
    for (let r = 0; r < this.n; r++) {
      if (seen[r] !== iter) {
        dropped.push(refs[r]!);
        remap[r] = -1;
        continue;
      }
      remap[r] = w;
      seqAt[w] = seqAt[r]!;
      const len = lens[r]!;
      // Offsets ascend with the entry index (entries are appended and compacted in order),
      // so copying left in place never overwrites a key not yet moved.
      if (offs[r] !== arenaW) arena.copyWithin(arenaW, offs[r]!, offs[r]! + len);
      hashes[w] = hashes[r]!;
      offs[w] = arenaW;
      lens[w] = len;
      refs[w] = refs[r]!;
      seen[w] = iter;
      arenaW += len;
      w++;
    }
    this.n = w;
    this.arenaUsed = arenaW;
    this.seenThisIter = w;
    this.rebuildSlots();
    // The sequence's entries move with them; a run whose entry went away (not seen, so not in
    // this scrape: only after a failed scrape) ends the sequence there.
    const seq = this.seq;
    for (let i = 0; i < this.seqLen; i++) {
      const e = remap[seq[i * SEQ + SEQ_ENTRY]!]!;
      if (e < 0) {
        this.seqLen = i;
        break;
      }
      seq[i * SEQ + SEQ_ENTRY] = e;
    }
    return dropped;
  }

  /** Drops everything (e.g. the target went away); returns the refs held. Reused array, as iterDone(). */
  clear(): readonly number[] {
    const dropped = this.dropped;
    dropped.length = 0;
    for (let e = 0; e < this.n; e++) dropped.push(this.refs[e]!);
    this.n = 0;
    this.arenaUsed = 0;
    this.seenThisIter = 0;
    this.slots.fill(0);
    this.seqLen = 0;
    this.cursor = 0;
    this.dirty = false;
    return dropped;
  }

  /** Compared from the end: keys of one family share long prefixes and differ late. */
  private equals(e: number, buf: Uint8Array, start: number, len: number): boolean {
    const arena = this.arena;
    const off = this.offs[e]!;
    for (let i = len - 1; i >= 0; i--) if (arena[off + i] !== buf[start + i]) return false;
    return true;
  }

  private insertSlot(e: number, h: number): void {
    const slots = this.slots;
    const mask = this.mask;
    let i = h & mask;
    while (slots[i] !== 0) i = (i + 1) & mask;
    slots[i] = e + 1;
  }

  private rebuildSlots(): void {
    this.slots.fill(0);
    for (let e = 0; e < this.n; e++) this.insertSlot(e, this.hashes[e]!);
  }

  /** Doubles entry capacity and the slot table (amortised O(1) per add). */
  private growEntries(): void {
    const cap = this.hashes.length * 2;
    this.hashes = grow(this.hashes, new Uint32Array(cap));
    this.offs = grow(this.offs, new Uint32Array(cap));
    this.lens = grow(this.lens, new Uint32Array(cap));
    this.refs = grow(this.refs, new Int32Array(cap));
    this.seen = grow(this.seen, new Uint32Array(cap));
    this.remap = new Int32Array(cap);
    this.seqAt = grow(this.seqAt, new Int32Array(cap));
    this.slots = new Int32Array(cap * 2);
    this.mask = cap * 2 - 1;
    this.rebuildSlots();
  }

  private growArena(need: number): void {
    const next = new Uint8Array(pow2AtLeast(need * 1.5));
    next.set(this.arena.subarray(0, this.arenaUsed));
    this.arena = next;
  }
}

/** A run of the sequence: SEQ int32s. Offsets are into seqBytes (seq) or the body (pend). */
const SEQ = 8;
/** Where the run starts (after the previous sample line). */
const SEQ_START = 0;
/** The series (key) start, after blank/comment lines and leading blanks. */
const SEQ_KEY = 1;
const SEQ_NAME_END = 2;
/** The series end: the run ends here. */
const SEQ_KEY_END = 3;
/** LFs in [start, key): the blank and comment lines skipped. */
const SEQ_LINES = 4;
const SEQ_ENTRY = 5;
/** 1: compare this run byte by byte (see matchNext): shorter than 8 bytes, or a ±0 or NaN word. */
const SEQ_SLOW = 6;

/** Whether a double read on matchNext's grid over dv[s, s + len) is ±0 or NaN. */
function hasZeroOrNaNWord(dv: DataView, s: number, len: number): boolean {
  if (len < 8) return false;
  const last = len - 8;
  for (let j = 0; ; j += 8) {
    if (j > last) j = last;
    const x = dv.getFloat64(s + j, true);
    if (x === 0 || x !== x) return true;
    if (j === last) return false;
  }
}

function grow<T extends Uint32Array | Int32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

function align16(n: number): number {
  return (n + 15) & ~15;
}

function pow2AtLeast(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * murmur3 x86_32 over buf[start, end), 4 bytes per round (fewer multiplies than byte-wise
 * FNV-1a at the same quality). MUST stay allocation-free: runs once per sample.
 */
export function hashBytes(buf: Uint8Array, start: number, end: number, seed = 0x9747b28c): number {
  let h = seed ^ (end - start);
  let i = start;
  const last4 = end - 3;
  for (; i < last4; i += 4) {
    let k = buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rem = end - i;
  if (rem > 0) {
    let k = buf[i]!;
    if (rem > 1) k |= buf[i + 1]! << 8;
    if (rem > 2) k |= buf[i + 2]! << 16;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  return fmix32(h);
}
