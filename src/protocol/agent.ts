/**
 * The telemetry agent's protocol (agent in the engine child ⇄ coordinator). Its frames and hello
 * come on a pipe of their own (frame-wire.ts); for the rest the agent shares the engine's IPC
 * channel, its messages told apart from the engine's own (src/protocol/engine.ts) by their
 * `telemetry-` prefix.
 */
import type { Frame } from './frame.js';

/**
 * A frame as the coordinator hands it on: the agent's figures (off its pipe: frame-wire.ts) with
 * what the coordinator read of the engine at its arrival, less what the soak adds (time,
 * warm-up, fleet), and with the second's raw scrape durations, which the soak puts into an hdr
 * histogram (compressing one in the engine each second would cost it more than everything else).
 */
export type AgentFrame = Omit<Frame, 't' | 'warmup' | 'fleet' | 'scrapeMs' | 'scrapeHistogram'> & {
  /** The second's scrape durations, µs. */
  scrapeDurationsUs: Uint32Array;
};

/**
 * Hello and frames come on the agent's frame pipe (frame-wire.ts); the other messages on IPC.
 * The hello's startupTids: the threads alive when the agent was preloaded (the coordinator
 * classes the engine's threads with them: run/engine-proc.ts).
 */
export type FromAgent =
  | { type: 'telemetry-hello'; pid: number; timeOriginMs: number; startupTids: number[] }
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
