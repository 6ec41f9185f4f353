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
export type AgentFrame = Omit<Frame, 't' | 'warmup' | 'fleet' | 'scrapeMs' | 'scrapeHistogram'> & {
  /** The second's scrape durations, µs: a Uint32Array's bytes (little-endian) in base64, a native copy rather than a JSON array. */
  scrapeDurationsUs: string;
};

/** What the agent puts into scrapeDurationsUs. */
export const encodeDurations = (us: Uint32Array): string => Buffer.from(us.buffer, us.byteOffset, us.byteLength).toString('base64');

/** scrapeDurationsUs back into numbers (a wrong length: the whole values only). */
export function decodeDurations(b64: string): Uint32Array {
  const bytes = Buffer.from(b64, 'base64');
  const out = new Uint32Array(bytes.length >> 2);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readUInt32LE(i * 4);
  return out;
}

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
