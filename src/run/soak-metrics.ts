import { Counter, Gauge, Registry } from 'prom-client';
import { DEFAULT_CRITERIA } from '../analysis/starvation.js';
import { num, type LiveFrame, type LiveGcEvent } from './live-frame.js';
import { RunningStarvation } from './live-starvation.js';

const THREAD_CLASSES = [
  ['main', 'main'],
  ['v8Platform', 'v8-platform'],
  ['worker', 'worker'],
  ['other', 'other'],
] as const;
const CPU_MODES = ['user', 'system'] as const;

/**
 * The soak's frames and GC events as Prometheus metrics, `promsoak_soak_*`, in a Registry of
 * its own (no default process metrics: this is the coordinator, not the engine). Counters add
 * up what was measured; gauges hold the last second's value. A value a frame does not carry
 * (null, absent) is never read as 0: a counter is not incremented for it, a gauge is removed
 * for that second (Prometheus then sees the series absent, not a false 0). Every metric starts
 * absent, so a metric the target never exposes never shows up.
 */
export class SoakMetrics {
  readonly registry = new Registry();
  private readonly starvation = new RunningStarvation();
  private readonly c: Metrics['c'];
  private readonly g: Metrics['g'];

  constructor(info: Record<string, string> = {}) {
    ({ c: this.c, g: this.g } = defineMetrics(this.registry, info));
  }

  onFrame(f: LiveFrame): void {
    const { c, g } = this;
    c.frames.inc();
    const startMs = num(f.startMs);
    const endMs = num(f.endMs);
    const seconds = startMs !== null && endMs !== null && endMs > startMs ? (endMs - startMs) / 1000 : null;
    if (typeof f.warmup === 'boolean') g.warmup.set(f.warmup ? 1 : 0);
    else g.warmup.remove();
    show(g.elapsed, num(f.t));
    const samples = count(c.samples, num(f.samples));
    show(g.rate, samples !== null && seconds !== null ? samples / seconds : null);
    count(c.scrapes.labels('ok'), num(f.scrapesOk));
    count(c.scrapes.labels('failed'), num(f.scrapesFailed));
    for (const [reason, n] of Object.entries(f.scrapesFailedByReason ?? {})) count(c.failedBy.labels(reason), num(n));
    count(c.seriesAdded, num(f.seriesAdded));
    const cpu = f.cpu;
    for (const mode of CPU_MODES) showAndCount(g.cpu, c.cpu, mode, num(cpu?.[mode]), seconds);
    for (const [key, thread] of THREAD_CLASSES) showAndCount(g.threadCpu, c.threadCpu, thread, num(cpu?.[key]), seconds);
    const heap = f.heap;
    show(g.heapUsed, num(heap?.usedBytes));
    show(g.heapTotal, num(heap?.totalBytes));
    show(g.external, num(heap?.externalBytes));
    show(g.rss, num(heap?.rssBytes));
    const loop = f.eventLoop;
    show(g.delayP50, ms(loop?.delayP50Ms));
    show(g.delayP99, ms(loop?.delayP99Ms));
    show(g.delayMax, ms(loop?.delayMaxMs));
    show(g.elu, num(loop?.utilization));
    show(g.scrapeP99, ms(f.scrapeMs?.p99));
    show(g.series, num(f.series));
    show(g.headBytes, num(f.headBytes));
    const fleetCores = num(f.fleet?.cpuCores);
    show(g.fleetCpu, fleetCores);
    count(c.fleetCpu, fleetCores !== null && seconds !== null ? fleetCores * seconds : null);
    show(g.fleetQueue, num(f.fleet?.queued));
    count(c.fleetServed, num(f.fleet?.scrapesServed));
    const push = f.fleet?.push;
    if (push) {
      for (const state of ['generated', 'acknowledged', 'rejected', 'retried', 'dropped'] as const) count(c.push.labels(state), num(push[state]));
      show(g.pushBacklog, num(push.backlog));
      show(g.pushLatencyP99, ms(push.latencyP99Ms));
    }
    count(c.agent, ms(f.agentMs));
    const s = this.starvation.observe(f);
    show(g.ratio, s.ratioToMedian);
    show(g.starved, s.starved === null ? null : s.starved ? 1 : 0);
    // Present at 0 once a second has been judged: "none starved" is then a measurement.
    if (s.starved !== null) c.starved.inc(s.starved ? 1 : 0);
  }

  onGc(e: LiveGcEvent): void {
    const kind = e.kind ?? 'other';
    this.c.gcs.labels(kind).inc();
    count(this.c.gcPause.labels(kind), ms(e.pauseMs));
    count(this.c.gcBackground.labels(kind), ms(e.backgroundMs));
    count(this.c.gcAllocated, num(e.allocatedBytes));
  }
}

type Metrics = ReturnType<typeof defineMetrics>;

/** Every metric, named and explained here. */
function defineMetrics(registry: Registry, info: Record<string, string>) {
  const registers = [registry];
  // prom-client starts an unlabelled metric at 0: removed, it is absent until first measured.
  const absent = <M extends { remove(): void }>(m: M, labelNames: readonly string[]): M => (labelNames.length === 0 && m.remove(), m);
  const counter = <L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> => absent(new Counter<L>({ name, help, labelNames, registers }), labelNames);
  const gauge = <L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> => absent(new Gauge<L>({ name, help, labelNames, registers }), labelNames);
  const c = {
    frames: counter('promsoak_soak_frames_total', 'Frames (seconds) the soak recorded, warm-up included: frames.ndjson lines.'),
    samples: counter('promsoak_soak_samples_total', 'Samples the system under test ingested.'),
    scrapes: counter('promsoak_soak_scrapes_total', 'Scrapes finished, by result (ok, failed).', ['result']),
    failedBy: counter('promsoak_soak_scrapes_failed_total', 'Failed scrapes by reason (timeout, http_status, connection, bad_response, body_limit, parse, sample_limit, ingester, other).', ['reason']),
    seriesAdded: counter('promsoak_soak_series_added_total', 'Series seen for the first time.'),
    cpu: counter('promsoak_soak_cpu_seconds_total', "CPU of the system under test's process, by mode (user, system).", ['mode']),
    threadCpu: counter('promsoak_soak_thread_cpu_seconds_total', 'CPU of the system under test by thread class (main, v8-platform: GC helpers and compilers, worker, other).', ['thread']),
    gcs: counter('promsoak_soak_gc_total', "Garbage collections in V8's trace, every isolate, by kind.", ['kind']),
    gcPause: counter('promsoak_soak_gc_pause_seconds_total', 'Stop-the-world GC pause, by kind.', ['kind']),
    gcBackground: counter('promsoak_soak_gc_background_seconds_total', "GC work on V8's helper threads (job durations), by kind.", ['kind']),
    gcAllocated: counter('promsoak_soak_gc_allocated_bytes_total', "Bytes allocated between GCs (V8's allocated=), every isolate: its rate() over promsoak_soak_samples_total's is bytes per sample."),
    starved: counter('promsoak_soak_starved_seconds_total', `Measured seconds starved, judged live: more than ${DEFAULT_CRITERIA.belowMedianPct} % below the running median samples/s, or event-loop delay p99 over ${DEFAULT_CRITERIA.eventLoopDelayMs} ms (analysis/starvation.ts; summary.json judges against the whole window's median).`),
    fleetCpu: counter('promsoak_soak_fleet_cpu_seconds_total', "CPU of the soak's own fleet (this process)."),
    fleetServed: counter('promsoak_soak_fleet_scrapes_served_total', "Scrapes the soak's own fleet served."),
    push: counter('promsoak_soak_push_samples_total', 'A pushing soak (--push): samples by where they went: generated, acknowledged (2xx), rejected (4xx), retried (sent again), dropped (backlog full or at stop).', ['state']),
    agent: counter('promsoak_soak_agent_seconds_total', "Main-thread time the telemetry agent took in the system under test (its cost)."),
  };
  const g = {
    info: new Gauge({ name: 'promsoak_soak_info', help: 'The soak: its profile, ingester, target and settings (always 1).', labelNames: Object.keys(info), registers }),
    warmup: gauge('promsoak_soak_warmup', '1 while the last frame was in the warm-up, 0 once measured.'),
    elapsed: gauge('promsoak_soak_elapsed_seconds', "The last frame's end, seconds since the soak started (warm-up included)."),
    rate: gauge('promsoak_soak_samples_per_second', 'Samples ingested per second in the last frame.'),
    ratio: gauge('promsoak_soak_samples_to_median_ratio', "The last measured second's samples/s over the running median of the measured seconds."),
    starved: gauge('promsoak_soak_starved', '1 when the last measured second was starved (see promsoak_soak_starved_seconds_total), else 0.'),
    cpu: gauge('promsoak_soak_cpu_cores', "CPU of the system under test's process in the last second, cores, by mode.", ['mode']),
    threadCpu: gauge('promsoak_soak_thread_cpu_cores', 'CPU by thread class in the last second, cores.', ['thread']),
    heapUsed: gauge('promsoak_soak_heap_used_bytes', 'V8 heap used at the last frame.'),
    heapTotal: gauge('promsoak_soak_heap_total_bytes', 'V8 heap reserved at the last frame.'),
    external: gauge('promsoak_soak_external_bytes', 'Memory outside the V8 heap (external, array buffers included).'),
    rss: gauge('promsoak_soak_rss_bytes', 'Resident set size at the last frame.'),
    delayP50: gauge('promsoak_soak_event_loop_delay_p50_seconds', "Event-loop delay's median in the last second."),
    delayP99: gauge('promsoak_soak_event_loop_delay_p99_seconds', "Event-loop delay's p99 in the last second."),
    delayMax: gauge('promsoak_soak_event_loop_delay_max_seconds', "Event-loop delay's maximum in the last second."),
    elu: gauge('promsoak_soak_event_loop_utilization', 'Event-loop utilisation in the last second (0..1).'),
    scrapeP99: gauge('promsoak_soak_scrape_duration_p99_seconds', "Scrape duration's p99 in the last second."),
    series: gauge('promsoak_soak_series', 'Active series at the last frame.'),
    headBytes: gauge('promsoak_soak_head_bytes', 'Bytes the ingester estimates it holds.'),
    fleetCpu: gauge('promsoak_soak_fleet_cpu_cores', "CPU of the soak's own fleet in the last second, cores."),
    pushBacklog: gauge('promsoak_soak_push_backlog_samples', 'A pushing soak: samples generated and not yet answered, at the last frame.'),
    pushLatencyP99: gauge('promsoak_soak_push_latency_p99_seconds', "A pushing soak: remote-write requests' latency p99 in the last second (a bucket's upper bound)."),
    fleetQueue: gauge('promsoak_soak_fleet_render_queue_depth', "Serving threads of the soak's own fleet saturated at the last frame (the name is kept from when it counted render tasks queued)."),
  };
  g.info.set(info, 1);
  return { c, g };
}

/** ms → seconds, null kept. */
const ms = (v: number | null | undefined): number | null => {
  const n = num(v);
  return n === null ? null : n / 1000;
};

/** A measured value, or the gauge's series removed for this second. */
function show(g: Gauge, v: number | null): void {
  if (v === null) g.remove();
  else g.set(v);
}

/** Adds a measured amount (a negative one is no amount: counters only go up); returns what it added. */
function count(c: { inc(v: number): void }, v: number | null): number | null {
  if (v === null || v < 0) return null;
  c.inc(v);
  return v;
}

/** A rate in cores: the gauge shows it, the counter adds cores × the frame's seconds. */
function showAndCount<L extends string>(g: Gauge<L>, c: Counter<L>, label: string, cores: number | null, seconds: number | null): void {
  if (cores === null) g.remove(label);
  else g.labels(label).set(cores);
  count(c.labels(label), cores !== null && seconds !== null ? cores * seconds : null);
}
