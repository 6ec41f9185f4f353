import { SCRAPE_HISTOGRAM } from '../common/defaults.js';
import * as hdr from 'hdr-histogram-js';
import type { Frame, GcKind, TimedGcEvent } from '../protocol/frame.js';
import { SCHEMA_VERSION, type HarnessPause, type Summary, type TargetInfo } from './summary.js';
import { cv, max, mean, measured, median, min, quantile, sum } from './stats.js';
import { DEFAULT_CRITERIA, findStarvation, gcBySecond, gcMs, mergeStarved, type SecondGc, type StarvationCriteria } from './starvation.js';
import { coresOf } from './gc-blame.js';
import { gcRamOverheadPct, ramParts } from './ram.js';
import { findSilences, silentSeconds, silentStarvedSeconds, type Silence } from './silence.js';
import { verdict } from './verdict.js';
import { allocationInWindow } from './allocation.js';
import { expectedSamples, type Schedule } from './schedule.js';
import { heapTrend, type HeapTrend } from './heap-trend.js';
import { BUSY_SHARE, liveShare, shardsBlock, shardsSaturation } from './fleet-shards.js';

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
  /** Cores the fleet could use (its serving threads + the coordinator, bounded by the machine). */
  fleetCores: number;
  /** The fleet ran on the engine's cores. */
  fleetShared: boolean;
  /** The live heap (V8: heap used after a full GC; Go: gctrace's last live heap). */
  liveHeapBytes: number | null;
  /** External memory after that full GC (V8); absent or null: not measured. */
  liveOffHeapBytes?: number | null;
  files: string[];
  /** The system under test (absent: the built-in engine). */
  target?: TargetInfo;
  /** Series the system under test adds to each scrape itself (Prometheus: up, scrape_duration_seconds, … = 5). */
  syntheticPerScrape?: number;
  /** Spans in which the harness stopped the engine (heap snapshots): left out of GC figures and silences. */
  harnessPauses?: HarnessPause[];
  /** When the coordinator itself stalled (the fleet served nothing): those seconds say nothing of the engine. */
  harnessStalls?: HarnessPause[];
  /** The engine's scrape schedule (analysis/schedule.ts): evenness is measured against it; absent: against the median. */
  schedule?: Schedule;
  /** Wall clock of the measured window as the soak ran it (after the warm-up → its end); absent: the frames' own extent. */
  windowStartMs?: number | null;
  windowEndMs?: number | null;
}

export interface AnalysisOptions extends StarvationCriteria {
  targetUtilization: number;
  /** An engine silent (no frame) for longer than this, seconds, fails the soak. */
  silenceLimitSeconds: number;
}

export const DEFAULT_ANALYSIS: AnalysisOptions = { ...DEFAULT_CRITERIA, targetUtilization: 0.8, silenceLimitSeconds: 3 };

/** The measured window: the frames after the warm-up, the GC events inside it, and the seconds no frame covers. */
interface Window {
  frames: Frame[];
  events: TimedGcEvent[];
  silences: Silence[];
  startMs: number;
  endMs: number;
  seconds: number;
  /** Per second: each frame's rate over the part of it that was not silent, then 0 for each silent second. */
  rates: number[];
  /** Each frame's time that is not silence, ms. */
  activeMs: number[];
  /** The harness's stalls in the window, and how many frames were left neutral for them. */
  stalls: HarnessPause[];
  stalledSeconds: number;
  /** What GC did in each frame's second. */
  perSecondGc: SecondGc[];
  /** GC events in the window that fell in a harness pause (left out of `events`). */
  harnessGcs: number;
  samples: number;
  /** CPU-seconds the engine used in the window. */
  cpuSeconds: number;
  /** Per second, cores. */
  cpuPerSecond: number[];
  allocated: { bytes: number | null; source: string };
}

/** How long after a harness stall its seconds still say nothing of the engine. */
const STALL_TAIL_MS = 2000;

/** The harness's stalls that overlap the measured window [startMs, endMs). */
function inWindowStalls(meta: RunMeta, startMs: number, endMs: number): HarnessPause[] {
  return (meta.harnessStalls ?? []).filter((s) => s.toMs > startMs && s.fromMs < Math.min(endMs, meta.windowEndMs ?? Infinity));
}

function measuredWindow(allFrames: Frame[], allEvents: TimedGcEvent[], meta: RunMeta): Window {
  const frames = allFrames.filter((f) => !f.warmup);
  const pauses = meta.harnessPauses ?? [];
  // A 100 ms margin: the pause's ends are the coordinator's clock, the events the engine's.
  const inPause = (fromMs: number, toMs: number): boolean => pauses.some((p) => fromMs >= p.fromMs - 100 && toMs <= p.toMs + 100);
  const builtin = !meta.target || meta.target.kind === 'builtin';
  const silences = findSilences(frames, meta.windowStartMs ?? null, meta.windowEndMs ?? null, builtin).filter((s) => !inPause(s.fromMs, s.toMs));
  const start = Math.min(frames[0]?.startMs ?? Infinity, silences[0]?.fromMs ?? Infinity);
  const end = Math.max(frames.at(-1)?.endMs ?? -Infinity, silences.at(-1)?.toMs ?? -Infinity);
  // The window ends where the soak ended it: what the harness does after (the full GC that
  // measures live memory, stopping the engine) is not the engine's behaviour.
  const stop = meta.windowEndMs ?? Infinity;
  const inWindow = allEvents.filter((e) => e.wallMs >= start && e.wallMs < Math.min(end, stop));
  const events = inWindow.filter((e) => !inPause(e.wallMs, e.wallMs));
  const lastWarmup = allFrames.filter((f) => f.warmup).at(-1);
  const silentIn = (f: Frame): number => sum(silences.filter((s) => s.fromMs >= f.startMs && s.toMs <= f.endMs).map((s) => s.toMs - s.fromMs));
  // Against the schedule: a second's rate scaled by how much of what it was due it got,
  // so the seconds' own share of the interval's scrapes is not read as unevenness.
  const due = meta.schedule ? expectedSamples(frames, meta.schedule, median(measured(frames.map((f) => f.scrapeMs?.p50))) || 0) : undefined;
  const meanDue = due ? mean(due.map((d, i) => d / ((frames[i]!.endMs - frames[i]!.startMs) / 1000))) : 0;
  const rates = frames.map((f, i) => {
    const active = (f.endMs - f.startMs - silentIn(f)) / 1000;
    if (active <= 0) return 0;
    if (due === undefined) return f.samples / active;
    // A second that was due nothing (a few targets at a long interval) says nothing: neutral.
    if (!(due[i]! > 0)) return meanDue;
    return (f.samples / due[i]!) * meanDue;
  });
  // A target promsoak does not schedule (a Prometheus picks its own scrape phases): one
  // second holds whichever scrapes its phases put there, so evenness is read over one scrape
  // interval, in which a healthy target scrapes every exporter once; or over four times the
  // time its counter takes to move, when that is longer (VictoriaMetrics moves it every 2 s, and
  // a batch that lands half in one reading and half in the next must not read as a starved
  // second: over two batches that half is 25 % of a window, past the 20 % a starved second
  // needs; over four, 12.5 %. A VictoriaMetrics soak at 103k samples/s read 2 starved seconds in
  // 10 at 100 % ingested over 4 s windows).
  if (!meta.schedule && meta.target && meta.target.kind !== 'builtin') {
    rollingRates(allFrames, frames, rates, targetRateSpan(meta.intervalSeconds, counterCadence(allFrames)));
  }
  // Seconds the harness stalled in (and the next 2, while the fleet's backlog clears and the
  // scrapes that waited on it end): the load was not offered, so they read neutral, neither
  // starved nor even (the verdict names them, a stall of a second or more fails the run).
  const stalls = inWindowStalls(meta, start, end);
  const stalled = frames.map((f) => stalls.some((s) => f.startMs < s.toMs + STALL_TAIL_MS && f.endMs > s.fromMs));
  if (stalled.some(Boolean)) {
    const neutral = median(rates.filter((_, i) => !stalled[i]));
    stalled.forEach((x, i) => x && (rates[i] = neutral));
  }
  for (const s of silences) for (let k = silentSeconds(s); k > 0; k--) rates.push(0);
  return {
    frames,
    events,
    harnessGcs: inWindow.length - events.length,
    perSecondGc: gcBySecond(frames, events),
    silences,
    startMs: start,
    endMs: end,
    rates,
    activeMs: frames.map((f) => f.endMs - f.startMs - silentIn(f)),
    stalls,
    stalledSeconds: stalled.filter(Boolean).length,
    seconds: Number.isFinite(end - start) ? (end - start) / 1000 : 0,
    samples: sum(frames.map((f) => f.samples)),
    cpuSeconds: sum(frames.map((f) => f.cpu.total * ((f.endMs - f.startMs) / 1000))),
    cpuPerSecond: frames.map((f) => f.cpu.total),
    allocated: allocationOf(frames, events, lastWarmup),
  };
}

/**
 * GC CPU, seconds: main-thread pauses and incremental steps plus background work, each
 * second's background work no more than its helper threads' measured CPU (gcBySecond).
 */
function gcCpuSeconds(w: Window): number {
  return sum(w.perSecondGc.map(gcMs)) / 1000;
}

function gcBlock(w: Window, traced: boolean): Summary['gc'] {
  // Keyed by the records' own strings: a Map, so no kind (`__proto__`) can reach a prototype.
  const kinds = new Map<GcKind, { count: number; pauseMs: number; maxPauseMs: number }>();
  for (const e of w.events) {
    let k = kinds.get(e.kind);
    if (!k) kinds.set(e.kind, (k = { count: 0, pauseMs: 0, maxPauseMs: 0 }));
    k.count++;
    k.pauseMs = round(k.pauseMs + e.pauseMs, 3);
    k.maxPauseMs = Math.max(k.maxPauseMs, e.pauseMs);
  }
  const byKind: Summary['gc']['byKind'] = Object.fromEntries(kinds);
  return {
    cpuShare: traced && w.cpuSeconds > 0 ? round(gcCpuSeconds(w) / w.cpuSeconds, 4) : null,
    count: w.events.length,
    pauseMs: round(sum(w.events.map((e) => e.pauseMs)), 3),
    incrementalMs: round(sum(w.events.map((e) => e.incrementalMs)), 3),
    backgroundMs: round(sum(w.perSecondGc.map((s) => s.backgroundMs)), 3),
    backgroundJobMs: round(sum(w.events.map((e) => e.backgroundMs)), 3),
    maxPauseMs: w.events.length ? max(w.events.map((e) => e.pauseMs)) : 0,
    byKind,
    ...(w.harnessGcs > 0 ? { harnessGcs: w.harnessGcs } : {}),
  };
}

function cpuBlock(w: Window): Summary['cpu'] {
  const avgCores = mean(w.cpuPerSecond);
  const peakCores = quantile(w.cpuPerSecond, 0.99);
  const byClass = (k: 'main' | 'v8Platform' | 'worker' | 'other'): number | null => meanOf(w.frames.map((f) => f.cpu[k]), 3);
  return {
    avgCores: round(avgCores, 3),
    peakCores: round(peakCores, 3),
    peakOverAvg: round(peakCores / avgCores, 3),
    maxCores: round(max(w.cpuPerSecond), 3),
    usPerSample: w.samples > 0 ? round((w.cpuSeconds / w.samples) * 1e6, 3) : null,
    byClass: { main: byClass('main'), v8Platform: byClass('v8Platform'), worker: byClass('worker'), other: byClass('other') },
  };
}

/** Cores at the target utilisation; what GC adds onto cores and onto RAM (the article's two figures). */
function provisioningBlock(w: Window, ram: NonNullable<Summary['memory']['ram']>, o: AnalysisOptions, traced: boolean): Summary['provisioning'] {
  const peakCores = quantile(w.cpuPerSecond, 0.99);
  const gc = gcCpuSeconds(w);
  return {
    coresNeeded: Math.max(1, Math.ceil(peakCores / o.targetUtilization - 1e-9)),
    targetUtilization: o.targetUtilization,
    gcCoreOverheadPct: traced && w.cpuSeconds > gc && w.cpuSeconds > 0 ? round((gc / (w.cpuSeconds - gc)) * 100, 1) : null,
    gcRamOverheadPct: traced ? gcRamOverheadPct(ram) : null,
    ramNeededBytes: ram.peakRssBytes,
  };
}

/** Whether the fleet, not the engine, limited the load: its CPU at p99 near its cores, or a serving thread saturated. */
function fleetBlock(w: Window, allFrames: Frame[], meta: RunMeta): Summary['fleet'] {
  const fleetCpu = w.frames.map((f) => f.fleet.cpuCores);
  const fleetPeak = quantile(fleetCpu, 0.99);
  // A saturated thread has a core's worth of CPU (of however many the fleet has); render tasks
  // queued while the fleet's CPU idled (older runs) were a scraper's burst, not a saturated fleet.
  const queuedSeconds = w.frames.filter((f) => f.fleet.queued > 0 && f.fleet.cpuCores >= BUSY_SHARE * Math.min(1, meta.fleetCores)).length;
  const saturatedByCpu = fleetPeak >= 0.9 * meta.fleetCores;
  const saturatedByQueue = w.frames.length > 0 && queuedSeconds / w.frames.length > 0.1;
  // Remote shards: each one against its own cores and queue, wherever it ran.
  const remote = shardsBlock(w.frames, allFrames, (meta.seriesPerExporter + (meta.syntheticPerScrape ?? 0)) / meta.intervalSeconds);
  if (remote) return { cpuCores: round(mean(fleetCpu), 3), peakCpuCores: round(fleetPeak, 3), cores: meta.fleetCores, sharedWithEngine: meta.fleetShared, ...shardsSaturation(remote.shards), ...remote };
  return {
    cpuCores: round(mean(fleetCpu), 3),
    peakCpuCores: round(fleetPeak, 3),
    cores: meta.fleetCores,
    sharedWithEngine: meta.fleetShared,
    saturated: saturatedByCpu || saturatedByQueue,
    reason: saturatedByCpu
      ? `the fleet used ${fleetPeak.toFixed(2)} of its ${meta.fleetCores} core${meta.fleetCores === 1 ? '' : 's'} at p99`
      : saturatedByQueue
        ? `a serving thread was saturated in ${queuedSeconds} of ${w.frames.length} s`
        : null,
  };
}

/** The report's numbers (README "What the numbers mean") from a run's frames and GC events. */
export function summarize(allFrames: Frame[], allEvents: TimedGcEvent[], meta: RunMeta, o: AnalysisOptions = DEFAULT_ANALYSIS): Summary {
  const w = measuredWindow(allFrames, allEvents, meta);
  const { frames, samples, allocated, rates } = w;
  const perSecondGc = w.perSecondGc;
  // Against what was offered: a second after a --fleet shard died is not starved for it (the verdict says why the load dropped).
  const offered = rates.slice(0, frames.length).map((r, i) => r / (liveShare(frames[i]!) || 1));
  // GC in each frame's own second: a long frame's events past its first second fall in the silence after it (silence.ts), not twice.
  const ownGc = gcBySecond(frames.map((f, i) => ({ ...f, endMs: f.startMs + w.activeMs[i]! })), w.events);
  const starvation = findStarvation(frames, ownGc, o, offered, { activeMs: w.activeMs, engineCores: coresOf(meta.cores, meta.machine), windowEndMs: meta.windowEndMs });
  const soakStartMs = frames.length ? frames[0]!.endMs - frames[0]!.t * 1000 : (meta.windowStartMs ?? 0) - meta.warmupSeconds * 1000;
  const silent = silentStarvedSeconds(w.silences, w.events, soakStartMs);
  const starved = mergeStarved(starvation.seconds, silent);
  const goRuntime = w.events.some((e) => e.runtime === 'go') || (meta.target !== undefined && meta.target.kind !== 'builtin');
  const ram = ramParts(frames, w.events, { heapBytes: meta.liveHeapBytes, offHeapBytes: meta.liveOffHeapBytes ?? null }, goRuntime ? 'go' : 'v8');
  const longestSilence = Math.max(0, ...w.silences.map((s) => (s.toMs - s.fromMs) / 1000));
  const expected = (meta.exporters * (meta.seriesPerExporter + (meta.syntheticPerScrape ?? 0))) / meta.intervalSeconds;
  // A target read by its own counter (it may count in batches, and a slow meta-scrape makes
  // a long frame followed by short ones): the mean is its samples over the window's time, not
  // a mean of uneven frames' rates. The engine's frames are each a second: the mean of rates.
  const meanRate = meta.target && meta.target.kind !== 'builtin' ? counterRate(frames, w.seconds, samples, counterCadence(allFrames)) : mean(rates);
  // A target whose GC promsoak cannot see (no gctrace): its GC share is unknown, not 0.
  const gcTraced = meta.target?.gcTraced ?? true;
  const agentMsEach = measured(frames.map((f) => f.agentMs));
  const agentMs = agentMsEach.length ? sum(agentMsEach) : null;
  const loop = measured(frames.map((f) => f.eventLoop?.delayP99Ms)).length > 0;
  const summary: Summary = {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'promsoak', version: meta.version },
    run: {
      profile: meta.profile,
      ingester: meta.ingester,
      startedAt: meta.startedAt,
      measuredSeconds: round(w.seconds, 1),
      warmupSeconds: meta.warmupSeconds,
      cores: meta.cores,
      v8Flags: meta.v8Flags,
      ...(meta.target ? { target: meta.target } : {}),
      node: meta.node,
      machine: meta.machine,
      stopReason: meta.stopReason,
      windowStartMs: meta.windowStartMs ?? (frames.length ? w.startMs : null),
      windowEndMs: meta.windowEndMs ?? (frames.length ? w.endMs : null),
      missingSeconds: sum(w.silences.map(silentSeconds)),
      longestSilenceSeconds: round(longestSilence, 1),
      ...(meta.harnessPauses?.length ? { harnessPauses: meta.harnessPauses } : {}),
      ...(w.stalledSeconds > 0 ? { harnessStalls: w.stalls, harnessStalledSeconds: w.stalledSeconds } : {}),
    },
    load: { exporters: meta.exporters, seriesPerExporter: meta.seriesPerExporter, intervalSeconds: meta.intervalSeconds, expectedSamplesPerSecond: round(expected, 1), ...(meta.syntheticPerScrape ? { syntheticPerScrape: meta.syntheticPerScrape } : {}) },
    samples,
    samplesPerSecond: { mean: round(meanRate, 1), cv: mean(rates) > 0 ? round(cv(rates), 4) : null, min: round(min(rates), 1), median: round(median(rates), 1), expected: round(expected, 1) },
    bytesPerSample: samples > 0 && allocated.bytes !== null ? round(allocated.bytes / samples, 1) : null,
    allocation: { bytes: allocated.bytes ?? 0, bytesPerSecond: w.seconds > 0 && allocated.bytes !== null ? Math.round(allocated.bytes / w.seconds) : 0, source: allocated.source },
    cpu: cpuBlock(w),
    gc: gcBlock(w, gcTraced),
    eventLoopDelayMs: loop
      ? {
          p50: round(median(measured(frames.map((f) => f.eventLoop?.delayP50Ms))), 2),
          p99: round(quantile(measured(frames.map((f) => f.eventLoop?.delayP99Ms)), 0.99), 2),
          max: round(max(measured(frames.map((f) => f.eventLoop?.delayMaxMs))), 2),
        }
      : null,
    eventLoopUtilization: meanOf(frames.map((f) => f.eventLoop?.utilization), 4),
    memory: {
      peakRssBytes: max(frames.map((f) => f.heap.rssBytes)),
      peakHeapUsedBytes: maxOf(frames.map((f) => f.heap.usedBytes)),
      liveHeapBytes: meta.liveHeapBytes,
      liveOffHeapBytes: meta.liveOffHeapBytes ?? null,
      ram,
      series: frames.length ? frames.at(-1)!.series : 0,
      headBytes: frames.length ? frames.at(-1)!.headBytes : 0,
      heapTrend: roundTrend(heapTrend(frames, w.events)),
    },
    starvation: {
      windows: starved.length,
      withGc: starved.filter((x) => x.withGc).length,
      lostSeconds: round(sum(starved.map((x) => x.lostMs ?? 0)) / 1000, 2),
      gcExplainedSeconds: round(sum(starved.map((x) => x.gc.explainedMs ?? 0)) / 1000, 2),
      criteria: { belowMedianPct: o.belowMedianPct, eventLoopDelayMs: o.eventLoopDelayMs, gcMsPerSecond: o.gcMsPerSecond, silenceLimitSeconds: o.silenceLimitSeconds },
      correlation: starvation.correlation,
      seconds: starved,
    },
    provisioning: provisioningBlock(w, ram, o, gcTraced),
    scrapes: { ok: sumOf(frames.map((f) => f.scrapesOk)), failed: sumOf(frames.map((f) => f.scrapesFailed)), failedByReason: failedByReason(frames), durationMs: mergeScrapes(frames) },
    fleet: fleetBlock(w, allFrames, meta),
    telemetry: {
      agentMsPerSecond: agentMs === null ? null : w.seconds > 0 ? round(agentMs / w.seconds, 3) : 0,
      agentCpuShare: agentMs !== null && w.cpuSeconds > 0 ? round(agentMs / 1000 / w.cpuSeconds, 4) : null,
    },
    verdict: [],
    thresholds: [],
    files: meta.files,
  };
  summary.verdict = verdict(summary, perSecondGc.map(gcMs));
  return summary;
}

/**
 * A target's samples over the time between the first and the last move of its counter in the
 * window (the samples of the first move are before it), so that a batch straddling an edge is
 * not counted whole: VictoriaMetrics moves its counter every 1 or 2 s, unevenly, and a 2 s batch
 * in a 15 s window read 7 % high, or one in the window's last, half-second frame 6 %. For a
 * counter that moves every second this is the rate over all but the first second. An edge
 * further than a batch (the longest step between two moves in the window, at least `cadence`
 * s) from the nearest move stays: a target that stopped ingesting is not excused.
 */
export function counterRate(frames: Frame[], seconds: number, samples: number, cadence: number): number {
  const moving = frames.filter((f) => f.samples > 0);
  if (moving.length < 2) return seconds > 0 ? samples / seconds : 0;
  // The longest step between two moves inside the window is a batch too (VictoriaMetrics mixes 1 and 2 s).
  let step = cadence * 1000;
  for (let k = 1; k < moving.length; k++) step = Math.max(step, moving[k]!.endMs - moving[k - 1]!.endMs);
  const slack = step + 500;
  const from = moving[0]!.endMs - frames[0]!.startMs <= slack ? moving[0]!.endMs : frames[0]!.startMs;
  const to = frames.at(-1)!.endMs - moving.at(-1)!.endMs <= slack ? moving.at(-1)!.endMs : frames.at(-1)!.endMs;
  const counted = sum(frames.filter((f) => f.endMs > from && f.endMs <= to).map((f) => f.samples));
  return to > from ? counted / ((to - from) / 1000) : 0;
}

/**
 * The seconds a target's evenness is read over: its scrape interval, or four batches of a counter
 * that moves every `cadence` s when that is longer, a whole number of batches in every window (2 s
 * batches read over 5 s would hold two or three). Summaries and capacity's steps read it alike.
 */
export function targetRateSpan(intervalSeconds: number, cadence: number): number {
  const span = Math.max(intervalSeconds, cadence > 1 ? 4 * cadence : 1);
  return cadence > 1 ? cadence * Math.ceil(span / cadence) : span;
}

/**
 * Seconds between the readings at which a target's samples counter moved, whole: the 75th
 * percentile of the steps, since VictoriaMetrics moves it every 1 or 2 s, about half each (a
 * median of 1 s read its 2 s batches as starved seconds); a rare long step (a real stall) stays
 * above it and is not smoothed away.
 */
export function counterCadence(frames: Frame[]): number {
  const moved = frames.filter((f) => f.samples > 0).map((f) => f.endMs);
  if (moved.length < 3) return 1;
  return Math.max(1, Math.round(quantile(moved.slice(1).map((t, i) => t - moved[i]!), 0.75) / 1000));
}

/**
 * Each measured frame's rate replaced by the rate over the scrape interval that ends with it
 * (the warm-up's frames fill the first windows). With an interval of a second or less, as is.
 */
function rollingRates(all: Frame[], measuredFrames: Frame[], rates: number[], intervalSeconds: number): void {
  if (intervalSeconds <= 1) return;
  const offset = all.indexOf(measuredFrames[0]!);
  if (offset < 0) return;
  for (let i = 0; i < measuredFrames.length; i++) {
    const end = all[offset + i]!.endMs;
    let samples = 0;
    let fromMs = end;
    for (let j = offset + i; j >= 0 && end - all[j]!.startMs <= intervalSeconds * 1000 + 250; j--) {
      samples += all[j]!.samples;
      fromMs = all[j]!.startMs;
    }
    rates[i] = samples / Math.max(1e-3, (end - fromMs) / 1000);
  }
}

/**
 * A figure over the frames that carry it: null when none does (the target does not expose it),
 * never 0. Frames from before the soak measured it (none) do not count as zeros.
 */
function meanOf(a: (number | null | undefined)[], digits: number): number | null {
  const m = measured(a);
  return m.length ? round(mean(m), digits) : null;
}
function maxOf(a: (number | null | undefined)[]): number | null {
  const m = measured(a);
  return m.length ? max(m) : null;
}
function sumOf(a: (number | null | undefined)[]): number | null {
  const m = measured(a);
  return m.length || a.length === 0 ? sum(m) : null;
}

/**
 * Bytes allocated in the window: a target's own exact counter when every frame carries it (Go's
 * go_memstats_alloc_bytes_total), else V8's trace with the window's edges corrected.
 */
function allocationOf(frames: Frame[], events: TimedGcEvent[], lastWarmup: Frame | undefined): Window['allocated'] {
  if (frames.length > 0 && frames.every((f) => f.allocatedBytes !== undefined && f.allocatedBytes !== null)) {
    return { bytes: sum(frames.map((f) => f.allocatedBytes!)), source: 'the target\'s own allocation counter (go_memstats_alloc_bytes_total), per second' };
  }
  if (frames.some((f) => f.allocatedBytes !== undefined) && !events.some((e) => e.runtime !== 'go')) {
    return { bytes: null, source: 'not measured (the target\'s allocation counter was missing in some seconds)' };
  }
  const heapAt = (f: Frame | undefined): number | undefined => f?.heap.usedBytes ?? undefined;
  return allocationInWindow(events, heapAt(lastWarmup) ?? heapAt(frames[0]), heapAt(frames.at(-1)));
}

function roundTrend(t: HeapTrend | null): Summary['memory']['heapTrend'] {
  return (
    t && {
      ...t,
      growthBytesPerHour: Math.round(t.growthBytesPerHour),
      floorBytes: Math.round(t.floorBytes),
      r2: round(t.r2, 3),
      lateGrowthBytesPerHour: t.lateGrowthBytesPerHour === null ? null : Math.round(t.lateGrowthBytesPerHour),
    }
  );
}

function failedByReason(frames: Frame[]): Summary['scrapes']['failedByReason'] {
  const out = new Map<string, number>();
  for (const f of frames) for (const [r, n] of Object.entries(f.scrapesFailedByReason ?? {})) out.set(r, (out.get(r) ?? 0) + n);
  return Object.fromEntries(out);
}

function mergeScrapes(frames: Frame[]): Summary['scrapes']['durationMs'] {
  if (frames.length > 0 && frames.every((f) => f.scrapeMs === null)) return null;
  const h = hdr.build(SCRAPE_HISTOGRAM);
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
