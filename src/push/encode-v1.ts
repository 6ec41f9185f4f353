import { mix2 } from '../common/hash.js';
import { ValueKind, type ExporterModel } from '../fleet/render/lines.js';
import { Op, type PushLayout } from './series-layout.js';
import { varintSize, writeStaleNaN, writeVarint, decimalDigits as digits } from './proto.js';

/**
 * Remote write 1.0 (`prometheus.WriteRequest`, proto/prometheus/remote.proto): one TimeSeries
 * per sample, its labels sorted with `__name__`, one Sample {double value = 1; int64
 * timestamp = 2 (ms)}. Appends to one buffer the caller sizes for its batch and reuses: no
 * allocation per sample (test/push-alloc.test.ts). The request is buf[0, length); the
 * layout's literal bytes follow it. The values are the renderer's (render.ts), as numbers: a
 * pushed sample is what a scrape of the same exporter at the same moment reads.
 */
export class RemoteWriteV1Encoder {
  readonly buf: Uint8Array;
  /** Bytes and samples appended since reset(). */
  length = 0;
  samples = 0;
  // The exporter being appended and its clock (beginExporter).
  private exporter = 0;
  private epoch = 0;
  private tq = 0;
  private T = 0;
  private Tc = 0;
  private ef = 1;
  /** The timestamp's varint, written once per exporter (a double passed per sample would be boxed). */
  private readonly tsVarint = new Uint8Array(10);
  private tsSize = 1;
  private expDigits = 1;
  private epochDigits = 1;

  /**
   * Where the layout's literal bytes sit in buf, after room for a whole request: a literal run
   * is copied with copyWithin (memmove, no allocation); out.set(lit.subarray(a, b)) made a
   * view per run, some 280 B a sample.
   */
  private readonly litBase: number;
  /**
   * The labels with the exporter id spliced in (`instance`, `exporter`): a few distinct ones
   * (templates), each written whole once per exporter into its slot after the literal bytes
   * (beginExporter) and copied per sample like a literal run. tplOf[o]: op o's template.
   */
  private readonly tplOf: Int32Array;
  private readonly tplOp: Int32Array;
  private readonly tplStart: Int32Array;
  private readonly tplSize: Int32Array;

  constructor(
    readonly layout: PushLayout,
    readonly model: ExporterModel,
    readonly capacitySamples: number,
  ) {
    this.litBase = capacitySamples * layout.maxSeriesBytes;
    const L = layout;
    this.tplOf = new Int32Array(L.op.length).fill(-1);
    const keys = new Map<string, number>();
    const ops: number[] = [];
    for (let o = 0; o < L.op.length; o++) {
      if (L.op[o] !== Op.Exporter) continue;
      const key = `${L.b[o]! - L.a[o]!} ${L.c[o]! - L.a[o]!} ${Buffer.from(L.lit.subarray(L.a[o]!, L.e[o]!)).toString('latin1')}`;
      let t = keys.get(key);
      if (t === undefined) keys.set(key, (t = ops.push(o) - 1));
      this.tplOf[o] = t;
    }
    this.tplOp = Int32Array.from(ops);
    this.tplStart = new Int32Array(ops.length);
    this.tplSize = new Int32Array(ops.length);
    let end = this.litBase + L.lit.length;
    ops.forEach((o, t) => {
      this.tplStart[t] = end;
      // Key and two lengths (≤ 3 bytes each), the name, the value with up to 16 digits.
      end += 1 + 3 + 1 + 3 + (L.b[o]! - L.a[o]!) + 1 + 3 + (L.e[o]! - L.b[o]!) + 16;
    });
    this.buf = new Uint8Array(end);
    this.buf.set(L.lit, this.litBase);
  }

  reset(): void {
    this.length = 0;
    this.samples = 0;
  }

  /** Exporter `id` at `t` seconds since the fleet's origin (epochMs): its values' clock, as render() has it. */
  beginExporter(id: number, t: number, epochMs: number): void {
    const m = this.model;
    const valuesEvery = m.valuesEverySeconds;
    this.exporter = id;
    // Small integers (| 0): a field TurboFan holds as a double is boxed, 16 B, each time it is
    // passed to a call it did not inline (tq to hashMod: per gauge sample).
    this.tq = Math.floor(t / valuesEvery) | 0;
    this.T = this.tq * valuesEvery;
    this.ef = 0.5 + (mix2(m.seed, id) & 1023) / 1024;
    this.epoch = 0;
    this.Tc = this.T;
    if (m.churnEverySeconds > 0) {
      this.epoch = churnEpoch(m, id, t) | 0;
      const phase = churnPhase(m, id);
      this.Tc = Math.max(0, this.T - (this.epoch * m.churnEverySeconds - phase));
    }
    this.tsSize = writeVarint(this.tsVarint, 0, Math.floor(epochMs + t * 1000));
    this.expDigits = digits(id);
    this.epochDigits = digits(this.epoch);
    this.tplStale = true;
  }

  /**
   * The exporter's templates, written by the first sample after beginExporter: written in
   * beginExporter itself, they made each call allocate 40 to 100 B (measured; V8 likely no
   * longer inlined it, and boxed its doubles).
   */
  private tplStale = true;
  private writeTemplates(): void {
    for (let t = 0; t < this.tplOp.length; t++) {
      const start = this.tplStart[t]!;
      this.tplSize[t] = this.writeSpliced(this.buf, start, this.tplOp[t]!, this.exporter, this.expDigits) - start;
    }
    this.tplStale = false;
  }

  /** The churn epoch beginExporter computed. */
  get currentEpoch(): number {
    return this.epoch;
  }

  /** Appends line i's sample for the current exporter. */
  appendLine(i: number): void {
    this.append(i, this.epoch, this.epochDigits, false);
  }

  /** Appends line i's stale marker under churn epoch `epoch` (a churned series that went away). */
  appendStale(i: number, epoch: number): void {
    this.append(i, epoch, digits(epoch), true);
  }

  private append(i: number, epoch: number, epochDigits: number, stale: boolean): void {
    // Past capacity a sample would overwrite the literal bytes after the request.
    if (this.samples >= this.capacitySamples) throw new RangeError(`remote write 1.0 request full: ${this.capacitySamples} samples`);
    if (this.tplStale) this.writeTemplates();
    const L = this.layout;
    const out = this.buf;
    const o0 = L.opStart[i]!;
    const o1 = L.opStart[i + 1]!;
    // The labels' length first: a spliced label's length depends on its digits.
    let labels = 0;
    for (let o = o0; o < o1; o++) {
      const op = L.op[o];
      if (op === Op.Literal) labels += L.b[o]! - L.a[o]!;
      else if (op === Op.Exporter) labels += this.tplSize[this.tplOf[o]!]!;
      else labels += splicedSize(L, o, epochDigits);
    }
    const sample = 1 + 8 + 1 + this.tsSize;
    const series = labels + 2 + sample;
    let off = this.length;
    out[off++] = 0x0a; // WriteRequest.timeseries = 1
    off = writeVarint(out, off, series);
    for (let o = o0; o < o1; o++) {
      const a = L.a[o]!;
      const b = L.b[o]!;
      if (L.op[o] === Op.Literal) {
        out.copyWithin(off, this.litBase + a, this.litBase + b);
        off += b - a;
        continue;
      }
      if (L.op[o] === Op.Exporter) {
        const t = this.tplOf[o]!;
        const start = this.tplStart[t]!;
        const size = this.tplSize[t]!;
        out.copyWithin(off, start, start + size);
        off += size;
        continue;
      }
      off = this.writeSpliced(out, off, o, epoch, epochDigits);
    }
    out[off++] = 0x12; // TimeSeries.samples = 2
    out[off++] = sample;
    out[off++] = 0x09; // Sample.value = 1, fixed64
    off = stale ? writeStaleNaN(out, off) : this.writeValue(out, off, i);
    out[off++] = 0x10; // Sample.timestamp = 2, varint
    const ts = this.tsVarint;
    for (let k = 0; k < this.tsSize; k++) out[off++] = ts[k]!;
    this.length = off;
    this.samples++;
  }

  /** Op o's Label, its value with `num` (nd digits) spliced in, at off; returns the offset after. */
  private writeSpliced(out: Uint8Array, off: number, o: number, num: number, nd: number): number {
    const L = this.layout;
    const lit = L.lit;
    const a = L.a[o]!;
    const b = L.b[o]!;
    const c = L.c[o]!;
    const e = L.e[o]!;
    const valueLen = e - b + nd;
    const nameLen = b - a;
    out[off++] = 0x0a; // TimeSeries.labels = 1
    off = writeVarint(out, off, 1 + varintSize(nameLen) + nameLen + 1 + varintSize(valueLen) + valueLen);
    out[off++] = 0x0a; // Label.name = 1
    off = writeVarint(out, off, nameLen);
    for (let k = a; k < b; k++) out[off++] = lit[k]!;
    out[off++] = 0x12; // Label.value = 2
    off = writeVarint(out, off, valueLen);
    for (let k = b; k < c; k++) out[off++] = lit[k]!;
    off = writeDigits(out, off, num, nd);
    for (let k = c; k < e; k++) out[off++] = lit[k]!;
    return off;
  }

  /** Line i's value for the current exporter: the number render() writes as text. */
  value(i: number): number {
    this.compute(i);
    return this.v[0]!;
  }

  /**
   * Line i's value as protobuf's fixed64 (8 bytes, little-endian) at off; returns the offset
   * after. The double goes through a Float64Array, never returned or passed: a double that
   * crosses a call TurboFan did not inline is boxed (a 16 B heap number).
   */
  writeValue(out: Uint8Array, off: number, i: number): number {
    this.compute(i);
    const b = this.vBytes;
    out[off] = b[0]!;
    out[off + 1] = b[1]!;
    out[off + 2] = b[2]!;
    out[off + 3] = b[3]!;
    out[off + 4] = b[4]!;
    out[off + 5] = b[5]!;
    out[off + 6] = b[6]!;
    out[off + 7] = b[7]!;
    return off + 8;
  }

  private readonly v = new Float64Array(1);
  private readonly vBytes = new Uint8Array(this.v.buffer);

  /** Line i's value into v[0]. */
  private compute(i: number): void {
    const L = this.layout;
    const time = L.churned[i] === 1 ? this.Tc : this.T;
    const ef = this.ef;
    const v = this.v;
    switch (L.kind[i]) {
      case ValueKind.Counter:
      case ValueKind.Count:
        v[0] = L.base[i]! + Math.floor(L.rate[i]! * ef * time);
        return;
      case ValueKind.Gauge:
        v[0] = (10000 + hashMod(L.key, i, this.exporter, this.tq, 90000)) / 1000;
        return;
      case ValueKind.Bucket:
        v[0] = Math.floor((L.base[i]! + Math.floor(L.rate[i]! * ef * time)) * L.aux[i]!);
        return;
      case ValueKind.Sum:
        v[0] = ((L.base[i]! + Math.floor(L.rate[i]! * ef * time)) * L.aux[i]!) / 1000;
        return;
      case ValueKind.Quantile:
        v[0] = (L.aux[i]! + hashMod(L.key, i, this.exporter, this.tq, 1000)) / 1000;
        return;
      case ValueKind.Replay:
        v[0] = L.base[i]! + Math.floor(L.rate[i]! * ef * time) * L.aux[i]!;
        return;
      default:
        v[0] = L.literal[i]!;
    }
  }
}

/** render()'s churn phase of an exporter, seconds. */
export function churnPhase(m: ExporterModel, id: number): number {
  return ((mix2(m.seed ^ 0x5bd1e995, id) % 1000) / 1000) * m.churnEverySeconds;
}

/** render()'s churn epoch of an exporter at t (0 without churn). */
export function churnEpoch(m: ExporterModel, id: number, t: number): number {
  return m.churnEverySeconds > 0 ? Math.floor((t + churnPhase(m, id)) / m.churnEverySeconds) : 0;
}

function splicedSize(L: PushLayout, o: number, nd: number): number {
  const nameLen = L.b[o]! - L.a[o]!;
  const valueLen = L.e[o]! - L.b[o]! + nd;
  const inner = 1 + varintSize(nameLen) + nameLen + 1 + varintSize(valueLen) + valueLen;
  return 1 + varintSize(inner) + inner;
}

/**
 * common/hash.ts's mix3(keys[i], b, c) % mod, its steps written out here. Numbers over 2^30
 * are not small integers: one passed to or returned from a call TurboFan did not inline is a
 * 16 B heap number, and a line's key, mix3's result and the remainder of one over 2^31 all
 * were, per gauge and quantile sample. The key is read here, everything stays in registers,
 * and the remainder returned is a small integer. The decoder test checks the values against
 * the renderer's, which calls mix3.
 */
function hashMod(keys: Uint32Array, i: number, b: number, c: number, mod: number): number {
  const a = keys[i]!;
  let h = (a ^ Math.imul(b + 0x9e3779b9, 0x27d4eb2d)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  h = (h >>> 0) ^ Math.imul(c + 0x9e3779b9, 0x27d4eb2d);
  h >>>= 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return ((h >>> 0) % mod) | 0; // | 0: over 2^31 the remainder is a float64, boxed when returned
}

function writeDigits(out: Uint8Array, off: number, n: number, nd: number): number {
  for (let p = off + nd - 1; p >= off; p--) {
    const q = Math.floor(n / 10);
    out[p] = 48 + n - q * 10;
    n = q;
  }
  return off + nd;
}
