/**
 * A step's figures from its frames and GC events (warm-up excluded), with the analysis's own
 * functions: GC per second and its CPU (starvation.ts gcBySecond/gcMs, as summarize's
 * gc.cpuShare), starved seconds (findStarvation, as summarize's starvation.windows), bytes
 * allocated (allocation.ts, or a Go target's own counter), the scrape p99 from the merged
 * histograms, and for a pushing fleet what it acknowledged and how its backlog moved.
 */
import * as hdr from 'hdr-histogram-js';
import type { Frame } from '../protocol/frame.js';
import { SCRAPE_HISTOGRAM } from '../common/defaults.js';
import { allocationInWindow } from '../analysis/allocation.js';
import { DEFAULT_CRITERIA as STARVATION, findStarvation, gcBySecond, gcMs, rate } from '../analysis/starvation.js';
import { linearFit } from '../analysis/fit.js';
import { max, mean, measured, median, quantile, sum } from '../analysis/stats.js';
import { counterCadence, counterRate, targetRateSpan } from '../analysis/summarize.js';
import type { StepFigures, StepWindow } from './types.js';

/** Seconds the frames cover, first start to last end. */
export function windowSeconds(frames: Frame[]): number {
  return frames.length ? (frames.at(-1)!.endMs - frames[0]!.startMs) / 1000 : 0;
}

export function stepFigures(w: StepWindow): StepFigures {
  const { frames } = w;
  const seconds = windowSeconds(frames);
  const samples = sum(frames.map((f) => f.samples));
  const pushes = frames.map((f) => f.fleet.push).filter((p) => p !== undefined);
  const cadence = counterCadence(frames);
  // Scraped: read as summarize reads a target's counter (a batch straddling the step's edge is not counted whole).
  const ingestedPerSecond = w.pushed ? (seconds > 0 ? sum(pushes.map((p) => p.acknowledged)) / seconds : 0) : counterRate(frames, seconds, samples, cadence);
  const offered = w.plan.load.offeredSamplesPerSecond;
  const cpu = frames.map((f) => f.cpu.total);
  const cpuSeconds = sum(frames.map((f) => f.cpu.total * ((f.endMs - f.startMs) / 1000)));
  const perSecondGc = gcBySecond(frames, w.gcEvents);
  const gcTraced = w.gcTraced ?? true;
  const allocated = allocatedBytes(w);
  return {
    ingestedPerSecond,
    ingestedRatio: offered > 0 ? ingestedPerSecond / offered : 0,
    cpuAvgCores: frames.length ? mean(cpu) : 0,
    cpuP99Cores: frames.length ? quantile(cpu, 0.99) : 0,
    peakRssBytes: frames.length ? max(frames.map((f) => f.heap.rssBytes)) : 0,
    gcCpuShare: gcTraced && cpuSeconds > 0 ? sum(perSecondGc.map(gcMs)) / 1000 / cpuSeconds : null,
    bytesPerSample: allocated !== null && samples > 0 ? allocated / samples : null,
    starvedSeconds: frames.length ? findStarvation(frames, perSecondGc, STARVATION, rates(frames, w.intervalSeconds, cadence), { engineCores: w.cores }).seconds.length : 0,
    latencyP99Ms: w.pushed ? pushLatencyP99(frames) : scrapeP99(frames),
    backlogGrowthPerSecond: w.pushed ? backlogSlope(frames) : null,
    fleetCpuCores: frames.length ? mean(frames.map((f) => f.fleet.cpuCores)) : 0,
    fleetQueuedMax: frames.length ? max(frames.map((f) => f.fleet.queued)) : 0,
    series: frames.at(-1)?.series ?? null,
  };
}

/**
 * Each frame's samples/s; past a 1 s interval (or a counter that moves every 2 s), the rate over
 * the interval that ends with it (a scraper picks its own phases: one second holds whichever
 * scrapes fell in it), as summarize reads a target: over four of the counter's batches when that
 * is longer (targetRateSpan). The step's first interval is read over what of it there is.
 */
function rates(frames: Frame[], intervalSeconds: number, cadence: number): number[] {
  const span = targetRateSpan(intervalSeconds, cadence);
  if (span <= 1 || frames.length === 0) return frames.map(rate);
  const over = (i: number): number => {
    const f = frames[i]!;
    let samples = 0;
    let fromMs = f.endMs;
    for (let j = i; j >= 0 && f.endMs - frames[j]!.startMs <= span * 1000 + 250; j--) {
      samples += frames[j]!.samples;
      fromMs = frames[j]!.startMs;
    }
    return samples / Math.max(1e-3, (f.endMs - fromMs) / 1000);
  };
  // The hold's first seconds have no whole window behind them (the step's frames start with the
  // hold): they read neutral, the median of the whole windows (as summarize reads a stalled
  // second), and the whole windows that hold them say whether they starved. Read over what of a
  // window there was, a 2 s-batch counter's empty first second read as starved (0 samples in 1 s).
  const first = frames.findIndex((f) => f.endMs - frames[0]!.startMs >= span * 1000 - 250);
  if (first < 0) return frames.map(() => over(frames.length - 1));
  const whole = frames.slice(first).map((_, k) => over(first + k));
  const neutral = median(whole);
  return frames.map((_, i) => (i < first ? neutral : whole[i - first]!));
}

/** Bytes allocated in the step: a Go target's own counter when every frame has it, else V8's trace. */
function allocatedBytes(w: StepWindow): number | null {
  const { frames } = w;
  if (frames.length === 0) return null;
  if (frames.every((f) => f.allocatedBytes !== undefined && f.allocatedBytes !== null)) return sum(frames.map((f) => f.allocatedBytes!));
  if (frames.some((f) => f.allocatedBytes !== undefined) || w.gcEvents.length === 0) return null;
  return allocationInWindow(w.gcEvents, frames[0]!.heap.usedBytes ?? undefined, frames.at(-1)!.heap.usedBytes ?? undefined).bytes;
}

/** The scrape p99 over the step, from the frames' histograms merged; null when no frame measured scrapes (a target that does not say). */
function scrapeP99(frames: Frame[]): number | null {
  if (frames.every((f) => f.scrapeMs === null)) return null;
  const h = hdr.build(SCRAPE_HISTOGRAM);
  try {
    for (const f of frames) {
      if (!f.scrapeHistogram) continue;
      const part = hdr.decodeFromCompressedBase64(f.scrapeHistogram);
      h.add(part);
      part.destroy();
    }
    if (h.totalCount > 0) return h.getValueAtPercentile(99) / 1000;
    // No histogram (older frames): the worst second's p99.
    const p99s = measured(frames.map((f) => f.scrapeMs?.p99));
    return p99s.length ? max(p99s) : null;
  } finally {
    h.destroy();
  }
}

/** The push requests' p99 over the step: the p99 of the seconds' p99s; null when none was answered. */
function pushLatencyP99(frames: Frame[]): number | null {
  const p99s = measured(frames.map((f) => f.fleet.push?.latencyP99Ms));
  return p99s.length ? quantile(p99s, 0.99) : null;
}

/** How fast the senders' backlog grew over the step, samples/s: the slope of a line through it (null with under 2 frames). */
function backlogSlope(frames: Frame[]): number | null {
  const pts = frames.filter((f) => f.fleet.push !== undefined);
  if (pts.length < 2) return null;
  return linearFit(pts.map((f) => f.endMs / 1000), pts.map((f) => f.fleet.push!.backlog)).slope;
}
