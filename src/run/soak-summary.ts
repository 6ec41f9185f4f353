import { summarize, type RunMeta } from '../analysis/summarize.js';
import { evaluate } from '../analysis/thresholds.js';
import type { Summary } from '../analysis/summary.js';
import type { Frame, TimedGcEvent } from '../protocol/frame.js';
import type { HeapDiagnostics } from './heap-diagnostics.js';
import type { SoakPlan } from './soak-plan.js';

/** What the end of a soak knows that its plan did not. */
export interface SoakEnd {
  stopReason: Summary['run']['stopReason'];
  liveHeapBytes: number | null;
  heap: HeapDiagnostics | undefined;
}

/**
 * summary.json of a soak: the analysis of its frames and GC events, the thresholds evaluated,
 * and what the soak itself did to the engine said in the verdict (heap snapshots that paused
 * it, an engine that exited early).
 */
export function soakSummary(plan: SoakPlan, end: SoakEnd, frames: Frame[], gcEvents: TimedGcEvent[]): Summary {
  const { heap } = end;
  const files = ['profile.json', 'file_sd.json', 'frames.ndjson', 'gc.ndjson', 'summary.json', 'report.html', 'engine.stderr.log', ...(heap?.files() ?? [])];
  const meta: RunMeta = { ...plan.meta, stopReason: end.stopReason, liveHeapBytes: end.liveHeapBytes, files };
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
    summary.verdict.unshift(`the engine exited before the end of the soak; the summary covers the ${summary.run.measuredSeconds} s measured (see engine.stderr.log).`);
  }
  return summary;
}

/** 0 ok, 1 thresholds failed or the engine died, 130 interrupted (Ctrl-C). */
export function soakExitCode(summary: Summary): number {
  if (summary.run.stopReason === 'interrupted') return 130;
  return summary.run.stopReason === 'engine-exited' || summary.thresholds.some((t) => !t.ok) ? 1 : 0;
}
