import { channel } from 'node:diagnostics_channel';
import type { EngineStats } from './engine.js';

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
  /** How late each timer wake-up fired, µs (at least 1), in order: `latenessUs[0, wakes)`. */
  latenessUs: Uint32Array;
  wakes: number;
}

/** Where a timer's lateness at each wake-up goes (µs past what it was armed for): the agent's event-loop delay. */
export interface LatenessSink {
  wake(latenessUs: number): void;
}

export interface ScrapeDrain extends LatenessSink {
  /** The scrapes and wake-ups since the last drain; the arrays are reused by the drain after next. */
  drain(): ScrapeTally;
}

export interface EngineStartedEvent {
  stats: () => EngineStats;
  /** The ingester's series and bytes only: cheap, for a once-a-second reader. */
  head: () => { series: number; bytes: number };
  /**
   * The scrapes and the scrape timer's lateness at each wake-up (DueQueue), drained once a second
   * (scrape-log.ts: the engine records them only because someone listened at start).
   */
  scrapes: ScrapeDrain;
}
