import type { HarnessPause } from '../analysis/summary.js';
import type { Fleet } from '../fleet/fleet.js';
import type { TargetGroup } from '../fleet/sd.js';
import type { EngineChild } from './engine-child.js';
import type { Frame, TimedGcEvent } from '../protocol/frame.js';

/** Where a soak's load comes from, once the fleet is up and before the system under test starts. */
export interface RampSource {
  /** The run directory's file_sd.json the system reads (the built-in engine, Prometheus, VictoriaMetrics, exec: with {file_sd}). */
  fileSd: string;
  /** The `{http_sd}` URL. */
  httpSd: string;
  /** Every target of the fleet, in order (what file_sd.json holds when the fleet starts). */
  groups: readonly TargetGroup[];
  /** `{http_sd}` serves these groups from now on. */
  serveTargets(groups: readonly TargetGroup[]): void;
  /** The soak's own fleet (absent with --fleet's shards). */
  fleet?: Fleet;
  /** The run directory. */
  dir: string;
}

/** The system is up and the soak's clock runs: what the ramp moves the load of. */
export interface RampSystem extends RampSource {
  /** The built-in engine child (its IPC); absent for a --target. */
  engine?: EngineChild;
  /** Wall ms the soak's clock started (a frame's `t` counts from here). */
  soakStartMs: number;
  /** The harness stalls seen so far (grows while the soak runs). */
  stalls: readonly HarnessPause[];
  /** Aborted when the soak's window ends for any other reason (Ctrl-C, the system exited, a full disk, the soak's time bound). */
  signal: AbortSignal;
}

/**
 * An open-ended soak (`SoakOptions.ramp`, for `promsoak capacity`): the window does not end at
 * warm-up + duration but when `run` resolves (or Ctrl-C, the system's exit, a full disk, as
 * always; the soak's warm-up + duration stays as its upper bound). The ramp offers the first
 * step's load before the system starts (`prepare`), then moves it while being told every frame
 * and GC event as it is recorded. The soak's run directory holds the whole ramp; its summary's
 * window is everything after the first warm-up.
 */
export interface SoakRamp {
  prepare(source: RampSource): Promise<void>;
  run(system: RampSystem): Promise<void>;
  onFrame(frame: Frame): void;
  onGc(event: TimedGcEvent): void;
}
