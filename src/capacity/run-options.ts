import { PromsoakError } from '../common/errors.js';
import { positiveInt, positiveInts, positiveNumber, seconds } from '../common/options.js';
import { MACHINE_CORES } from '../run/engine-launch.js';
import type { SoakOptions } from '../run/soak-plan.js';
import type { PushFlags } from '../push/push-options.js';
import { parsePredict, type LoadAsked } from './model.js';
import { checkCriteria } from './criteria.js';
import { DEFAULT_CRITERIA, type CapacityBy, type Criteria } from './types.js';

/** `promsoak capacity`'s flags, as given (undefined: the default). */
export interface CapacityOptions extends Partial<PushFlags>, Pick<SoakOptions, 'profile' | 'fleet' | 'allowTargetHosts' | 'target' | 'targetMetrics' | 'targetSamples' | 'targetLogLimitBytes' | 'env' | 'intervalSeconds' | 'ingester' | 'nodePath'> {
  cores?: number[];
  by?: string;
  resolution?: number;
  factor?: number;
  startExporters?: number;
  maxExporters?: number;
  stepWarmupSeconds?: number;
  stepSeconds?: number;
  maxSteps?: number;
  maxDurationSeconds?: number;
  minIngested?: number;
  maxLatency?: number;
  maxStarved?: number;
  maxCpu?: number;
  /** '512MiB', '2GiB', '1e9' (bytes). */
  memoryLimit?: string;
  /** 'samples=2e6,series=1e7'. */
  predict?: string;
  out?: string;
}

/** The checked settings of a capacity search, with the defaults filled in. */
export interface CapacitySettings {
  cores: number[];
  by: CapacityBy;
  resolution: number;
  factor: number;
  startExporters: number | undefined;
  maxExporters: number | undefined;
  stepWarmupSeconds: number;
  stepSeconds: number;
  maxSteps: number;
  maxDurationSeconds: number;
  criteria: Criteria;
  predict: LoadAsked | null;
  out: string;
}

/** Bounds on every number: a search that never breaks ends inside them with "above X". */
export const CAPACITY_BOUNDS = {
  maxSteps: 200,
  maxDurationSeconds: 86_400,
  stepSeconds: 3_600,
  factor: 16,
  maxExporters: 1_000_000,
  memoryLimitBytes: 2 ** 40,
  minMemoryLimitBytes: 16 * 2 ** 20,
  predict: 1e15,
} as const;

export const CAPACITY_DEFAULTS = { resolution: 0.05, factor: 2, stepWarmupSeconds: 10, stepSeconds: 20, maxSteps: 40, maxDurationSeconds: 3_600 } as const;

const usage = (m: string): PromsoakError => new PromsoakError('PROMSOAK_USAGE', m);

/** Every flag of `promsoak capacity` checked (one line naming the flag, exit 2) before anything starts. */
export function checkCapacityOptions(o: CapacityOptions): CapacitySettings {
  if (o.push !== undefined && o.fleet !== undefined) throw usage('--push with --fleet is not supported yet by capacity: the shards cannot be told a push rate; use one or the other');
  // The engine's receiver answers 415 to every 2.0 request: the search would read "acknowledged 0 %" as its ceiling.
  if (o.push === 'remote-write:2' && (o.target ?? 'builtin') === 'builtin') throw usage('--push remote-write:2: the built-in engine takes remote write 1.0 only (it answers 415 to 2.0); use --push remote-write, or a --target that takes 2.0');
  const cores = positiveInts('--cores', o.cores, MACHINE_CORES) ?? [1];
  if (new Set(cores).size !== cores.length) throw usage(`--cores lists a core count twice (${cores.join(',')})`);
  const by = o.by ?? 'rate';
  if (by !== 'rate' && by !== 'series') throw usage(`--by must be rate or series (got ${o.by})`);
  const resolution = positiveNumber('--resolution', o.resolution, 1) ?? CAPACITY_DEFAULTS.resolution;
  if (resolution < 0.001) throw usage(`--resolution must be at least 0.001 (0.1 %; got ${resolution})`);
  const factor = o.factor ?? CAPACITY_DEFAULTS.factor;
  if (!(Number.isFinite(factor) && factor > 1 && factor <= CAPACITY_BOUNDS.factor)) throw usage(`--factor must be a number in (1, ${CAPACITY_BOUNDS.factor}] (got ${o.factor})`);
  positiveInt('--start-exporters', o.startExporters, CAPACITY_BOUNDS.maxExporters);
  positiveInt('--max-exporters', o.maxExporters, CAPACITY_BOUNDS.maxExporters);
  if (o.startExporters !== undefined && o.maxExporters !== undefined && o.startExporters > o.maxExporters) {
    throw usage(`--start-exporters ${o.startExporters} is more than --max-exporters ${o.maxExporters}`);
  }
  const stepWarmupSeconds = seconds('--step-warmup', o.stepWarmupSeconds, { zero: true, max: CAPACITY_BOUNDS.stepSeconds }) ?? CAPACITY_DEFAULTS.stepWarmupSeconds;
  const stepSeconds = seconds('--step-seconds', o.stepSeconds, { max: CAPACITY_BOUNDS.stepSeconds }) ?? CAPACITY_DEFAULTS.stepSeconds;
  if (stepSeconds < 2) throw usage(`--step-seconds must be at least 2 (a step is judged on whole seconds; got ${stepSeconds})`);
  const maxSteps = positiveInt('--max-steps', o.maxSteps, CAPACITY_BOUNDS.maxSteps) ?? CAPACITY_DEFAULTS.maxSteps;
  const maxDurationSeconds = seconds('--max-duration', o.maxDurationSeconds, { max: CAPACITY_BOUNDS.maxDurationSeconds }) ?? CAPACITY_DEFAULTS.maxDurationSeconds;
  if (maxDurationSeconds < stepWarmupSeconds + stepSeconds) throw usage(`--max-duration ${maxDurationSeconds} s is shorter than one step (--step-warmup ${stepWarmupSeconds} + --step-seconds ${stepSeconds})`);
  const criteria: Criteria = {
    ...DEFAULT_CRITERIA,
    minIngestedRatio: ratio('--min-ingested', o.minIngested) ?? DEFAULT_CRITERIA.minIngestedRatio,
    maxLatencyIntervals: positiveNumber('--max-latency', o.maxLatency, 100) ?? DEFAULT_CRITERIA.maxLatencyIntervals,
    maxStarvedSeconds: starved(o.maxStarved) ?? DEFAULT_CRITERIA.maxStarvedSeconds,
    maxCpuShare: positiveNumber('--max-cpu', o.maxCpu, 1) ?? DEFAULT_CRITERIA.maxCpuShare,
    memoryLimitBytes: o.memoryLimit === undefined ? null : parseBytes('--memory-limit', o.memoryLimit),
  };
  const bad = checkCriteria(criteria);
  if (bad) throw usage(bad);
  return { cores, by, resolution, factor, startExporters: o.startExporters, maxExporters: o.maxExporters, stepWarmupSeconds, stepSeconds, maxSteps, maxDurationSeconds, criteria, predict: o.predict === undefined ? null : checkPredict(o.predict), out: o.out ?? 'runs' };
}

function ratio(name: string, v: number | undefined): number | undefined {
  if (v !== undefined && !(Number.isFinite(v) && v > 0 && v <= 1)) throw usage(`${name} must be a ratio in (0, 1], e.g. 0.99 (got ${v})`);
  return v;
}

function starved(v: number | undefined): number | undefined {
  if (v !== undefined && !(Number.isSafeInteger(v) && v >= 0 && v <= CAPACITY_BOUNDS.stepSeconds)) throw usage(`--max-starved must be a whole number of seconds in 0..${CAPACITY_BOUNDS.stepSeconds} (got ${v})`);
  return v;
}

const UNITS: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };

/** '512MiB', '2GiB', '1.5GB', '1e9' → bytes, in [16 MiB, 1 TiB]. */
export function parseBytes(name: string, text: string): number {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?(?:e[0-9]+)?)\s*([kmgt]i?b|b)?\s*$/i.exec(String(text));
  const unit = m ? UNITS[(m[2] ?? '').toLowerCase()] : undefined;
  if (!m || unit === undefined) throw usage(`${name} must be a size like 512MiB, 2GiB or a number of bytes (got "${text}")`);
  const bytes = Math.round(Number(m[1]) * unit);
  if (!(bytes >= CAPACITY_BOUNDS.minMemoryLimitBytes && bytes <= CAPACITY_BOUNDS.memoryLimitBytes)) throw usage(`${name} must be between 16MiB and 1TiB (got "${text}")`);
  return bytes;
}

/** 'samples=2e6,series=1e7' (model.ts reads it), each at most 1e15: the load a sizing answer is asked for. */
export function checkPredict(text: string): LoadAsked {
  const p = parsePredict(String(text));
  if (typeof p === 'string') throw usage(p);
  for (const k of ['samples', 'series'] as const) if (p[k] > CAPACITY_BOUNDS.predict) throw usage(`--predict: ${k}=${p[k]} is over ${CAPACITY_BOUNDS.predict}`);
  return p;
}
