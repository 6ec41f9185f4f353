/**
 * `promsoak capacity`: the contract between the search (which load next, judged how) and the
 * runner (a system under test that stays up while the offered load moves in steps).
 *
 * search.ts / judge.ts / model.ts / result.ts decide and describe; run.ts, dial.ts and the soak
 * with an open window (run/soak.ts, run/target-soak.ts) move the load and hand over frames.
 */
import type { Frame, TimedGcEvent } from '../protocol/frame.js';

/** What a step raises: the offered samples/s (more exporters) or the series (more exporters, judged on memory). */
export type CapacityBy = 'rate' | 'series';

/** The stated criteria a step is judged by; each is a flag of `promsoak capacity` with this default. */
export interface Criteria {
  /** --min-ingested (0.99): samples ingested (or, pushed, acknowledged) ≥ this × offered. */
  minIngestedRatio: number;
  /** --max-latency (1): scrape (or push) p99 latency under this × the scrape interval. */
  maxLatencyIntervals: number;
  /** --max-starved (0): starved seconds allowed in the measured window. */
  maxStarvedSeconds: number;
  /** --max-cpu (1): CPU p99 under this × the cores given. */
  maxCpuShare: number;
  /** --memory-limit (none): peak RSS under this many bytes; set on the system too (GOMEMLIMIT, --max-old-space-size). */
  memoryLimitBytes: number | null;
  /** Pushed: the sender backlog may grow by at most this many samples per second over the window (default: 1 % of offered). */
  maxBacklogGrowthRatio: number;
}

export const DEFAULT_CRITERIA: Criteria = {
  minIngestedRatio: 0.99,
  maxLatencyIntervals: 1,
  maxStarvedSeconds: 0,
  maxCpuShare: 1,
  memoryLimitBytes: null,
  maxBacklogGrowthRatio: 0.01,
};

/** The load of one step: how many of the fleet's exporters are offered to the system. */
export interface StepLoad {
  exporters: number;
  /** exporters × samples per exporter ÷ interval. */
  offeredSamplesPerSecond: number;
  /** exporters × series per exporter. */
  series: number;
}

/** Which part of the search a step belongs to. */
export type StepPhase = 'geometric' | 'bisect' | 'confirm';

/** What the search asks for next. */
export interface StepPlan {
  load: StepLoad;
  phase: StepPhase;
  /** Seconds to let the system settle at this load before measuring. */
  warmupSeconds: number;
  /** Seconds measured. */
  holdSeconds: number;
}

/** What the runner hands the judge: the step's frames (warm-up excluded) and GC events in its window. */
export interface StepWindow {
  plan: StepPlan;
  frames: Frame[];
  gcEvents: TimedGcEvent[];
  /** Cores the system under test was given (taskset), and the scrape interval. */
  cores: number;
  intervalSeconds: number;
  pushed: boolean;
  /** Pushed: the samples the senders hold while batching (batch × senders); a backlog ending under it is batching, not falling behind. */
  pushBatchSamples?: number;
  /** Cores the load generator (the soak's own fleet) could use: its CPU at 0.9 × these is a saturated generator. Absent: only its queue and shards are judged. */
  fleetCores?: number;
  /** False where the system's GC is not traced (a target without gctrace): GC's share is then unknown (null), not 0. Absent: traced. */
  gcTraced?: boolean;
  /** Why the runner says this step cannot be judged (a harness stall, a shard died in it); it is repeated. */
  spoiled?: string;
}

/** One criterion that failed, in words ("scrape p99 1.42 s passed the 1 s interval"). */
export interface CriterionFailure {
  criterion: 'ingested' | 'latency' | 'starved' | 'cpu' | 'memory' | 'backlog';
  measured: number;
  limit: number;
  words: string;
}

/** A step's figures: how each resource moved (for the plots and the model). */
export interface StepFigures {
  ingestedPerSecond: number;
  ingestedRatio: number;
  cpuAvgCores: number;
  cpuP99Cores: number;
  peakRssBytes: number;
  /** GC's share of the system's CPU (null where it does not say). */
  gcCpuShare: number | null;
  bytesPerSample: number | null;
  starvedSeconds: number;
  latencyP99Ms: number | null;
  backlogGrowthPerSecond: number | null;
  fleetCpuCores: number;
  fleetQueuedMax: number;
  series: number | null;
}

export interface StepResult {
  index: number;
  plan: StepPlan;
  startMs: number;
  endMs: number;
  figures: StepFigures;
  pass: boolean;
  failed: CriterionFailure[];
  /** The generator ran out before the system (its CPU, its render queue, a shard): not a ceiling of the system. */
  generatorSaturated: string | null;
  /** Criteria that could not be judged in this step, in words ("scrape latency not measured: the target does not report scrape durations"): neither passed nor failed. */
  notJudged?: NotJudged[];
  /** Set when the step was not judged and is repeated. */
  spoiled?: string;
}

/** A criterion the step's frames say nothing about. */
export interface NotJudged {
  criterion: CriterionFailure['criterion'];
  words: string;
}
