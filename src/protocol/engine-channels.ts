import { channel } from 'node:diagnostics_channel';
import type { EngineStats } from './engine.js';

/**
 * What the engine tells an observer (the telemetry agent, preloaded with --import) without
 * knowing it is there: diagnostics_channel costs nothing while nobody subscribes.
 */
/** Why a scrape failed (src/engine/failure-reason.ts), in a fixed order: a reason's index crosses the channel. */
export const FAILURE_REASONS = ['timeout', 'http_status', 'connection', 'bad_response', 'body_limit', 'parse', 'sample_limit', 'ingester', 'other'] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

export interface ScrapeEvent {
  ok: boolean;
  /** When !ok: the index of its reason in FAILURE_REASONS (else -1). */
  reason: number;
  /** HTTP + ingest, ms. */
  durationMs: number;
  samples: number;
  seriesAdded: number;
}

/** Once per scrape (not per sample). The event object is reused: read it during the call, do not keep it. */
export const scrapeChannel = channel('promsoak:engine:scrape');

/** Once, when the engine has started: `{ stats }`, a function the agent calls once a second. */
export const engineChannel = channel('promsoak:engine:started');

export interface EngineStartedEvent {
  stats: () => EngineStats;
  /** The ingester's series and bytes only: cheap, for a once-a-second reader. */
  head: () => { series: number; bytes: number };
}
