import type { ResolvedProfile } from '../../profile/load.js';
import { buildLayout, type Format, type Layout } from './layout.js';
import { buildModel } from './model.js';
import type { ExporterModel } from './lines.js';
import { render, Scratch } from './render.js';

/**
 * Everything needed to render any exporter of a profile: the model and its two byte
 * layouts. One per worker thread (and one in the benchmark).
 */
export class ExporterSet {
  readonly model: ExporterModel;
  readonly layouts: Record<Format, Layout>;
  private readonly scratch: Record<Format, Scratch>;
  constructor(readonly profile: ResolvedProfile) {
    this.model = buildModel(profile);
    this.layouts = { text: buildLayout(this.model, 'text'), openmetrics: buildLayout(this.model, 'openmetrics') };
    this.scratch = { text: new Scratch(this.layouts.text), openmetrics: new Scratch(this.layouts.openmetrics) };
  }

  get seriesPerExporter(): number {
    return this.model.lines;
  }

  maxBytes(format: Format): number {
    return this.layouts[format].maxBytes;
  }

  /**
   * Renders exporter `id` at `t` seconds since the fleet's origin into this set's scratch
   * buffer and returns it with the length; valid until the next render of that format.
   */
  renderScratch(id: number, t: number, format: Format): { buf: Uint8Array; length: number } {
    const m = this.model;
    const s = this.scratch[format];
    return { buf: s.buf, length: render(s, m.seed, m.valuesEverySeconds, m.churnEverySeconds, id, t) };
  }

  /**
   * Renders into a buffer of its own that can be transferred to another thread: `recycled`
   * when given (a buffer from an earlier call, for this format), else a new one. The body is
   * the returned view [0, length) over the whole buffer.
   */
  renderTransferable(id: number, t: number, format: Format, recycled?: ArrayBuffer): Uint8Array {
    const m = this.model;
    const s = new Scratch(this.layouts[format], recycled);
    const length = render(s, m.seed, m.valuesEverySeconds, m.churnEverySeconds, id, t);
    return s.buf.subarray(0, length);
  }

  /** The body in a buffer of its own, exactly its size (tests, tools). */
  renderToBuffer(id: number, t: number, format: Format): Buffer {
    const { buf, length } = this.renderScratch(id, t, format);
    const out = Buffer.allocUnsafeSlow(length);
    out.set(buf.subarray(0, length));
    return out;
  }
}
