/**
 * The telemetry agent: preloaded into the engine child with `--import` (never in the ingester's
 * code), one frame a second on its frame pipe (frame-pipe.ts; IPC when there is none). It reads:
 * - the engine's scrapes: counts and durations the scheduler wrote into a ScrapeLog that the
 *   agent drains once a second (handed over on diagnostics_channel at start-up: nothing of the
 *   agent's runs per scrape);
 * - CPU per thread from /proc/self/task/<tid>/schedstat, by class (see thread-cpu.ts): the
 *   main thread and V8's read, "other" the process's total less those;
 * - perf_hooks: 'gc' entries, eventLoopUtilization, and event-loop delay: how late timers
 *   fired (see below);
 * - heap statistics, external memory, RSS (memory.ts).
 * Its own cost, timed on the engine's main thread, goes into every frame (agentMs).
 * On {type:'telemetry-gc'} it runs a full GC and answers the live heap.
 * Heap diagnostics on request (heap-control.ts): {type:'telemetry-heap-snapshot'}
 * writes a heap snapshot of the engine (and of its worker threads), {type:'telemetry-alloc-start'}
 * and {type:'telemetry-alloc-stop'} run V8's sampling allocation profiler and write a .heapprofile.
 */
import { subscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import { PerformanceObserver, constants, performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { FAILURE_REASONS, type EngineStartedEvent, type ScrapeDrain, type ScrapeTally } from '../../protocol/engine-channels.js';
import { ScrapeLog } from '../../protocol/scrape-log.js';
import { eventLoopMonitor, latenessFigures, type LoopDelay } from './loop-delay.js';
import { MemoryReader } from './memory.js';
import { FramePipe } from './frame-pipe.js';
import { threadClock } from './thread-clock.js';
import type { GcKind } from '../../protocol/frame.js';
import { encodeDurations, type AgentFrame, type FromAgent, type ToAgent } from '../../protocol/agent.js';
import { readThreadTimes, ThreadClassifier, ThreadStatReader, type ThreadClass } from './thread-cpu.js';
import { startAllocSampling, stopAllocSampling, trackWorkers, writeSnapshots } from './heap-control.js';

const send = (m: FromAgent): void => {
  if (process.connected) process.send?.(m);
};
/** Hello and frames: the frame pipe when the coordinator gave one. */
const pipe = FramePipe.fromEnv();
const sendFrame = (m: FromAgent): void => (pipe ? pipe.send(m) : send(m));

trackWorkers();
const classifier = new ThreadClassifier(process.pid, readThreadTimes().map((t) => t.tid));
let headStats: (() => { series: number; bytes: number }) | undefined;
let head: { series: number; bytes: number } | undefined;
/** The engine's scrape log; until the engine has started, one of the agent's own (its frame timer's lateness only). */
let scrapes: ScrapeDrain = new ScrapeLog();
let frames = 0;
subscribe('promsoak:engine:started', (m) => {
  const e = m as EngineStartedEvent;
  headStats = e.head;
  scrapes = e.scrapes;
  // Listen to IPC only now: a 'message' listener added at preload would start the channel
  // reading before the engine's own listener exists, and the engine's 'start' would be lost.
  process.on('message', onMessage);
});

/**
 * What the agent's own callbacks cost the engine's main thread, ms: the frame's CPU time
 * (thread-clock.ts) and the GC observer's wall time (a few calls a second, too short to be
 * preempted, and a clock read of its own would cost more than it). Reported in the next frame.
 */
let selfMs = 0;
const clock = threadClock();

const GC_KIND: Record<number, GcKind> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
};
let gcAcc: NonNullable<AgentFrame['gcObserved']> = { count: 0, pauseMs: 0, byKind: {} };
new PerformanceObserver((list) => {
  const t0 = performance.now();
  for (const e of list.getEntries()) {
    const kind = GC_KIND[(e as unknown as { detail?: { kind?: number } }).detail?.kind ?? -1] ?? 'other';
    gcAcc.count++;
    gcAcc.pauseMs += e.duration;
    const k = (gcAcc.byKind[kind] ??= { count: 0, pauseMs: 0 });
    k.count++;
    k.pauseMs += e.duration;
  }
  selfMs += performance.now() - t0;
}).observe({ entryTypes: ['gc'] });

/**
 * Event-loop delay: how late timers fired, in µs. The samples are the engine's scrape timer at
 * each of its wake-ups (DueQueue, one or more a scrape interval per target: hundreds a second
 * under load) and this agent's own frame timer, once a second: timers that run anyway, so that
 * measuring the delay adds no wake-up. Both go into the scrape log (a typed-array store each);
 * the frame sorts the second's values for its percentiles. A stall delays the next timer due by
 * up to its length. monitorEventLoopDelay's own timer cost a busy engine 5–7 % of its CPU at
 * 20 ms (50 wake-ups a second on their own): PROMSOAK_ELD_RESOLUTION_MS=<ms> measures with it instead.
 */
const ELD_RESOLUTION_MS = Number(process.env.PROMSOAK_ELD_RESOLUTION_MS ?? 0);
const monitor = ELD_RESOLUTION_MS > 0 ? eventLoopMonitor(ELD_RESOLUTION_MS) : undefined;
let elu = performance.eventLoopUtilization();
const memory = new MemoryReader();
/** Only the threads of a class of their own are read; "other" (libuv's pool, …) is the rest of the process's CPU. */
const threadStats = new ThreadStatReader('/proc/self/task', (t) => classifier.classify(t) !== 'other');
/** CPU seconds so far by thread class, "other" being the process's total less the threads read. */
function threadSeconds(cpu: NodeJS.CpuUsage): Record<ThreadClass, number> {
  const r = classifier.sum(threadStats.read());
  r.other = (cpu.user + cpu.system) / 1e6 - r.main - r['v8-platform'] - r.worker;
  return r;
}
let lastCpu = process.cpuUsage();
let lastThreads = threadSeconds(lastCpu);
let lastMs = Date.now();

/** The second's failures by reason (an object only when there were some). */
function byReason(t: ScrapeTally): AgentFrame['scrapesFailedByReason'] {
  if (t.failed === 0) return undefined;
  const out: NonNullable<AgentFrame['scrapesFailedByReason']> = {};
  FAILURE_REASONS.forEach((r, i) => {
    if (t.failedBy[i]! > 0) out[r] = t.failedBy[i]!;
  });
  return out;
}

function frame(): AgentFrame {
  const now = Date.now();
  const seconds = Math.max(1e-3, (now - lastMs) / 1000);
  const cpu = process.cpuUsage();
  const threads = threadSeconds(cpu);
  const eluNow = performance.eventLoopUtilization(elu);
  const mem = memory.read();
  // The head's size changes slowly: every 10 s.
  if (headStats && (frames++ % 10 === 0 || !head)) head = headStats();
  const t = scrapes.drain();
  // Lateness is recorded as at least 1 µs: a timer on time reads 1 µs.
  const delay: LoopDelay | undefined = monitor ? monitor() : latenessFigures(t.latenessUs, t.wakes);
  const f: AgentFrame = {
    startMs: lastMs,
    endMs: now,
    samples: t.samples,
    scrapesOk: t.ok,
    scrapesFailed: t.failed,
    scrapesFailedByReason: byReason(t),
    seriesAdded: t.seriesAdded,
    series: head?.series ?? 0,
    headBytes: head?.bytes ?? 0,
    scrapeDurationsUs: encodeDurations(t.durationsUs.subarray(0, t.count)),
    agentMs: 0,
    cpu: {
      user: (cpu.user - lastCpu.user) / 1e6 / seconds,
      system: (cpu.system - lastCpu.system) / 1e6 / seconds,
      total: (cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1e6 / seconds,
      main: (threads.main - lastThreads.main) / seconds,
      v8Platform: (threads['v8-platform'] - lastThreads['v8-platform']) / seconds,
      worker: (threads.worker - lastThreads.worker) / seconds,
      // A thread read a moment after the process's total can make the difference dip below 0.
      other: Math.max(0, threads.other - lastThreads.other) / seconds,
    },
    gcObserved: gcAcc,
    heap: { ...mem, arrayBuffersBytes: null },
    eventLoop: {
      delayP50Ms: delay?.p50 ?? 0,
      delayP99Ms: delay?.p99 ?? 0,
      delayMaxMs: delay?.max ?? 0,
      utilization: eluNow.utilization,
    },
  };
  gcAcc = { count: 0, pauseMs: 0, byKind: {} };
  elu = performance.eventLoopUtilization();
  lastCpu = cpu;
  lastThreads = threads;
  lastMs = now;
  return f;
}

sendFrame({ type: 'telemetry-hello', pid: process.pid, timeOriginMs: performance.timeOrigin, threads: readThreadTimes().length });
/** When the frame timer is due next (performance.now() ms): its lateness is a delay sample. */
let frameDue = performance.now() + 1000;
setInterval(() => {
  const c0 = clock.now();
  const t0 = performance.now();
  scrapes.wake(Math.max(1, Math.round((t0 - frameDue) * 1e3)));
  frameDue = t0 + 1000;
  const f = frame();
  // The cost until the previous frame was sent; this one's goes into the next.
  f.agentMs = selfMs;
  selfMs = 0;
  sendFrame({ type: 'telemetry', frame: f });
  selfMs += clock.now() - c0;
}, 1000).unref();

const errorText = (e: unknown): string => (e as Error)?.message ?? String(e);

function onMessage(raw: unknown): void {
  const m = raw as ToAgent;
  switch (m?.type) {
    case 'telemetry-gc':
      return liveHeap();
    case 'telemetry-heap-snapshot': {
      const t0 = performance.now();
      writeSnapshots(m.path).then(
        (files) => send({ type: 'telemetry-heap-snapshot-done', id: m.id, files, ms: performance.now() - t0 }),
        (e) => send({ type: 'telemetry-heap-snapshot-done', id: m.id, files: [], ms: performance.now() - t0, error: errorText(e) }),
      );
      return;
    }
    case 'telemetry-alloc-start':
      startAllocSampling(m.samplingInterval).then(
        () => send({ type: 'telemetry-alloc-started' }),
        (e) => send({ type: 'telemetry-alloc-started', error: errorText(e) }),
      );
      return;
    case 'telemetry-alloc-stop':
      stopAllocSampling().then(
        (profile) => {
          writeFileSync(m.path, JSON.stringify(profile));
          send({ type: 'telemetry-alloc-done', path: m.path });
        },
        (e) => send({ type: 'telemetry-alloc-done', path: m.path, error: errorText(e) }),
      );
      return;
  }
}

function liveHeap(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (o?: unknown) => void;
  gc();
  gc();
  const mem = process.memoryUsage();
  send({ type: 'telemetry-live-heap', heapUsedBytes: mem.heapUsed, externalBytes: mem.external });
}
