import type { Summary } from '../analysis/summary.js';
import type { VariantResult } from './aggregate.js';
import { figureDifferences, type FigureDifference } from './differences.js';

/** One variant against the baseline: every headline figure's difference, and how the runs were set against each other. */
export interface Comparison {
  label: string;
  against: string;
  /** paired: by round (interleaved A B, B A, …); unpaired: against a stored baseline's repeats (Welch). */
  design: 'paired' | 'unpaired';
  /** The A/A twin of the baseline (--control): what "no change" reads. */
  control: boolean;
  figures: FigureDifference[];
}

/**
 * Why a run is no figure to compare, or null when it is one: it did not measure its whole window
 * (an engine that died, a full disk, Ctrl-C), or its own verdict FAILED (the harness stalled, the
 * engine fell silent, its push failed: `promsoak run` exits 1 on it).
 */
export function unsoundWhy(s: Summary): string | null {
  if (s.run.stopReason !== 'completed') return `did not complete (${s.run.stopReason})`;
  const failed = s.verdict.find((l) => l.startsWith('FAILED'));
  return failed === undefined ? null : `its soak FAILED (${failed.slice('FAILED: '.length, 200)})`;
}

/** A run that measured its whole window and did not fail: the only kind a difference is computed from. */
export const completedRun = (s: Summary): boolean => unsoundWhy(s) === null;

/** A variant's completed summaries by round: index r is round r's run, undefined where it has none (an interrupted compare) or it did not complete. */
export function byRound(r: VariantResult): (Summary | undefined)[] {
  const out: (Summary | undefined)[] = [];
  for (const run of r.runs) if (completedRun(run.summary)) out[run.repeat] = run.summary;
  return Array.from({ length: out.length }, (_, i) => out[i]);
}

/** Every variant after the first against the first, paired by round. */
export function pairedComparisons(results: VariantResult[]): Comparison[] {
  const base = results[0];
  if (!base) return [];
  const a = byRound(base);
  return results.slice(1).map((r) => {
    const b = byRound(r);
    const rounds = Math.max(a.length, b.length);
    const pad = (x: (Summary | undefined)[]): (Summary | undefined)[] => Array.from({ length: rounds }, (_, i) => x[i]);
    return { label: r.variant.label, against: base.variant.label, design: 'paired' as const, control: r.variant.control === true, figures: figureDifferences(pad(a), pad(b), 'paired') };
  });
}

/** Every variant (but a control) against a stored baseline's repeats: unpaired, Welch; its completed runs only. */
export function storedComparisons(baseLabel: string, base: Summary[], results: VariantResult[]): Comparison[] {
  return results
    .filter((r) => r.variant.control !== true)
    .map((r) => ({ label: r.variant.label, against: baseLabel, design: 'unpaired' as const, control: false, figures: figureDifferences(base, r.runs.map((x) => x.summary).filter(completedRun), 'unpaired') }));
}
