import { SymbolTable } from './symbols.js';
import { grow, pow2AtLeast } from './typed-arrays.js';

/**
 * The head's label sets, off the V8 heap: series ref → [metricName, name1, value1, …] as
 * symbol ids (symbols.ts) in one Int32Array arena, a span per series. A million series are
 * then a few typed arrays to a mark-compact, where a JS array of strings per series was two
 * million objects to trace (about 107 B each on the heap at 1M series, see docs/heap.md).
 *
 * A freed span goes to a free list of its length, linked through its first int: a churned
 * series is usually replaced by one of the same shape, which takes it back. When freed spans
 * are half the arena (the shapes changed), the live spans are copied into a new one.
 * Runs on a scrape-cache miss and on churn only, never per sample.
 */
export class LabelSets {
  private readonly symbols = new SymbolTable();
  private arena = new Int32Array(1024);
  private used = 0;
  /** Ints in freed spans. */
  private freed = 0;
  /** Per span length: the first free span's offset, -1: none. */
  private freeHead = new Int32Array(16).fill(-1);
  /** Per ref: its span's offset and length (0: no series). */
  private at = new Int32Array(1024);
  private len = new Int32Array(1024);

  /** Whether ref holds a label set. */
  has(ref: number): boolean {
    return this.len[ref]! > 0;
  }

  /** Stores ref's labels, at least one (interned; the array is not kept). ref must hold none. */
  set(ref: number, labels: readonly string[]): void {
    const n = labels.length;
    if (ref >= this.len.length) this.growRefs(ref + 1);
    const off = this.take(n);
    for (let i = 0; i < n; i++) this.arena[off + i] = this.symbols.intern(labels[i]!);
    this.at[ref] = off;
    this.len[ref] = n;
  }

  /** Drops ref's labels (no-op when it holds none). */
  delete(ref: number): void {
    if (!this.has(ref)) return;
    const off = this.at[ref]!;
    const n = this.len[ref]!;
    for (let i = 0; i < n; i++) this.symbols.unintern(this.arena[off + i]!);
    this.len[ref] = 0;
    if (n >= this.freeHead.length) this.freeHead = grow(this.freeHead, new Int32Array(pow2AtLeast(n + 1)).fill(-1));
    this.arena[off] = this.freeHead[n]!;
    this.freeHead[n] = off;
    this.freed += n;
    if (this.freed > 65536 && this.freed * 2 > this.used) this.compact();
  }

  /** ref's labels as strings, or undefined (decodes: allocates; for tests and tools). */
  get(ref: number): string[] | undefined {
    if (!this.has(ref)) return undefined;
    const off = this.at[ref]!;
    const out = new Array<string>(this.len[ref]!);
    for (let i = 0; i < out.length; i++) out[i] = this.symbols.text(this.arena[off + i]!);
    return out;
  }

  /** Ints of the arena handed out so far, freed spans included. */
  get arenaInts(): number {
    return this.used;
  }

  /** Distinct strings held. */
  get symbolCount(): number {
    return this.symbols.count;
  }

  /** Estimated bytes the live label sets take: their spans and their strings. */
  heldBytes(): number {
    return (this.used - this.freed) * 4 + this.symbols.heldBytes();
  }

  /** Bytes of the typed arrays (allocated capacity), the symbol table's too. */
  tableBytes(): number {
    return this.arena.byteLength + this.freeHead.byteLength + this.at.byteLength + this.len.byteLength + this.symbols.tableBytes();
  }

  /** A span of n ints: a freed one of that length, else the arena's end. */
  private take(n: number): number {
    if (n < this.freeHead.length && this.freeHead[n]! >= 0) {
      const off = this.freeHead[n]!;
      this.freeHead[n] = this.arena[off]!;
      this.freed -= n;
      return off;
    }
    if (this.used + n > this.arena.length) this.arena = grow(this.arena, new Int32Array(pow2AtLeast((this.used + n) * 1.5)));
    const off = this.used;
    this.used += n;
    return off;
  }

  private growRefs(need: number): void {
    const cap = pow2AtLeast(need);
    this.at = grow(this.at, new Int32Array(cap));
    this.len = grow(this.len, new Int32Array(cap));
  }

  /** The live spans into a new arena, in ref order; the free lists are emptied (O(live ints)). */
  private compact(): void {
    const live = this.used - this.freed;
    const next = new Int32Array(pow2AtLeast(Math.max(1024, live * 1.5)));
    let w = 0;
    for (let ref = 0; ref < this.len.length; ref++) {
      const n = this.len[ref]!;
      if (n === 0) continue;
      const off = this.at[ref]!;
      for (let i = 0; i < n; i++) next[w + i] = this.arena[off + i]!;
      this.at[ref] = w;
      w += n;
    }
    this.arena = next;
    this.used = w;
    this.freed = 0;
    this.freeHead.fill(-1);
  }
}
