/**
 * The in-memory head: for every active series, the samples of the last `window` scrapes of
 * its target, and its labels, kept once.
 *
 * Timestamps are kept once per target per scrape, not per series: every series of a target is
 * appended in the same scrape with the same timestamp. Each target has a ring of `window`
 * timestamps (one slot per scrape, numbered by a sequence that only grows); a series keeps
 * only its values, in the same slots, and a presence bitmap (a series absent from a scrape,
 * or a scrape rolled back, has no sample in that slot). An append whose timestamp is newer
 * than the target's newest slot opens the next slot; an equal one writes into it. A series
 * whose sample is OLDER than its target's newest slot (explicit exposition timestamps) moves
 * for good to a ring of its own (own-ring.ts; rare). Nothing is rounded: values and
 * timestamps are exact.
 * Retention is per target: a series keeps the samples of the target's last `window` slots,
 * so a target whose samples carry many distinct increasing timestamps per scrape (federation)
 * retains fewer samples per series.
 *
 * Values and bitmaps live in chunks of series, slot-major (head-chunks.ts). Freed refs are
 * reused through a free list, so the chunks stay as large as the peak of active series. Label
 * sets are symbol ids in an arena, their strings interned as UTF-8 (label-sets.ts, symbols.ts):
 * like the values, nothing of a series is a JS object, so a mark-compact has nothing per
 * series to trace.
 *
 * A scrape can be rolled back (Prometheus's Appender.Rollback, for a scrape that failed half-way):
 * beginScrape(), then discard() for each series the scrape may have appended to and
 * rollbackScrape(), or endScrape() when it succeeded. What that costs and what is logged for it:
 * rollback-log.ts.
 */
import { MAP_ENTRY, TYPED_ARRAY_OVERHEAD } from './symbols.js';
import { LabelSets } from './label-sets.js';
import { DEFAULTS } from '../../common/defaults.js';
import { OwnRing } from './own-ring.js';
import { RollbackLog } from './rollback-log.js';
import { TargetIds } from './target-ids.js';
import type { HeadStats } from './head-stats.js';
import { grow } from './typed-arrays.js';
import { BIT_ROW_SHIFT, CHUNK_MASK, CHUNK_SERIES, CHUNK_SHIFT, clearSeqs, clearSlots, countSamples, hasSample, addChunk } from './head-chunks.js';

export interface HeadOptions {
  /** Samples kept per series (a ring); default DEFAULTS.headWindow (120). */
  window?: number;
}

export class Head {
  readonly window: number;
  /** Per chunk (head-chunks.ts): its series' values and presence bits. */
  private readonly values: Float64Array[] = [];
  private readonly present: Uint32Array[] = [];
  /** Per series: 1 + the sequence number of its newest slot (at creation: its target's sequence). */
  private lastSeq = new Uint32Array(CHUNK_SERIES);
  private targetOf = new Int32Array(CHUNK_SERIES);
  /** Per series: 1 when it has its own timestamps (ownRings). */
  private own = new Uint8Array(CHUNK_SERIES);
  private readonly ownRings = new Map<number, OwnRing>();
  private readonly labelSets = new LabelSets();
  private freeRefs = new Int32Array(64);
  private freeTop = 0;
  private highWater = 0;
  private active = 0;

  /** Per ring (target id + 1; ring 0: series created without a target): `window` timestamps. */
  private ringTimes: Float64Array;
  /** Per ring: slots opened so far (the next slot's sequence number). */
  private ringSeq: Uint32Array;
  /** Per ring: index of the newest slot, (ringSeq - 1) % window. */
  private ringPos: Uint32Array;

  /**
   * The sample put() appends: [0] its time in ms, [1] its value. The hot paths write it here
   * rather than pass two doubles as arguments: a call that V8 does not inline boxes each double
   * argument (12 B), and whether a call inlines depends on V8's budget and on when its
   * optimizing compiler ran (the receiver allocated 0.4 B/sample on one machine, 19.6 on CI's).
   */
  readonly io = new Float64Array(2);

  /** Samples dropped as the second of their series in one scrape (Prometheus keeps the first). */
  duplicates = 0;

  /** The scrape that rollbackScrape() would undo. */
  private readonly scrape = new RollbackLog();
  private readonly targets = new TargetIds();

  constructor(options: HeadOptions = {}) {
    const w = options.window ?? DEFAULTS.headWindow;
    if (!Number.isInteger(w) || w < 1 || w > DEFAULTS.maxHeadWindow) throw new RangeError(`head window must be an integer in 1..${DEFAULTS.maxHeadWindow} (got ${w})`);
    this.window = w;
    this.ringSeq = new Uint32Array(16);
    this.ringPos = new Uint32Array(16);
    this.ringTimes = new Float64Array(16 * w);
  }

  /** A small integer for a target name, stored with each of its series. Allocates on first sight only. */
  target(name: string): number {
    const id = this.targets.id(name);
    this.ensureRing(id + 1);
    return id;
  }

  /** The id of a target seen before, else -1 (allocates nothing). */
  findTarget(name: string): number {
    return this.targets.find(name);
  }

  targetName(id: number): string | undefined {
    return this.targets.name(id);
  }

  /**
   * A new series with `labels` as [metricName, name1, value1, name2, value2, …] (the caller
   * sorts by label name if it wants canonical sets). The strings are interned; the array is
   * not kept. Runs on a scrape-cache miss only.
   */
  create(labels: string[], target = -1): number {
    if (!Number.isInteger(target) || target < -1) throw new RangeError(`bad target id ${target}`);
    if (labels.length === 0) throw new RangeError('a series has at least its metric name');
    let ref: number;
    if (this.freeTop > 0) {
      ref = this.freeRefs[--this.freeTop]!;
    } else {
      ref = this.highWater++;
      if ((ref & CHUNK_MASK) === 0 && ref >>> CHUNK_SHIFT === this.values.length) addChunk(this.values, this.present, this.window);
      if (ref >= this.lastSeq.length) this.growMeta();
    }
    this.ensureRing(target + 1);
    this.targetOf[ref] = target;
    this.lastSeq[ref] = this.ringSeq[target + 1]!;
    clearSlots(this.present[ref >>> CHUNK_SHIFT]!, ref & CHUNK_MASK, 0, this.window);
    this.labelSets.set(ref, labels);
    this.active++;
    return ref;
  }

  /** A sample of series ref at tMs (put() without its io: for callers off the hot path). */
  append(ref: number, tMs: number, value: number): void {
    const io = this.io;
    io[0] = tMs;
    io[1] = value;
    this.put(ref);
  }

  /**
   * Appends the sample in io to series ref. MUST stay allocation-free: runs once per sample,
   * whether V8 inlines it or not (nothing but small integers crosses a call).
   */
  put(ref: number): void {
    if (this.own[ref] !== 0) return this.appendOwn(ref);
    const g = this.targetOf[ref]! + 1;
    const tMs = this.io[0]!;
    // Not the newest slot's time: the first sample of a scrape, or an older one (rare). A call,
    // to keep put() small enough for V8 to inline: with the rollback's check added and this
    // in place, the cached ingester allocated ~600 B per 200-sample scrape (ingest-alloc test).
    if (this.ringSeq[g] === 0 || tMs !== this.ringTimes[g * this.window + this.ringPos[g]!]) {
      if (!this.openSlot(g)) {
        this.toOwn(ref);
        this.appendOwn(ref);
        return;
      }
    }
    const seq = this.ringSeq[g]!;
    const idx = this.ringPos[g]!;
    // idx === (seq - 1) % w: the newest slot.
    const s = seq - 1;
    const last = this.lastSeq[ref]!;
    const chunk = ref >>> CHUNK_SHIFT;
    const local = ref & CHUNK_MASK;
    const bits = this.present[chunk]!;
    const word = (idx << BIT_ROW_SHIFT) + (local >>> 5);
    const bit = 1 << (local & 31);
    // s === last: the next slot. s === last - 1 with the slot's bit set: a second sample of the
    // series in one scrape; Prometheus keeps the first ("duplicate sample for timestamp").
    if (s + 1 === last && (bits[word]! & bit) !== 0) {
      this.duplicates++;
      return;
    }
    if (s > last) clearSeqs(bits, local, last, s, this.window);
    // A slot the scrape did not open: rollbackScrape() could not tell this sample from an older one.
    if (s < this.scrape.seq) this.scrape.written(ref, g);
    bits[word]! |= bit;
    this.values[chunk]![(idx << CHUNK_SHIFT) + local] = this.io[1]!;
    this.lastSeq[ref] = s + 1;
  }

  /** Opens the target ring g's next slot for the sample in io, if it is newer than the newest one (else false). */
  private openSlot(g: number): boolean {
    const tMs = this.io[0]!;
    const w = this.window;
    const seq = this.ringSeq[g]!;
    let idx = this.ringPos[g]!;
    if (seq !== 0 && !(tMs > this.ringTimes[g * w + idx]!)) return false;
    idx = seq === 0 || idx + 1 === w ? 0 : idx + 1;
    this.ringTimes[g * w + idx] = tMs;
    this.ringSeq[g] = seq + 1;
    this.ringPos[g] = idx;
    return true;
  }

  /**
   * Starts a scrape of target (an id from target()) that rollbackScrape() can undo. O(1).
   * Appends to other targets' series until endScrape() or rollbackScrape() cannot be undone.
   */
  beginScrape(target: number): void {
    this.ensureRing(target + 1);
    this.scrape.begin(target + 1, this.ringSeq[target + 1]!);
  }

  /** The scrape begun succeeded: its samples stay. O(1). */
  endScrape(): void {
    this.scrape.end();
  }

  /**
   * The begun scrape's samples of series ref are dropped: its slots opened by the scrape read as
   * gaps. The caller calls this for every series of the target that the scrape may have appended
   * to, then rollbackScrape(). O(1).
   */
  discard(ref: number): void {
    const { ring, seq } = this.scrape;
    if (this.targetOf[ref]! + 1 === ring && this.lastSeq[ref]! > seq) this.lastSeq[ref] = seq;
  }

  /**
   * Ends the begun scrape by undoing it (after discard() of its series): the samples logged by
   * append() are dropped, own-timestamp series get back their cursor and count. Series the
   * scrape created are the caller's to release().
   */
  rollbackScrape(): void {
    this.scrape.undo(this.present, this.own, this.ownRings, this.window);
  }

  /** Frees a series (churned away); its ref will be reused. */
  release(ref: number): void {
    if (!this.labelSets.has(ref)) return;
    this.labelSets.delete(ref);
    if (this.own[ref] !== 0) {
      this.own[ref] = 0;
      this.ownRings.delete(ref);
    }
    this.active--;
    if (this.freeTop === this.freeRefs.length) this.freeRefs = grow(this.freeRefs, new Int32Array(this.freeRefs.length * 2));
    this.freeRefs[this.freeTop++] = ref;
  }

  /** [metricName, name1, value1, …] of a live series, or undefined (decoded: allocates; for tests and tools). */
  labels(ref: number): readonly string[] | undefined {
    return this.labelSets.get(ref);
  }

  targetOfSeries(ref: number): number {
    return this.targetOf[ref]!;
  }

  /** Copies a series' samples, oldest first, into the outs (each of `window` length at least); returns how many. */
  read(ref: number, outT: Float64Array, outV: Float64Array): number {
    if (!this.labelSets.has(ref)) return 0;
    const w = this.window;
    const chunk = ref >>> CHUNK_SHIFT;
    const local = ref & CHUNK_MASK;
    const vals = this.values[chunk]!;
    const own = this.own[ref] !== 0 ? this.ownRings.get(ref) : undefined;
    if (own !== undefined) return own.read(vals, local, outT, outV);
    const g = this.targetOf[ref]! + 1;
    const seq = this.ringSeq[g]!;
    const last = this.lastSeq[ref]!;
    const bits = this.present[chunk]!;
    let n = 0;
    for (let q = Math.max(0, seq - w); q < last; q++) {
      const idx = q % w;
      if (!hasSample(bits, idx, local)) continue;
      outT[n] = this.ringTimes[g * w + idx]!;
      outV[n] = vals[(idx << CHUNK_SHIFT) + local]!;
      n++;
    }
    return n;
  }

  /** The newest sample's value (NaN without samples). */
  lastValue(ref: number): number {
    if (!this.labelSets.has(ref)) return NaN;
    const w = this.window;
    const local = ref & CHUNK_MASK;
    const vals = this.values[ref >>> CHUNK_SHIFT]!;
    if (this.own[ref] !== 0) return this.ownRings.get(ref)!.lastValue(vals, local);
    // The newest slot with a sample: lastSeq - 1 but after a rolled-back scrape (rollbackScrape()).
    const seq = this.ringSeq[this.targetOf[ref]! + 1]!;
    const bits = this.present[ref >>> CHUNK_SHIFT]!;
    for (let q = this.lastSeq[ref]! - 1; q >= 0 && q >= seq - w; q--) {
      const idx = q % w;
      if (hasSample(bits, idx, local)) return vals[(idx << CHUNK_SHIFT) + local]!;
    }
    return NaN;
  }

  /** Refs of live series (allocates; for tests and tools). */
  refs(): number[] {
    const out: number[] = [];
    for (let r = 0; r < this.highWater; r++) if (this.labelSets.has(r)) out.push(r);
    return out;
  }

  get series(): number {
    return this.active;
  }

  stats(): HeadStats {
    // Every chunk has the same two arrays (addChunk): the first counted for all, not each visited
    // (a walk over a few hundred chunks ran interpreted, once every 10 s, ~0.3 ms each time the agent asked).
    const chunks = this.values.length;
    let bytes = chunks === 0 ? 0 : chunks * (this.values[0]!.byteLength + this.present[0]!.byteLength + 2 * TYPED_ARRAY_OVERHEAD);
    bytes += this.lastSeq.byteLength + this.own.byteLength + this.targetOf.byteLength + this.freeRefs.byteLength;
    bytes += this.ringTimes.byteLength + this.ringSeq.byteLength + this.ringPos.byteLength;
    bytes += this.ownRings.size * (this.window * 8 + 2 * TYPED_ARRAY_OVERHEAD + MAP_ENTRY);
    bytes += this.labelSets.tableBytes();
    const labelBytes = this.labelSets.heldBytes();
    return {
      series: this.active,
      bytes,
      bytesPerSeries: this.active > 0 ? bytes / this.active : 0,
      labelBytes,
      symbols: this.labelSets.symbolCount,
      ownTimestampSeries: this.ownRings.size,
    };
  }

  /** Moves a series to its own per-sample timestamps, keeping its samples (rare: allocates). */
  private toOwn(ref: number): void {
    const w = this.window;
    const t = new Float64Array(w);
    const v = new Float64Array(w);
    const local = ref & CHUNK_MASK;
    const g = this.targetOf[ref]! + 1;
    // During a scrape that may be rolled back: how many of its samples are older than the scrape.
    const log = this.scrape;
    const oldest = Math.max(0, this.ringSeq[g]! - w);
    const before = g === log.ring ? countSamples(this.present[ref >>> CHUNK_SHIFT]!, local, oldest, Math.min(this.lastSeq[ref]!, log.seq), w) : -1;
    const n = this.read(ref, t, v);
    const vals = this.values[ref >>> CHUNK_SHIFT]!;
    for (let i = 0; i < n; i++) vals[(i << CHUNK_SHIFT) + local] = v[i]!;
    const own = new OwnRing(t, n);
    if (before >= 0) log.movedOwn(ref, own, before);
    this.ownRings.set(ref, own);
    this.own[ref] = 1;
  }

  /** The sample in io to series ref, which has its own timestamps. */
  private appendOwn(ref: number): void {
    const own = this.ownRings.get(ref)!;
    this.scrape.appendOwn(ref, this.targetOf[ref]! + 1, own);
    this.values[ref >>> CHUNK_SHIFT]![(own.push(this.io) << CHUNK_SHIFT) + (ref & CHUNK_MASK)] = this.io[1]!;
  }

  private ensureRing(ring: number): void {
    if (ring < this.ringSeq.length) return;
    let cap = this.ringSeq.length;
    while (cap <= ring) cap *= 2;
    this.ringSeq = grow(this.ringSeq, new Uint32Array(cap));
    this.ringPos = grow(this.ringPos, new Uint32Array(cap));
    this.ringTimes = grow(this.ringTimes, new Float64Array(cap * this.window));
  }

  private growMeta(): void {
    const cap = this.lastSeq.length * 2;
    this.lastSeq = grow(this.lastSeq, new Uint32Array(cap));
    this.own = grow(this.own, new Uint8Array(cap));
    this.targetOf = grow(this.targetOf, new Int32Array(cap));
  }
}
