import { summarize, type RunMeta } from '../analysis/summarize.js';
import { evaluate } from '../analysis/thresholds.js';
import { harnessStallFailed, silenceFailed } from '../analysis/verdict.js';
import { pushSummary, pushVerdict } from '../push/push-verdict.js';
import type { PushStats } from '../protocol/push-stats.js';
import type { HarnessPause, Summary } from '../analysis/summary.js';
import type { Frame, TimedGcEvent } from '../protocol/frame.js';
import type { HeapDiagnostics } from './heap-diagnostics.js';
import type { SoakPlan } from './soak-plan.js';
import type { TargetStatus } from '../protocol/engine.js';
import type { Schedule } from '../analysis/schedule.js';
import { FaultPlan } from '../fleet/faults.js';
import { CONFIG_FILE } from './target-kinds.js';
import { shardTargetsVerdict } from './shard-targets.js';
import { diskFaultText, type DiskFault } from './disk-fault.js';

export interface SoakResult {
  dir: string;
  summary: Summary;
  /** 0 ok, 1 thresholds failed or the engine (target) died, 130 interrupted. */
  exitCode: number;
  /** The end of the engine's (the target's) stderr. */
  engineStderrTail: string;
}

/** What the end of a soak knows that its plan did not. */
export interface SoakEnd {
  stopReason: Summary['run']['stopReason'];
  /** V8: heap used after a full GC at the window's end; Go: gctrace's last live heap. */
  liveHeapBytes: number | null;
  /** V8: external memory after that GC (absent: not measured). */
  liveOffHeapBytes?: number | null;
  heap: HeapDiagnostics | undefined;
  /** Wall clock of the measured window: after the warm-up, and its end (planned, or when it was cut short). */
  windowStartMs: number | null;
  windowEndMs: number | null;
  /** The engine's scrape schedule of the fleet's targets (evenness is measured against it). */
  schedule?: Schedule;
  /** Every target's status when the engine stopped (absent: it died or was killed). */
  targets?: TargetStatus[];
  /** How the engine ended when it died before the end of the soak. */
  engineExit?: { code: number | null; signal: NodeJS.Signals | null };
  /** When the coordinator itself did not run (stall-watch.ts): the fleet served nothing then. */
  harnessStalls?: HarnessPause[];
  /** Wall clock of the soak's start (its t=0). */
  soakStartMs?: number;
  /** The write to the run directory the disk refused (stopReason disk-full). */
  diskFault?: DiskFault;
  /** A pushed soak (--push): the fleet's push figures after the drain, and what the receiver's counter says it stored. */
  push?: { stats: PushStats; stored: number | null; counter: string; unknown?: string };
}

/**
 * run.json: the run's settings, written when the engine starts scraping, so that a run whose
 * coordinator was killed (no summary.json) can still be analysed by `promsoak report`.
 */
export interface RunRecord {
  meta: SoakPlan['meta'] & { windowStartMs: number | null; schedule?: Schedule };
  analysis: SoakPlan['analysis'];
  thresholds: string[];
  files: string[];
}

export function runRecord(plan: SoakPlan, end: SoakEnd): RunRecord {
  return {
    meta: { ...plan.meta, windowStartMs: end.windowStartMs, schedule: end.schedule },
    analysis: plan.analysis,
    thresholds: plan.thresholds.map((t) => t.expression),
    files: soakFiles(plan, end.heap),
  };
}

function soakFiles(plan: SoakPlan, heap: HeapDiagnostics | undefined): string[] {
  const common = ['profile.json', 'file_sd.json', 'run.json', 'frames.ndjson', 'gc.ndjson', 'summary.json', 'report.html'];
  switch (plan.target.spec.kind) {
    case 'builtin':
      return [...common, 'engine.stderr.log', ...(heap?.files() ?? [])];
    case 'url':
      return common;
    default:
      return [...common, 'target.stdout.log', 'target.stderr.log', ...(plan.target.spec.kind === 'exec' ? [] : [CONFIG_FILE[plan.target.spec.kind]])];
  }
}


/**
 * summary.json of a soak: the analysis of its frames and GC events, the thresholds evaluated,
 * and what the soak itself did to the engine said in the verdict (heap snapshots that paused
 * it, an engine that exited early).
 */
export function soakSummary(plan: SoakPlan, end: SoakEnd, frames: Frame[], gcEvents: TimedGcEvent[]): Summary {
  const { heap } = end;
  const meta: RunMeta = {
    ...plan.meta,
    stopReason: end.stopReason,
    liveHeapBytes: end.liveHeapBytes,
    liveOffHeapBytes: end.liveOffHeapBytes ?? null,
    files: soakFiles(plan, heap),
    windowStartMs: end.windowStartMs,
    windowEndMs: end.windowEndMs,
    schedule: end.schedule,
    harnessPauses: heap?.pauses,
    harnessStalls: end.harnessStalls,
  };
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
  const faults = faultsSummary(plan, end);
  if (faults) {
    summary.faults = faults;
    summary.verdict.push(faultsVerdict(faults));
  }
  for (const p of heap?.problems ?? []) summary.verdict.push(p);
  summary.verdict.push(...shardTargetsVerdict(summary, end.targets));
  if (end.push) {
    summary.push = pushSummary(end.push.stats, end.push.stored, end.push.counter, end.push.unknown);
    const lines = pushVerdict(summary.push);
    const failed = lines.filter((l) => l.startsWith('FAILED'));
    summary.verdict.unshift(...failed);
    summary.verdict.push(...lines.filter((l) => !l.startsWith('FAILED')));
  }
  if (end.stopReason === 'engine-exited') {
    const how = end.engineExit?.signal ? `killed by ${end.engineExit.signal}` : end.engineExit?.code != null ? `exit code ${end.engineExit.code}` : 'exited';
    const who = plan.target.spec.kind === 'builtin' ? ['the engine', 'engine.stderr.log'] : [`the target (${plan.target.label})`, 'target.stderr.log'];
    summary.verdict.unshift(`${who[0]} exited before the end of the soak (${how}); the summary covers the ${summary.run.measuredSeconds} s measured (see ${who[1]}).`);
  }
  if (end.stopReason === 'disk-full' && end.diskFault) {
    summary.verdict.unshift(`FAILED: ${diskFaultText(end.diskFault)} at t=${faultSecond(end)} s: the soak stopped there; the summary covers the ${summary.run.measuredSeconds} s measured.`);
  }
  return summary;
}

/** The fault's time on the soak's clock (frames' t), to a tenth of a second. */
export function faultSecond(end: SoakEnd): number {
  const start = end.soakStartMs ?? end.diskFault!.atMs;
  return Math.max(0, Math.round((end.diskFault!.atMs - start) / 100) / 10);
}

/** 0 ok; 1 thresholds failed, the disk refused a write, the engine died, it went silent past the limit, or the harness stalled for a second or more; 130 interrupted (Ctrl-C). */
export function soakExitCode(summary: Summary): number {
  if (summary.run.stopReason === 'interrupted') return 130;
  return summary.run.stopReason === 'engine-exited' || summary.run.stopReason === 'disk-full' || silenceFailed(summary) || harnessStallFailed(summary) || summary.push?.failed === true || summary.thresholds.some((t) => !t.ok) ? 1 : 0;
}

/** What the fleet injected against what the engine reported, per target, from the engine's final target list. */
function faultsSummary(plan: SoakPlan, end: SoakEnd): NonNullable<Summary['faults']> | undefined {
  const faults = new FaultPlan(plan.profile);
  if (!faults.any) return undefined;
  const reportedByReason: NonNullable<Summary['faults']>['reportedByReason'] = {};
  let healthy = 0;
  for (const t of end.targets ?? []) {
    const id = Number(t.labels.exporter);
    if (faults.kind(id) === undefined) {
      healthy += t.scrapesFailed;
    } else if (t.scrapesFailed > 0 && t.lastErrorReason) {
      const r = t.lastErrorReason as keyof typeof reportedByReason;
      reportedByReason[r] = (reportedByReason[r] ?? 0) + t.scrapesFailed;
    }
  }
  const known = end.targets !== undefined;
  return {
    injected: faults.injected,
    reportedByReason,
    healthyScrapesFailed: known ? healthy : null,
    healthySamplesLost: known ? healthy * plan.meta.seriesPerExporter : null,
  };
}

function faultsVerdict(f: NonNullable<Summary['faults']>): string {
  const injected = Object.entries(f.injected).map(([k, n]) => `${n} ${k}`).join(', ');
  const reported = Object.entries(f.reportedByReason).map(([k, n]) => `${n} ${k}`).join(', ') || 'none';
  const healthy = f.healthyScrapesFailed === null ? 'unknown (the engine did not report its targets)' : f.healthyScrapesFailed === 0 ? 'none lost' : `${f.healthyScrapesFailed} failed scrapes, ${f.healthySamplesLost} samples lost`;
  return `faults injected into exporters: ${injected}; failed scrapes of those exporters by the engine's reason: ${reported}; healthy exporters: ${healthy}.`;
}
