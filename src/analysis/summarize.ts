import * as hdr from 'hdr-histogram-js';
import type { Frame, GcKind, TimedGcEvent } from '../protocol/frame.js';
import { SCHEMA_VERSION, type Summary } from './summary.js';
import { cv, max, mean, median, min, quantile, sum } from './stats.js';
import { DEFAULT_CRITERIA, findStarvation, gcBySecond, gcMs, rate, type StarvationCriteria } from './starvation.js';
import { verdict } from './verdict.js';

export interface RunMeta {
  version: string;
  profile: string;
  ingester: string;
  startedAt: string;
  warmupSeconds: number;
  cores: string | null;
  v8Flags: string[];
  node: string;
  machine: string;
  stopReason: Summary['run']['stopReason'];
  exporters: number;
  seriesPerExporter: number;
  intervalSeconds: number;
  /** Cores the fleet could use (its render threads + its HTTP front, bounded by the machine). */
  fleetCores: number;
  /** The fleet ran on the engine's cores. */
  fleetShared: boolean;
  liveHeapBytes: number | null;
  files: string[];
}

export interface AnalysisOptions extends StarvationCriteria {
  targetUtilization: number;
}

export const DEFAULT_ANALYSIS: AnalysisOptions = { ...DEFAULT_CRITERIA, targetUtilization: 0.8 };

/** The report's numbers (README "What the numbers mean") from a run's frames and GC events. */
export function summarize(allFrames: Frame[], allEvents: TimedGcEvent[], meta: RunMeta, o: AnalysisOptions = DEFAULT_ANALYSIS): Summary {
  const frames = allFrames.filter((f) => !f.warmup);
  const windowStart = frames[0]?.startMs ?? Infinity;
  const windowEnd = frames.at(-1)?.endMs ?? -Infinity;
  const events = allEvents.filter((e) => e.wallMs >= windowStart && e.wallMs < windowEnd);
  const rates = frames.map(rate);
  const samples = sum(frames.map((f) => f.samples));
  const cpuPerSecond = frames.map((f) => f.cpu.total);
  const cpuSeconds = sum(frames.map((f) => f.cpu.total * ((f.endMs - f.startMs) / 1000)));
  const lastWarmup = allFrames.filter((f) => f.warmup).at(-1);
  const { bytes: allocated, source: allocationSource } = allocationInWindow(
    events,
    lastWarmup?.heap.usedBytes ?? frames[0]?.heap.usedBytes,
    frames.at(-1)?.heap.usedBytes,
  );
  const measuredSeconds = frames.length ? (windowEnd - windowStart) / 1000 : 0;

  const pauseMs = sum(events.map((e) => e.pauseMs));
  const incrementalMs = sum(events.map((e) => e.incrementalMs));
  const backgroundMs = sum(events.map((e) => e.backgroundMs));
  const gcCpuSeconds = (pauseMs + incrementalMs + backgroundMs) / 1000;
  const byKind: Summary['gc']['byKind'] = {};
  for (const e of events) {
    const k = (byKind[e.kind as GcKind] ??= { count: 0, pauseMs: 0, maxPauseMs: 0 });
    k.count++;
    k.pauseMs = round(k.pauseMs + e.pauseMs, 3);
    k.maxPauseMs = Math.max(k.maxPauseMs, e.pauseMs);
  }

  const perSecondGc = gcBySecond(frames, events);
  const starvation = findStarvation(frames, perSecondGc, o);
  const avgCores = mean(cpuPerSecond);
  const peakCores = quantile(cpuPerSecond, 0.99);
  const peakRss = max(frames.map((f) => f.heap.rssBytes));
  const scrape = mergeScrapes(frames);
  const fleetCpu = frames.map((f) => f.fleet.cpuCores);
  const fleetPeak = quantile(fleetCpu, 0.99);
  const queuedSeconds = frames.filter((f) => f.fleet.queued > 0).length;
  const saturatedByCpu = fleetPeak >= 0.9 * meta.fleetCores;
  const saturatedByQueue = frames.length > 0 && queuedSeconds / frames.length > 0.1;
  const expected = (meta.exporters * meta.seriesPerExporter) / meta.intervalSeconds;
  const live = meta.liveHeapBytes;

  const summary: Summary = {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'promsoak', version: meta.version },
    run: {
      profile: meta.profile,
      ingester: meta.ingester,
      startedAt: meta.startedAt,
      measuredSeconds: round(measuredSeconds, 1),
      warmupSeconds: meta.warmupSeconds,
      cores: meta.cores,
      v8Flags: meta.v8Flags,
      node: meta.node,
      machine: meta.machine,
      stopReason: meta.stopReason,
    },
    load: { exporters: meta.exporters, seriesPerExporter: meta.seriesPerExporter, intervalSeconds: meta.intervalSeconds, expectedSamplesPerSecond: round(expected, 1) },
    samples,
    samplesPerSecond: { mean: round(mean(rates), 1), cv: round(cv(rates), 4), min: round(min(rates), 1), median: round(median(rates), 1), expected: round(expected, 1) },
    bytesPerSample: samples > 0 && allocated !== null ? round(allocated / samples, 1) : null,
    allocation: { bytes: allocated ?? 0, bytesPerSecond: measuredSeconds > 0 && allocated !== null ? Math.round(allocated / measuredSeconds) : 0, source: allocationSource },
    cpu: {
      avgCores: round(avgCores, 3),
      peakCores: round(peakCores, 3),
      peakOverAvg: round(peakCores / avgCores, 3),
      maxCores: round(max(cpuPerSecond), 3),
      usPerSample: samples > 0 ? round((cpuSeconds / samples) * 1e6, 3) : null,
      byClass: {
        main: round(mean(frames.map((f) => f.cpu.main)), 3),
        v8Platform: round(mean(frames.map((f) => f.cpu.v8Platform)), 3),
        worker: round(mean(frames.map((f) => f.cpu.worker)), 3),
        other: round(mean(frames.map((f) => f.cpu.other)), 3),
      },
    },
    gc: {
      cpuShare: cpuSeconds > 0 ? round(gcCpuSeconds / cpuSeconds, 4) : null,
      count: events.length,
      pauseMs: round(pauseMs, 3),
      incrementalMs: round(incrementalMs, 3),
      backgroundMs: round(backgroundMs, 3),
      maxPauseMs: events.length ? max(events.map((e) => e.pauseMs)) : 0,
      byKind,
    },
    eventLoopDelayMs: {
      p50: round(median(frames.map((f) => f.eventLoop.delayP50Ms)), 2),
      p99: round(quantile(frames.map((f) => f.eventLoop.delayP99Ms), 0.99), 2),
      max: round(max(frames.map((f) => f.eventLoop.delayMaxMs)), 2),
    },
    eventLoopUtilization: round(mean(frames.map((f) => f.eventLoop.utilization)), 4),
    memory: {
      peakRssBytes: peakRss,
      peakHeapUsedBytes: max(frames.map((f) => f.heap.usedBytes)),
      liveHeapBytes: live,
      series: frames.at(-1)?.series ?? 0,
      headBytes: frames.at(-1)?.headBytes ?? 0,
    },
    starvation: {
      windows: starvation.seconds.length,
      withGc: starvation.withGc,
      criteria: { belowMedianPct: o.belowMedianPct, eventLoopDelayMs: o.eventLoopDelayMs, gcMsPerSecond: o.gcMsPerSecond },
      correlation: starvation.correlation,
      seconds: starvation.seconds,
    },
    provisioning: {
      coresNeeded: Math.max(1, Math.ceil(peakCores / o.targetUtilization - 1e-9)),
      targetUtilization: o.targetUtilization,
      gcCoreOverheadPct: cpuSeconds > gcCpuSeconds && cpuSeconds > 0 ? round((gcCpuSeconds / (cpuSeconds - gcCpuSeconds)) * 100, 1) : null,
      gcRamOverheadPct: live && live > 0 ? round(((peakRss - live) / live) * 100, 1) : null,
      ramNeededBytes: peakRss,
    },
    scrapes: { ok: sum(frames.map((f) => f.scrapesOk)), failed: sum(frames.map((f) => f.scrapesFailed)), durationMs: scrape },
    fleet: {
      cpuCores: round(mean(fleetCpu), 3),
      peakCpuCores: round(fleetPeak, 3),
      cores: meta.fleetCores,
      sharedWithEngine: meta.fleetShared,
      saturated: saturatedByCpu || saturatedByQueue,
      reason: saturatedByCpu
        ? `the fleet used ${fleetPeak.toFixed(2)} of its ${meta.fleetCores} core${meta.fleetCores === 1 ? '' : 's'} at p99`
        : saturatedByQueue
          ? `render tasks queued in ${queuedSeconds} of ${frames.length} s`
          : null,
    },
    telemetry: {
      agentMsPerSecond: measuredSeconds > 0 ? round(sum(frames.map((f) => f.agentMs ?? 0)) / measuredSeconds, 3) : 0,
      agentCpuShare: cpuSeconds > 0 ? round(sum(frames.map((f) => f.agentMs ?? 0)) / 1000 / cpuSeconds, 4) : null,
    },
    verdict: [],
    thresholds: [],
    files: meta.files,
  };
  summary.verdict = verdict(summary, perSecondGc.map(gcMs));
  return summary;
}

/**
 * Bytes the engine allocated in the window. V8's `allocated=` on a GC line is the heap's
 * growth since the previous GC: the first GC in the window also counts what was allocated
 * before the window started, and what was allocated after the last GC is on no line. Both
 * ends are corrected with the heap used at the window's edges (main isolate; worker
 * isolates' lines are summed as they are). With no GC in the window, the heap's growth is
 * the allocation.
 */
export function allocationInWindow(
  events: TimedGcEvent[],
  heapAtStart: number | undefined,
  heapAtEnd: number | undefined,
): { bytes: number | null; source: string } {
  const main = events.filter((e) => e.main);
  const total = sum(events.map((e) => e.allocatedBytes));
  if (heapAtStart === undefined || heapAtEnd === undefined) {
    return events.length ? { bytes: total, source: 'allocated= of --trace-gc-nvp, every isolate' } : { bytes: null, source: 'not measured (no frames)' };
  }
  if (main.length === 0) {
    return heapAtEnd >= heapAtStart
      ? { bytes: total + (heapAtEnd - heapAtStart), source: 'heap growth over the window (no GC of the main isolate in it)' }
      : { bytes: events.length ? total : null, source: 'allocated= of --trace-gc-nvp' };
  }
  const first = main[0]!;
  const last = main.at(-1)!;
  const afterPrevious = first.sizeBeforeBytes - first.allocatedBytes;
  const before = Math.max(0, heapAtStart - afterPrevious);
  const after = Math.max(0, heapAtEnd - last.sizeAfterBytes);
  return { bytes: Math.max(0, total - before + after), source: 'allocated= of --trace-gc-nvp, every isolate, window edges corrected with heap used' };
}

function mergeScrapes(frames: Frame[]): { p50: number; p99: number; max: number } {
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
  for (const f of frames) {
    if (!f.scrapeHistogram) continue;
    const part = hdr.decodeFromCompressedBase64(f.scrapeHistogram);
    h.add(part);
    part.destroy();
  }
  const r = h.totalCount > 0 ? { p50: h.getValueAtPercentile(50) / 1000, p99: h.getValueAtPercentile(99) / 1000, max: h.maxValue / 1000 } : { p50: 0, p99: 0, max: 0 };
  h.destroy();
  return { p50: round(r.p50, 3), p99: round(r.p99, 3), max: round(r.max, 3) };
}

function round(v: number, digits: number): number {
  if (!Number.isFinite(v)) return v;
  const p = 10 ** digits;
  return Math.round(v * p) / p;
}
