import { mix2, mix3 } from '../common/hash.js';
import { ValueKind, type ExporterModel } from '../fleet/render/lines.js';
import type { PushLayout } from './series-layout.js';
import { varintSize, writeStaleNaN, writeVarint } from './proto.js';

/**
 * Remote write 1.0 (`prometheus.WriteRequest`, proto/prometheus/remote.proto): one TimeSeries
 * per sample, its labels sorted with `__name__`, one Sample {double value = 1; int64
 * timestamp = 2 (ms)}. Appends to one buffer the caller sizes for its batch and reuses: no
 * allocation per sample. The values are the renderer's (render.ts), as numbers: a pushed
 * sample is what a scrape of the same exporter at the same moment reads.
 */
export class RemoteWriteV1Encoder {
  /**
   * [0, capacity bytes): the request being built; then the layout's literal bytes and the
   * templates' Label fields for the current exporter, so every copy is a copyWithin inside one
   * buffer (a memmove, no view made per copy).
   */
  readonly buf: Uint8Array;
  /** Bytes and samples appended since reset(). */
  length = 0;
  samples = 0;
  private readonly view: DataView;
  private readonly litBase: number;
  private readonly tplBase: number;
  private readonly tplLen: Int32Array;
  /** The epoch the Epoch templates are written for now. */
  private tplEpoch = -1;
  // The exporter being appended and its clock (beginExporter).
  private exporter = 0;
  private epoch = 0;
  private tq = 0;
  private T = 0;
  private Tc = 0;
  private ef = 1;
  private tsMs = 0;
  private tsSize = 1;

  constructor(
    readonly layout: PushLayout,
    readonly model: ExporterModel,
    readonly capacitySamples: number,
  ) {
    this.litBase = capacitySamples * layout.maxSeriesBytes;
    this.tplBase = this.litBase + layout.lit.length;
    this.buf = new Uint8Array(this.tplBase + layout.templates * layout.maxTemplateBytes + 16);
    this.buf.set(layout.lit, this.litBase);
    this.view = new DataView(this.buf.buffer);
    this.tplLen = new Int32Array(layout.templates);
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
    this.tq = Math.floor(t / valuesEvery);
    this.T = this.tq * valuesEvery;
    this.ef = 0.5 + (mix2(m.seed, id) & 1023) / 1024;
    this.epoch = 0;
    this.Tc = this.T;
    if (m.churnEverySeconds > 0) {
      this.epoch = churnEpoch(m, id, t);
      const phase = churnPhase(m, id);
      this.Tc = Math.max(0, this.T - (this.epoch * m.churnEverySeconds - phase));
    }
    this.tsMs = Math.floor(epochMs + t * 1000);
    this.tsSize = varintSize(this.tsMs);
    this.writeTemplates(1, id);
    this.writeTemplates(2, this.epoch);
  }

  /** The churn epoch beginExporter computed. */
  get currentEpoch(): number {
    return this.epoch;
  }

  /** Appends line i's sample for the current exporter. */
  appendLine(i: number): void {
    if (this.tplEpoch !== this.epoch) this.writeTemplates(2, this.epoch);
    this.append(i, false);
  }

  /** Appends line i's stale marker under churn epoch `epoch` (a churned series that went away). */
  appendStale(i: number, epoch: number): void {
    if (this.tplEpoch !== epoch) this.writeTemplates(2, epoch);
    this.append(i, true);
  }

  /** Every template of `kind` (1 exporter, 2 epoch) as its whole Label field with `n`'s digits, into its slot. */
  private writeTemplates(kind: number, n: number): void {
    const L = this.layout;
    const out = this.buf;
    const nd = digits(n);
    for (let t = 0; t < L.templates; t++) {
      if (L.tKind[t] !== kind) continue;
      const a = L.tName[t]!;
      const b = L.tPre[t]!;
      const c = L.tSuf[t]!;
      const e = L.tEnd[t]!;
      const nameLen = b - a;
      const valueLen = e - b + nd;
      const lb = this.litBase;
      let off = this.tplBase + t * L.maxTemplateBytes;
      const start = off;
      out[off++] = 0x0a; // TimeSeries.labels = 1
      off = writeVarint(out, off, 1 + varintSize(nameLen) + nameLen + 1 + varintSize(valueLen) + valueLen);
      out[off++] = 0x0a; // Label.name = 1
      off = writeVarint(out, off, nameLen);
      out.copyWithin(off, lb + a, lb + b);
      off += nameLen;
      out[off++] = 0x12; // Label.value = 2
      off = writeVarint(out, off, valueLen);
      out.copyWithin(off, lb + b, lb + c);
      off += c - b;
      off = writeDigits(out, off, n, nd);
      out.copyWithin(off, lb + c, lb + e);
      off += e - c;
      this.tplLen[t] = off - start;
    }
    if (kind === 2) this.tplEpoch = n;
  }

  private append(i: number, stale: boolean): void {
    const L = this.layout;
    const out = this.buf;
    const op = L.op;
    const o0 = L.opStart[i]!;
    const o1 = L.opStart[i + 1]!;
    const tplLen = this.tplLen;
    // The labels' length first: a template's length depends on its digits.
    let labels = L.litBytes[i]!;
    for (let o = o0; o < o1; o++) if (op[o]! < 0) labels += tplLen[-op[o]! - 1]!;
    const sample = 1 + 8 + 1 + this.tsSize;
    const series = labels + 2 + sample;
    let off = this.length;
    out[off++] = 0x0a; // WriteRequest.timeseries = 1
    off = writeVarint(out, off, series);
    const lb = this.litBase;
    for (let o = o0; o < o1; o++) {
      const x = op[o]!;
      if (x >= 0) {
        const a = L.a[o]!;
        const b = L.b[o]!;
        out.copyWithin(off, lb + a, lb + b);
        off += b - a;
      } else {
        const t = -x - 1;
        const from = this.tplBase + t * L.maxTemplateBytes;
        const n = tplLen[t]!;
        out.copyWithin(off, from, from + n);
        off += n;
      }
    }
    out[off++] = 0x12; // TimeSeries.samples = 2
    out[off++] = sample;
    out[off++] = 0x09; // Sample.value = 1, fixed64
    if (stale) off = writeStaleNaN(out, off);
    else {
      this.view.setFloat64(off, this.value(i), true);
      off += 8;
    }
    out[off++] = 0x10; // Sample.timestamp = 2, varint
    off = writeVarint(out, off, this.tsMs);
    this.length = off;
    this.samples++;
  }

  /** Line i's value for the current exporter: the number render() writes as text. */
  value(i: number): number {
    const L = this.layout;
    const time = L.churned[i] === 1 ? this.Tc : this.T;
    const ef = this.ef;
    switch (L.kind[i]) {
      case ValueKind.Counter:
      case ValueKind.Count:
        return L.base[i]! + Math.floor(L.rate[i]! * ef * time);
      case ValueKind.Gauge:
        return (10000 + (mix3(L.key[i]!, this.exporter, this.tq) % 90000)) / 1000;
      case ValueKind.Bucket:
        return Math.floor((L.base[i]! + Math.floor(L.rate[i]! * ef * time)) * L.aux[i]!);
      case ValueKind.Sum:
        return ((L.base[i]! + Math.floor(L.rate[i]! * ef * time)) * L.aux[i]!) / 1000;
      case ValueKind.Quantile:
        return (L.aux[i]! + (mix3(L.key[i]!, this.exporter, this.tq) % 1000)) / 1000;
      case ValueKind.Replay:
        return L.base[i]! + Math.floor(L.rate[i]! * ef * time) * L.aux[i]!;
      default:
        return L.literal[i]!;
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

function digits(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

function writeDigits(out: Uint8Array, off: number, n: number, nd: number): number {
  for (let p = off + nd - 1; p >= off; p--) {
    const q = Math.floor(n / 10);
    out[p] = 48 + n - q * 10;
    n = q;
  }
  return off + nd;
}
