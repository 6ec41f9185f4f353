/**
 * The telemetry agent's IPC protocol (agent in the engine child ⇄ coordinator). The agent
 * (src/telemetry/agent/agent.ts) shares the engine's IPC channel; its messages are told apart
 * from the engine's own (src/protocol/engine.ts) by their `telemetry-` prefix.
 */
import type { Frame } from './frame.js';

/**
 * What the agent sends: a frame without what the coordinator adds (time, warm-up, fleet) and
 * with the second's raw scrape durations, which the coordinator puts into hdr histograms
 * (compressing one here each second would cost the engine more than everything else).
 */
export type AgentFrame = Omit<Frame, 't' | 'warmup' | 'fleet' | 'scrapeMs' | 'scrapeHistogram'> & { scrapeDurationsUs: number[] };

export type FromAgent =
  | { type: 'telemetry-hello'; pid: number; timeOriginMs: number; threads: number }
  | { type: 'telemetry'; frame: AgentFrame }
  | { type: 'telemetry-live-heap'; heapUsedBytes: number; externalBytes: number }
  | { type: 'telemetry-heap-snapshot-done'; id: number; files: string[]; ms: number; error?: string }
  | { type: 'telemetry-alloc-started'; error?: string }
  | { type: 'telemetry-alloc-done'; path: string; error?: string };

/** What the coordinator may ask of the agent (after the engine started). */
export type ToAgent =
  | { type: 'telemetry-gc' }
  | { type: 'telemetry-heap-snapshot'; id: number; path: string }
  | { type: 'telemetry-alloc-start'; samplingInterval: number }
  | { type: 'telemetry-alloc-stop'; path: string };
