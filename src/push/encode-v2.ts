import type { ExporterModel } from '../fleet/render/lines.js';
import { RemoteWriteV1Encoder } from './encode-v1.js';
import type { PushLayout } from './series-layout.js';
import { symbolLayoutOf, type SymbolLayout } from './symbol-layout.js';
import { RequestSymbols } from './request-symbols.js';
import { varintSize, writeStaleNaN, writeVarint } from './proto.js';

/**
 * Remote write 2.0 (`io.prometheus.write.v2.Request`, prompb/io/prometheus/write/v2/types.proto):
 * `repeated string symbols = 4` ("" first), then `repeated TimeSeries timeseries = 5`, one per
 * sample: `repeated uint32 labels_refs = 1` packed, (name, value) pairs sorted by name as 1.0's
 * labels are; one Sample {double value = 1; int64 timestamp = 2 (ms)}; Metadata = 5 {type = 1,
 * help_ref = 3}. The same series, values and stale markers as RemoteWriteV1Encoder, and the
 * same shape (beginExporter, appendLine, appendStale, reset; the request is buf[0, length)),
 * so a sender can take either.
 *
 * The symbols table must precede the series on the wire (field order, as every generated
 * encoder writes it) but is only known once the last sample is in: series are appended to a
 * staging area at the end of `buf` and the request is assembled at its start, symbols then
 * series, when `length` is first read after an append (finish()): one copyWithin (memmove) of
 * the series bytes per request. Nothing is allocated per sample or per request.
 */
export class RemoteWriteV2Encoder {
  /** The request: buf[0, length). */
  readonly buf: Uint8Array;
  samples = 0;
  /** Where the series are staged in buf, after room for a whole request. */
  private readonly stage: number;
  private seriesLength = 0;
  private assembled = 0;
  private dirty = false;
  private readonly sym: RequestSymbols;
  private readonly sl: SymbolLayout;
  /** Values and the churn epoch: the 1.0 encoder's clock (it owns value()), with no buffer of its own. */
  private readonly clock: RemoteWriteV1Encoder;
  private readonly refIds: Int32Array;
  private exporter = 0;
  private epoch = 0;
  /** The timestamp's varint, written once per exporter (a double passed per sample would be boxed). */
  private readonly tsVarint = new Uint8Array(10);
  private tsSize = 1;

  constructor(
    readonly layout: PushLayout,
    readonly model: ExporterModel,
    readonly capacitySamples: number,
  ) {
    const sl = (this.sl = symbolLayoutOf(model));
    this.sym = new RequestSymbols(sl, capacitySamples);
    this.clock = new RemoteWriteV1Encoder(layout, model, 0);
    this.refIds = new Int32Array(sl.maxRefs);
    // A TimeSeries: key + length, refs (key, length, ≤ 5 bytes each), the sample, metadata.
    const maxSeries = 1 + 5 + (1 + 5 + 5 * sl.maxRefs) + (2 + 1 + 8 + 1 + 10) + (2 + 2 + 1 + 5);
    const seriesBytes = capacitySamples * maxSeries;
    this.stage = RequestSymbols.maxBytes(sl, capacitySamples) + seriesBytes;
    this.buf = new Uint8Array(this.stage + seriesBytes);
  }

  /** The request's length, assembled first if samples were appended since. */
  get length(): number {
    return this.dirty ? this.finish() : this.assembled;
  }

  reset(): void {
    this.samples = 0;
    this.seriesLength = 0;
    this.assembled = 0;
    this.dirty = false;
    this.sym.reset();
  }

  /** Exporter `id` at `t` seconds since the fleet's origin (epochMs), as RemoteWriteV1Encoder's. */
  beginExporter(id: number, t: number, epochMs: number): void {
    this.clock.beginExporter(id, t, epochMs);
    this.exporter = id;
    this.epoch = this.clock.currentEpoch | 0; // a small integer, not a boxed double, when passed to spliced()
    this.tsSize = writeVarint(this.tsVarint, 0, Math.floor(epochMs + t * 1000));
  }

  get currentEpoch(): number {
    return this.epoch;
  }

  appendLine(i: number): void {
    this.append(i, this.epoch, false);
  }

  /** Line i's stale marker under churn epoch `epoch` (a churned series that went away). */
  appendStale(i: number, epoch: number): void {
    this.append(i, epoch, true);
  }

  /** Writes symbols then series into buf; returns the request's length. */
  finish(): number {
    const out = this.buf;
    let off = this.samples > 0 ? this.sym.write(out, 0) : 0;
    // Never overlapping: the symbols and series fit before the stage.
    out.copyWithin(off, this.stage, this.stage + this.seriesLength);
    off += this.seriesLength;
    this.assembled = off;
    this.dirty = false;
    return off;
  }

  private append(i: number, epoch: number, stale: boolean): void {
    if (this.samples >= this.capacitySamples) throw new RangeError(`remote write 2.0 request full: ${this.capacitySamples} samples`);
    const sl = this.sl;
    const sym = this.sym;
    const ids = this.refIds;
    const r0 = sl.refStart[i]!;
    const r1 = sl.refStart[i + 1]!;
    let refsLen = 0;
    for (let k = r0; k < r1; k++) {
      const r = sl.refs[k]!;
      let id: number;
      if (r >= 0) id = sym.literal(r);
      else {
        const x = -r - 1;
        id = sym.spliced(x >> 1, (x & 1) === 0 ? this.exporter : epoch);
      }
      ids[k - r0] = id;
      refsLen += varintSize(id);
    }
    const type = sl.metaType[i]!;
    const help = sl.helpSym[i]!;
    const helpId = help >= 0 ? sym.literal(help) : 0;
    const meta = (type !== 0 ? 2 : 0) + (helpId !== 0 ? 1 + varintSize(helpId) : 0);
    const sample = 1 + 8 + 1 + this.tsSize;
    const series = 1 + varintSize(refsLen) + refsLen + 2 + sample + (meta > 0 ? 2 + meta : 0);
    const out = this.buf;
    let off = this.stage + this.seriesLength;
    out[off++] = 0x2a; // Request.timeseries = 5
    off = writeVarint(out, off, series);
    out[off++] = 0x0a; // TimeSeries.labels_refs = 1, packed
    off = writeVarint(out, off, refsLen);
    for (let k = 0; k < r1 - r0; k++) off = writeVarint(out, off, ids[k]!);
    out[off++] = 0x12; // TimeSeries.samples = 2
    out[off++] = sample;
    out[off++] = 0x09; // Sample.value = 1, fixed64
    off = stale ? writeStaleNaN(out, off) : this.clock.writeValue(out, off, i);
    out[off++] = 0x10; // Sample.timestamp = 2, varint
    const ts = this.tsVarint;
    for (let k = 0; k < this.tsSize; k++) out[off++] = ts[k]!;
    if (meta > 0) {
      out[off++] = 0x2a; // TimeSeries.metadata = 5
      out[off++] = meta;
      if (type !== 0) {
        out[off++] = 0x08; // Metadata.type = 1
        out[off++] = type;
      }
      if (helpId !== 0) {
        out[off++] = 0x18; // Metadata.help_ref = 3
        off = writeVarint(out, off, helpId);
      }
    }
    this.seriesLength = off - this.stage;
    this.samples++;
    this.dirty = true;
  }
}
