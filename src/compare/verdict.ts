import type { VariantResult } from './aggregate.js';
import type { Comparison } from './comparisons.js';
import { formatDifference, RESOLVE_ABSOLUTE, RESOLVE_PCT, type FigureDifference } from './differences.js';

function design(c: Comparison): string {
  const n = Math.max(0, ...c.figures.map((d) => d.n));
  return c.design === 'paired' ? `paired by round, ${n} round${n === 1 ? '' : 's'}` : `unpaired (Welch) against the stored baseline's repeats, ${n} a side`;
}

const listed = (ds: FigureDifference[], untrusted: Set<string>): string =>
  ds.map((d) => `${d.title} ${formatDifference(d)}${d.absoluteWhy ? ` (${d.absoluteWhy})` : ''}${untrusted.has(d.figure) ? ' (the A/A twin moved on it too)' : ''}`).join('; ');

/**
 * A variant against the baseline in words: only the differences that are detectable (their 95 %
 * interval excludes 0), then how many repeats would resolve a difference of 5 % (or 1 starved
 * second) in each figure that read none, at the noise measured.
 */
export function differenceLines(c: Comparison, untrusted: Set<string> = new Set()): string[] {
  const head = `${c.label} vs ${c.against} (${design(c)})`;
  if (c.figures.every((d) => !Number.isFinite(d.low))) return [`${head}: one repeat: no interval can be computed, so no difference can be told from noise (--repeat 3 or more).`];
  const worse = c.figures.filter((d) => d.word === 'worse');
  const better = c.figures.filter((d) => d.word === 'better');
  const none = c.figures.filter((d) => d.word === 'no difference detectable' && Number.isFinite(d.value));
  const out: string[] = [];
  const parts: string[] = [];
  if (worse.length) parts.push(`worse: ${listed(worse, untrusted)}`);
  if (better.length) parts.push(`better: ${listed(better, untrusted)}`);
  if (none.length) parts.push(`no difference detectable at this noise in ${none.map((d) => d.title).join(', ')}`);
  out.push(`${head}: ${parts.join('. ') || 'nothing measured to compare'}.`);
  const need = none
    .filter((d) => Number.isFinite(d.repeatsToResolve))
    .map((d) => `${d.title} ${d.repeatsToResolve >= 10_000 ? 'over 10,000' : d.repeatsToResolve}`);
  if (need.length) out.push(`${c.label}: repeats that would resolve a ${RESOLVE_PCT} % difference (${RESOLVE_ABSOLUTE} s of starvation) at the noise measured: ${need.join(', ')}.`);
  return out;
}

/** The comparison in words: each variant's detectable differences from the baseline, then what each run's own figures say. */
export function compareVerdict(results: VariantResult[], comparisons: Comparison[] = [], untrusted: Set<string> = new Set()): string[] {
  const out: string[] = [];
  if (results.length === 0) return out;
  for (const c of comparisons) if (!c.control) out.push(...differenceLines(c, untrusted));
  for (const r of results) {
    const secs = r.runs[0]?.summary.run.measuredSeconds ?? 0;
    if (r.stats.starved.median > 0) out.push(`${r.variant.label} was starved in ${r.stats.starved.median} of ${Math.round(secs)} s (median of ${r.runs.length} runs).`);
    if (r.fleetSaturatedRuns > 0) out.push(`WARNING: ${r.variant.label}: the load generator was saturated in ${r.fleetSaturatedRuns} of ${r.runs.length} runs.`);
  }
  const shared = results.filter((r) => r.fleetShared).map((r) => r.variant.label);
  if (shared.length) out.push(`the fleet shared the engine's (or target's) cores in: ${shared.join(', ')} (no core was left for it).`);
  return out;
}

export interface FindCoresResult {
  coresNeeded: number | null;
  maxCv: number;
  maxCpuShare: number;
  tried: { cores: number; cv: number; cpuP99: number; ok: boolean }[];
}

/** The smallest core count whose ingestion is flat: median CV and p99 CPU (÷ cores) under the bounds. */
export function findCores(results: VariantResult[], maxCv: number, maxCpuShare: number): FindCoresResult {
  const tried = results
    .filter((r) => r.variant.cores !== undefined)
    .map((r) => {
      const cores = r.variant.cores!;
      const cv = r.stats.samplesCv.median;
      const cpuP99 = r.stats.cpuPeak.median;
      return { cores, cv, cpuP99, ok: cv <= maxCv && cpuP99 <= cores * maxCpuShare && r.stats.starved.median === 0 };
    })
    .sort((a, b) => a.cores - b.cores);
  return { coresNeeded: tried.find((t) => t.ok)?.cores ?? null, maxCv, maxCpuShare, tried };
}
