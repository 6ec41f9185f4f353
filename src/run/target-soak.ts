import { PromsoakError } from '../common/errors.js';
import { openFleetSource } from './fleet-source.js';
import { pinSelf } from './engine-launch.js';
import type { SoakProgress } from './recorder.js';
import { RunDir } from './run-dir.js';
import type { SoakOptions, SoakPlan } from './soak-plan.js';
import { runRecord, soakSummary, type SoakEnd, type SoakResult } from './soak-summary.js';
import { writeSoakResult } from './soak-result.js';
import { StallWatch } from './stall-watch.js';
import { planTargetLaunch } from './target-kinds.js';
import { launchProcess, type LaunchedProcess } from './target-process.js';
import { TargetRecorder } from './target-recorder.js';
import { TargetSampler } from './target-sampler.js';
import { gcBeyondCpu, traceLinesLeftOutLine } from '../analysis/believable.js';
import { soakLiveMetrics, type LiveMetrics } from './live-metrics.js';
import type { Fleet } from '../fleet/fleet.js';

/** How long a launched target has to answer its metrics at all, and then to show the samples counter. */
const READY_TIMEOUT_MS = 30_000;
const COUNTER_TIMEOUT_MS = 10_000;

/**
 * `promsoak run --target prometheus|victoria-metrics|exec:…|url:…`: the same soak as the
 * engine's, with a system promsoak did not write under test. The fleet starts; the target is
 * launched with a config that scrapes it (or is already running); once a second its CPU and
 * memory come from /proc and its own figures from its /metrics; its Go GC cycles from gctrace
 * on its stderr. The same analysis, summary.json and report.html follow. On every exit path,
 * Ctrl-C included, the target is stopped (SIGTERM, then SIGKILL) and the run directory is
 * complete.
 */
export async function runTargetSoak(plan: SoakPlan, o: SoakOptions, onProgress: (p: SoakProgress) => void): Promise<SoakResult> {
  const spec = plan.target.spec;
  if (spec.kind === 'builtin') throw new Error('runTargetSoak: the built-in engine runs in runSoak');
  const dir = new RunDir(o.out ?? 'runs', plan.profile.name, plan.startedAt, spec.kind === 'url' ? [] : ['target.stdout.log', 'target.stderr.log']);
  dir.writeJson('profile.json', plan.profile);
  const fleet = await openFleetSource(plan, dir, o.onFleetEvent);
  let live: LiveMetrics | undefined;
  const ramp = o.ramp;
  const rec = new TargetRecorder(dir, fleet.meter, plan.warmupSeconds, plan.warmupSeconds + plan.durationSeconds, (p) => (live?.onFrame(p.frame), ramp?.onFrame(p.frame), onProgress(p)));
  // Aborted when the window ends: a ramp still moving the load stops.
  const windowOver = new AbortController();
  const end: SoakEnd = { stopReason: 'completed', liveHeapBytes: null, heap: undefined, windowStartMs: null, windowEndMs: null };
  let proc: LaunchedProcess | undefined;
  const info = plan.meta.target!;
  try {
    live = await soakLiveMetrics(o, plan.meta);
    rec.onGc = ramp ? (e) => (live?.onGc(e), ramp.onGc(e)) : live?.onGc;
    if (o.cores !== undefined) pinSelf(plan.launch.fleetCpus ?? plan.launch.allCpus);
    const launch = await planTargetLaunch(spec, {
      dir: dir.path,
      fileSd: fleet.fileSd,
      httpSd: fleet.httpSd,
      intervalSeconds: plan.profile.scrapeIntervalSeconds,
      timeoutSeconds: plan.profile.scrapeTimeoutSeconds,
      metricsTemplate: plan.target.targetMetrics,
      // A ramp moves the targets while the scraper runs: VictoriaMetrics re-reads file_sd each second.
      ...(ramp ? { sdCheckSeconds: 1 } : {}),
      samples: plan.target.targetSamples,
      ...(plan.push ? { push: { url: plan.push.url } } : {}),
    });
    info.metricsUrl = launch.metricsUrl;
    info.samples = launch.names.samples;
    // A ramp offers its first step's load from the target's start.
    await ramp?.prepare({ fileSd: fleet.fileSd, httpSd: fleet.httpSd, groups: fleet.groups, serveTargets: fleet.serveTargets, fleet: fleet.own, dir: dir.path });
    let pid = plan.target.pid;
    if (launch.argv) {
      // Go's runtime: one GC line per cycle on stderr unless the user chose GODEBUG; its
      // scheduler on the cores it is pinned to.
      const env: Record<string, string> = { ...(plan.target.env.GODEBUG === undefined ? { GODEBUG: 'gctrace=1' } : {}), ...(o.cores !== undefined ? { GOMAXPROCS: String(o.cores) } : {}), ...plan.target.env };
      // The arguments as run (an exec: command's placeholders filled, one element each).
      info.flags = launch.argv.slice(1);
      info.env = env;
      proc = launchProcess({
        argv: launch.argv,
        env,
        cpus: plan.launch.engineCpus,
        stdoutFile: dir.file('target.stdout.log'),
        stderrFile: dir.file('target.stderr.log'),
        logLimitBytes: plan.target.logLimitBytes,
        onStderr: (d) => rec.stderr(d),
        onLogError: (file, e) => void dir.writeFailed(file, e),
      });
      pid = proc.pid;
      info.pid = pid;
    }
    const sampler = new TargetSampler({ pid, metricsUrl: launch.metricsUrl, names: launch.names, absentSamplesAreZero: plan.push !== undefined && proc !== undefined, expvarUrl: launch.expvarUrl });
    await (proc ? untilReady(sampler, proc, spec.kind) : sampler.baseline());
    // Pushed: the receiver answers, so the fleet starts sending to it (with the warm-up, as a scrape job would start).
    if (plan.push) {
      await launch.prepare?.();
      fleet.own!.startPush({ ...plan.push.settings, url: launch.writeUrl! });
    }
    rec.start(Date.now());
    const stalls = new StallWatch();
    stalls.start();
    end.harnessStalls = stalls.stalls;
    end.windowStartMs = rec.soakStart + plan.warmupSeconds * 1000;
    dir.writeJson('run.json', runRecord(plan, end));
    end.soakStartMs = rec.soakStart;
    const ramped = ramp?.run({ fileSd: fleet.fileSd, httpSd: fleet.httpSd, groups: fleet.groups, serveTargets: fleet.serveTargets, fleet: fleet.own, dir: dir.path, soakStartMs: rec.soakStart, stalls: stalls.stalls, signal: windowOver.signal });
    end.stopReason = await sampleUntilEnd(plan, sampler, rec, proc, o.interrupt, dir, ramped).finally(() => windowOver.abort());
    // A ramp's window ends when the ramp does.
    const rampEndMs = ramped ? Date.now() : undefined;
    if (plan.push) end.push = await drainPush(fleet.own!, sampler, launch.names.samples);
    end.diskFault = dir.fault;
    stalls.stop();
    if (end.stopReason === 'engine-exited' && proc) end.engineExit = await proc.exited;
    end.windowEndMs = end.stopReason === 'completed' && rampEndMs === undefined ? rec.soakStart + (plan.warmupSeconds + plan.durationSeconds) * 1000 : (rampEndMs ?? Date.now());
    end.liveHeapBytes = rec.liveHeap(end.windowEndMs);
    // Traced: gctrace asked for, and the target printed it (an exec: program may not be Go at all).
    info.gcTraced = /(^|,)gctrace=1(,|$)/.test(info.env.GODEBUG ?? '') && (spec.kind === 'prometheus' || spec.kind === 'victoria-metrics' || spec.kind === 'influxdb' || rec.goCycles > 0);
  } catch (e) {
    // A target that did not start: one line with why, and the end of what it said.
    if (proc && e instanceof PromsoakError && e.code === 'PROMSOAK_TARGET_START') {
      const tail = proc.stderrTail().trim().split('\n').slice(-5).join('\n  ');
      throw new PromsoakError(e.code, `${e.message}${tail ? `; the end of its stderr:\n  ${tail}` : ''} (log: ${dir.file('target.stderr.log')})`);
    }
    throw e;
  } finally {
    await proc?.stop();
    if (proc) info.logs = proc.logs();
    await live?.close();
    await fleet.close();
    rec.close();
  }
  let summary = soakSummary(plan, end, rec.frames, rec.gcEvents);
  if (gcBeyondCpu(summary)) {
    // GC cannot take more CPU than the process it runs in: the lines are not a real trace, so
    // the target's GC reads as untraced (n/a), and the verdict says why.
    const times = summary.gc.cpuShare!;
    info.gcTraced = false;
    summary = soakSummary(plan, end, rec.frames, rec.gcEvents);
    summary.verdict.push(`WARNING: the target's gctrace adds up to ${times.toFixed(2)} × the CPU the target used; GC runs inside that CPU, so it is not a real trace: its GC figures are left out.`);
  }
  const g = rec.gcGuard;
  if (g.rejected > 0) {
    summary.gc.traceLinesLeftOut = { repeated: g.repeated, impossible: g.impossible };
    summary.verdict.push(traceLinesLeftOutLine(summary.gc.traceLinesLeftOut));
  }
  return writeSoakResult(dir, end, summary, rec.frames, rec.gcEvents, proc?.stderrTail() ?? '');
}

/**
 * A pushing soak's end: the fleet stops generating and sends what is batched, waits for the
 * answers (its drain), then the receiver's own counter is read once more, so "acknowledged but
 * not stored" is a number.
 */
async function drainPush(fleet: Fleet, sampler: TargetSampler, counter: string): Promise<NonNullable<SoakEnd['push']>> {
  await fleet.stopPush();
  // A receiver counts what it acknowledged within a moment (VictoriaMetrics buffers rows for up to a second).
  await new Promise((r) => setTimeout(r, 1500));
  const now = await sampler.samplesNow();
  const back = sampler.samplesWentBack;
  // A counter that went backwards (a restarted receiver) says nothing of what it stored over the soak.
  if (back) return { stats: fleet.push!.stats(), stored: null, counter, unknown: `its counter ${counter} went backwards during the soak (from ${back.from} to ${back.to}): the receiver restarted or reset it` };
  const stored = now === null || sampler.baselineSamples === null ? null : now - sampler.baselineSamples;
  return { stats: fleet.push!.stats(), stored, counter };
}

/** Until the launched target answers its metrics with the samples counter; its exit or a timeout is one line. */
async function untilReady(sampler: TargetSampler, proc: LaunchedProcess, kind: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let answeredAt: number | undefined;
  let exited = false;
  void proc.exited.then(() => (exited = true));
  for (;;) {
    if (exited) {
      const x = await proc.exited;
      throw new PromsoakError('PROMSOAK_TARGET_START', `--target ${kind} exited at start (${x.signal ? `killed by ${x.signal}` : `exit code ${x.code}`})`);
    }
    try {
      await sampler.baseline();
      return;
    } catch (e) {
      // It answers, but without the counter asked for: a wrong --target-samples (exit 2), once
      // it has had time to scrape and count something.
      if (sampler.answered) answeredAt ??= Date.now();
      if (answeredAt !== undefined && Date.now() - answeredAt > COUNTER_TIMEOUT_MS) throw e;
      if (Date.now() > deadline) {
        throw new PromsoakError('PROMSOAK_TARGET_START', `--target ${kind} did not answer its metrics within ${READY_TIMEOUT_MS / 1000} s: ${(e as Error).message}`);
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * One reading a second, on whole seconds from the soak's start, until the window's end (or a
 * ramp's, which that time bounds), Ctrl-C, the target's exit, or a write the disk refused.
 */
async function sampleUntilEnd(plan: SoakPlan, sampler: TargetSampler, rec: TargetRecorder, proc: LaunchedProcess | undefined, interrupt: Promise<void> | undefined, dir: RunDir, ramped?: Promise<void>): Promise<SoakEnd['stopReason']> {
  const endMs = rec.soakStart + (plan.warmupSeconds + plan.durationSeconds) * 1000 + 500;
  let stop: SoakEnd['stopReason'] | undefined = dir.fault ? 'disk-full' : undefined;
  void interrupt?.then(() => (stop ??= 'interrupted'));
  void dir.faulted.then(() => (stop ??= 'disk-full'));
  void proc?.exited.then(() => (stop ??= 'engine-exited'));
  // A ramp's error ends the soak with it (after everything is stopped); its end is a completed window.
  let rampError: { e: unknown } | undefined;
  ramped?.then(
    () => void (stop ??= 'completed'),
    (e: unknown) => void ((rampError = { e }), (stop ??= 'completed')),
  );
  for (let k = 1; ; k++) {
    const due = rec.soakStart + k * 1000;
    const wait = Math.min(due, endMs) - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (rampError) throw rampError.e;
    if (stop) return stop;
    if (Date.now() >= endMs) return 'completed';
    if (sampler.gone) return 'engine-exited';
    const s = await sampler.next();
    if (s) rec.record(s);
  }
}
