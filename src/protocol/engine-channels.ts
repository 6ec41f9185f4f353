import { channel } from 'node:diagnostics_channel';
import type { EngineStats } from './engine.js';
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

/**
 * What the engine tells an observer (the telemetry agent, preloaded with --import) without
 * knowing it is there: one diagnostics_channel message at start-up, and only when someone
 * subscribed, hands over what the agent then reads once a second. Nothing crosses per scrape.
 */
/** Why a scrape failed (src/engine/failure-reason.ts), in a fixed order: a reason's index is what the scrape log counts by. */
export const FAILURE_REASONS = ['timeout', 'http_status', 'connection', 'bad_response', 'body_limit', 'parse', 'sample_limit', 'ingester', 'other'] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

/** Once, when the engine has started: what the agent reads once a second. */
export const engineChannel = channel('promsoak:engine:started');

/** One second's scrapes, as the agent drains them (the arrays are the log's: read them before the next drain). */
export interface ScrapeTally {
  ok: number;
  failed: number;
  samples: number;
  seriesAdded: number;
  /** Failures by FAILURE_REASONS index. */
  failedBy: Uint32Array;
  /** Each scrape's HTTP + ingest time, µs (at least 1), in the order they ended: `durationsUs[0, count)`. */
  durationsUs: Uint32Array;
  count: number;
}

export interface ScrapeDrain {
  /** The scrapes since the last drain; the arrays are reused by the drain after next. */
  drain(): ScrapeTally;
}

/**
 * A histogram of timer lateness in µs: 2 significant digits up to 100 s. The default range (ns
 * to 2^53, 3 digits) has some 50,000 buckets, and each percentile read walks them.
 */
export const delayHistogram = (): RecordableHistogram => createHistogram({ lowest: 1, highest: 1e8, figures: 2 });

export interface EngineStartedEvent {
  stats: () => EngineStats;
  /** The ingester's series and bytes only: cheap, for a once-a-second reader. */
  head: () => { series: number; bytes: number };
  /** The scrapes, drained once a second (scrape-log.ts: the engine records them only because someone listened at start). */
  scrapes: ScrapeDrain;
  /** The scrape timer's lateness at each wake-up, µs (DueQueue): the agent's event-loop delay. */
  timerDelay: RecordableHistogram;
}
