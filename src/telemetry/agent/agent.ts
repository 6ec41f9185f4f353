/**
 * The telemetry agent: preloaded into the engine child with `--import` (never in the ingester's
 * code), one frame a second over IPC. It reads:
 * - the engine's scrapes from diagnostics_channel (duration into hdr-histogram-js, samples);
 * - CPU per thread from /proc/self/task/<tid>/stat, by class (see thread-cpu.ts);
 * - perf_hooks: 'gc' entries, monitorEventLoopDelay, eventLoopUtilization;
 * - heap statistics, external memory, RSS.
 * On {type:'telemetry-gc'} it runs a full GC and answers the live heap.
 * Heap diagnostics on request (heap-control.ts): {type:'telemetry-heap-snapshot'}
 * writes a heap snapshot of the engine (and of its worker threads), {type:'telemetry-alloc-start'}
 * and {type:'telemetry-alloc-stop'} run V8's sampling allocation profiler and write a .heapprofile.
 */
import { subscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import { PerformanceObserver, constants, monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { FAILURE_REASONS, type EngineStartedEvent, type ScrapeEvent } from '../../protocol/engine-channels.js';
import type { GcKind } from '../../protocol/frame.js';
import type { AgentFrame, FromAgent, ToAgent } from '../../protocol/agent.js';
import { readThreadTimes, ThreadClassifier, ThreadStatReader } from './thread-cpu.js';
import { startAllocSampling, stopAllocSampling, trackWorkers, writeSnapshots } from './heap-control.js';

const send = (m: FromAgent): void => {
  if (process.connected) process.send?.(m);
};

trackWorkers();
const classifier = new ThreadClassifier(process.pid, readThreadTimes().map((t) => t.tid));
let headStats: (() => { series: number; bytes: number }) | undefined;
let head: { series: number; bytes: number } | undefined;
let frames = 0;
subscribe('promsoak:engine:started', (m) => {
  headStats = (m as EngineStartedEvent).head;
  // Listen to IPC only now: a 'message' listener added at preload would start the channel
  // reading before the engine's own listener exists, and the engine's 'start' would be lost.
  process.on('message', onMessage);
});

let durations: number[] = [];
const failedBy = new Uint32Array(FAILURE_REASONS.length);
let acc = { samples: 0, ok: 0, failed: 0, seriesAdded: 0 };
/** Wall ms the agent's own callbacks took on the main thread: its cost, reported each frame. */
let selfMs = 0;
subscribe('promsoak:engine:scrape', (m) => {
  const t0 = performance.now();
  const e = m as ScrapeEvent;
  if (e.ok) {
    acc.ok++;
    acc.samples += e.samples;
    acc.seriesAdded += e.seriesAdded;
  } else {
    acc.failed++;
    if (e.reason >= 0) failedBy[e.reason]!++;
  }
  durations.push(Math.max(1, Math.round(e.durationMs * 1000)));
  selfMs += performance.now() - t0;
});

const GC_KIND: Record<number, GcKind> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
};
let gcAcc: NonNullable<AgentFrame['gcObserved']> = { count: 0, pauseMs: 0, byKind: {} };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = GC_KIND[(e as unknown as { detail?: { kind?: number } }).detail?.kind ?? -1] ?? 'other';
    gcAcc.count++;
    gcAcc.pauseMs += e.duration;
    const k = (gcAcc.byKind[kind] ??= { count: 0, pauseMs: 0 });
    k.count++;
    k.pauseMs += e.duration;
  }
}).observe({ entryTypes: ['gc'] });

/**
 * The monitor records the time between its timer's ticks: the delay is that minus the
 * resolution. 20 ms: half the wake-ups of 10 ms for an engine that is mostly idle, and still
 * five ticks inside the 100 ms starvation bound. PROMSOAK_ELD_RESOLUTION_MS overrides it.
 */
const ELD_RESOLUTION_MS = Number(process.env.PROMSOAK_ELD_RESOLUTION_MS ?? 20);
const eld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
const delayMs = (ns: number): number => Math.max(0, ns / 1e6 - ELD_RESOLUTION_MS);
eld.enable();
let elu = performance.eventLoopUtilization();
let lastCpu = process.cpuUsage();
const threadStats = new ThreadStatReader();
let lastThreads = classifier.sum(threadStats.read());
let lastMs = Date.now();

/** The second's failures by reason (an object only when there were some), counts reset. */
function byReason(): AgentFrame['scrapesFailedByReason'] {
  if (acc.failed === 0) return undefined;
  const out: NonNullable<AgentFrame['scrapesFailedByReason']> = {};
  FAILURE_REASONS.forEach((r, i) => {
    if (failedBy[i]! > 0) out[r] = failedBy[i]!;
    failedBy[i] = 0;
  });
  return out;
}

function frame(): AgentFrame {
  const t0 = performance.now();
  const now = Date.now();
  const seconds = Math.max(1e-3, (now - lastMs) / 1000);
  const cpu = process.cpuUsage();
  const threads = classifier.sum(threadStats.read());
  const eluNow = performance.eventLoopUtilization(elu);
  const mem = process.memoryUsage();
  // The head's size changes slowly and counting its bytes walks its arrays: every 5 s.
  if (headStats && (frames++ % 5 === 0 || !head)) head = headStats();
  const f: AgentFrame = {
    startMs: lastMs,
    endMs: now,
    samples: acc.samples,
    scrapesOk: acc.ok,
    scrapesFailed: acc.failed,
    scrapesFailedByReason: byReason(),
    seriesAdded: acc.seriesAdded,
    series: head?.series ?? 0,
    headBytes: head?.bytes ?? 0,
    scrapeDurationsUs: durations,
    agentMs: 0,
    cpu: {
      user: (cpu.user - lastCpu.user) / 1e6 / seconds,
      system: (cpu.system - lastCpu.system) / 1e6 / seconds,
      total: (cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1e6 / seconds,
      main: (threads.main - lastThreads.main) / seconds,
      v8Platform: (threads['v8-platform'] - lastThreads['v8-platform']) / seconds,
      worker: (threads.worker - lastThreads.worker) / seconds,
      other: (threads.other - lastThreads.other) / seconds,
    },
    gcObserved: gcAcc,
    heap: { usedBytes: mem.heapUsed, totalBytes: mem.heapTotal, externalBytes: mem.external, arrayBuffersBytes: mem.arrayBuffers, rssBytes: mem.rss },
    eventLoop: {
      delayP50Ms: eld.count ? delayMs(eld.percentile(50)) : 0,
      delayP99Ms: eld.count ? delayMs(eld.percentile(99)) : 0,
      delayMaxMs: eld.count ? delayMs(eld.max) : 0,
      utilization: eluNow.utilization,
    },
  };
  durations = [];
  acc = { samples: 0, ok: 0, failed: 0, seriesAdded: 0 };
  gcAcc = { count: 0, pauseMs: 0, byKind: {} };
  eld.reset();
  elu = performance.eventLoopUtilization();
  lastCpu = cpu;
  lastThreads = threads;
  lastMs = now;
  // This frame's own cost goes into the next one (sending it is measured by the caller).
  selfMs += performance.now() - t0;
  f.agentMs = selfMs;
  selfMs = 0;
  return f;
}

send({ type: 'telemetry-hello', pid: process.pid, timeOriginMs: performance.timeOrigin, threads: readThreadTimes().length });
setInterval(() => {
  const f = frame();
  const t0 = performance.now();
  send({ type: 'telemetry', frame: f });
  selfMs += performance.now() - t0;
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
