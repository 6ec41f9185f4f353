import { copyFileSync } from 'node:fs';
import { sidePhaseOffsetMs } from '../common/schedule.js';
import type { ResolvedProfile } from '../profile/load.js';
import type { Summary } from '../analysis/summary.js';
import type { EngineChild } from '../run/engine-child.js';
import { MACHINE_CORES, pinSelf } from '../run/engine-launch.js';
import { engineSchedule } from '../run/engine-schedule.js';
import { FleetMeter } from '../run/fleet-meter.js';
import { HeapDiagnostics } from '../run/heap-diagnostics.js';
import { openFleetSource, type FleetSource } from '../run/fleet-source.js';
import { SoakRecorder, type SoakProgress } from '../run/recorder.js';
import { RunDir } from '../run/run-dir.js';
import { startSoakEngine } from '../run/scrape-engine.js';
import { sideLaunches } from '../run/side-launch.js';
import { planSoak } from '../run/soak-plan.js';
import { writeSoakResult } from '../run/soak-result.js';
import { runRecord, soakSummary, type SoakEnd, type SoakResult } from '../run/soak-summary.js';
import { StallWatch } from '../run/stall-watch.js';
import { togetherNote } from './together.js';
import type { Variant } from './plan.js';

/** What a round of `compare --together` takes of the compare's options (the built-in engine, its own fleet). */
export interface TogetherOptions {
  profile: ResolvedProfile;
  durationSeconds?: number;
  warmupSeconds?: number;
  exporters?: number;
  intervalSeconds?: number;
  out: string;
  interrupt?: Promise<void>;
}

type Stop = SoakEnd['stopReason'];

/**
 * One round of `compare --together`: every variant's engine at the same time against one fleet
 * (started here, in this process), engine k scraping every target at its own phase
 * (k·interval/n, common/schedule.ts), on core k+1 alone where the machine has n+1 cores (the
 * fleet on the rest), on shared cores otherwise. Each variant gets its own run directory, as a
 * soak's: frames, GC trace, run.json, summary.json and report.html. A variant whose engine dies or
 * whose disk fills ends there; the others go on to the end. Ctrl-C ends all of them, each
 * directory completed; anything that throws kills every engine before it goes on.
 */
export async function runTogetherRound(
  o: TogetherOptions,
  variants: readonly Variant[],
  onProgress: (p: SoakProgress) => void = () => {},
  machineCores = MACHINE_CORES,
): Promise<{ results: SoakResult[]; note: string }> {
  const plans = variants.map((v) =>
    planSoak({ profile: { ...o.profile, families: structuredClone(o.profile.families) }, durationSeconds: o.durationSeconds, warmupSeconds: o.warmupSeconds, exporters: o.exporters, intervalSeconds: o.intervalSeconds, ingester: v.ingester, v8Flags: v.v8Flags, out: o.out }),
  );
  const side = sideLaunches(plans.map((p) => p.launch), machineCores);
  plans.forEach((p, k) => {
    p.launch = side.launches[k]!;
    Object.assign(p.meta, { cores: p.launch.engineCpus, fleetCores: p.launch.fleetCores, fleetShared: side.fleetCpus === null });
  });
  const note = togetherNote(variants.length, side.fleetCpus, machineCores);
  const first = plans[0]!;
  const windowMs = (first.warmupSeconds + first.durationSeconds) * 1000;
  const intervalMs = first.profile.scrapeIntervalSeconds * 1000;
  const dirs = plans.map((p) => new RunDir(o.out, p.profile.name, p.startedAt));
  dirs.forEach((d, k) => d.writeJson('profile.json', plans[k]!.profile));
  const ends: SoakEnd[] = plans.map(() => ({ stopReason: 'completed', liveHeapBytes: null, heap: undefined, windowStartMs: null, windowEndMs: null }));
  const recs: SoakRecorder[] = [];
  const engines: (EngineChild | undefined)[] = [];
  let fleet: FleetSource | undefined;
  try {
    // The fleet on the cores no engine has (the coordinator with it); all of them again after.
    if (side.fleetCpus !== null) pinSelf(side.fleetCpus);
    fleet = await openFleetSource(first, dirs[0]!);
    const own = fleet.own!;
    // The same targets in every run directory: each engine reads its own copy.
    const fileSds = dirs.map((d, k) => (k === 0 ? fleet!.fileSd : (copyFileSync(fleet!.fileSd, d.file('file_sd.json')), d.file('file_sd.json'))));
    // One meter each: each recorder takes its own deltas of the one fleet's CPU and scrapes.
    plans.forEach((p, k) => recs.push(new SoakRecorder(dirs[k]!, k === 0 ? fleet!.meter : new FleetMeter(own), p.warmupSeconds, p.warmupSeconds + p.durationSeconds, k === 0 ? onProgress : () => {})));
    const phases = plans.map((_, k) => sidePhaseOffsetMs(k, plans.length, intervalMs));
    plans.forEach((p, k) => (ends[k]!.schedule = engineSchedule(fileSds[k]!, intervalMs, p.meta.seriesPerExporter, phases[k])));
    const started = await Promise.allSettled(plans.map(async (p, k) => (engines[k] = await startSoakEngine(p, dirs[k]!, fileSds[k]!, recs[k]!, { phaseOffsetMs: phases[k] }))));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    // One clock for all: second s of every variant is the same second.
    const t0 = Date.now();
    const stalls = new StallWatch();
    stalls.start();
    recs.forEach((r, k) => {
      r.start(t0);
      Object.assign(ends[k]!, { harnessStalls: stalls.stalls, soakStartMs: t0, windowStartMs: t0 + first.warmupSeconds * 1000 });
      const child = engines[k]!.process;
      // What a soak's engine has: the near-heap-limit snapshot collected into its directory (compare asks no other).
      ends[k]!.heap = r.heap = new HeapDiagnostics(plans[k]!.heap, dirs[k]!.path, plans[k]!.warmupSeconds, (m) => void (child.connected && child.send(m)), engines[k]!.exited);
      ends[k]!.heap!.start(t0);
      dirs[k]!.writeJson('run.json', runRecord(plans[k]!, ends[k]!));
    });
    const timer = new Promise<Stop>((r) => setTimeout(() => r('completed'), windowMs + 500).unref());
    const interrupted = (o.interrupt ?? new Promise<never>(() => {})).then((): Stop => 'interrupted');
    await Promise.all(
      engines.map(async (e, k) => {
        const end = ends[k]!;
        end.stopReason = await Promise.race([timer, interrupted, e!.exited.then((): Stop => 'engine-exited'), dirs[k]!.faulted.then((): Stop => 'disk-full')]);
        end.diskFault = dirs[k]!.fault;
        if (end.stopReason === 'engine-exited') end.engineExit = await e!.exited;
        end.windowEndMs = end.stopReason === 'completed' ? t0 + windowMs : Date.now();
        await end.heap!.finishWindow();
      }),
    );
    stalls.stop();
    // After every window: the live heap after a full GC, then stop (a silent engine is killed below).
    await Promise.all(
      engines.map(async (e, k) => {
        const end = ends[k]!;
        if (end.stopReason === 'engine-exited' || recs[k]!.silentFor(3000)) return;
        const live = await recs[k]!.liveHeap(e!.process);
        end.liveHeapBytes = live?.heapBytes ?? null;
        end.liveOffHeapBytes = live?.offHeapBytes ?? null;
        end.targets = (await e!.stop())?.targets;
      }),
    );
  } finally {
    for (const e of engines) if (e && e.process.exitCode === null && e.process.signalCode === null) e.process.kill('SIGKILL');
    await fleet?.close();
    for (const r of recs) await r.close();
    if (side.fleetCpus !== null) pinSelf(first.launch.allCpus);
    for (const end of ends) end.heap?.collectNearLimit();
  }
  const results = plans.map((p, k) => {
    const summary: Summary = soakSummary(p, ends[k]!, recs[k]!.frames, recs[k]!.gcEvents);
    summary.verdict.push(`${note} This run is variant ${k + 1} of ${plans.length}, scraping at phase offset ${Math.round((k * intervalMs) / plans.length)} ms.`);
    return writeSoakResult(dirs[k]!, ends[k]!, summary, recs[k]!.frames, recs[k]!.gcEvents, recs[k]!.stderrTailText());
  });
  return { results, note };
}

/** Every round of `compare --together` (--repeat), until one is interrupted; each run in compare's order (round, then variant). */
export async function runTogetherRounds(
  o: TogetherOptions & { repeat: number },
  variants: readonly Variant[],
  stopped: () => boolean,
  onRun: (info: { index: number; total: number; variant: Variant; repeat: number }) => void,
  onProgress: (p: SoakProgress) => void,
): Promise<{ runs: { variant: number; repeat: number; dir: string; summary: Summary }[]; interrupted: boolean; note: string }> {
  const runs: { variant: number; repeat: number; dir: string; summary: Summary }[] = [];
  let interrupted = false;
  let note = '';
  for (let r = 0; r < o.repeat && !stopped(); r++) {
    onRun({ index: r, total: o.repeat, variant: { ...variants[0]!, label: `together: ${variants.map((v) => v.label).join(' + ')}` }, repeat: r });
    const round = await runTogetherRound(o, variants, onProgress);
    note = round.note;
    round.results.forEach((x, k) => {
      if (x.summary.run.stopReason === 'interrupted') interrupted = true;
      runs.push({ variant: k, repeat: r, dir: x.dir, summary: x.summary });
    });
  }
  return { runs, interrupted, note };
}
