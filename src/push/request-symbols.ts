import type { SymbolLayout } from './symbol-layout.js';
import { varintSize, writeVarint, decimalDigits as digits } from './proto.js';

/**
 * One remote write 2.0 request's symbols table, built as samples are appended: "" is id 0, and
 * each string gets the next id the first time the request uses it, so a request holds the
 * symbols it references and each once. No string is made per sample:
 * - a literal symbol (label name, literal value, help) is looked up by its layout-wide id in a
 *   typed array stamped with the request's generation (reset() is O(1));
 * - a spliced value (a template and a number: an exporter id or a churn epoch) is looked up in
 *   an open-addressing table keyed by (template, number), stamped the same way, and written as
 *   prefix, digits, suffix only when the request is assembled.
 * Sized for `capacitySamples`: every sample can add at most layout.maxSpliced new spliced
 * symbols, and the literal ones are at most the layout's.
 */
export class RequestSymbols {
  /** Symbols so far, "" included, and their bytes as Request.symbols fields. */
  count = 1;
  bytes = 2;
  private gen = 1;
  private readonly litGen: Uint32Array;
  private readonly litId: Int32Array;
  private readonly hGen: Uint32Array;
  private readonly hTpl: Int32Array;
  private readonly hNum: Float64Array;
  private readonly hId: Int32Array;
  private readonly mask: number;
  /** Request id → literal id (≥ 0) or -1 - the hash slot of a spliced value. */
  private readonly order: Int32Array;

  constructor(
    private readonly layout: SymbolLayout,
    capacitySamples: number,
  ) {
    this.litGen = new Uint32Array(layout.symbols);
    this.litId = new Int32Array(layout.symbols);
    const spliced = Math.max(1, capacitySamples * layout.maxSpliced);
    let size = 16;
    while (size < 2 * spliced) size *= 2;
    this.mask = size - 1;
    this.hGen = new Uint32Array(size);
    this.hTpl = new Int32Array(size);
    this.hNum = new Float64Array(size);
    this.hId = new Int32Array(size);
    this.order = new Int32Array(1 + layout.symbols + spliced);
  }

  /** The most bytes the symbols of a request of `capacitySamples` can take. */
  static maxBytes(layout: SymbolLayout, capacitySamples: number): number {
    const spliced = capacitySamples * layout.maxSpliced;
    // A spliced value: key, a 1-byte length (≤ 127 bytes) or 2, template bytes, up to 16 digits.
    return 2 + layout.allSymbolsBytes + spliced * (1 + 2 + layout.maxTemplateBytes + 16);
  }

  reset(): void {
    this.count = 1;
    this.bytes = 2;
    if (++this.gen === 0xffffffff) {
      this.litGen.fill(0);
      this.hGen.fill(0);
      this.gen = 1;
    }
  }

  /** The request id of literal symbol g. */
  literal(g: number): number {
    if (this.litGen[g] === this.gen) return this.litId[g]!;
    const L = this.layout;
    const n = L.symStart[g + 1]! - L.symStart[g]!;
    this.litGen[g] = this.gen;
    this.litId[g] = this.count;
    this.order[this.count] = g;
    this.bytes += 1 + varintSize(n) + n;
    return this.count++;
  }

  /** The request id of template t with the number `num` (0 ≤ num < 2^53) spliced in. */
  spliced(t: number, num: number): number {
    const gen = this.gen;
    let h = (Math.imul(t + 1, 0x9e3779b1) ^ Math.imul((num | 0) ^ ((num / 4294967296) | 0), 0x85ebca6b)) & this.mask;
    while (this.hGen[h] === gen) {
      if (this.hTpl[h] === t && this.hNum[h] === num) return this.hId[h]!;
      h = (h + 1) & this.mask;
    }
    const L = this.layout;
    this.hGen[h] = gen;
    this.hTpl[h] = t;
    this.hNum[h] = num;
    const g = literalOf(L, t, num);
    if (g >= 0) return (this.hId[h] = this.literal(g));
    const n = L.tplEnd[t]! - L.tplStart[t]! + digits(num);
    this.hId[h] = this.count;
    this.order[this.count] = -1 - h;
    this.bytes += 1 + varintSize(n) + n;
    return this.count++;
  }

  /** Writes the request's `repeated string symbols = 4` at off, in id order; returns the offset after. */
  write(out: Uint8Array, off: number): number {
    const L = this.layout;
    const bytes = L.bytes;
    out[off++] = 0x22; // Request.symbols = 4
    out[off++] = 0; // ""
    for (let k = 1; k < this.count; k++) {
      const r = this.order[k]!;
      out[off++] = 0x22;
      if (r >= 0) {
        const a = L.symStart[r]!;
        const b = L.symStart[r + 1]!;
        off = writeVarint(out, off, b - a);
        for (let p = a; p < b; p++) out[off++] = bytes[p]!; // no subarray: a view per symbol is an allocation
        continue;
      }
      const h = -1 - r;
      const t = this.hTpl[h]!;
      const num = this.hNum[h]!;
      const a = L.tplStart[t]!;
      const c = L.tplSplit[t]!;
      const e = L.tplEnd[t]!;
      const nd = digits(num);
      off = writeVarint(out, off, e - a + nd);
      for (let p = a; p < c; p++) out[off++] = bytes[p]!;
      for (let p = off + nd - 1, v = num; p >= off; p--) {
        const q = Math.floor(v / 10);
        out[p] = 48 + v - q * 10;
        v = q;
      }
      off += nd;
      for (let p = c; p < e; p++) out[off++] = bytes[p]!;
    }
    return off;
  }
}

/** The literal symbol that reads as template t with num spliced in, or -1 (binary search; first use in a request only). */
function literalOf(L: SymbolLayout, t: number, num: number): number {
  let lo = L.matchStart[t]!;
  let hi = L.matchStart[t + 1]!;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = L.matchNum[mid]!;
    if (v === num) return L.matchSym[mid]!;
    if (v < num) lo = mid + 1;
    else hi = mid;
  }
  return -1;
}

