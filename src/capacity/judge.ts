/**
 * One step judged by the stated criteria (types.ts Criteria): each failure in words, each
 * criterion the frames say nothing about named as not judged (never passed silently), and
 * whether the load generator ran out first (then a failure is not the system's ceiling).
 */
import type { Frame } from '../protocol/frame.js';
import { shardsBlock, BUSY_SHARE } from '../analysis/fleet-shards.js';
import { quantile, sum } from '../analysis/stats.js';
import type { CriterionFailure, Criteria, NotJudged, StepResult, StepWindow } from './types.js';
import { stepFigures, windowSeconds } from './step-figures.js';
import { bytes, cores, count, duration, pct, plural } from './format.js';

/** The generator is saturated when its p99 CPU reaches this share of its cores (as summarize's fleet block)… */
const FLEET_CPU_SHARE = 0.9;
/** …or render tasks waited, while it was busy, in more than this share of the step's seconds… */
const QUEUED_SHARE = 0.1;
/** …or, pushing, it generated less than this share of what it was to offer. */
const GENERATED_SHARE = 0.99;

export function judgeStep(w: StepWindow, criteria: Criteria): StepResult {
  const figures = stepFigures(w);
  const failed: CriterionFailure[] = [];
  const notJudged: NotJudged[] = [];
  const offered = w.plan.load.offeredSamplesPerSecond;

  if (w.frames.length === 0) {
    notJudged.push({ criterion: 'ingested', words: 'no frame in the step: nothing was measured' });
  } else if (figures.ingestedRatio < criteria.minIngestedRatio) {
    failed.push({
      criterion: 'ingested',
      measured: figures.ingestedRatio,
      limit: criteria.minIngestedRatio,
      words: `${w.pushed ? 'acknowledged' : 'ingested'} ${pct(figures.ingestedRatio)} of the ${count(offered)} samples/s offered (at least ${pct(criteria.minIngestedRatio)} asked)`,
    });
  }

  const what = w.pushed ? 'push' : 'scrape';
  const latencyLimitMs = criteria.maxLatencyIntervals * w.intervalSeconds * 1000;
  if (figures.latencyP99Ms === null) {
    notJudged.push({ criterion: 'latency', words: `${what} latency not measured: ${w.pushed ? 'no push request was answered' : 'the system does not report its scrape durations'}` });
  } else if (figures.latencyP99Ms >= latencyLimitMs) {
    const limitWords = criteria.maxLatencyIntervals === 1 ? `the ${duration(latencyLimitMs)} interval` : `${criteria.maxLatencyIntervals} × the ${duration(w.intervalSeconds * 1000)} interval (${duration(latencyLimitMs)})`;
    failed.push({ criterion: 'latency', measured: figures.latencyP99Ms, limit: latencyLimitMs, words: `${what} p99 ${duration(figures.latencyP99Ms)} passed ${limitWords}` });
  }

  if (figures.starvedSeconds > criteria.maxStarvedSeconds) {
    failed.push({
      criterion: 'starved',
      measured: figures.starvedSeconds,
      limit: criteria.maxStarvedSeconds,
      words: `${plural(figures.starvedSeconds, 'starved second')} in ${Math.round(windowSeconds(w.frames))} s (${criteria.maxStarvedSeconds} allowed)`,
    });
  }

  const cpuLimit = criteria.maxCpuShare * w.cores;
  if (w.frames.length > 0 && figures.cpuP99Cores >= cpuLimit) {
    failed.push({
      criterion: 'cpu',
      measured: figures.cpuP99Cores,
      limit: cpuLimit,
      words: `CPU p99 ${cores(figures.cpuP99Cores)} cores reached ${criteria.maxCpuShare === 1 ? '' : `${pct(criteria.maxCpuShare)} of `}the ${plural(w.cores, 'core')} given`,
    });
  }

  if (criteria.memoryLimitBytes !== null && w.frames.length > 0 && figures.peakRssBytes >= criteria.memoryLimitBytes) {
    failed.push({
      criterion: 'memory',
      measured: figures.peakRssBytes,
      limit: criteria.memoryLimitBytes,
      words: `peak RSS ${bytes(figures.peakRssBytes)} passed the ${bytes(criteria.memoryLimitBytes)} memory limit`,
    });
  }

  if (w.pushed) {
    const limit = criteria.maxBacklogGrowthRatio * offered;
    if (figures.backlogGrowthPerSecond === null) {
      notJudged.push({ criterion: 'backlog', words: 'backlog growth not measured: fewer than 2 seconds of the pushing fleet' });
    } else if (figures.backlogGrowthPerSecond > limit && !withinBatching(w)) {
      failed.push({
        criterion: 'backlog',
        measured: figures.backlogGrowthPerSecond,
        limit,
        words: `the senders' backlog grew ${count(figures.backlogGrowthPerSecond)} samples/s (at most ${count(limit)}: ${pct(criteria.maxBacklogGrowthRatio)} of offered)`,
      });
    }
  }

  return {
    index: 0,
    plan: w.plan,
    startMs: w.frames[0]?.startMs ?? 0,
    endMs: w.frames.at(-1)?.endMs ?? 0,
    figures,
    pass: failed.length === 0 && w.frames.length > 0,
    failed,
    generatorSaturated: generatorSaturation(w),
    ...(notJudged.length ? { notJudged } : {}),
    ...(w.spoiled !== undefined ? { spoiled: w.spoiled } : {}),
  };
}

/**
 * A backlog that ends the hold under what the senders hold while batching (batch × senders) is
 * their batches filling, not a receiver falling behind: over a short hold the line through the
 * saw-tooth slopes either way.
 */
function withinBatching(w: StepWindow): boolean {
  const last = w.frames.findLast((f) => f.fleet.push !== undefined)?.fleet.push;
  return w.pushBatchSamples !== undefined && last !== undefined && last.backlog <= w.pushBatchSamples;
}

/** Why the load generator, not the system, limited the step (null: it kept up): each reason found, joined. */
export function generatorSaturation(w: StepWindow): string | null {
  const { frames } = w;
  if (frames.length === 0) return null;
  const reasons: string[] = [];
  const load = w.plan.load;
  const shards = shardsBlock(frames, frames, load.exporters > 0 ? load.offeredSamplesPerSecond / load.exporters : 0);
  if (shards) {
    for (const s of shards.shards) {
      if (s.downSeconds > 0) reasons.push(`fleet shard ${s.shard} (${s.url}) was down ${plural(s.downSeconds, 'second')}${s.downReason ? ` (${s.downReason})` : ''}`);
      if (s.saturated && s.reason) reasons.push(s.reason);
    }
  } else {
    const fleetP99 = quantile(frames.map((f) => f.fleet.cpuCores), 0.99);
    if (w.fleetCores !== undefined && fleetP99 >= FLEET_CPU_SHARE * w.fleetCores) {
      reasons.push(`the fleet used ${cores(fleetP99)} of its ${plural(w.fleetCores, 'core')} at p99`);
    }
    const busy = (f: Frame): boolean => w.fleetCores === undefined || f.fleet.cpuCores >= BUSY_SHARE * Math.min(1, w.fleetCores);
    const queued = frames.filter((f) => f.fleet.queued > 0 && busy(f)).length;
    if (queued / frames.length > QUEUED_SHARE) reasons.push(`a serving thread was saturated (render tasks queued) in ${queued} of ${frames.length} s`);
  }
  if (w.pushed) {
    const seconds = windowSeconds(frames);
    const generated = seconds > 0 ? sum(frames.map((f) => f.fleet.push?.generated ?? 0)) / seconds : 0;
    if (load.offeredSamplesPerSecond > 0 && generated < GENERATED_SHARE * load.offeredSamplesPerSecond) {
      reasons.push(`the pushing fleet generated ${pct(generated / load.offeredSamplesPerSecond)} of the ${count(load.offeredSamplesPerSecond)} samples/s it was to offer`);
    }
  }
  return reasons.length ? reasons.join('; ') : null;
}
