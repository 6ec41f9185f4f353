import { fmix32 } from '../../common/hash.js';
import { insertSlot, pow2AtLeast } from './typed-arrays.js';

/** An entry's record in the cache's table: Ent.Size int32s, entry e at e * Ent.Size. */
const enum Ent {
  Hash = 0,
  /** Its key's offset and length in the arena. */
  Off = 1,
  Len = 2,
  Ref = 3,
  /** The scrape iteration it was last seen in. */
  Seen = 4,
  /** The layer on top's int (ScrapeSequence: the run it was last at); moves with the entry. */
  Hint = 5,
  Size = 8,
}

/**
 * The refs iterDone(), rollback() and clear() return: one array for every cache (ingest()
 * runs to its end before the next, and reads them at once), so that 5000 targets do not keep
 * 5000 of them on the heap.
 */
const dropped: number[] = [];

/**
 * Per-target scrape cache: the raw series bytes of a sample line (`name{labels}` exactly as
 * exposed) → series ref, like Prometheus's scrapeCache (scrape/scrape.go). A hit decodes no
 * labels and allocates nothing: the key is hashed and compared as bytes in place.
 *
 * Layout: one Int32Array holds the entries' records (Ent) and, after them, the slot table:
 * open addressing with linear probing (entry index + 1, 0 = empty), load factor ≤ 1/2; keys
 * live in one growable byte arena. Two typed arrays a target, whatever its size: at 5000
 * targets each typed array a target costs ~1 MB of traced heap (its JS object and its
 * ArrayBuffer's), see docs/heap.md.
 * A lookup first tries the entry after the last hit (exporters repeat their order), then the
 * hash table. Each entry records the scrape iteration it was last seen in; iterDone() drops the entries
 * not seen since iterStart() (series churn) and hands their refs back so the head can free them.
 *
 * Scrape-to-scrape diffing (the last scrape's lines as runs, each naming its entry) is a layer
 * on top: ScrapeSequence (sequence.ts), which takes its hits through hit(), keeps a hint per
 * entry (hint(), setHint()) and follows a compaction through movedTo().
 */
export class ScrapeCache {
  /** The entries' records (Ent), capacity of them, then the slot table from slotsAt on. */
  private ent: Int32Array;
  private slotsAt: number;
  /** Slots - 1 (a power of two less one). */
  private mask: number;
  private n = 0;
  private arena: Uint8Array;
  /** The arena as a DataView, for getView(). */
  private arenaView: DataView;
  private arenaUsed = 0;
  private iter = 0;
  private seenThisIter = 0;
  /** Entries and arena bytes at iterStart(): rollback() truncates back to them. */
  private iterEntries = 0;
  private iterArena = 0;
  /** The entry expected next: the one after the last hit. */
  private predicted = 0;
  /** The entry the last get() hit or add() added. */
  private last = -1;
  /** Old entry index → new one (-1: dropped), filled by a compacting iterDone(); made by the first (churn only). */
  private remap: Int32Array | null = null;

  constructor(initialEntries = 64) {
    const cap = pow2AtLeast(Math.max(8, initialEntries));
    this.ent = new Int32Array(cap * (Ent.Size + 2));
    this.slotsAt = cap * Ent.Size;
    this.mask = cap * 2 - 1;
    this.arena = new Uint8Array(cap * 64);
    this.arenaView = new DataView(this.arena.buffer);
  }

  /** Entries held. */
  get size(): number {
    return this.n;
  }

  /** Bytes held by the cache's typed arrays (allocated capacity, not just the used part). */
  get bytes(): number {
    return this.ent.byteLength + (this.remap?.byteLength ?? 0) + this.arena.byteLength;
  }

  /** Entry capacity: indexes of entries to come stay below it until the next add() that grows. */
  get capacity(): number {
    return this.slotsAt / Ent.Size;
  }

  /** The entry the last get() hit or add() added. */
  get lastEntry(): number {
    return this.last;
  }

  /** Starts a scrape: entries not looked up or added from now until iterDone() are dropped then. */
  iterStart(): void {
    this.iter = (this.iter + 1) | 0;
    this.seenThisIter = 0;
    this.predicted = 0;
    this.iterEntries = this.n;
    this.iterArena = this.arenaUsed;
  }

  /**
   * Undoes this scrape's add()s (it failed; Prometheus rolls its appender back): the entries
   * added since iterStart() are dropped, as if never seen, and their refs returned (the shared
   * array of iterDone(), valid until the next iterDone(), clear() or rollback() of any cache).
   * Entries it only looked up stay. O(entries added): they are the last ones in the table and
   * the slot table, and slots of a linear-probing table removed in the reverse order of
   * insertion leave it as it was before them (a growth rebuilds it in entry order, the same).
   * Call before iterDone(), which would keep them.
   */
  rollback(): readonly number[] {
    dropped.length = 0;
    const { slotsAt, mask, ent } = this;
    for (let e = this.n - 1; e >= this.iterEntries; e--) {
      dropped.push(ent[e * Ent.Size + Ent.Ref]!);
      let i = ent[e * Ent.Size + Ent.Hash]! & mask;
      while (ent[slotsAt + i] !== e + 1) i = (i + 1) & mask;
      ent[slotsAt + i] = 0;
    }
    this.n = Math.min(this.n, this.iterEntries);
    this.arenaUsed = Math.min(this.arenaUsed, this.iterArena);
    this.predicted = 0;
    this.last = -1;
    return dropped;
  }

  /** Entry e's ref (e < size). */
  refAt(e: number): number {
    return this.ent[e * Ent.Size + Ent.Ref]!;
  }

  /** The layer on top's int for entry e (-1 until setHint()). */
  hint(e: number): number {
    return this.ent[e * Ent.Size + Ent.Hint]!;
  }

  setHint(e: number, v: number): void {
    this.ent[e * Ent.Size + Ent.Hint] = v;
  }

  /**
   * The ref stored for buf[start, end), or -1 on a miss; a hit marks the entry seen.
   * MUST stay allocation-free: runs once per sample.
   */
  get(buf: Uint8Array, start: number, end: number): number {
    const len = end - start;
    const ent = this.ent;
    // Exporters write their series in the same order every scrape, and entries are kept in
    // insertion order: the entry after the last hit is usually this one. Checking it first
    // skips hashing and probing (a full byte compare still decides).
    const p = this.predicted;
    if (p < this.n && ent[p * Ent.Size + Ent.Len] === len && this.equals(p, buf, start, len)) return this.hit(p);
    const h = hashBytes(buf, start, end) | 0;
    const slotsAt = this.slotsAt;
    const mask = this.mask;
    let i = h & mask;
    for (;;) {
      const e = ent[slotsAt + i]! - 1;
      if (e < 0) return -1;
      const r = e * Ent.Size;
      if (ent[r + Ent.Hash] === h && ent[r + Ent.Len] === len && this.equals(e, buf, start, len)) return this.hit(e);
      i = (i + 1) & mask;
    }
  }

  /**
   * get() for keys of a buffer the caller holds a DataView of (`dv` over buf's bytes from its
   * byteOffset): keys compared 4 bytes a step, from the end. For long keys looked up whole on
   * every sample (the remote-write receiver's label sets, ~150 bytes; the scrape path compares
   * few keys, its sequence matcher takes most lines): byte by byte was ~60 % of its decode.
   * MUST stay allocation-free: runs once per sample.
   */
  getView(dv: DataView<ArrayBufferLike>, buf: Uint8Array, start: number, end: number): number {
    const len = end - start;
    const ent = this.ent;
    const p = this.predicted;
    if (p < this.n && ent[p * Ent.Size + Ent.Len] === len && this.equalsView(p, dv, start, len)) return this.hit(p);
    const h = hashBytes(buf, start, end) | 0;
    const slotsAt = this.slotsAt;
    const mask = this.mask;
    let i = h & mask;
    for (;;) {
      const e = ent[slotsAt + i]! - 1;
      if (e < 0) return -1;
      const r = e * Ent.Size;
      if (ent[r + Ent.Hash] === h && ent[r + Ent.Len] === len && this.equalsView(e, dv, start, len)) return this.hit(e);
      i = (i + 1) & mask;
    }
  }

  /**
   * Entry e is in this scrape, found without a lookup (a sequence hit): marks it seen, as
   * get() does, and returns its ref. MUST stay allocation-free: runs once per sample.
   */
  hit(e: number): number {
    const r = e * Ent.Size;
    const ent = this.ent;
    if (ent[r + Ent.Seen] !== this.iter) {
      ent[r + Ent.Seen] = this.iter;
      this.seenThisIter++;
    }
    this.predicted = e + 1;
    this.last = e;
    return ent[r + Ent.Ref]!;
  }

  /** Adds buf[start, end) → ref, seen in this iteration. The key MUST NOT be present (call after a miss). */
  add(buf: Uint8Array, start: number, end: number, ref: number): void {
    if (this.n * Ent.Size === this.slotsAt) this.growEntries();
    const len = end - start;
    if (this.arenaUsed + len > this.arena.length) this.growArena(this.arenaUsed + len);
    const e = this.n++;
    const h = hashBytes(buf, start, end) | 0;
    this.arena.set(buf.subarray(start, end), this.arenaUsed);
    const r = e * Ent.Size;
    const ent = this.ent;
    ent[r + Ent.Hash] = h;
    ent[r + Ent.Off] = this.arenaUsed;
    ent[r + Ent.Len] = len;
    ent[r + Ent.Ref] = ref;
    ent[r + Ent.Seen] = this.iter;
    ent[r + Ent.Hint] = -1;
    this.seenThisIter++;
    this.arenaUsed += len;
    this.insertSlot(e, h);
    this.last = e;
  }

  /**
   * Ends a scrape: drops every entry not seen since iterStart() and returns their refs (the
   * shared array, valid until the next iterDone(), clear() or rollback() of any cache). Without
   * churn this is O(1); with churn it compacts entries and arena in place and rebuilds the slot
   * table (O(entries), the same order as Prometheus's per-scrape iterDone sweep); movedTo()
   * then says where each entry went.
   */
  iterDone(): readonly number[] {
    dropped.length = 0;
    if (this.seenThisIter >= this.n) return dropped;
    const iter = this.iter;
    const { ent, arena } = this;
    if (this.remap === null || this.remap.length < this.capacity) this.remap = new Int32Array(this.capacity);
    const remap = this.remap;
    let w = 0;
    let arenaW = 0;
    for (let e = 0; e < this.n; e++) {
      const r = e * Ent.Size;
      if (ent[r + Ent.Seen] !== iter) {
        dropped.push(ent[r + Ent.Ref]!);
        remap[e] = -1;
        continue;
      }
      remap[e] = w;
      const off = ent[r + Ent.Off]!;
      const len = ent[r + Ent.Len]!;
      // Offsets ascend with the entry index (entries are appended and compacted in order),
      // so copying left in place never overwrites a key not yet moved.
      if (off !== arenaW) arena.copyWithin(arenaW, off, off + len);
      if (w !== e) ent.copyWithin(w * Ent.Size, r, r + Ent.Size);
      ent[w * Ent.Size + Ent.Off] = arenaW;
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
    return this.remap![e]!;
  }

  /** Drops everything (e.g. the target went away); returns the refs held (the shared array, as iterDone()'s). */
  clear(): readonly number[] {
    dropped.length = 0;
    for (let e = 0; e < this.n; e++) dropped.push(this.ent[e * Ent.Size + Ent.Ref]!);
    this.n = 0;
    this.arenaUsed = 0;
    this.seenThisIter = 0;
    this.ent.fill(0, this.slotsAt);
    return dropped;
  }

  /** Compared from the end: keys of one family share long prefixes and differ late. */
  private equals(e: number, buf: Uint8Array, start: number, len: number): boolean {
    const arena = this.arena;
    const off = this.ent[e * Ent.Size + Ent.Off]!;
    for (let i = len - 1; i >= 0; i--) if (arena[off + i] !== buf[start + i]) return false;
    return true;
  }

  /** equals() 4 bytes a step (dv: the key's buffer, as getView()). */
  private equalsView(e: number, dv: DataView<ArrayBufferLike>, start: number, len: number): boolean {
    const a = this.arenaView;
    const off = this.ent[e * Ent.Size + Ent.Off]!;
    let i = len - 4;
    for (; i >= 0; i -= 4) if (a.getInt32(off + i, true) !== dv.getInt32(start + i, true)) return false;
    for (i += 3; i >= 0; i--) if (a.getUint8(off + i) !== dv.getUint8(start + i)) return false;
    return true;
  }

  private insertSlot(e: number, h: number): void {
    insertSlot(this.ent, h, e + 1, this.slotsAt);
  }

  private rebuildSlots(): void {
    this.ent.fill(0, this.slotsAt);
    for (let e = 0; e < this.n; e++) this.insertSlot(e, this.ent[e * Ent.Size + Ent.Hash]!);
  }

  /** Doubles entry capacity and the slot table (amortised O(1) per add). */
  private growEntries(): void {
    const cap = this.capacity * 2;
    const next = new Int32Array(cap * (Ent.Size + 2));
    next.set(this.ent.subarray(0, this.slotsAt));
    this.ent = next;
    this.slotsAt = cap * Ent.Size;
    this.mask = cap * 2 - 1;
    this.rebuildSlots();
  }

  private growArena(need: number): void {
    const next = new Uint8Array(pow2AtLeast(need * 1.5));
    next.set(this.arena.subarray(0, this.arenaUsed));
    this.arena = next;
    this.arenaView = new DataView(next.buffer);
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
