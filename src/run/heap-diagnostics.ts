import type { HarnessPause } from '../analysis/summary.js';
import { positiveInt } from '../common/options.js';
import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { PromsoakError } from '../common/errors.js';
import type { FromAgent, ToAgent } from '../protocol/agent.js';
import type { AllocProfileEntry, HeapSnapshotEntry } from '../analysis/summary.js';
import { DEFAULT_SAMPLING_INTERVAL, heapProfileTotals } from '../heap/alloc-profile.js';
import type { HeapProfile } from '../protocol/heap-profile.js';
import { encodePprofGz, heapProfileTop, heapProfileToPprof } from '../heap/pprof.js';
import { diskFaultText, isDiskError } from './disk-fault.js';

/**
 * The coordinator's side of heap diagnostics during `promsoak run`: it decides when, names the
 * files, asks the engine's telemetry agent over IPC, and lists what was written.
 *
 * - `at`: snapshots at these seconds after the warm-up → heap-<t>s.heapsnapshot.
 * - `signal` (SIGUSR2): the coordinator, not the engine, listens — it is the process the user
 *   started (and knows the run directory and the clock); it forwards a request to the engine
 *   → heap-usr2-<t>s.heapsnapshot. A SIGUSR2 sent to the engine's own pid would kill it
 *   (Node's default action), so send it to promsoak's pid.
 * - near the heap limit: the engine runs with --heapsnapshot-near-heap-limit=1 and
 *   --diagnostic-dir=<run dir>; V8 writes Heap.<date>.<pid>…heapsnapshot when the heap nears
 *   its limit, renamed at the end to heap-near-limit-<t>s.heapsnapshot (t from its mtime).
 * - allocation profile: sampling starts when the warm-up ends and stops at the end of the
 *   window → alloc.heapprofile (Chrome DevTools) and alloc.pb.gz (pprof).
 *
 * Times are seconds after the warm-up (negative: during it, written "w<s>" in names).
 * A snapshot stops the engine's main thread while V8 writes it: those seconds ingest less.
 */
export interface HeapDiagnosticsOptions {
  at?: number[];
  signal?: NodeJS.Signals;
  nearHeapLimit?: boolean;
  allocProfile?: boolean;
  samplingInterval?: number;
}

export const SNAPSHOT_SIGNALS = ['SIGUSR2'] as const;

/** "20s,50s" or "20,50" → [20, 50]. */
export function parseTimes(spec: string): number[] {
  return spec
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
    .map((x) => {
      const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(x);
      if (!m) throw new PromsoakError('PROMSOAK_USAGE', `--heap-snapshot-at takes seconds after the warm-up like 20s,50s (got ${JSON.stringify(x)})`);
      const v = Number(m[1]);
      return m[2] === 'ms' ? v / 1000 : m[2] === 'm' ? v * 60 : v;
    });
}

export function validateHeapOptions(o: HeapDiagnosticsOptions, durationSeconds: number, telemetry: boolean): void {
  const wanted = (o.at?.length ?? 0) > 0 || o.signal !== undefined || o.allocProfile;
  if (wanted && !telemetry) throw new PromsoakError('PROMSOAK_USAGE', 'heap snapshots and --alloc-profile need the telemetry agent (drop --no-telemetry)');
  for (const t of o.at ?? []) {
    if (!(t >= 0) || t > durationSeconds) throw new PromsoakError('PROMSOAK_USAGE', `--heap-snapshot-at ${t}s is outside the measured window 0…${durationSeconds}s`);
  }
  if (o.signal !== undefined && !(SNAPSHOT_SIGNALS as readonly string[]).includes(o.signal)) {
    throw new PromsoakError('PROMSOAK_USAGE', `--heap-snapshot-on takes ${SNAPSHOT_SIGNALS.join(' or ')} (got ${o.signal}; SIGUSR1 is Node's inspector signal)`);
  }
  positiveInt('--alloc-sampling-interval', o.samplingInterval);
}

/** Node/V8 flags for the engine: a snapshot near the heap limit, into the run directory. */
export function heapExecArgv(o: HeapDiagnosticsOptions, dir: string): string[] {
  return o.nearHeapLimit === false ? [] : ['--heapsnapshot-near-heap-limit=1', `--diagnostic-dir=${dir}`];
}

const label = (t: number): string => {
  const r = Math.round(t * 10) / 10;
  return r < 0 ? `w${-r}s` : `${r}s`;
};

export class HeapDiagnostics {
  readonly snapshots: HeapSnapshotEntry[] = [];
  allocProfile: AllocProfileEntry | null = null;
  readonly problems: string[] = [];
  private nextId = 1;
  private waiting = new Map<number, (m: Extract<FromAgent, { type: 'telemetry-heap-snapshot-done' }>) => void>();
  private allocWaiter: ((m: FromAgent) => void) | undefined;
  private queue: Promise<void> = Promise.resolve();
  private timers: NodeJS.Timeout[] = [];
  private onSignal: (() => void) | undefined;
  private soakStart = 0;
  private allocStarted = false;
  private stopped = false;

  constructor(
    private readonly o: HeapDiagnosticsOptions,
    private readonly dir: string,
    private readonly warmup: number,
    private readonly send: (m: ToAgent) => void,
    private readonly engineGone: Promise<unknown>,
  ) {}

  onAgent(m: FromAgent): void {
    if (m.type === 'telemetry-heap-snapshot-done') {
      this.waiting.get(m.id)?.(m);
      this.waiting.delete(m.id);
    } else if (m.type === 'telemetry-alloc-started' || m.type === 'telemetry-alloc-done') this.allocWaiter?.(m);
  }

  /** The engine is scraping: arm the timers and the signal. */
  start(soakStart: number): void {
    this.soakStart = soakStart;
    for (const t of this.o.at ?? []) {
      this.timers.push(setTimeout(() => void this.snapshot('at', `heap-${label(t)}`), Math.max(0, soakStart + (this.warmup + t) * 1000 - Date.now())));
    }
    if (this.o.allocProfile) {
      this.timers.push(setTimeout(() => void this.startAlloc(), Math.max(0, soakStart + this.warmup * 1000 - Date.now())));
    }
    if (this.o.signal) {
      this.onSignal = () => void this.snapshot('signal', `heap-${this.o.signal!.slice(3).toLowerCase()}-${label(this.now())}`);
      process.on(this.o.signal, this.onSignal);
    }
  }

  private now(): number {
    return (Date.now() - this.soakStart) / 1000 - this.warmup;
  }

  /** Wall-clock spans in which the harness stopped the engine (snapshots): left out of the figures. */
  readonly pauses: HarnessPause[] = [];

  /** One snapshot, after the ones asked before it (V8 writes one at a time anyway). */
  snapshot(trigger: HeapSnapshotEntry['trigger'], base: string): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const t = this.now();
    let name = `${base}.heapsnapshot`;
    for (let i = 2; existsSync(join(this.dir, name)) || this.snapshots.some((s) => s.file === name); i++) name = `${base}-${i}.heapsnapshot`;
    const path = join(this.dir, name);
    this.queue = this.queue.then(async () => {
      const id = this.nextId++;
      const done = new Promise<Extract<FromAgent, { type: 'telemetry-heap-snapshot-done' }> | null>((r) => {
        this.waiting.set(id, r);
        void this.engineGone.then(() => r(null));
      });
      const fromMs = Date.now();
      this.send({ type: 'telemetry-heap-snapshot', id, path });
      const m = await done;
      // The engine was stopped writing it (and V8 collected first): not the engine's behaviour.
      this.pauses.push({ fromMs, toMs: Date.now(), why: `heap snapshot ${name}` });
      if (!m) return this.problems.push(`the heap snapshot ${name} was not written: the engine exited`), undefined;
      if (m.error) return this.problems.push(`the heap snapshot ${name} failed: ${m.error}`), undefined;
      for (const f of m.files) {
        const worker = /\.worker-(\d+)\.heapsnapshot$/.exec(f);
        this.snapshots.push({
          file: basename(f),
          trigger,
          t: Math.round(t * 10) / 10,
          writeMs: Math.round(m.ms),
          bytes: statSync(f).size,
          ...(worker ? { workerThreadId: Number(worker[1]) } : {}),
        });
      }
    });
    return this.queue;
  }

  private async startAlloc(): Promise<void> {
    const m = await this.request({ type: 'telemetry-alloc-start', samplingInterval: this.o.samplingInterval ?? DEFAULT_SAMPLING_INTERVAL });
    if (m && 'error' in m && m.error) this.problems.push(`the allocation profiler did not start: ${m.error}`);
    else if (m) this.allocStarted = true;
  }

  private request(msg: ToAgent): Promise<FromAgent | null> {
    const p = new Promise<FromAgent | null>((r) => {
      this.allocWaiter = r;
      void this.engineGone.then(() => r(null));
      setTimeout(() => r(null), 60_000).unref();
    });
    this.send(msg);
    return p;
  }

  /**
   * The window is over (the engine still runs): no more snapshots; pending ones finish; the
   * allocation profile is stopped and written (alloc.heapprofile, alloc.pb.gz).
   */
  async finishWindow(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    if (this.onSignal) process.off(this.o.signal!, this.onSignal);
    await Promise.race([this.queue, new Promise((r) => setTimeout(r, 120_000).unref())]);
    if (!this.allocStarted) {
      if (this.o.allocProfile && !this.problems.some((p) => p.includes('allocation'))) this.problems.push('the allocation profiler never started (the run ended during the warm-up)');
      return;
    }
    const path = join(this.dir, 'alloc.heapprofile');
    const m = await this.request({ type: 'telemetry-alloc-stop', path });
    if (!m || (m.type === 'telemetry-alloc-done' && m.error)) {
      this.problems.push(`the allocation profile was not written: ${m && 'error' in m ? m.error : 'no answer from the engine'}`);
      return;
    }
    const profile = JSON.parse(readFileSync(path, 'utf8')) as HeapProfile;
    const pprof = heapProfileToPprof(profile);
    try {
      writeFileSync(join(this.dir, 'alloc.pb.gz'), encodePprofGz(pprof));
    } catch (e) {
      // A full disk: said in the verdict; the summary still gets its chance to be written.
      if (!isDiskError(e)) throw e;
      this.problems.push(`the allocation profile's alloc.pb.gz was not written: ${diskFaultText({ file: 'alloc.pb.gz', code: e.code! })}`);
      return;
    }
    const totals = heapProfileTotals(profile);
    const top = heapProfileTop(profile, 'alloc_space');
    this.allocProfile = {
      heapprofile: 'alloc.heapprofile',
      pprof: 'alloc.pb.gz',
      samplingIntervalBytes: profile.samplingInterval ?? DEFAULT_SAMPLING_INTERVAL,
      seconds: Math.round((profile.durationMs ?? 0) / 100) / 10,
      allocatedBytes: totals.bytes,
      allocatedObjects: totals.objectsTotal,
      top: top.rows.slice(0, 10).map((r) => ({ function: r.name, file: r.file, line: r.line, selfBytes: r.flat, cumBytes: r.cum })),
    };
  }

  /** After the engine exited: V8's near-heap-limit snapshots, renamed by their time. */
  collectNearLimit(): void {
    if (this.o.nearHeapLimit === false) return;
    for (const f of readdirSync(this.dir)) {
      if (!/^Heap\..*\.heapsnapshot$/.test(f)) continue;
      const from = join(this.dir, f);
      const st = statSync(from);
      const t = this.soakStart > 0 ? (st.mtimeMs - this.soakStart) / 1000 - this.warmup : 0;
      let name = `heap-near-limit-${label(t)}.heapsnapshot`;
      for (let i = 2; existsSync(join(this.dir, name)); i++) name = `heap-near-limit-${label(t)}-${i}.heapsnapshot`;
      renameSync(from, join(this.dir, name));
      this.snapshots.push({ file: name, trigger: 'near-heap-limit', t: Math.round(t * 10) / 10, writeMs: null, bytes: st.size });
    }
    this.snapshots.sort((a, b) => a.t - b.t);
  }

  files(): string[] {
    return [...this.snapshots.map((s) => s.file), ...(this.allocProfile ? [this.allocProfile.heapprofile, this.allocProfile.pprof] : [])];
  }
}
