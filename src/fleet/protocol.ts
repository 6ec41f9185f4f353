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
}

export interface RenderResult {
  body: Uint8Array;
  renderNs: number;
}
