/**
 * The telemetry agent: preloaded into the engine child with `--import` (never in the ingester's
 * code), one frame a second on its frame pipe (frame-pipe.ts, protocol/frame-wire.ts). It runs
 * inside the engine it measures, so it reads only what only the engine can tell, and sends it
 * as it lies in memory (no object built, no JSON, no sort); the coordinator reads the rest from
 * /proc when the frame arrives (run/engine-proc.ts: CPU by thread class, RSS). It reads:
 * - the engine's scrapes: counts, durations and its scrape timer's lateness, which the scheduler
 *   wrote into a ScrapeLog that the agent drains once a second (handed over on
 *   diagnostics_channel at start-up: nothing of the agent's runs per scrape);
 * - the process's CPU (getrusage), perf_hooks 'gc' entries, eventLoopUtilization;
 * - V8's heap statistics.
 * Its own cost, timed on the engine's main thread, goes into every frame (agentMs).
 * On {type:'telemetry-gc'} it runs a full GC and answers the live heap.
 * Heap diagnostics on request (heap-control.ts): {type:'telemetry-heap-snapshot'}
 * writes a heap snapshot of the engine (and of its worker threads), {type:'telemetry-alloc-start'}
 * and {type:'telemetry-alloc-stop'} run V8's sampling allocation profiler and write a .heapprofile.
 */
import { subscribe } from 'node:diagnostics_channel';
import { readdirSync, writeFileSync } from 'node:fs';
import { PerformanceObserver, constants, performance } from 'node:perf_hooks';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { EngineStartedEvent, ScrapeDrain } from '../../protocol/engine-channels.js';
import { ScrapeLog } from '../../protocol/scrape-log.js';
import { eventLoopMonitor } from './loop-delay.js';
import { FramePipe } from './frame-pipe.js';
import { threadClock } from './thread-clock.js';
import type { FromAgent, ToAgent } from '../../protocol/agent.js';
import { FAILED_BY, FIELD, FRAME_FIELD_BYTES, FRAME_FLOATS, jsonRecord, RECORD_FRAME, RECORD_HEADER_BYTES, recordHeader } from '../../protocol/frame-wire.js';
import { startAllocSampling, stopAllocSampling, trackWorkers, writeSnapshots } from './heap-control.js';

const send = (m: FromAgent): void => {
  if (process.connected) process.send?.(m);
};
/** Hello and frames: the frame pipe the coordinator gave (none: no frames). */
const pipe = FramePipe.fromEnv();

trackWorkers();
/** The threads alive now, at preload: main, V8's platform workers and its delayed-task thread (the coordinator classes threads by them). */
let startupTids: number[] = [];
try {
  startupTids = readdirSync('/proc/self/task').map(Number);
} catch {
  // not Linux: the coordinator reads no threads either
}
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

/** The frame being filled, its bytes what goes on the pipe (frame-wire.ts). */
const F = new Float64Array(FRAME_FLOATS);
const fieldBytes = new Uint8Array(F.buffer, 0, FRAME_FIELD_BYTES);
const header = Buffer.alloc(RECORD_HEADER_BYTES);

/** GC entries go straight into the frame's fields: [count, pause ms] by kind. */
const GC_FIELDS: Record<number, [number, number]> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: [FIELD.scavengeCount, FIELD.scavengePauseMs],
  [constants.NODE_PERFORMANCE_GC_MAJOR]: [FIELD.markCompactCount, FIELD.markCompactPauseMs],
};
const OTHER_GC: [number, number] = [FIELD.otherGcCount, FIELD.otherGcPauseMs];
new PerformanceObserver((list) => {
  const t0 = performance.now();
  for (const e of list.getEntries()) {
    const [count, pause] = GC_FIELDS[(e as unknown as { detail?: { kind?: number } }).detail?.kind ?? -1] ?? OTHER_GC;
    F[count]!++;
    F[pause]! += e.duration;
    F[FIELD.gcCount]!++;
    F[FIELD.gcPauseMs]! += e.duration;
  }
  selfMs += performance.now() - t0;
}).observe({ entryTypes: ['gc'] });

/**
 * Event-loop delay: how late timers fired, in µs. The samples are the engine's scrape timer at
 * each of its wake-ups (DueQueue, one or more a scrape interval per target: hundreds a second
 * under load) and this agent's own frame timer, once a second: timers that run anyway, so that
 * measuring the delay adds no wake-up. Both go into the scrape log (a typed-array store each);
 * the frame carries the second's values and the coordinator sorts them for its percentiles. A
 * stall delays the next timer due by up to its length. monitorEventLoopDelay's own timer cost a
 * busy engine 5–7 % of its CPU at 20 ms (50 wake-ups a second on their own):
 * PROMSOAK_ELD_RESOLUTION_MS=<ms> measures with it instead.
 */
const ELD_RESOLUTION_MS = Number(process.env.PROMSOAK_ELD_RESOLUTION_MS ?? 0);
const monitor = ELD_RESOLUTION_MS > 0 ? eventLoopMonitor(ELD_RESOLUTION_MS) : undefined;
let elu = performance.eventLoopUtilization();
let lastCpu = process.cpuUsage();
let lastMs = Date.now();

/** Fills the frame and writes it: one record, three parts (fields, durations, lateness), one writev(2). */
function sendFrame(): void {
  const now = Date.now();
  const seconds = Math.max(1e-3, (now - lastMs) / 1000);
  const cpu = process.cpuUsage();
  const eluNow = performance.eventLoopUtilization();
  const heap = getHeapStatistics();
  // The head's size changes slowly: every 10 s.
  if (headStats && (frames++ % 10 === 0 || !head)) head = headStats();
  const t = scrapes.drain();
  const delay = monitor?.();
  F[FIELD.startMs] = lastMs;
  F[FIELD.endMs] = now;
  F[FIELD.samples] = t.samples;
  F[FIELD.scrapesOk] = t.ok;
  F[FIELD.scrapesFailed] = t.failed;
  F[FIELD.seriesAdded] = t.seriesAdded;
  F[FIELD.series] = head?.series ?? 0;
  F[FIELD.headBytes] = head?.bytes ?? 0;
  F[FIELD.cpuUser] = (cpu.user - lastCpu.user) / 1e6 / seconds;
  F[FIELD.cpuSystem] = (cpu.system - lastCpu.system) / 1e6 / seconds;
  F[FIELD.heapUsedBytes] = heap.used_heap_size;
  F[FIELD.heapTotalBytes] = heap.total_heap_size;
  F[FIELD.externalBytes] = heap.external_memory;
  F[FIELD.eluUtilization] = performance.eventLoopUtilization(eluNow, elu).utilization;
  F[FIELD.delayP50Ms] = delay ? delay.p50 : NaN;
  F[FIELD.delayP99Ms] = delay ? delay.p99 : NaN;
  F[FIELD.delayMaxMs] = delay ? delay.max : NaN;
  F.set(t.failedBy, FAILED_BY);
  // With its own monitor the agent has the delay already; the wake-ups are not sent.
  const wakes = monitor ? 0 : t.wakes;
  F[FIELD.durations] = t.count;
  F[FIELD.wakes] = wakes;
  const durations = new Uint8Array(t.durationsUs.buffer, t.durationsUs.byteOffset, t.count * 4);
  const lateness = new Uint8Array(t.latenessUs.buffer, t.latenessUs.byteOffset, wakes * 4);
  pipe?.send([recordHeader(header, FRAME_FIELD_BYTES + durations.length + lateness.length, RECORD_FRAME), fieldBytes, durations, lateness]);
  // The GC fields lie together (frame-wire.ts): the observer adds to them until the next frame.
  F.fill(0, FIELD.gcCount, FIELD.otherGcPauseMs + 1);
  elu = eluNow;
  lastCpu = cpu;
  lastMs = now;
}

pipe?.send([jsonRecord({ type: 'telemetry-hello', pid: process.pid, timeOriginMs: performance.timeOrigin, startupTids } satisfies FromAgent)]);
/** When the frame timer is due next (performance.now() ms): its lateness is a delay sample. */
let frameDue = performance.now() + 1000;
setInterval(() => {
  const c0 = clock.now();
  const t0 = performance.now();
  scrapes.wake(Math.max(1, Math.round((t0 - frameDue) * 1e3)));
  frameDue = t0 + 1000;
  // The cost until the previous frame was sent; this one's goes into the next.
  F[FIELD.agentMs] = selfMs;
  selfMs = 0;
  sendFrame();
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
