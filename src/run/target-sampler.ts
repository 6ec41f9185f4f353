import { PromsoakError } from '../common/errors.js';
import type { Frame, TargetFrame } from '../protocol/frame.js';
import { classifyThread, cpuBetween, readProc, type ProcSample } from '../telemetry/proc.js';
import { influxExpvarLines } from '../telemetry/influx-expvar.js';
import { fetchMetrics, MetricsSnapshot, parseSelector, type Selector } from '../telemetry/target-metrics.js';
import type { TargetMetricNames } from './target-kinds.js';
import { vmDurationsBetween } from './vm-histogram.js';

/**
 * Telemetry of a process promsoak did not write, once a second: its CPU (total and by thread
 * class) and RSS from /proc/<pid> when it is local, and its own /metrics, parsed with
 * promsoak's parser, for what only it knows: samples ingested, series, scrapes, and for a Go
 * program allocation (exact: go_memstats_alloc_bytes_total), heap in use and its goal, GC
 * cycles. What it does not expose is null, never 0.
 */
const GO = {
  allocated: 'go_memstats_alloc_bytes_total',
  heapUsed: 'go_memstats_heap_alloc_bytes',
  heapTotal: 'go_memstats_heap_sys_bytes',
  /** All the runtime got from the OS: less heap_sys, its memory outside the heap (stacks, GC metadata). */
  sys: 'go_memstats_sys_bytes',
  heapGoal: 'go_memstats_next_gc_bytes',
  gcCycles: 'go_gc_duration_seconds_count',
};
/** The client libraries' process collector: CPU and RSS when there is no local pid. */
const PROCESS = { cpu: 'process_cpu_seconds_total', rss: 'process_resident_memory_bytes' };

type Key = Exclude<keyof TargetMetricNames, 'scrapeDurationHistogram'> | keyof typeof GO | keyof typeof PROCESS;

interface Reading {
  atMs: number;
  proc: ProcSample | null;
  values: Partial<Record<Key, number | null>>;
  pauseQuantilesMs: Record<string, number> | null;
  metaScrapeMs: number;
  /** The scrape-duration histogram's bucket counters (vmrange → count), when the target has one. */
  scrapeBuckets: Map<string, number> | null;
}

/** What one second of a target gives a frame (the soak adds time, warm-up and the fleet). */
export type TargetSecond = Omit<Frame, 't' | 'warmup' | 'fleet'>;

export interface SamplerOptions {
  pid: number | null;
  metricsUrl: string;
  names: TargetMetricNames;
  /** The meta-scrape's deadline, ms. */
  timeoutMs?: number;
  /**
   * A receiver that has not been pushed to yet has no samples series at all (Prometheus creates
   * its `type` children on the first append): read that as 0, not as a wrong selector.
   */
  absentSamplesAreZero?: boolean;
  /** InfluxDB 1.x's expvar JSON (/debug/vars): its write counters, read beside /metrics as influxdb_* series. */
  expvarUrl?: string;
}

export class TargetSampler {
  private readonly selectors: [Key, Selector][];
  private last: Reading | undefined;
  /** The process has gone (its /proc entry vanished). */
  gone = false;
  /** Why the last meta-scrape failed. */
  lastError = '';
  /** The metrics answered at least once. */
  answered = false;
  /** The samples counter at the baseline (what a pushed soak's "stored" is counted from). */
  baselineSamples: number | null = null;
  /** The samples counter read lower than the reading before (the target restarted, or reset it): the first time. */
  samplesWentBack: { from: number; to: number } | null = null;
  private lastSamples: number | null = null;

  constructor(private readonly o: SamplerOptions) {
    const { scrapeDurationHistogram: _histogram, ...names } = o.names;
    const all: Partial<Record<Key, string>> = { ...GO, ...PROCESS, ...names };
    this.selectors = Object.entries(all)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k as Key, parseSelector(v!)]);
  }

  /**
   * The first reading, before the soak: the metrics answer and carry the samples counter, and
   * the CPU is known (a local pid, or process_cpu_seconds_total). One line and exit 2 otherwise.
   */
  async baseline(): Promise<void> {
    const r = await this.read();
    if (r === null) throw new PromsoakError('PROMSOAK_TARGET_METRICS', `the target's metrics at ${this.o.metricsUrl} do not answer: ${this.lastError}`);
    if (r.values.samples === null || r.values.samples === undefined) {
      throw new PromsoakError('PROMSOAK_TARGET_METRICS', `the target's metrics at ${this.o.metricsUrl} have no series matching the samples counter ${this.o.names.samples}`);
    }
    if (r.proc === null && (r.values.cpu ?? null) === null) {
      throw new PromsoakError('PROMSOAK_TARGET_METRICS', `no CPU for the target: give --pid of a local process, or a target that exposes ${PROCESS.cpu}`);
    }
    this.last = r;
    this.baselineSamples = r.values.samples;
  }

  /** The samples counter now: a reading of its own, not a frame (after a push's drain). */
  async samplesNow(): Promise<number | null> {
    const r = await this.read();
    return r?.values.samples ?? null;
  }

  /**
   * The second since the last good reading. null when the meta-scrape failed: no frame then;
   * the next good one covers both seconds (a frame's rate is over its own length), and a
   * target that stops answering leaves seconds without a frame, which the analysis counts.
   */
  async next(): Promise<TargetSecond | null> {
    const prev = this.last!;
    const cur = await this.read();
    if (cur === null) return null;
    this.last = cur;
    return second(prev, cur, this.o.pid ?? 0);
  }

  private async read(): Promise<Reading | null> {
    const t0 = performance.now();
    let snapshot: MetricsSnapshot;
    const timing: { headersAtMs?: number } = {};
    try {
      let body = await fetchMetrics(this.o.metricsUrl, this.o.timeoutMs ?? 2000, timing);
      if (this.o.expvarUrl) body = Buffer.concat([body, Buffer.from(influxExpvarLines(await fetchMetrics(this.o.expvarUrl, this.o.timeoutMs ?? 2000)))]);
      this.answered = true;
      // A malformed body names its line and column, and costs this reading only.
      snapshot = MetricsSnapshot.parse(body);
    } catch (e) {
      this.lastError = (e as Error).message;
      if (this.o.pid !== null && readProc(this.o.pid) === null) this.gone = true;
      return null;
    }
    const metaScrapeMs = performance.now() - t0;
    // /proc read with the figures (a target slow to answer is slow before its response's head).
    const proc = this.o.pid === null ? null : readProc(this.o.pid);
    if (this.o.pid !== null && proc === null) this.gone = true;
    const values: Reading['values'] = {};
    for (const [k, sel] of this.selectors) values[k] = snapshot.select(sel);
    if (this.o.absentSamplesAreZero && (values.samples ?? null) === null) values.samples = 0;
    const samples = values.samples ?? null;
    if (samples !== null) {
      if (this.lastSamples !== null && samples < this.lastSamples) this.samplesWentBack ??= { from: this.lastSamples, to: samples };
      this.lastSamples = samples;
    }
    const pauses = pauseQuantiles(snapshot);
    const histogram = this.o.names.scrapeDurationHistogram;
    const scrapeBuckets = histogram ? snapshot.byLabel(`${histogram}_bucket`, 'vmrange') : null;
    // The second ends when the target read its figures (its response's head), not when a slow body finished.
    return { atMs: timing.headersAtMs ?? Date.now(), proc, values, metaScrapeMs, pauseQuantilesMs: pauses, scrapeBuckets };
  }
}

/** go_gc_duration_seconds' quantiles in ms, or null when the target has none (or several). */
function pauseQuantiles(m: MetricsSnapshot): Record<string, number> | null {
  let s: ReturnType<MetricsSnapshot['summary']>;
  try {
    s = m.summary('go_gc_duration_seconds');
  } catch {
    return null;
  }
  if (!s || Object.keys(s.quantiles).length === 0) return null;
  return Object.fromEntries(Object.entries(s.quantiles).map(([q, v]) => [q, Math.round(v * 1e6) / 1e3]));
}

function second(a: Reading, b: Reading, pid: number): TargetSecond {
  const seconds = Math.max(1e-3, (b.atMs - a.atMs) / 1000);
  const delta = (k: Key): number | null => {
    const x = a.values[k] ?? null;
    const y = b.values[k] ?? null;
    return x === null || y === null || y < x ? null : y - x;
  };
  const gauge = (k: Key): number | null => b.values[k] ?? null;
  const byProc = a.proc && b.proc ? cpuBetween(a.proc, b.proc) : null;
  const cpuSeconds = delta('cpu');
  const cpu: Frame['cpu'] = byProc
    ? { total: byProc.total, user: byProc.user, system: byProc.system, ...namedClasses(byProc, b.proc!, pid) }
    : { total: (cpuSeconds ?? 0) / seconds, user: null, system: null, main: null, v8Platform: null, worker: null, other: null };
  const target: TargetFrame = {
    threads: byProc?.threads ?? 0,
    heapGoalBytes: gauge('heapGoal'),
    gcCycles: delta('gcCycles'),
    gcCount: gauge('gcCycles'),
    gcPauseQuantilesMs: b.pauseQuantilesMs,
    scrapesFailed: delta('scrapesFailed'),
    metaScrapeMs: Math.round(b.metaScrapeMs * 1000) / 1000,
  };
  return {
    startMs: a.atMs,
    endMs: b.atMs,
    samples: delta('samples') ?? 0,
    scrapesOk: delta('scrapesOk'),
    scrapesFailed: delta('scrapesFailed'),
    seriesAdded: delta('seriesAdded'),
    series: gauge('series'),
    headBytes: null,
    ...scrapeDurations(a, b),
    cpu,
    gcObserved: null,
    heap: { usedBytes: gauge('heapUsed'), totalBytes: gauge('heapTotal'), externalBytes: goOffHeap(gauge('sys'), gauge('heapTotal')), arrayBuffersBytes: null, rssBytes: b.proc?.rssBytes ?? gauge('rss') ?? 0 },
    eventLoop: null,
    agentMs: null,
    allocatedBytes: delta('allocated'),
    target,
  };
}

/** The scrapes' durations between two readings, where the target keeps a histogram of them (VictoriaMetrics); else none measured. */
function scrapeDurations(a: Reading, b: Reading): Pick<Frame, 'scrapeMs' | 'scrapeHistogram'> {
  const d = a.scrapeBuckets && b.scrapeBuckets ? vmDurationsBetween(a.scrapeBuckets, b.scrapeBuckets) : null;
  return d ?? { scrapeMs: null, scrapeHistogram: '' };
}

/**
 * Thread classes only where the runtime names its threads (Node: main, V8 platform, workers);
 * a Go program's threads all carry the program's name, so its CPU is only a total.
 */
function namedClasses(c: ReturnType<typeof cpuBetween>, p: ProcSample, pid: number): Pick<Frame['cpu'], 'main' | 'v8Platform' | 'worker' | 'other'> {
  const named = p.threads.some((t) => classifyThread(t.name, t.tid, pid) === 'v8Platform');
  return named ? { main: c.byClass.main, v8Platform: c.byClass.v8Platform, worker: c.byClass.worker, other: c.byClass.other } : { main: null, v8Platform: null, worker: null, other: null };
}

/** A Go program's memory outside its heap (go_memstats_sys_bytes − heap_sys_bytes); null where it does not say. */
function goOffHeap(sys: number | null, heapSys: number | null): number | null {
  return sys !== null && heapSys !== null && sys >= heapSys ? sys - heapSys : null;
}
