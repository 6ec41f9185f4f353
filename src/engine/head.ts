/**
 * The in-memory head: for every active series, the last `window` samples in typed arrays,
 * and its labels, kept once.
 *
 * Samples live in chunks of CHUNK_SERIES series × window slots (Float64Array values and
 * timestamps), so growth allocates one new chunk and copies nothing. A series ref is
 * chunk * CHUNK_SERIES + slot; freed refs are reused through a free list, so the chunks stay
 * as large as the peak of active series. Label strings are interned with a refcount: one
 * copy of `instance`, `method`, `GET`… however many series carry them.
 */
export interface HeadOptions {
  /** Samples kept per series (a ring); default 120. */
  window?: number;
}

export interface HeadStats {
  /** Active series. */
  series: number;
  /** Estimated bytes held: typed arrays (allocated capacity) + label arrays + interned strings. */
  bytes: number;
  /** bytes ÷ series (0 without series). */
  bytesPerSeries: number;
  /** The part of `bytes` held by label sets and interned strings. */
  labelBytes: number;
  /** Interned label strings. */
  symbols: number;
}

const CHUNK_SHIFT = 10;
const CHUNK_SERIES = 1 << CHUNK_SHIFT;
const CHUNK_MASK = CHUNK_SERIES - 1;

/** Pointer size on the V8 heap: 4 with pointer compression (not in Node's official builds), else 8. */
const PTR: number = (process.config.variables as Record<string, unknown>)['v8_enable_pointer_compression'] ? 4 : 8;
/** JSArray header (map, properties, elements, length) + FixedArray header (map, length). */
const ARRAY_OVERHEAD = 4 * PTR + 2 * PTR;
/** An OrderedHashMap entry (key, value, chain) and its bucket: the intern table's cost per symbol. */
const MAP_ENTRY = 4 * PTR;

export class Head {
  readonly window: number;
  private values: Float64Array[] = [];
  private times: Float64Array[] = [];
  private cursor = new Uint32Array(CHUNK_SERIES);
  private count = new Uint32Array(CHUNK_SERIES);
  private targetOf = new Int32Array(CHUNK_SERIES);
  private labelSets: (readonly string[] | undefined)[] = [];
  private freeRefs = new Int32Array(64);
  private freeTop = 0;
  private highWater = 0;
  private active = 0;

  private symbolIds = new Map<string, number>();
  private symbolStrs: (string | undefined)[] = [];
  private symbolRefs = new Int32Array(256);
  private freeSymbols: number[] = [];
  private symbolCount = 0;
  private symbolBytes = 0;
  private labelArrayBytes = 0;

  private targetIds = new Map<string, number>();
  private targetNames: string[] = [];

  constructor(options: HeadOptions = {}) {
    const w = options.window ?? 120;
    if (!Number.isInteger(w) || w < 1 || w > 65_536) throw new RangeError(`head window must be an integer in 1..65536 (got ${w})`);
    this.window = w;
  }

  /** A small integer for a target name, stored with each of its series. Allocates on first sight only. */
  target(name: string): number {
    let id = this.targetIds.get(name);
    if (id === undefined) {
      id = this.targetNames.length;
      this.targetNames.push(name);
      this.targetIds.set(name, id);
    }
    return id;
  }

  targetName(id: number): string | undefined {
    return this.targetNames[id];
  }

  /**
   * A new series with `labels` as [metricName, name1, value1, name2, value2, …] (the caller
   * sorts by label name if it wants canonical sets). The strings are interned; the array is
   * kept as given. Runs on a scrape-cache miss only.
   */
  create(labels: string[], target = -1): number {
    for (let i = 0; i < labels.length; i++) labels[i] = this.intern(labels[i]!);
    let ref: number;
    if (this.freeTop > 0) {
      ref = this.freeRefs[--this.freeTop]!;
    } else {
      ref = this.highWater++;
      if ((ref & CHUNK_MASK) === 0 && ref >>> CHUNK_SHIFT === this.values.length) this.addChunk();
      if (ref >= this.cursor.length) this.growMeta();
    }
    this.cursor[ref] = 0;
    this.count[ref] = 0;
    this.targetOf[ref] = target;
    this.labelSets[ref] = labels;
    this.labelArrayBytes += ARRAY_OVERHEAD + labels.length * PTR;
    this.active++;
    return ref;
  }

  /** MUST stay allocation-free: runs once per sample. */
  append(ref: number, tMs: number, value: number): void {
    const chunk = ref >>> CHUNK_SHIFT;
    const p = this.cursor[ref]!;
    const at = (ref & CHUNK_MASK) * this.window + p;
    this.values[chunk]![at] = value;
    this.times[chunk]![at] = tMs;
    this.cursor[ref] = p + 1 === this.window ? 0 : p + 1;
    if (this.count[ref]! < this.window) this.count[ref]!++;
  }

  /** Frees a series (churned away); its ref will be reused. */
  release(ref: number): void {
    const labels = this.labelSets[ref];
    if (labels === undefined) return;
    for (let i = 0; i < labels.length; i++) this.unintern(labels[i]!);
    this.labelArrayBytes -= ARRAY_OVERHEAD + labels.length * PTR;
    this.labelSets[ref] = undefined;
    this.count[ref] = 0;
    this.active--;
    if (this.freeTop === this.freeRefs.length) {
      const next = new Int32Array(this.freeRefs.length * 2);
      next.set(this.freeRefs);
      this.freeRefs = next;
    }
    this.freeRefs[this.freeTop++] = ref;
  }

  /** [metricName, name1, value1, …] of a live series, or undefined. */
  labels(ref: number): readonly string[] | undefined {
    return this.labelSets[ref];
  }

  targetOfSeries(ref: number): number {
    return this.targetOf[ref]!;
  }

  /** Copies a series' samples, oldest first, into the outs; returns how many. */
  read(ref: number, outT: Float64Array, outV: Float64Array): number {
    const n = this.count[ref]!;
    const w = this.window;
    const chunk = ref >>> CHUNK_SHIFT;
    const base = (ref & CHUNK_MASK) * w;
    const first = (this.cursor[ref]! - n + w) % w;
    for (let i = 0; i < n; i++) {
      const at = base + ((first + i) % w);
      outT[i] = this.times[chunk]![at]!;
      outV[i] = this.values[chunk]![at]!;
    }
    return n;
  }

  /** The newest sample's value (NaN without samples). */
  lastValue(ref: number): number {
    if (this.count[ref] === 0) return NaN;
    const w = this.window;
    const at = (ref & CHUNK_MASK) * w + ((this.cursor[ref]! - 1 + w) % w);
    return this.values[ref >>> CHUNK_SHIFT]![at]!;
  }

  /** Refs of live series (allocates; for tests and tools). */
  refs(): number[] {
    const out: number[] = [];
    for (let r = 0; r < this.highWater; r++) if (this.labelSets[r] !== undefined) out.push(r);
    return out;
  }

  get series(): number {
    return this.active;
  }

  stats(): HeadStats {
    let bytes = 0;
    for (const c of this.values) bytes += c.byteLength;
    for (const c of this.times) bytes += c.byteLength;
    bytes += this.cursor.byteLength + this.count.byteLength + this.targetOf.byteLength + this.freeRefs.byteLength;
    bytes += this.symbolRefs.byteLength + ARRAY_OVERHEAD + this.labelSets.length * PTR + ARRAY_OVERHEAD + this.symbolStrs.length * PTR;
    const labelBytes = this.labelArrayBytes + this.symbolBytes + this.symbolCount * MAP_ENTRY;
    bytes += labelBytes;
    return {
      series: this.active,
      bytes,
      bytesPerSeries: this.active > 0 ? bytes / this.active : 0,
      labelBytes,
      symbols: this.symbolCount,
    };
  }

  private intern(s: string): string {
    const id = this.symbolIds.get(s);
    if (id !== undefined) {
      this.symbolRefs[id]!++;
      return this.symbolStrs[id]!;
    }
    const nid = this.freeSymbols.length > 0 ? this.freeSymbols.pop()! : this.symbolStrs.length;
    if (nid >= this.symbolRefs.length) {
      const next = new Int32Array(this.symbolRefs.length * 2);
      next.set(this.symbolRefs);
      this.symbolRefs = next;
    }
    this.symbolStrs[nid] = s;
    this.symbolRefs[nid] = 1;
    this.symbolIds.set(s, nid);
    this.symbolCount++;
    this.symbolBytes += stringBytes(s);
    return s;
  }

  private unintern(s: string): void {
    const id = this.symbolIds.get(s);
    if (id === undefined) return;
    if (--this.symbolRefs[id]! > 0) return;
    this.symbolIds.delete(s);
    this.symbolStrs[id] = undefined;
    this.freeSymbols.push(id);
    this.symbolCount--;
    this.symbolBytes -= stringBytes(s);
  }

  private addChunk(): void {
    this.values.push(new Float64Array(CHUNK_SERIES * this.window));
    this.times.push(new Float64Array(CHUNK_SERIES * this.window));
  }

  private growMeta(): void {
    const cap = this.cursor.length * 2;
    const c = new Uint32Array(cap);
    c.set(this.cursor);
    this.cursor = c;
    const n = new Uint32Array(cap);
    n.set(this.count);
    this.count = n;
    const t = new Int32Array(cap);
    t.set(this.targetOf);
    this.targetOf = t;
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
