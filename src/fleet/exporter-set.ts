import type { ResolvedProfile } from '../profile/load.js';
import { buildLayout, type Format, type Layout } from './layout.js';
import { buildModel, type ExporterModel } from './model.js';
import { render } from './render.js';

/**
 * Everything needed to render any exporter of a profile: the model and its two byte
 * layouts. One per worker thread (and one in the benchmark).
 */
export class ExporterSet {
  readonly model: ExporterModel;
  readonly layouts: Record<Format, Layout>;
  constructor(readonly profile: ResolvedProfile) {
    this.model = buildModel(profile);
    this.layouts = { text: buildLayout(this.model, 'text'), openmetrics: buildLayout(this.model, 'openmetrics') };
  }

  get seriesPerExporter(): number {
    return this.model.lines;
  }

  maxBytes(format: Format): number {
    return this.layouts[format].maxBytes;
  }

  /** Renders exporter `id` at `t` seconds since the fleet's origin into `out`; returns the length. */
  renderInto(id: number, t: number, format: Format, out: Uint8Array): number {
    const m = this.model;
    return render(this.layouts[format], m.seed, m.valuesEverySeconds, m.churnEverySeconds, id, t, out);
  }

  /** Convenience for tests and tools: a fresh buffer holding the body. */
  renderToBuffer(id: number, t: number, format: Format): Buffer {
    const out = Buffer.allocUnsafe(this.maxBytes(format));
    return out.subarray(0, this.renderInto(id, t, format, out));
  }
}
