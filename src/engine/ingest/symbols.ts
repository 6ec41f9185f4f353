/**
 * Label strings, interned with a refcount: one copy of `instance`, `method`, `GET`… however
 * many series of the head carry them. Runs on a scrape-cache miss (a new series) and on
 * churn only, never per sample. Also the V8 object sizes the head's byte estimate uses.
 */

/** Pointer size on the V8 heap: 4 with pointer compression (not in Node's official builds), else 8. */
export const PTR: number = (process.config.variables as Record<string, unknown>)['v8_enable_pointer_compression'] ? 4 : 8;
/** JSArray header (map, properties, elements, length) + FixedArray header (map, length). */
export const ARRAY_OVERHEAD = 4 * PTR + 2 * PTR;
/** An OrderedHashMap entry (key, value, chain) and its bucket: the intern table's cost per symbol. */
export const MAP_ENTRY = 4 * PTR;
/** A typed array object and its ArrayBuffer on the heap (headers, fields), roughly. */
export const TYPED_ARRAY_OVERHEAD = 20 * PTR;

export class SymbolTable {
  private ids = new Map<string, number>();
  private strs: (string | undefined)[] = [];
  private refs = new Int32Array(256);
  private free: number[] = [];
  /** Distinct strings held. */
  count = 0;
  /** Σ stringBytes of the strings held. */
  stringBytes = 0;

  /** The table's copy of `s` (one more reference to it). */
  intern(s: string): string {
    const id = this.ids.get(s);
    if (id !== undefined) {
      this.refs[id]!++;
      return this.strs[id]!;
    }
    const nid = this.free.length > 0 ? this.free.pop()! : this.strs.length;
    if (nid >= this.refs.length) {
      const next = new Int32Array(this.refs.length * 2);
      next.set(this.refs);
      this.refs = next;
    }
    this.strs[nid] = s;
    this.refs[nid] = 1;
    this.ids.set(s, nid);
    this.count++;
    this.stringBytes += stringBytes(s);
    return s;
  }

  /** One reference less; the string is dropped with its last one. */
  unintern(s: string): void {
    const id = this.ids.get(s);
    if (id === undefined) return;
    if (--this.refs[id]! > 0) return;
    this.ids.delete(s);
    this.strs[id] = undefined;
    this.free.push(id);
    this.count--;
    this.stringBytes -= stringBytes(s);
  }

  /** Estimated bytes the strings hold: their own size and their entries in the map. */
  heldBytes(): number {
    return this.stringBytes + this.count * MAP_ENTRY;
  }

  /** Estimated bytes of the table itself: its refcounts and its array of strings. */
  tableBytes(): number {
    return this.refs.byteLength + ARRAY_OVERHEAD + this.strs.length * PTR;
  }
}

/**
 * V8's size of a flat string: header (map, hash, length) + payload, one byte per char when
 * every char is Latin-1, else two; rounded up to the pointer size.
 */
export function stringBytes(s: string): number {
  let wide = false;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0xff) {
      wide = true;
      break;
    }
  }
  const raw = PTR + 8 + s.length * (wide ? 2 : 1);
  return Math.ceil(raw / PTR) * PTR;
}
