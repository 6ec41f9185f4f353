import type { FailureReason } from './engine-channels.js';


/**
 * One second of a soak, as written to frames.ndjson: what the telemetry agent measured in the
 * engine (its counters, CPU by thread class, heap, event loop, perf_hooks GC entries) plus the
 * fleet's own CPU. GC trace events (gc.ndjson) are joined to frames by wall time at analysis.
 */
export interface Frame {
  /** Seconds since the soak started (warm-up included), at the frame's end. */
  t: number;
  /** Wall clock of the frame's window [startMs, endMs), ms since the epoch. */
  startMs: number;
  endMs: number;
  warmup: boolean;
  samples: number;
  scrapesOk: number;
  scrapesFailed: number;
  /** This second's failed scrapes by reason (engine-channels.ts FAILURE_REASONS); only reasons seen; absent in runs before it existed. */
  scrapesFailedByReason?: Partial<Record<FailureReason, number>>;
  seriesAdded: number;
  /** Active series at the frame's end. */
  series: number;
  headBytes: number;
  /** Scrape durations (HTTP + ingest) in this second, ms. */
  scrapeMs: { count: number; p50: number; p99: number; max: number };
  /** hdr-histogram-js encodeIntoCompressedBase64 of this second's scrape durations (µs), for exact merging. */
  scrapeHistogram: string;
  /** CPU in cores (CPU-seconds per second). */
  cpu: { total: number; user: number; system: number; main: number; v8Platform: number; worker: number; other: number };
  /** perf_hooks 'gc' entries seen in this second, every engine thread. */
  gcObserved: { count: number; pauseMs: number; byKind: Partial<Record<GcKind, { count: number; pauseMs: number }>> };
  heap: { usedBytes: number; totalBytes: number; externalBytes: number; arrayBuffersBytes: number; rssBytes: number };
  eventLoop: { delayP50Ms: number; delayP99Ms: number; delayMaxMs: number; utilization: number };
  fleet: { cpuCores: number; queued: number; scrapesServed: number };
  /** Main-thread ms the telemetry agent itself took in this second (its cost to the engine). */
  agentMs: number;
}

/** A GC trace event placed on the wall clock, as written to gc.ndjson. */
export type TimedGcEvent = Omit<GcEvent, 'pid' | 'isolateMs' | 'mutatorMs' | 'reduceMemory'> & {
  wallMs: number;
  /** Seconds since the soak started. */
  t: number;
  /** The engine's main isolate (the others are worker threads'). */
  main: boolean;
};

/** A GC as V8's --trace-gc-nvp reports it (parsed in src/telemetry/gc-trace.ts). */
export type GcKind = 'scavenge' | 'mark-compact' | 'minor-mark-compact' | 'other';

export interface GcEvent {
  pid: number;
  /** The isolate's address: the main thread and each worker thread have their own. */
  isolate: string;
  /** ms since the isolate started. */
  isolateMs: number;
  kind: GcKind;
  /** Main-thread stop-the-world pause. */
  pauseMs: number;
  /** Main-thread time since the previous GC (JS running). */
  mutatorMs: number;
  /** Main-thread incremental marking steps outside the pause (on the mark-compact that ends the cycle). */
  incrementalMs: number;
  /** Σ background.* : GC work on V8's platform (helper) threads. */
  backgroundMs: number;
  allocatedBytes: number;
  promotedBytes: number;
  sizeBeforeBytes: number;
  sizeAfterBytes: number;
  reduceMemory: boolean;
}
