import { hashBytes } from './scrape-cache.js';
import { grow, insertSlot, pow2AtLeast } from './typed-arrays.js';

/**
 * Label strings, interned with a refcount: one copy of `instance`, `method`, `GET`… however
 * many series of the head carry them, named by a small integer (its id). Runs on a
 * scrape-cache miss (a new series) and on churn only, never per sample.
 *
 * Off the V8 heap: the text is UTF-8 in one byte arena, the table is typed arrays (open
 * addressing, linear probing, deletion by backward shift). A million series whose labels
 * hold a million distinct values (a pod, a request id) then cost a mark-compact nothing to
 * trace; as JS strings in a Map they were a million objects on the heap. A string is decoded
 * again only when asked for (text(): tests and tools).
 *
 * Also the V8 object sizes the head's byte estimate uses.
 */

/** Pointer size on the V8 heap: 4 with pointer compression (not in Node's official builds), else 8. */
export const PTR: number = (process.config.variables as Record<string, unknown>)['v8_enable_pointer_compression'] ? 4 : 8;
/** An OrderedHashMap entry (key, value, chain) and its bucket: a JS Map's cost per entry. */
export const MAP_ENTRY = 4 * PTR;
/** A typed array object and its ArrayBuffer on the heap (headers, fields), roughly. */
export const TYPED_ARRAY_OVERHEAD = 20 * PTR;

/** A symbol's record in `ent`: ENT int32s, symbol id at id * ENT. */
const enum Ent {
  Off = 0,
  Len = 1,
  Hash = 2,
  /** References held; 0: the id is free. */
  Refs = 3,
  Size = 4,
}
/** Table bytes per symbol: its record and two slots (load factor ≤ 1/2). */
const BYTES_PER_SYMBOL = Ent.Size * 4 + 2 * 4;

const decoder = new TextDecoder();
const encoder = new TextEncoder();

export class SymbolTable {
  private ent = new Int32Array(64 * Ent.Size);
  /** id + 1 per slot, 0: empty. */
  private slots = new Int32Array(128);
  private mask = 127;
  private bytes = new Uint8Array(1024);
  private textUsed = 0;
  /** Bytes of text whose symbol was dropped: compacted away once they are half of it. */
  private textDead = 0;
  private freeIds = new Int32Array(16);
  private freeTop = 0;
  private highId = 0;
  /** intern()'s UTF-8 of its string. */
  private scratch = new Uint8Array(256);
  /** Distinct strings held. */
  count = 0;
  /** Σ UTF-8 bytes of the strings held. */
  stringBytes = 0;

  /** The id of `s` (one more reference to it): an existing one, or a new one holding a copy of its UTF-8. */
  intern(s: string): number {
    const n = this.encode(s);
    const buf = this.scratch;
    const h = hashBytes(buf, 0, n);
    const { ent, slots, mask } = this;
    let i = h & mask;
    for (;;) {
      const id = slots[i]! - 1;
      if (id < 0) break;
      const r = id * Ent.Size;
      if (ent[r + Ent.Hash] === (h | 0) && ent[r + Ent.Len] === n && this.equals(ent[r + Ent.Off]!, buf, n)) {
        ent[r + Ent.Refs]!++;
        return id;
      }
      i = (i + 1) & mask;
    }
    return this.add(buf, n, h);
  }

  /** One reference to id less; the string is dropped with its last one. */
  unintern(id: number): void {
    const r = id * Ent.Size;
    if (id < 0 || id >= this.highId || this.ent[r + Ent.Refs]! <= 0) return;
    if (--this.ent[r + Ent.Refs]! > 0) return;
    const len = this.ent[r + Ent.Len]!;
    this.removeSlot(id);
    if (this.freeTop === this.freeIds.length) this.freeIds = grow(this.freeIds, new Int32Array(this.freeIds.length * 2));
    this.freeIds[this.freeTop++] = id;
    this.count--;
    this.stringBytes -= len;
    this.textDead += len;
    if (this.textDead > 65536 && this.textDead * 2 > this.textUsed) this.compactText();
  }

  /** The string of a live id (decodes: allocates; for tests and tools). */
  text(id: number): string {
    const r = id * Ent.Size;
    const off = this.ent[r + Ent.Off]!;
    return decoder.decode(this.bytes.subarray(off, off + this.ent[r + Ent.Len]!));
  }

  /** Estimated bytes the strings held take: their text and their part of the table. */
  heldBytes(): number {
    return this.stringBytes + this.count * BYTES_PER_SYMBOL;
  }

  /** Bytes of the table's typed arrays (allocated capacity). */
  tableBytes(): number {
    return this.ent.byteLength + this.slots.byteLength + this.bytes.byteLength + this.freeIds.byteLength + this.scratch.byteLength;
  }

  /** s as UTF-8 into scratch; returns its length. Plain ASCII is copied without the encoder. */
  private encode(s: string): number {
    if (s.length * 3 > this.scratch.length) this.scratch = new Uint8Array(pow2AtLeast(s.length * 3));
    const buf = this.scratch;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) return encoder.encodeInto(s, buf).written;
      buf[i] = c;
    }
    return s.length;
  }

  private equals(off: number, buf: Uint8Array, n: number): boolean {
    const bytes = this.bytes;
    for (let i = 0; i < n; i++) if (bytes[off + i] !== buf[i]) return false;
    return true;
  }

  private add(buf: Uint8Array, n: number, h: number): number {
    let id: number;
    if (this.freeTop > 0) id = this.freeIds[--this.freeTop]!;
    else {
      id = this.highId++;
      if (id * Ent.Size >= this.ent.length) this.ent = grow(this.ent, new Int32Array(this.ent.length * 2));
    }
    if (this.textUsed + n > this.bytes.length) {
      const next = new Uint8Array(pow2AtLeast((this.textUsed + n) * 1.5));
      next.set(this.bytes.subarray(0, this.textUsed));
      this.bytes = next;
    }
    this.bytes.set(buf.subarray(0, n), this.textUsed);
    const r = id * Ent.Size;
    this.ent[r + Ent.Off] = this.textUsed;
    this.ent[r + Ent.Len] = n;
    this.ent[r + Ent.Hash] = h;
    this.ent[r + Ent.Refs] = 1;
    this.textUsed += n;
    this.count++;
    this.stringBytes += n;
    if (this.count * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    else this.insertSlot(id, h);
    return id;
  }

  private insertSlot(id: number, h: number): void {
    insertSlot(this.slots, h, id + 1);
  }

  /** Backward-shift deletion: the entries after id's slot that probed past it move up, so no probe stops early. */
  private removeSlot(id: number): void {
    const { slots, mask, ent } = this;
    let i = ent[id * Ent.Size + Ent.Hash]! & mask;
    while (slots[i] !== id + 1) i = (i + 1) & mask;
    slots[i] = 0;
    for (let j = (i + 1) & mask; slots[j] !== 0; j = (j + 1) & mask) {
      const home = ent[(slots[j]! - 1) * Ent.Size + Ent.Hash]! & mask;
      // The entry at j may fill the hole at i unless its home lies cyclically in (i, j].
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      slots[i] = slots[j]!;
      slots[j] = 0;
      i = j;
    }
  }

  private rehash(size: number): void {
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    const ent = this.ent;
    for (let id = 0; id < this.highId; id++) if (ent[id * Ent.Size + Ent.Refs]! > 0) this.insertSlot(id, ent[id * Ent.Size + Ent.Hash]!);
  }

  /** The live strings' text into a new arena, in id order (churn; O(live bytes)). */
  private compactText(): void {
    const live = this.textUsed - this.textDead;
    const next = new Uint8Array(pow2AtLeast(Math.max(1024, live * 1.5)));
    const ent = this.ent;
    let w = 0;
    for (let id = 0; id < this.highId; id++) {
      const r = id * Ent.Size;
      if (ent[r + Ent.Refs]! <= 0) continue;
      const off = ent[r + Ent.Off]!;
      const len = ent[r + Ent.Len]!;
      next.set(this.bytes.subarray(off, off + len), w); // a view per string: churn only
      ent[r + Ent.Off] = w;
      w += len;
    }
    this.bytes = next;
    this.textUsed = w;
    this.textDead = 0;
  }
}
