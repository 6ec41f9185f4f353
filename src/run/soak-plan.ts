import { spawnSync } from 'node:child_process';
import { isIP } from 'node:net';
import { cpus } from 'node:os';
import { DEFAULTS } from '../common/defaults.js';
import { PromsoakError } from '../common/errors.js';
import { nonNegativeInt, port, seconds } from '../common/options.js';
import { checkIngesterSpec } from '../common/ingester-spec.js';
import { version } from '../common/version.js';
import { loadProfile, type ResolvedProfile } from '../profile/load.js';
import { buildModel } from '../fleet/render/model.js';
import { checkSize } from '../fleet/capacity.js';
import { defaultThreads } from '../fleet/fleet.js';
import { summarize, DEFAULT_ANALYSIS, type AnalysisOptions, type RunMeta } from '../analysis/summarize.js';
import { parseThreshold, validateThresholdPath, type Threshold } from '../analysis/thresholds.js';
import { planLaunch, type EngineLaunch } from './engine-launch.js';
import { validateHeapOptions, type HeapDiagnosticsOptions } from './heap-diagnostics.js';
import { planTarget, type TargetPlan } from './target-plan.js';
import { SYNTHETIC_PER_SCRAPE } from './target-spec.js';
import type { RemoteFleet } from './remote-fleet.js';
import { planPush, type PushPlan } from './push-plan.js';
import type { PushFlags } from '../push/push-options.js';
import type { SoakRamp } from './soak-ramp.js';

export interface SoakOptions extends Partial<PushFlags> {
  /** Absent: `default`, or with `fleet` the shards' own. */
  profile?: string | ResolvedProfile;
  /** Fleets already running instead of the soak's own: their base URLs, comma-separated (run/remote-fleet.ts). */
  fleet?: string;
  /** Hosts, comma-separated, that `fleet` shards' /sd may send the engine to besides each shard's own (run/target-hosts.ts). */
  allowTargetHosts?: string;
  /** Told one line when a `fleet` shard stops answering or comes back. */
  onFleetEvent?: (line: string) => void;
  durationSeconds?: number;
  warmupSeconds?: number;
  ingester?: string;
  /** Pin the engine to this many cores (taskset), the fleet to the rest. */
  cores?: number;
  v8Flags?: string[];
  out?: string;
  exporters?: number;
  /** Override the profile's scrape interval (seconds). */
  intervalSeconds?: number;
  /** The engine's body size limit per scrape, bytes (0 or absent: none). */
  bodyLimitBytes?: number;
  thresholds?: string[];
  /** The telemetry agent (off only to measure its overhead). */
  telemetry?: boolean;
  analysis?: Partial<AnalysisOptions>;
  /** The Node binary the engine runs on (default: this one's). */
  nodePath?: string;
  /** Heap snapshots and the allocation profile (heap-diagnostics.ts). */
  heap?: HeapDiagnosticsOptions;
  /** Stop early: resolves → the soak ends as interrupted. */
  interrupt?: Promise<void>;
  /** The system under test (run/target/spec.ts): builtin (default), prometheus[:bin], victoria-metrics[:bin], exec:'…', url:… */
  target?: string;
  /** exec: where its metrics are (a URL template with {port}); overrides the default for the others. */
  targetMetrics?: string;
  /** Which counter (a selector, several summed with +) counts the samples the target ingested. */
  targetSamples?: string;
  /** Bytes kept of each of a launched target's log files (target.stdout.log, target.stderr.log); the rest is counted and dropped. */
  targetLogLimitBytes?: number;
  /** url: the already-running target's local pid (its CPU and memory from /proc). */
  pid?: number;
  /** K=V, repeatable: the target's environment (GOGC, GOMEMLIMIT, GODEBUG; for the engine: its Node env). */
  env?: string[];
  /** Serve the soak's live metrics on 127.0.0.1:<port> (run/live-metrics.ts; 0: a free port), told to onMetricsUrl. */
  metricsPort?: number;
  /** The address the live metrics listen on (default 127.0.0.1; another one is an explicit choice, e.g. 0.0.0.0 in a pod). */
  metricsHost?: string;
  onMetricsUrl?: (url: string) => void;
  /**
   * An open-ended soak (`promsoak capacity`): the window ends when the ramp does (run/soak-ramp.ts),
   * warm-up + duration bounding it. Start the fleet with the most exporters a step may offer (`exporters`).
   */
  ramp?: SoakRamp;
}

/** The longest soak, warm-up included: a week (a soak's timers could wait ~24.8 days; its frames would fill the disk first). */
const MAX_SOAK_SECONDS = 7 * 86_400;

/**
 * The soak's time flags (what `compare` checks before its first run): a --duration > 0 and a
 * --warmup ≥ 0 (0: none), together at most a week; an --interval > 0, at most a day.
 */
export function checkSoakSeconds(o: Pick<SoakOptions, 'durationSeconds' | 'warmupSeconds' | 'intervalSeconds'>): void {
  const total = (o.durationSeconds ?? 0) + (o.warmupSeconds ?? 0);
  if (total > MAX_SOAK_SECONDS) throw new PromsoakError('PROMSOAK_USAGE', `--duration + --warmup must be at most ${MAX_SOAK_SECONDS} s (a week; got ${total})`);
  seconds('--duration', o.durationSeconds, { max: MAX_SOAK_SECONDS });
  seconds('--warmup', o.warmupSeconds, { zero: true, max: MAX_SOAK_SECONDS });
  seconds('--interval', o.intervalSeconds, { max: DEFAULTS.maxIntervalSeconds });
}

/** A soak's settings, checked and resolved before anything starts. */
export interface SoakPlan {
  profile: ResolvedProfile;
  durationSeconds: number;
  warmupSeconds: number;
  ingester: string;
  v8Flags: string[];
  analysis: AnalysisOptions;
  thresholds: Threshold[];
  launch: EngineLaunch;
  heap: HeapDiagnosticsOptions;
  startedAt: Date;
  /** The system under test, checked. */
  target: TargetPlan;
  /** What summary.json's `run` block says of the run, less what only the end knows. */
  meta: Omit<RunMeta, 'stopReason' | 'liveHeapBytes' | 'files'>;
  /** `--fleet`'s shards, checked (run/fleet-source.ts); absent: the soak starts its own fleet. */
  remote?: RemoteFleet;
  /** `--push`: the fleet pushes to the target's receiver instead of being scraped (run/push-plan.ts). */
  push?: PushPlan;
}

/** Checks every option (messages name the flag) and resolves the profile: a bad one fails here, before the fleet starts. */
export function planSoak(o: SoakOptions): SoakPlan {
  const profile = typeof o.profile === 'object' ? o.profile : loadProfile(o.profile ?? 'default');
  checkSoakSeconds(o);
  if (o.intervalSeconds !== undefined) {
    profile.scrapeIntervalSeconds = o.intervalSeconds;
    profile.scrapeTimeoutSeconds = Math.min(profile.scrapeTimeoutSeconds, o.intervalSeconds);
  }
  const durationSeconds = o.durationSeconds ?? profile.durationSeconds;
  const warmupSeconds = o.warmupSeconds ?? profile.warmupSeconds;
  // With the profile's own (the flag that overrides one is named), and their sum.
  checkSoakSeconds({ durationSeconds, warmupSeconds });
  // Before anything is built or started: a profile this machine cannot hold is refused here.
  checkSize(profile, { exporters: o.exporters, threads: defaultThreads(), headWindow: DEFAULTS.headWindow });
  nonNegativeInt('--body-limit', o.bodyLimitBytes);
  if (o.metricsHost !== undefined && (o.metricsPort === undefined || isIP(o.metricsHost) === 0)) {
    throw new PromsoakError('PROMSOAK_USAGE', o.metricsPort === undefined ? '--metrics-host needs --metrics-port' : `--metrics-host ${o.metricsHost}: an IP address to listen on (127.0.0.1, 0.0.0.0, ::)`);
  }
  port('--metrics-port', o.metricsPort);
  const telemetry = o.telemetry ?? true;
  const target = planTarget(o);
  const push = planPush(o, target.spec);
  const ingester = o.ingester ?? DEFAULTS.ingester;
  checkIngesterSpec(ingester);
  const v8Flags = o.v8Flags ?? [];
  const launch = planLaunch({ cores: o.cores, v8Flags, telemetry });
  const startedAt = new Date();
  const meta: SoakPlan['meta'] = {
    version,
    profile: profile.name,
    ingester: target.spec.kind === 'builtin' ? ingester : target.label,
    startedAt: startedAt.toISOString(),
    warmupSeconds,
    cores: launch.engineCpus,
    v8Flags,
    node: o.nodePath ? nodeVersion(o.nodePath) : process.version,
    machine: `${cpus()[0]?.model ?? 'unknown'} x${cpus().length}`,
    exporters: profile.exporters,
    seriesPerExporter: buildModel(profile).lines,
    intervalSeconds: profile.scrapeIntervalSeconds,
    fleetCores: launch.fleetCores,
    fleetShared: launch.fleetCpus === null,
    target: target.info(o.nodePath, v8Flags),
    // Pushed, nothing is scraped: the receiver adds no series of its own per scrape.
    syntheticPerScrape: push ? 0 : SYNTHETIC_PER_SCRAPE[target.spec.kind],
  };
  // A typo in a threshold fails now, not after the soak.
  const thresholds = (o.thresholds ?? []).map(parseThreshold);
  const empty = summarize([], [], { ...meta, stopReason: 'completed', liveHeapBytes: null, files: [] });
  for (const t of thresholds) validateThresholdPath(t, empty);
  const heap = o.heap ?? {};
  validateHeapOptions(heap, durationSeconds, telemetry);
  return { profile, durationSeconds, warmupSeconds, ingester, v8Flags, analysis: { ...DEFAULT_ANALYSIS, ...o.analysis }, thresholds, launch, heap, startedAt, target, meta, ...(push ? { push } : {}) };
}

function nodeVersion(path: string): string {
  const r = spawnSync(path, ['--version'], { encoding: 'utf8' });
  if (r.status !== 0) throw new PromsoakError('PROMSOAK_USAGE', `--node ${path} does not run (${(r.error?.message ?? r.stderr).trim()})`);
  return r.stdout.trim();
}
