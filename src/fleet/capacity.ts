import { totalmem } from 'node:os';
import { PromsoakError } from '../common/errors.js';
import type { ResolvedProfile } from '../profile/load.js';
import { replayFileBytes } from '../profile/replay-file.js';
import { estimateLines } from './render/model.js';

/**
 * What a profile will cost, estimated before anything starts, so that a size this machine
 * cannot hold is one line (exit 2) instead of minutes of swapping and a V8 abort.
 *
 * Per sample line of the exporter model, each render thread holds the line's model and its
 * byte layout: ~400 B (measured: 200-line default model ≈ 80 kB per thread). A scraper's head
 * holds ~8 B per sample kept per series plus ~600 B of series state (promsoak's engine:
 * 1,473 B/series at a 120-sample window, `npm run bench`).
 */
export const MODEL_BYTES_PER_LINE = 400;
export const HEAD_BYTES_PER_SERIES = 600;

export interface Footprint {
  linesPerExporter: number;
  series: number;
  fleetBytes: number;
}

export function fleetFootprint(profile: ResolvedProfile, threads: number): Footprint {
  const linesPerExporter = estimateLines(profile, replayFileBytes);
  return { linesPerExporter, series: linesPerExporter * profile.exporters, fleetBytes: linesPerExporter * MODEL_BYTES_PER_LINE * (threads + 1) };
}

const GiB = 2 ** 30;
const fmt = (bytes: number): string => (bytes >= GiB ? `${(bytes / GiB).toFixed(1)} GiB` : `${Math.ceil(bytes / 2 ** 20)} MiB`);

/**
 * Refuses a fleet (and, with `headWindow`, a soak whose engine must hold every series) that
 * needs more memory than this machine has. `limitBytes` is for tests.
 */
export function checkCapacity(profile: ResolvedProfile, threads: number, headWindow?: number, limitBytes = totalmem()): Footprint {
  const f = fleetFootprint(profile, threads);
  const engine = headWindow === undefined ? 0 : f.series * (headWindow * 8 + HEAD_BYTES_PER_SERIES);
  const need = f.fleetBytes + engine;
  if (need > 0.8 * limitBytes || !Number.isSafeInteger(f.series)) {
    const what = headWindow === undefined ? `its ${threads + 1} fleet threads` : `the fleet and the engine's head (${headWindow} samples per series)`;
    throw new PromsoakError(
      'PROMSOAK_USAGE',
      `profile ${profile.name}: ${profile.exporters.toLocaleString('en-US')} exporters × ${f.linesPerExporter.toLocaleString('en-US')} series = ${f.series.toLocaleString('en-US')} series, ` +
        `about ${fmt(need)} for ${what}; this machine has ${fmt(limitBytes)}: use fewer exporters or label values`,
    );
  }
  return f;
}
