/**
 * Across core counts: how the ceiling scaled (ceiling(N) / ceiling(smallest), the article's 8 → 16
 * cores) with GC's share of the cores at each ceiling; and the model checked on itself: the
 * smallest core count's CPU line asked where it reaches the larger count's CPU criterion, against
 * the ceiling measured there.
 */
import type { Criteria, StepResult } from './types.js';
import type { SearchOutcome } from './search.js';
import type { CoreModel } from './model.js';
import { reachAt, type Reach } from './regression.js';

/** One core count's search: its steps and what it found. */
export interface CoreRun {
  cores: number;
  steps: StepResult[];
  outcome: SearchOutcome;
}

export interface ScalingRow {
  cores: number;
  outcome: SearchOutcome['kind'];
  /** The ceiling (or, for above / generator / interrupted, at least this); null when nothing passed. */
  samplesPerSecond: number | null;
  /** This ceiling over the smallest core count's; null when either has no number. */
  ratio: number | null;
  /** True when the ratio rests on an 'at least' (above, generator, interrupted) of either: the ratio is not exact. */
  ratioIsBound: boolean;
  /** GC's share of the cores given at the step the answer rests on (average cores × GC's share ÷ cores). */
  gcShareOfCores: number | null;
}

export function scaling(runs: readonly CoreRun[]): ScalingRow[] {
  const sorted = [...runs].sort((a, b) => a.cores - b.cores);
  const base = sorted[0];
  return sorted.map((r) => {
    const n = r.outcome.samplesPerSecond;
    const b = base?.outcome.samplesPerSecond ?? null;
    const step = r.steps.find((s) => s.index === r.outcome.step && s.pass);
    const share = step?.figures.gcCpuShare;
    return {
      cores: r.cores,
      outcome: r.outcome.kind,
      samplesPerSecond: n,
      ratio: n !== null && b !== null && b > 0 ? n / b : null,
      ratioIsBound: r.outcome.kind !== 'ceiling' || base!.outcome.kind !== 'ceiling',
      gcShareOfCores: step && share !== null && share !== undefined ? (step.figures.cpuAvgCores * share) / r.cores : null,
    };
  });
}

export interface SelfCheck {
  /** The core count whose steps made the line, and the one whose ceiling it predicts. */
  fromCores: number;
  toCores: number;
  /** Where the CPU line reaches the larger count's CPU criterion (maxCpuShare × its cores), samples/s, with its interval. */
  predicted: Reach | null;
  /** The ceiling measured there; null when it found none. */
  measured: number | null;
  /** (predicted − measured) / measured, %. */
  errorPct: number | null;
  /** Why there is no number. */
  reason: string | null;
}

/** Each larger core count's ceiling predicted from the smallest's CPU line. */
export function selfChecks(runs: readonly CoreRun[], models: readonly CoreModel[], criteria: Criteria): SelfCheck[] {
  const sorted = [...runs].sort((a, b) => a.cores - b.cores);
  const from = sorted[0];
  if (!from || sorted.length < 2) return [];
  const model = models.find((m) => m.cores === from.cores);
  return sorted.slice(1).map((to): SelfCheck => {
    const base = { fromCores: from.cores, toCores: to.cores, predicted: null, measured: null, errorPct: null };
    if (!model?.cpu) return { ...base, reason: model?.reason ?? `no model at ${from.cores} cores` };
    const predicted = reachAt(model.cpu, criteria.maxCpuShare * to.cores);
    if (!predicted) return { ...base, reason: `the CPU line at ${from.cores} cores does not rise with the load` };
    if (to.outcome.kind !== 'ceiling') return { ...base, predicted, reason: `no ceiling measured at ${to.cores} cores (${to.outcome.kind}) to check it against` };
    const measured = to.outcome.samplesPerSecond!;
    return { ...base, predicted, measured, errorPct: ((predicted.value - measured) / measured) * 100, reason: null };
  });
}
