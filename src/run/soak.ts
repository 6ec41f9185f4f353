import { engineSchedule } from './engine-schedule.js';
import { scheduledRate } from '../analysis/schedule.js';
import type { EngineChild } from './engine-child.js';
import { startSoakEngine } from './scrape-engine.js';
import { pinSelf } from './engine-launch.js';
import { HeapDiagnostics } from './heap-diagnostics.js';
import { soakLiveMetrics, type LiveMetrics } from './live-metrics.js';
import { SoakRecorder, type SoakProgress } from './recorder.js';
import { RunDir } from './run-dir.js';
import type { SoakOptions, SoakPlan } from './soak-plan.js';
import { openFleetSource, planFleetSoak } from './fleet-source.js';
import { runRecord, soakSummary, type SoakEnd, type SoakResult } from './soak-summary.js';
import { writeSoakResult } from './soak-result.js';
import { runTargetSoak } from './target-soak.js';
import { StallWatch } from './stall-watch.js';


/**
 * `promsoak run`: plan (every option checked) → run directory → fleet → engine child with the
 * telemetry agent → the soak's window → live heap → stop → summary.json and report.html.
 * Every exit path, an engine that dies and Ctrl-C included, leaves a complete run directory.
 */
export async function runSoak(o: SoakOptions, onProgress: (p: SoakProgress) => void = () => {}): Promise<SoakResult> {
  const plan = await planFleetSoak(o);
  if (plan.target.spec.kind !== 'builtin') return runTargetSoak(plan, o, onProgress);
  const dir = new RunDir(o.out ?? 'runs', plan.profile.name, plan.startedAt);
  dir.writeJson('profile.json', plan.profile);
  const fleet = await openFleetSource(plan, dir, o.onFleetEvent);
  let live: LiveMetrics | undefined;
  const end: SoakEnd = { stopReason: 'completed', liveHeapBytes: null, heap: undefined, windowStartMs: null, windowEndMs: null };
  // The live line reads each second against the schedule, as the summary will.
  const progress = (p: SoakProgress): void => onProgress(end.schedule ? { ...p, scheduledRate: scheduledRate(p.frame, end.schedule, p.frame.scrapeMs?.p50 ?? 0) } : p);
  const ramp = o.ramp;
  const rec = new SoakRecorder(dir, fleet.meter, plan.warmupSeconds, plan.warmupSeconds + plan.durationSeconds, (p) => (live?.onFrame(p.frame), ramp?.onFrame(p.frame), progress(p)));
  // Aborted when the window ends: a ramp still moving the load stops.
  const windowOver = new AbortController();
  let engine: EngineChild | undefined;
  try {
    live = await soakLiveMetrics(o, plan.meta);
    rec.onGc = ramp ? (e) => (live?.onGc(e), ramp.onGc(e)) : live?.onGc;
    // The fleet on the cores the engine does not have; all of them again when it has all
    // (a compare runs several soaks in one process).
    if (o.cores !== undefined) pinSelf(plan.launch.fleetCpus ?? plan.launch.allCpus);
    // A ramp offers its first step's load from the engine's start.
    await ramp?.prepare({ fileSd: fleet.fileSd, httpSd: fleet.httpSd, groups: fleet.groups, serveTargets: fleet.serveTargets, fleet: fleet.own, dir: dir.path });
    // Pushed, nothing is scraped: there is no scrape schedule to measure evenness against; ramped,
    // the schedule moves with each step.
    if (!plan.push && !ramp) end.schedule = engineSchedule(fleet.fileSd, plan.profile.scrapeIntervalSeconds * 1000, plan.meta.seriesPerExporter);
    engine = await startSoakEngine(plan, dir, fleet.fileSd, rec, o);
    // Pushed: the engine's receiver is up (its URL came with 'ready'), so the fleet starts sending.
    if (plan.push) fleet.own!.startPush({ ...plan.push.settings, url: engine.ready.writeUrl! });
    rec.start(Date.now());
    const stalls = new StallWatch();
    stalls.start();
    end.harnessStalls = stalls.stalls;
    end.windowStartMs = rec.soakStart + plan.warmupSeconds * 1000;
    // Until the soak's end is known, a killed coordinator leaves this for `promsoak report`.
    dir.writeJson('run.json', runRecord(plan, end));
    const child = engine.process;
    end.heap = rec.heap = new HeapDiagnostics(plan.heap, dir.path, plan.warmupSeconds, (m) => void (child.connected && child.send(m)), engine.exited);
    end.heap.start(rec.soakStart);
    end.soakStartMs = rec.soakStart;
    const ramped = ramp?.run({ fileSd: fleet.fileSd, httpSd: fleet.httpSd, groups: fleet.groups, serveTargets: fleet.serveTargets, fleet: fleet.own, dir: dir.path, engine, soakStartMs: rec.soakStart, stalls: stalls.stalls, signal: windowOver.signal });
    void ramped?.catch(() => {}); // its error ends the race below; none is left unhandled after it
    end.stopReason = await soakWindow(plan, engine, o.interrupt, dir, ramped).finally(() => windowOver.abort());
    // A ramp's window ends when the ramp does.
    const rampEndMs = ramped ? Date.now() : undefined;
    // Pushed: what is batched is sent and answered before the engine is asked what it stored.
    if (plan.push && end.stopReason !== 'engine-exited') await fleet.own!.stopPush();
    end.diskFault = dir.fault;
    stalls.stop();
    if (end.stopReason === 'engine-exited') end.engineExit = await engine.exited;
    end.windowEndMs = end.stopReason === 'completed' && rampEndMs === undefined ? rec.soakStart + (plan.warmupSeconds + plan.durationSeconds) * 1000 : (rampEndMs ?? Date.now());
    // Snapshots asked before the end are finished, the allocation profile stopped and written.
    await end.heap.finishWindow();
    // An engine that has gone silent (frozen, blocked) is not asked anything: it is killed below.
    if (end.stopReason !== 'engine-exited' && !rec.silentFor(3000)) {
      // The live heap after a full GC, for "what GC adds onto RAM": asked after the last
      // measured frame, so its own GC falls outside the window.
      const live = await rec.liveHeap(child);
      end.liveHeapBytes = live?.heapBytes ?? null;
      end.liveOffHeapBytes = live?.offHeapBytes ?? null;
      const stopped = await engine.stop();
      end.targets = stopped?.targets;
      // Everything the engine ingested is what it received: it scraped nothing.
      if (plan.push) end.push = { stats: fleet.own!.push!.stats(), stored: stopped?.stats.samples ?? null, counter: 'promsoak_engine_samples_ingested_total' };
    }
  } finally {
    if (engine && engine.process.exitCode === null && engine.process.signalCode === null) engine.process.kill('SIGKILL');
    await live?.close();
    await fleet.close();
    await rec.close();
    end.heap?.collectNearLimit();
  }
  // An engine that died or went silent was not asked what it stored: the push's own figures still go in.
  const pm = fleet.own?.push;
  if (plan.push && !end.push && pm) end.push = { stats: pm.stats(), stored: null, counter: 'promsoak_engine_samples_ingested_total' };
  const summary = soakSummary(plan, end, rec.frames, rec.gcEvents);
  return writeSoakResult(dir, end, summary, rec.frames, rec.gcEvents, rec.stderrTailText());
}

/**
 * Waits for the end of the warm-up and the measured window (or of a ramp, which that time bounds),
 * Ctrl-C, the engine's exit, or a write the disk refused.
 */
function soakWindow(plan: SoakPlan, engine: EngineChild, interrupt: Promise<void> | undefined, dir: RunDir, ramped?: Promise<void>): Promise<SoakEnd['stopReason']> {
  const end = new Promise<'completed'>((r) => setTimeout(() => r('completed'), (plan.warmupSeconds + plan.durationSeconds) * 1000 + 500).unref());
  const interrupted = (interrupt ?? new Promise<never>(() => {})).then(() => 'interrupted' as const);
  const died = engine.exited.then(() => 'engine-exited' as const);
  const full = dir.faulted.then(() => 'disk-full' as const);
  const rampDone = ramped?.then(() => 'completed' as const) ?? new Promise<never>(() => {});
  return Promise.race([end, interrupted, died, full, rampDone]);
}

