/**
 * The sizing model: from one core count's passing steps, CPU = a + b·samples/s (p99 cores, and
 * GC's part of it: average cores × GC's share) and RSS = c + d·series (peak), each line with its
 * standard errors and 95 % prediction interval (regression.ts); and a load's prediction: the
 * cores and RAM it needs at the analysis's utilisation rule (summarize's provisioning:
 * p99 CPU ÷ 0.8, rounded up to whole cores; RAM the same way), each with its interval. Fewer
 * than 3 passing steps, or a line that does not rise with the load, give a reason, never a number.
 */
import { DEFAULT_ANALYSIS } from '../analysis/summarize.js';
import type { StepResult } from './types.js';
import { fitLine, predictAt, type Interval, type LineFit } from './regression.js';
import { count, plural } from './format.js';

/** The share of the cores (and of RAM) a provisioned machine is run at: the analysis's own rule. */
export const TARGET_UTILIZATION = DEFAULT_ANALYSIS.targetUtilization;

/** Passing steps a fit needs (two give a line but no error). */
export const MIN_STEPS = 3;

export interface CoreModel {
  cores: number;
  /** Passing steps the lines were fitted to (spoiled steps never count). */
  steps: number;
  /** p99 CPU cores against offered samples/s. */
  cpu: LineFit | null;
  /** GC's cores (average cores × GC's share) against offered samples/s; null where GC is not traced. */
  gcCpu: LineFit | null;
  /** Peak RSS bytes against series. */
  rss: LineFit | null;
  /** Largest load measured, for saying when a prediction extrapolates. */
  maxSamplesPerSecond: number;
  maxSeries: number;
  /** Why a line is missing. */
  reason: string | null;
}

/** Passing steps of one core count: what the model rests on. */
export function passing(steps: readonly StepResult[]): StepResult[] {
  return steps.filter((s) => s.pass && s.spoiled === undefined);
}

export function fitModel(cores: number, steps: readonly StepResult[]): CoreModel {
  const ok = passing(steps);
  const rate = ok.map((s) => s.plan.load.offeredSamplesPerSecond);
  const series = ok.map((s) => s.figures.series ?? s.plan.load.series);
  const withGc = ok.filter((s) => s.figures.gcCpuShare !== null);
  const few = ok.length < MIN_STEPS ? `${plural(ok.length, 'passing step')} at ${plural(cores, 'core')}: a fit needs at least ${MIN_STEPS}` : null;
  const cpu = few ? null : fitLine(rate, ok.map((s) => s.figures.cpuP99Cores));
  const rss = few ? null : fitLine(series, ok.map((s) => s.figures.peakRssBytes));
  const gcCpu = withGc.length >= MIN_STEPS ? fitLine(withGc.map((s) => s.plan.load.offeredSamplesPerSecond), withGc.map((s) => s.figures.cpuAvgCores * s.figures.gcCpuShare!)) : null;
  const reason = few ?? (cpu === null || rss === null ? `the ${plural(ok.length, 'passing step')} at ${plural(cores, 'core')} were all at one load: no line through them` : null);
  return { cores, steps: ok.length, cpu, gcCpu, rss, maxSamplesPerSecond: Math.max(0, ...rate), maxSeries: Math.max(0, ...series), reason };
}

export interface LoadAsked {
  samples: number;
  series: number;
}

export interface Prediction {
  asked: LoadAsked;
  /** The core count whose steps the lines come from. */
  basis: number | null;
  /** Predicted p99 CPU, cores; and the cores to provision at the utilisation rule (whole cores, at least 1). */
  cpuCores: Interval | null;
  coresNeeded: Interval | null;
  /** GC's part of the CPU, cores. */
  gcCores: Interval | null;
  /** Predicted peak RSS, and the RAM to provision at the utilisation rule. */
  rssBytes: Interval | null;
  ramNeededBytes: Interval | null;
  targetUtilization: number;
  /** Where the load lies beyond what was measured, said (a straight line is then assumed). */
  notes: string[];
  /** Why there is no number. */
  reason: string | null;
}

/** The cores and RAM a load needs, from a core count's model. */
export function predict(model: CoreModel, asked: LoadAsked): Prediction {
  const u = TARGET_UTILIZATION;
  const base = { asked, basis: model.cores, targetUtilization: u, cpuCores: null, coresNeeded: null, gcCores: null, rssBytes: null, ramNeededBytes: null, notes: [] as string[] };
  if (!model.cpu || !model.rss) return { ...base, reason: model.reason ?? 'no fit' };
  // A line that does not rise with the load says nothing of a larger one: clamped at 0 it read as 1 core, 0 bytes.
  const flat = [model.cpu.slope > 0 ? '' : `CPU p99 does not rise with the samples/s (slope ${model.cpu.slope.toPrecision(3)} cores per sample/s)`, model.rss.slope > 0 ? '' : `peak RSS does not rise with the series (slope ${model.rss.slope.toPrecision(3)} bytes per series)`].filter(Boolean);
  if (flat.length) return { ...base, reason: `${flat.join('; ')} over the ${plural(model.steps, 'passing step')} at ${plural(model.cores, 'core')}: no line to predict from` };
  const cpu = clamp(predictAt(model.cpu, asked.samples));
  const rss = clamp(predictAt(model.rss, asked.series));
  const cores = (v: number): number => Math.max(1, Math.ceil(v / u - 1e-9));
  const notes: string[] = [];
  if (asked.samples > model.maxSamplesPerSecond) notes.push(`${count(asked.samples)} samples/s is ${ratio(asked.samples, model.maxSamplesPerSecond)} the most measured (${count(model.maxSamplesPerSecond)}): the line is extrapolated`);
  if (asked.series > model.maxSeries) notes.push(`${count(asked.series)} series is ${ratio(asked.series, model.maxSeries)} the most measured (${count(model.maxSeries)}): the line is extrapolated`);
  return {
    ...base,
    cpuCores: cpu,
    coresNeeded: { value: cores(cpu.value), low: cores(cpu.low), high: cores(cpu.high) },
    gcCores: model.gcCpu ? clamp(predictAt(model.gcCpu, asked.samples)) : null,
    rssBytes: rss,
    ramNeededBytes: { value: rss.value / u, low: rss.low / u, high: rss.high / u },
    notes,
    reason: null,
  };
}

/**
 * The model a prediction rests on: the core count with the most passing steps (the larger on a
 * tie) that has a fit, one whose lines both rise with the load first (predict() gives no number from another).
 */
export function bestModel(models: readonly CoreModel[]): CoreModel | null {
  const fitted = models.filter((m) => m.cpu && m.rss);
  if (fitted.length === 0) return null;
  const rising = fitted.filter((m) => m.cpu!.slope > 0 && m.rss!.slope > 0);
  return (rising.length ? rising : fitted).reduce((a, b) => (b.steps > a.steps || (b.steps === a.steps && b.cores > a.cores) ? b : a));
}

/** Parses `--predict 'samples=2e6,series=1e7'`; a line naming what is wrong otherwise. */
export function parsePredict(text: string): LoadAsked | string {
  const got: Partial<LoadAsked> = {};
  for (const part of text.split(',')) {
    const m = /^\s*(samples|series)\s*=\s*([0-9.eE+]+)\s*$/.exec(part);
    const v = m ? Number(m[2]) : NaN;
    if (!m || !Number.isFinite(v) || v <= 0) return `--predict: '${part.trim()}' is not samples=<samples/s> or series=<series> with a positive number`;
    if (got[m[1] as keyof LoadAsked] !== undefined) return `--predict: ${m[1]} given twice`;
    got[m[1] as keyof LoadAsked] = v;
  }
  if (got.samples === undefined || got.series === undefined) return `--predict: both samples= and series= are needed (got '${text}')`;
  return { samples: got.samples, series: got.series };
}

const clamp = (i: Interval): Interval => ({ value: Math.max(0, i.value), low: Math.max(0, i.low), high: Math.max(0, i.high) });
const ratio = (a: number, b: number): string => (b > 0 ? `${(a / b).toFixed(1)} ×` : 'beyond');
