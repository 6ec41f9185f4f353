import type { ResolvedProfile } from '../profile/load.js';

/** The messages between the HTTP front (main thread) and the exporter workers. */
export interface ExporterWorkerData {
  profile: ResolvedProfile;
}

export interface RenderTask {
  exporter: number;
  /** Seconds since the fleet's origin. */
  t: number;
  /** 0: text 0.0.4, 1: OpenMetrics 1.0. */
  format: 0 | 1;
  /** A sent body's buffer, recycled (transferred, not copied); absent: the worker allocates. */
  buffer?: ArrayBuffer;
}

export interface RenderResult {
  /** The body: a view [0, length) over a whole transferred buffer (the rest holds the layout's literals). */
  body: Uint8Array;
  renderNs: number;
}
