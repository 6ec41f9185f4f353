import { spawnSync } from 'node:child_process';
import * as hdr from 'hdr-histogram-js';
import { createWriteStream, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { loadProfile, type ResolvedProfile } from '../profile/load.js';
import { startFleet, type Fleet } from '../fleet/fleet.js';
import { buildModel } from '../fleet/render/model.js';
import { startEngineChild, type EngineChild } from './engine-child.js';
import { GcTraceReader } from '../telemetry/gc-trace.js';
import type { AgentFrame, FromAgent } from '../protocol/agent.js';
import type { Frame, GcEvent, TimedGcEvent } from '../protocol/frame.js';
import { summarize, DEFAULT_ANALYSIS, type AnalysisOptions, type RunMeta } from '../analysis/summarize.js';
import { evaluate, parseThreshold, validateThresholdPath } from '../analysis/thresholds.js';
import type { Summary } from '../analysis/summary.js';
import { gcBySecond } from '../analysis/starvation.js';
import { renderHtml } from '../report/html.js';
import { PromsoakError } from '../common/errors.js';
import { planLaunch, pinSelf } from './engine-launch.js';
import { RunDir } from './run-dir.js';
import { version } from '../common/version.js';
import { HeapDiagnostics, heapExecArgv, validateHeapOptions, type HeapDiagnosticsOptions } from './heap-diagnostics.js';

export interface SoakOptions {
  profile: string | ResolvedProfile;
  durationSeconds?: number;
  warmupSeconds?: number;
  ingester?: string;
  /** Pin the engine to this many cores (taskset), the fleet to the rest. */
  cores?: number;
  v8Flags?: string[];
  out?: string;
  exporters?: number;
  /** Override the profile's scrape interval (seconds). */
  intervalSeconds?: number;
  thresholds?: string[];
  /** The telemetry agent (off only to measure its overhead). */
  telemetry?: boolean;
  analysis?: Partial<AnalysisOptions>;
  /** The Node binary the engine runs on (default: this one's). */
  nodePath?: string;
  /** Heap snapshots and the allocation profile (src/heap/run-diagnostics.ts). */
  heap?: HeapDiagnosticsOptions;
  /** Stop early: resolves → the soak ends as interrupted. */
  interrupt?: Promise<void>;
}

export interface SoakProgress {
  elapsedSeconds: number;
  totalSeconds: number;
  warmup: boolean;
  frame: Frame;
}

export interface SoakResult {
  dir: string;
  summary: Summary;
  /** 0 ok, 1 thresholds failed or the engine died, 130 interrupted. */
  exitCode: number;
  engineStderrTail: string;
}

/** `promsoak run`: fleet + engine child + telemetry → run directory with summary and report. */
export async function runSoak(o: SoakOptions, onProgress: (p: SoakProgress) => void = () => {}): Promise<SoakResult> {
  const profile = typeof o.profile === 'string' ? loadProfile(o.profile) : o.profile;
  if (o.exporters !== undefined) profile.exporters = positiveInt('--exporters', o.exporters);
  if (o.intervalSeconds !== undefined) {
    if (!(o.intervalSeconds > 0)) throw new PromsoakError('PROMSOAK_USAGE', `--interval must be > 0 (got ${o.intervalSeconds})`);
    profile.scrapeIntervalSeconds = o.intervalSeconds;
    profile.scrapeTimeoutSeconds = Math.min(profile.scrapeTimeoutSeconds, o.intervalSeconds);
  }
  const duration = o.durationSeconds ?? profile.durationSeconds;
  const warmup = o.warmupSeconds ?? profile.warmupSeconds;
  if (!(duration > 0)) throw new PromsoakError('PROMSOAK_USAGE', `--duration must be > 0 (got ${duration})`);
  if (!(warmup >= 0)) throw new PromsoakError('PROMSOAK_USAGE', `--warmup must be >= 0 (got ${warmup})`);
  const ingester = o.ingester ?? 'cached';
  const v8Flags = o.v8Flags ?? [];
  const analysis = { ...DEFAULT_ANALYSIS, ...o.analysis };
  const thresholds = (o.thresholds ?? []).map(parseThreshold);
  const seriesPerExporter = buildModel(profile).lines;
  const launch = planLaunch({ cores: o.cores, v8Flags, telemetry: o.telemetry ?? true });
  const startedAt = new Date();
  const metaBase = (): Omit<RunMeta, 'stopReason' | 'liveHeapBytes' | 'files'> => ({
    version,
    profile: profile.name,
    ingester,
    startedAt: startedAt.toISOString(),
    warmupSeconds: warmup,
    cores: launch.engineCpus,
    v8Flags,
    node: o.nodePath ? nodeVersion(o.nodePath) : process.version,
    machine: `${cpus()[0]?.model ?? 'unknown'} x${cpus().length}`,
    exporters: profile.exporters,
    seriesPerExporter,
    intervalSeconds: profile.scrapeIntervalSeconds,
    fleetCores: launch.fleetCores,
    fleetShared: launch.fleetCpus === null,
  });
  // A typo in a threshold fails now, not after the soak.
  const empty = summarize([], [], { ...metaBase(), stopReason: 'completed', liveHeapBytes: null, files: [] });
  for (const t of thresholds) validateThresholdPath(t, empty);
  const heapOptions = o.heap ?? {};
  validateHeapOptions(heapOptions, duration, o.telemetry ?? true);

  const dir = new RunDir(o.out ?? 'runs', profile.name, startedAt);
  dir.writeJson('profile.json', profile);
  const fleet = await startFleet({ profile, outDir: dir.path });
  let engine: EngineChild | undefined;
  const frames: Frame[] = [];
  const gcEvents: TimedGcEvent[] = [];
  const stderrLog = createWriteStream(dir.file('engine.stderr.log'));
  let stderrTail = '';
  let stopReason: Summary['run']['stopReason'] = 'completed';
  let liveHeap: number | null = null;
  let heap: HeapDiagnostics | undefined;
  try {
    // The fleet on the cores the engine does not have; all of them again when it has all
    // (a compare runs several soaks in one process).
    if (o.cores !== undefined) pinSelf(launch.fleetCpus ?? launch.allCpus);
    let timeOrigin = 0;
    let mainIsolate: string | undefined;
    let soakStart = 0;
    const trace = new GcTraceReader(
      (e: GcEvent, arrivedMs: number) => {
        mainIsolate ??= e.isolate;
        const main = e.isolate === mainIsolate;
        // The main isolate's clock starts with the process (performance.timeOrigin); worker
        // isolates have their own, so their events are placed by arrival.
        const wallMs = main && timeOrigin > 0 ? timeOrigin + e.isolateMs : arrivedMs;
        const { pid: _pid, isolateMs: _ms, mutatorMs: _mutator, reduceMemory: _reduce, ...kept } = e;
        const t: TimedGcEvent = { wallMs, t: soakStart > 0 ? (wallMs - soakStart) / 1000 : 0, main, ...kept };
        gcEvents.push(t);
        dir.appendJson('gc.ndjson', t);
      },
      (line) => stderrLog.write(`[stdout] ${line}\n`),
    );
    let lastCpu = process.cpuUsage();
    let lastServed = 0;
    let liveHeapWaiter: ((bytes: number) => void) | undefined;
    let firstFrame: (() => void) | undefined;
    const firstFramePromise = new Promise<void>((r) => (firstFrame = r));
    const onAgent = (m: FromAgent): void => {
      heap?.onAgent(m);
      if (m.type === 'telemetry-hello') timeOrigin = m.timeOriginMs;
      else if (m.type === 'telemetry-live-heap') liveHeapWaiter?.(m.heapUsedBytes + m.externalBytes);
      else if (m.type === 'telemetry' && soakStart > 0) {
        const cpu = process.cpuUsage();
        const seconds = Math.max(1e-3, (m.frame.endMs - m.frame.startMs) / 1000);
        const served = fleet.stats.scrapes;
        const f = toFrame(m.frame, soakStart, warmup, {
          cpuCores: (cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1e6 / seconds,
          queued: fleet.queued(),
          scrapesServed: served - lastServed,
        });
        lastCpu = cpu;
        lastServed = served;
        if (m.frame.startMs < soakStart) return; // began before the engine was scraping
        frames.push(f);
        dir.appendJson('frames.ndjson', f);
        firstFrame?.();
        onProgress({ elapsedSeconds: f.t, totalSeconds: warmup + duration, warmup: f.warmup, frame: f });
      }
    };
    engine = await startEngineChild({
      options: { targetsFile: fleet.fileSd!, intervalSeconds: profile.scrapeIntervalSeconds, timeoutSeconds: profile.scrapeTimeoutSeconds, ingester },
      execArgv: [...launch.execArgv, ...heapExecArgv(heapOptions, dir.path)],
      prefix: launch.prefix,
      nodePath: o.nodePath,
      stdout: 'pipe',
      stderr: 'pipe',
      onSpawn: (child) => {
        child.on('message', (m) => onAgent(m as FromAgent));
        child.stdout!.on('data', (d: Buffer) => trace.push(d));
        child.stderr!.on('data', (d: Buffer) => {
          stderrLog.write(d);
          stderrTail = (stderrTail + d.toString()).slice(-4000);
        });
      },
    }).catch((e: Error) => {
      // Say why the engine did not start (a bad V8 flag, a missing module): its own last line.
      const why = stderrTail.trim().split('\n').filter(Boolean).at(-1);
      throw new PromsoakError('PROMSOAK_USAGE', `${e.message}${why ? `: ${why}` : ''} (engine log: ${dir.file('engine.stderr.log')})`, 1);
    });
    soakStart = Date.now();
    const child = engine.process;
    heap = new HeapDiagnostics(heapOptions, dir.path, warmup, (m) => void (child.connected && child.send(m)), engine.exited);
    heap.start(soakStart);
    const end = new Promise<'completed'>((r) => setTimeout(() => r('completed'), (warmup + duration) * 1000 + 500).unref());
    const interrupted = (o.interrupt ?? new Promise<never>(() => {})).then(() => 'interrupted' as const);
    const died = engine.exited.then(() => 'engine-exited' as const);
    void firstFramePromise;
    stopReason = await Promise.race([end, interrupted, died]);
    // Snapshots asked before the end are finished, the allocation profile stopped and written.
    await heap.finishWindow();
    if (stopReason !== 'engine-exited') {
      // The live heap after a full GC, for "what GC adds onto RAM": asked after the last
      // measured frame, so its own GC falls outside the window.
      liveHeap = await Promise.race([
        new Promise<number>((r) => {
          liveHeapWaiter = r;
          engine!.process.send({ type: 'telemetry-gc' });
        }),
        new Promise<null>((r) => setTimeout(() => r(null), 5000).unref()),
      ]);
      await engine.stop();
    }
    trace.end();
  } finally {
    if (engine && engine.process.exitCode === null && engine.process.signalCode === null) engine.process.kill('SIGKILL');
    await fleet.close();
    await new Promise<void>((r) => stderrLog.end(() => r()));
    heap?.collectNearLimit();
  }

  const files = ['profile.json', 'file_sd.json', 'frames.ndjson', 'gc.ndjson', 'summary.json', 'report.html', 'engine.stderr.log', ...(heap?.files() ?? [])];
  const summary = summarize(frames, gcEvents, { ...metaBase(), stopReason, liveHeapBytes: liveHeap, files }, analysis);
  summary.thresholds = thresholds.map((t) => evaluate(t, summary));
  if (heap && (heap.snapshots.length > 0 || heapOptions.at?.length || heapOptions.signal)) {
    summary.heapSnapshots = heap.snapshots;
    const paused = heap.snapshots.filter((x) => x.writeMs !== null && x.workerThreadId === undefined && x.t >= 0);
    if (paused.length) {
      summary.verdict.push(`${paused.length} heap snapshot(s) stopped the engine for ${paused.map((x) => `${(x.writeMs! / 1000).toFixed(1)} s at t=${x.t} s`).join(', ')} after the warm-up: ingestion dips there are the snapshots'.`);
    }
  }
  if (heapOptions.allocProfile) summary.allocProfile = heap?.allocProfile ?? null;
  for (const p of heap?.problems ?? []) summary.verdict.push(p);
  if (stopReason === 'engine-exited') {
    summary.verdict.unshift(`the engine exited before the end of the soak; the summary covers the ${summary.run.measuredSeconds} s measured (see engine.stderr.log).`);
  }
  dir.writeJson('summary.json', summary);
  writeReport(dir, summary, frames, gcEvents);
  const failed = summary.thresholds.some((t) => !t.ok);
  const exitCode = stopReason === 'interrupted' ? 130 : stopReason === 'engine-exited' || failed ? 1 : 0;
  return { dir: dir.path, summary, exitCode, engineStderrTail: stderrTail || safeRead(dir.file('engine.stderr.log')).slice(-4000) };
}

export function writeReport(dir: RunDir, summary: Summary, frames: Frame[], gcEvents: TimedGcEvent[]): void {
  const html = renderHtml(summary, frames, gcEvents, gcBySecond(frames, gcEvents));
  dir.writeText('report.html', html);
}

function toFrame(a: AgentFrame, soakStart: number, warmup: number, fleet: Frame['fleet']): Frame {
  const t = Math.round(((a.endMs - soakStart) / 1000) * 1000) / 1000;
  // A second belongs to the warm-up when most of it lies there.
  const mid = t - (a.endMs - a.startMs) / 2000;
  const { scrapeDurationsUs, ...rest } = a;
  return { t, warmup: mid < warmup, ...rest, ...scrapeHistogram(scrapeDurationsUs), fleet };
}

/** The second's scrape durations as percentiles and an encoded hdr histogram (for exact merging). */
function scrapeHistogram(us: number[]): Pick<Frame, 'scrapeMs' | 'scrapeHistogram'> {
  if (us.length === 0) return { scrapeMs: { count: 0, p50: 0, p99: 0, max: 0 }, scrapeHistogram: '' };
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
  for (const v of us) h.recordValue(v);
  const r = {
    scrapeMs: { count: h.totalCount, p50: h.getValueAtPercentile(50) / 1000, p99: h.getValueAtPercentile(99) / 1000, max: h.maxValue / 1000 },
    scrapeHistogram: hdr.encodeIntoCompressedBase64(h),
  };
  h.destroy();
  return r;
}

function nodeVersion(path: string): string {
  const r = spawnSync(path, ['--version'], { encoding: 'utf8' });
  if (r.status !== 0) throw new PromsoakError('PROMSOAK_USAGE', `--node ${path} does not run (${(r.error?.message ?? r.stderr).trim()})`);
  return r.stdout.trim();
}

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new PromsoakError('PROMSOAK_USAGE', `${name} must be a positive integer (got ${v})`);
  return v;
}

function safeRead(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

export type { Fleet };
