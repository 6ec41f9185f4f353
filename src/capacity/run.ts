import { makeUniqueDir } from '../common/out-dir.js';
import { DEFAULTS } from '../common/defaults.js';
import { isPromsoakError, PromsoakError } from '../common/errors.js';
import { checkSize } from '../fleet/capacity.js';
import { defaultThreads } from '../fleet/fleet.js';
import { planFleetSoak } from '../run/fleet-source.js';
import { runSoak } from '../run/soak.js';
import type { SoakOptions, SoakPlan } from '../run/soak-plan.js';
import type { SoakProgress } from '../run/recorder.js';
import type { RampSource, RampSystem } from '../run/soak-ramp.js';
import { CapacityRamp, TAKE_SLACK_SECONDS, type Dial, type StepSearch } from './ramp.js';
import { checkCapacityOptions, type CapacityOptions, type CapacitySettings } from './run-options.js';
import type { Criteria, StepResult, StepWindow } from './types.js';
import type { SearchOptions } from './search.js';

/** What a search is built from, per core count: search.ts's CapacitySearch options. */
export type SearchConfig = SearchOptions;

/** The search's outcome as far as the runner reads it (search.ts's). */
export interface OutcomeLike {
  kind: string;
  words?: string;
  /** The load kept (null: none); absent where a fake search does not say. */
  samplesPerSecond?: number | null;
}

/** The pieces the runner drives: the search, the judge and the dial (search.ts, judge.ts, dial.ts); tests hand in fakes. */
export interface CapacityParts {
  search(c: SearchConfig): StepSearch & { outcome(): OutcomeLike | null; interrupt(why: string): void };
  judge(w: StepWindow, criteria: Criteria): StepResult;
  /** The dial for the soak's system: file_sd for a scraper, the engine's retarget, the fleet's push. */
  dial(source: RampSource, system: () => RampSystem | undefined, plan: SoakPlan): Promise<Dial>;
  /** Why this soak's load cannot be moved (no dial for it yet): refused before anything starts. */
  refuse?(plan: SoakPlan): string | undefined;
}

/** What the command writes and prints of a finished (or interrupted) search: capacity.json, capacity.html, the terminal answer. */
export interface CapacityOutput {
  /** Writes capacity.json and capacity.html into run.dir; returns the terminal answer's lines. */
  write(run: CapacityRun): string[];
}

/** One core count's search. */
export interface CoreCapacity {
  cores: number;
  /** The run directory of this core count's soak (the whole ramp). */
  runDir: string | null;
  steps: StepResult[];
  outcome: OutcomeLike;
  /** The soak's own exit (130: interrupted; 1: the system exited, the disk filled). */
  soakExitCode: number;
  /** Why the soak ended early, in words (the system exited, a full disk). */
  soakProblem?: string;
}

export interface CapacityRun {
  dir: string;
  startedAt: string;
  pushed: boolean;
  settings: CapacitySettings;
  profile: string;
  target: string;
  intervalSeconds: number;
  samplesPerExporterPerSecond: number;
  seriesPerExporter: number;
  maxExporters: number;
  perCores: CoreCapacity[];
  interrupted: boolean;
  /** Said of the run as a whole (a memory limit not set on the system, …). */
  notes: string[];
}

export interface CapacityHooks {
  interrupt?: Promise<void>;
  onStatus?: (line: string) => void;
  onStep?: (cores: number, r: StepResult) => void;
  onProgress?: (p: SoakProgress) => void;
}

/** The largest fleet `promsoak capacity` starts by default: this many × the profile's exporters, halved until the machine can hold it. */
const DEFAULT_MAX_FACTOR = 64;

/**
 * `promsoak capacity`: every flag checked (and each core count's soak planned) before anything
 * starts; then for each core count one open-ended soak whose system stays up while the ramp
 * moves the load, the system restarted only between core counts. Ctrl-C ends the soak in
 * progress; its finished steps are kept and the rest is not started.
 */
export async function runCapacity(o: CapacityOptions, parts: CapacityParts, hooks: CapacityHooks = {}): Promise<CapacityRun> {
  const settings = checkCapacityOptions(o);
  const notes: string[] = [];
  const base = soakBase(o, settings, notes);
  // Each core count's soak planned now: a bad profile, target, binary, --env or shard fails here.
  const firstPlan = await planFleetSoak({ ...base, cores: settings.cores[0] });
  const maxExporters = fleetMaxExporters(firstPlan, settings, o.fleet !== undefined);
  for (const c of settings.cores) await planFleetSoak({ ...base, cores: c, exporters: o.fleet === undefined ? maxExporters : undefined });
  const refused = parts.refuse?.(firstPlan);
  if (refused) throw new PromsoakError('PROMSOAK_USAGE', refused);
  const interval = firstPlan.profile.scrapeIntervalSeconds;
  const seriesPerExporter = firstPlan.meta.seriesPerExporter;
  // What the system ingests per exporter: its series and the scraper's own per scrape (up, …).
  const samplesPerExporterPerSecond = (seriesPerExporter + (firstPlan.meta.syntheticPerScrape ?? 0)) / interval;
  const startExporters = Math.min(maxExporters, settings.startExporters ?? Math.max(1, Math.floor(firstPlan.profile.exporters / 4)));
  const dir = makeUniqueDir(settings.out, `${stamp(firstPlan.startedAt)}-capacity-${firstPlan.profile.name}`);
  const target = firstPlan.target.spec.kind === 'builtin' ? 'builtin' : firstPlan.target.label;
  const run: CapacityRun = { dir, startedAt: firstPlan.startedAt.toISOString(), pushed: firstPlan.push !== undefined, settings, profile: firstPlan.profile.name, target, intervalSeconds: interval, samplesPerExporterPerSecond, seriesPerExporter, maxExporters, perCores: [], interrupted: false, notes };
  let interrupted = false;
  void hooks.interrupt?.then(() => (interrupted = true));
  for (const cores of settings.cores) {
    if (interrupted) break;
    const search = parts.search({ startExporters, maxExporters, factor: settings.factor, resolution: settings.resolution, warmupSeconds: settings.stepWarmupSeconds, holdSeconds: settings.stepSeconds, maxSteps: settings.maxSteps, maxDurationSeconds: settings.maxDurationSeconds, samplesPerExporterPerSecond, seriesPerExporter, by: settings.by });
    let system: RampSystem | undefined;
    const soak: SoakOptions = { ...base, cores, exporters: o.fleet === undefined ? maxExporters : undefined, out: dir, interrupt: hooks.interrupt };
    // The dial needs the soak's own plan (its fleet, its target): planned again inside runSoak, so kept from here.
    const plan0 = await planFleetSoak(soak);
    const ramp = new CapacityRamp({
      search,
      judge: parts.judge,
      criteria: settings.criteria,
      makeDial: (source) => parts.dial(source, () => system, plan0),
      firstExporters: startExporters,
      cores,
      intervalSeconds: interval,
      pushed: o.push !== undefined,
      ...(plan0.push ? { pushBatchSamples: plan0.push.settings.batch * plan0.push.settings.senders } : {}),
      fleetCores: plan0.meta.fleetCores,
      gcTraced: plan0.meta.target === undefined || ['builtin', 'prometheus', 'victoria-metrics', 'influxdb'].includes(plan0.meta.target.kind),
      onStatus: (l) => hooks.onStatus?.(`${cores} core${cores === 1 ? '' : 's'}: ${l}`),
      onStep: (r) => hooks.onStep?.(cores, r),
      onSystem: (s) => (system = s),
    });
    const c: CoreCapacity = { cores, runDir: null, steps: ramp.steps, outcome: { kind: 'interrupted' }, soakExitCode: 0 };
    run.perCores.push(c);
    try {
      const r = await runSoak({ ...soak, ramp }, hooks.onProgress);
      c.runDir = r.dir;
      c.soakExitCode = r.summary.run.stopReason === 'interrupted' ? 130 : r.summary.run.stopReason === 'completed' ? 0 : 1;
      if (r.summary.run.stopReason === 'engine-exited') c.soakProblem = `the system under test exited during the search (${r.dir})`;
      if (r.summary.run.stopReason === 'interrupted') interrupted = true;
    } catch (e) {
      if (!isPromsoakError(e)) throw e;
      c.soakExitCode = e.exitCode;
      c.soakProblem = e.message;
    }
    // Cut short (Ctrl-C, the system's exit, the soak's own bound): the search says what it had found.
    if (search.outcome() === null) search.interrupt(interrupted ? 'Ctrl-C' : (c.soakProblem ?? 'the soak ended before the search did'));
    c.outcome = search.outcome()!;
    if (c.soakProblem) break;
  }
  run.interrupted = interrupted;
  return run;
}

/** The soak options every core count shares: the steps' warm-up, the search's time bound, the memory limit set on the system. */
function soakBase(o: CapacityOptions, s: CapacitySettings, notes: string[]): SoakOptions {
  const env = [...(o.env ?? [])];
  const v8Flags: string[] = [];
  const limit = s.criteria.memoryLimitBytes;
  const target = o.target ?? 'builtin';
  const kind = target.split(':')[0];
  if (limit !== null) {
    if (kind === 'builtin') v8Flags.push(`--max-old-space-size=${Math.max(16, Math.floor(limit / 2 ** 20))}`);
    else if (kind === 'prometheus' || kind === 'victoria-metrics' || kind === 'influxdb') {
      if (env.some((e) => e.startsWith('GOMEMLIMIT='))) notes.push('--memory-limit is judged on RSS; the system keeps the GOMEMLIMIT given with --env');
      else env.push(`GOMEMLIMIT=${limit}`);
    } else notes.push(`--memory-limit is judged on RSS only: promsoak cannot set a limit on a ${kind}: target`);
  }
  return {
    profile: o.profile,
    fleet: o.fleet,
    allowTargetHosts: o.allowTargetHosts,
    target: o.target,
    targetMetrics: o.targetMetrics,
    targetSamples: o.targetSamples,
    targetLogLimitBytes: o.targetLogLimitBytes,
    env,
    intervalSeconds: o.intervalSeconds,
    ingester: o.ingester,
    nodePath: o.nodePath,
    v8Flags,
    ...(o.push !== undefined ? { push: o.push, pushUrl: o.pushUrl, batch: o.batch, senders: o.senders, maxBacklog: o.maxBacklog, pushTimeout: o.pushTimeout } : {}),
    warmupSeconds: s.stepWarmupSeconds,
    // The search's own bound ends it; the soak's is a backstop past it: the planned seconds, and
    // what each step may add (waiting for its load to show, the last frame after its hold).
    durationSeconds: s.maxDurationSeconds + s.maxSteps * (TAKE_SLACK_SECONDS + 2) + s.stepWarmupSeconds + 2 * s.stepSeconds + 30,
  };
}

/**
 * The most exporters a step can offer: --max-exporters (checked against what this machine can
 * hold), or by default 64 × the profile's, halved until it fits. With --fleet: the shards'.
 */
export function fleetMaxExporters(plan: SoakPlan, s: CapacitySettings, remote: boolean): number {
  const have = plan.profile.exporters;
  if (remote) {
    if (s.maxExporters !== undefined && s.maxExporters > have) throw new PromsoakError('PROMSOAK_USAGE', `--max-exporters ${s.maxExporters}: --fleet's shards serve ${have} exporters`);
    return s.maxExporters ?? have;
  }
  const fits = (n: number): boolean => {
    try {
      checkSize({ ...plan.profile }, { exporters: n, threads: defaultThreads(), headWindow: DEFAULTS.headWindow });
      return true;
    } catch (e) {
      if (isPromsoakError(e)) return false;
      throw e;
    }
  };
  if (s.maxExporters !== undefined) {
    // One line naming the flag when this machine cannot hold it.
    checkSize({ ...plan.profile }, { exporters: s.maxExporters, threads: defaultThreads(), headWindow: DEFAULTS.headWindow });
    return s.maxExporters;
  }
  let n = Math.min(DEFAULT_MAX_FACTOR * have, 1_000_000);
  while (n > 1 && !fits(n)) n = Math.floor(n / 2);
  return Math.max(1, n);
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}
