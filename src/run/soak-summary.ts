import { summarize, type RunMeta } from '../analysis/summarize.js';
import { evaluate } from '../analysis/thresholds.js';
import { silenceFailed } from '../analysis/verdict.js';
import type { Summary } from '../analysis/summary.js';
import type { Frame, TimedGcEvent } from '../protocol/frame.js';
import type { HeapDiagnostics } from './heap-diagnostics.js';
import type { SoakPlan } from './soak-plan.js';

/** What the end of a soak knows that its plan did not. */
export interface SoakEnd {
  stopReason: Summary['run']['stopReason'];
  liveHeapBytes: number | null;
  heap: HeapDiagnostics | undefined;
  /** Wall clock of the measured window: after the warm-up, and its end (planned, or when it was cut short). */
  windowStartMs: number | null;
  windowEndMs: number | null;
  /** How the engine ended when it died before the end of the soak. */
  engineExit?: { code: number | null; signal: NodeJS.Signals | null };
}

/**
 * run.json: the run's settings, written when the engine starts scraping, so that a run whose
 * coordinator was killed (no summary.json) can still be analysed by `promsoak report`.
 */
export interface RunRecord {
  meta: SoakPlan['meta'] & { windowStartMs: number | null };
  analysis: SoakPlan['analysis'];
  thresholds: string[];
  files: string[];
}

export function runRecord(plan: SoakPlan, end: SoakEnd): RunRecord {
  return {
    meta: { ...plan.meta, windowStartMs: end.windowStartMs },
    analysis: plan.analysis,
    thresholds: plan.thresholds.map((t) => t.expression),
    files: soakFiles(end.heap),
  };
}

function soakFiles(heap: HeapDiagnostics | undefined): string[] {
  return ['profile.json', 'file_sd.json', 'run.json', 'frames.ndjson', 'gc.ndjson', 'summary.json', 'report.html', 'engine.stderr.log', ...(heap?.files() ?? [])];
}

/**
 * summary.json of a soak: the analysis of its frames and GC events, the thresholds evaluated,
 * and what the soak itself did to the engine said in the verdict (heap snapshots that paused
 * it, an engine that exited early).
 */
export function soakSummary(plan: SoakPlan, end: SoakEnd, frames: Frame[], gcEvents: TimedGcEvent[]): Summary {
  const { heap } = end;
  const meta: RunMeta = { ...plan.meta, stopReason: end.stopReason, liveHeapBytes: end.liveHeapBytes, files: soakFiles(heap), windowStartMs: end.windowStartMs, windowEndMs: end.windowEndMs };
  const summary = summarize(frames, gcEvents, meta, plan.analysis);
  summary.thresholds = plan.thresholds.map((t) => evaluate(t, summary));
  if (heap && (heap.snapshots.length > 0 || plan.heap.at?.length || plan.heap.signal)) {
    summary.heapSnapshots = heap.snapshots;
    const paused = heap.snapshots.filter((x) => x.writeMs !== null && x.workerThreadId === undefined && x.t >= 0);
    if (paused.length) {
      summary.verdict.push(`${paused.length} heap snapshot(s) stopped the engine for ${paused.map((x) => `${(x.writeMs! / 1000).toFixed(1)} s at t=${x.t} s`).join(', ')} after the warm-up: ingestion dips there are the snapshots'.`);
    }
  }
  if (plan.heap.allocProfile) summary.allocProfile = heap?.allocProfile ?? null;
  for (const p of heap?.problems ?? []) summary.verdict.push(p);
  if (end.stopReason === 'engine-exited') {
    const how = end.engineExit?.signal ? `killed by ${end.engineExit.signal}` : end.engineExit?.code != null ? `exit code ${end.engineExit.code}` : 'exited';
    summary.verdict.unshift(`the engine exited before the end of the soak (${how}); the summary covers the ${summary.run.measuredSeconds} s measured (see engine.stderr.log).`);
  }
  return summary;
}

/** 0 ok; 1 thresholds failed, the engine died, or it went silent past the limit; 130 interrupted (Ctrl-C). */
export function soakExitCode(summary: Summary): number {
  if (summary.run.stopReason === 'interrupted') return 130;
  return summary.run.stopReason === 'engine-exited' || silenceFailed(summary) || summary.thresholds.some((t) => !t.ok) ? 1 : 0;
}
