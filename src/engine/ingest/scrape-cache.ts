import { fmix32 } from '../../common/hash.js';
import { grow, insertSlot, pow2AtLeast } from './typed-arrays.js';

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
 * Scrape-to-scrape diffing (the last scrape's lines as runs, each naming its entry) is a layer
 * on top: ScrapeSequence (sequence.ts), which takes its hits through hit() and follows a
 * compaction through movedTo().
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
  /** Entries and arena bytes at iterStart(): rollback() truncates back to them. */
  private iterEntries = 0;
  private iterArena = 0;
  /** The entry expected next: the one after the last hit. */
  private predicted = 0;
  private readonly dropped: number[] = [];
  /** The entry the last get() hit or add() added. */
  private last = -1;
  /** Old entry index → new one (-1: dropped), filled by a compacting iterDone(). */
  private remap: Int32Array;

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
      this.arena.byteLength
    );
  }

  /** Entry capacity: indexes of entries to come stay below it until the next add() that grows. */
  get capacity(): number {
    return this.hashes.length;
  }

  /** The entry the last get() hit or add() added. */
  get lastEntry(): number {
    return this.last;
  }

  /** Starts a scrape: entries not looked up or added from now until iterDone() are dropped then. */
  iterStart(): void {
    this.iter = (this.iter + 1) >>> 0;
    this.seenThisIter = 0;
    this.predicted = 0;
    this.iterEntries = this.n;
    this.iterArena = this.arenaUsed;
  }

  /**
   * Undoes this scrape's add()s (it failed; Prometheus rolls its appender back): the entries
   * added since iterStart() are dropped, as if never seen, and their refs returned (the reused
   * array of iterDone(), valid until the next iterDone(), clear() or rollback()). Entries it only
   * looked up stay. O(entries added): they are the last ones in the table and the slot table,
   * and slots of a linear-probing table removed in the reverse order of insertion leave it as
   * it was before them (a growth rebuilds it in entry order, the same). Call before
   * iterDone(), which would keep them.
   */
  rollback(): readonly number[] {
    const dropped = this.dropped;
    dropped.length = 0;
    const slots = this.slots;
    const mask = this.mask;
    for (let e = this.n - 1; e >= this.iterEntries; e--) {
      dropped.push(this.refs[e]!);
      let i = this.hashes[e]! & mask;
      while (slots[i] !== e + 1) i = (i + 1) & mask;
      slots[i] = 0;
    }
    this.n = Math.min(this.n, this.iterEntries);
    this.arenaUsed = Math.min(this.arenaUsed, this.iterArena);
    this.predicted = 0;
    this.last = -1;
    return dropped;
  }

  /** Entry e's ref (e < size). */
  refAt(e: number): number {
    return this.refs[e]!;
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

  /**
   * Entry e is in this scrape, found without a lookup (a sequence hit): marks it seen, as
   * get() does, and returns its ref. MUST stay allocation-free: runs once per sample.
   */
  hit(e: number): number {
    if (this.seen[e] !== this.iter) {
      this.seen[e] = this.iter;
      this.seenThisIter++;
    }
    this.predicted = e + 1;
    this.last = e;
    return this.refs[e]!;
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
    this.last = e;
  }

  /**
   * Ends a scrape: drops every entry not seen since iterStart() and returns their refs. The
   * returned array is reused: it is valid until the next iterDone(). Without churn this is
   * O(1); with churn it compacts entries and arena in place and rebuilds the slot table
   * (O(entries), the same order as Prometheus's per-scrape iterDone sweep); movedTo() then
   * says where each entry went.
   */
  iterDone(): readonly number[] {
    const dropped = this.dropped;
    dropped.length = 0;
    if (this.seenThisIter >= this.n) return dropped;
    const iter = this.iter;
    const { hashes, offs, lens, refs, seen, arena, remap } = this;
    let w = 0;
    let arenaW = 0;
    for (let r = 0; r < this.n; r++) {
      if (seen[r] !== iter) {
        dropped.push(refs[r]!);
        remap[r] = -1;
        continue;
      }
      remap[r] = w;
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
    return dropped;
  }

  /** Where entry e (an index before the last iterDone() that dropped entries) is now; -1: dropped. */
  movedTo(e: number): number {
    return this.remap[e]!;
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
    insertSlot(this.slots, h, e + 1);
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
