import { totalmem } from 'node:os';
import { PromsoakError } from '../common/errors.js';
import { positiveInt } from '../common/options.js';
import type { ResolvedProfile } from '../profile/load.js';
import { replayFileBytes } from '../profile/replay-file.js';
import { estimateLines } from './render/model.js';
import { shardSize, type Shard } from './shard.js';

/**
 * What a profile will cost, estimated before anything starts, so that a size this machine
 * cannot hold is one line (exit 2) instead of minutes of swapping and a V8 abort.
 *
 * Per sample line of the exporter model, each render thread holds the line's model and its
 * byte layout: ~400 B (measured: 200-line default model ≈ 80 kB per thread). A scraper's head
 * holds ~8 B per sample kept per series plus ~600 B of series state (promsoak's engine:
 * 1,473 B/series at a 120-sample window, `npm run bench`). Per exporter it serves, the fleet
 * front holds its id, its target group and their file_sd and /sd JSON: ~630 B of heap each
 * (measured at 100,000 exporters), counted as 1 KiB.
 */
export const MODEL_BYTES_PER_LINE = 400;
export const HEAD_BYTES_PER_SERIES = 600;
export const FLEET_BYTES_PER_EXPORTER = 1024;

export interface Footprint {
  linesPerExporter: number;
  series: number;
  fleetBytes: number;
}

/** What a fleet (or the shard `shard` of it) holds; a replayed capture's size is read through replay-file.ts's checks. */
export function fleetFootprint(profile: ResolvedProfile, threads: number, shard: Shard | null = null): Footprint {
  const linesPerExporter = estimateLines(profile, replayFileBytes);
  const served = shardSize(profile.exporters, shard);
  return {
    linesPerExporter,
    series: linesPerExporter * profile.exporters,
    fleetBytes: linesPerExporter * MODEL_BYTES_PER_LINE * (threads + 1) + served * FLEET_BYTES_PER_EXPORTER,
  };
}

const GiB = 2 ** 30;
const fmt = (bytes: number): string => (bytes >= GiB ? `${(bytes / GiB).toFixed(1)} GiB` : `${Math.ceil(bytes / 2 ** 20)} MiB`);

/**
 * `--exporters` applied to the profile, then its size checked: `run` (and so `compare`) and
 * `fleet` size a profile this one way before anything starts. With `headWindow`, the engine's
 * head counts too (a soak); with `shard`, only the shard's exporters (a fleet shard).
 */
export function checkSize(profile: ResolvedProfile, o: { exporters?: number; threads: number; headWindow?: number; shard?: Shard | null; limitBytes?: number }): Footprint {
  if (o.exporters !== undefined) profile.exporters = positiveInt('--exporters', o.exporters);
  return checkCapacity(profile, o.threads, o.headWindow, o.limitBytes, o.shard ?? null);
}

/**
 * Refuses a fleet (and, with `headWindow`, a soak whose engine must hold every series) that
 * needs more memory than this machine has. `limitBytes` is for tests.
 */
export function checkCapacity(profile: ResolvedProfile, threads: number, headWindow?: number, limitBytes = totalmem(), shard: Shard | null = null): Footprint {
  const f = fleetFootprint(profile, threads, shard);
  const engine = headWindow === undefined ? 0 : f.series * (headWindow * 8 + HEAD_BYTES_PER_SERIES);
  const need = f.fleetBytes + engine;
  if (need > 0.8 * limitBytes || !Number.isSafeInteger(f.series)) {
    const what = headWindow === undefined ? `its ${threads + 1} fleet threads and its exporters' targets` : `the fleet and the engine's head (${headWindow} samples per series)`;
    throw new PromsoakError(
      'PROMSOAK_USAGE',
      `profile ${profile.name}: ${profile.exporters.toLocaleString('en-US')} exporters × ${f.linesPerExporter.toLocaleString('en-US')} series = ${f.series.toLocaleString('en-US')} series, ` +
        `about ${fmt(need)} for ${what}; this machine has ${fmt(limitBytes)}: use fewer exporters or label values`,
    );
  }
  return f;
}
