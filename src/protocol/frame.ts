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
  /**
   * Every field below that may be null is null when the system under test does not expose it
   * (a Prometheus or any other target promsoak did not write: see run/target/), never 0.
   */
  scrapesOk: number | null;
  scrapesFailed: number | null;
  /** This second's failed scrapes by reason (engine-channels.ts FAILURE_REASONS); only reasons seen; absent in runs before it existed. */
  scrapesFailedByReason?: Partial<Record<FailureReason, number>>;
  seriesAdded: number | null;
  /** Active series at the frame's end. */
  series: number | null;
  headBytes: number | null;
  /** Scrape durations (HTTP + ingest) in this second, ms. */
  scrapeMs: { count: number; p50: number; p99: number; max: number } | null;
  /** hdr-histogram-js encodeIntoCompressedBase64 of this second's scrape durations (µs), for exact merging; '' when none. */
  scrapeHistogram: string;
  /** CPU in cores (CPU-seconds per second); by thread class where the runtime names its threads. */
  cpu: { total: number; user: number | null; system: number | null; main: number | null; v8Platform: number | null; worker: number | null; other: number | null };
  /** perf_hooks 'gc' entries seen in this second, every engine thread. */
  gcObserved: { count: number; pauseMs: number; byKind: Partial<Record<GcKind, { count: number; pauseMs: number }>> } | null;
  /** Heap in use (V8: used; Go: go_memstats_heap_alloc_bytes), reserved (V8: total; Go: heap_sys), outside the heap (V8: external memory, ArrayBuffers included; Go: go_memstats_sys_bytes − heap_sys), RSS from the OS. */
  heap: { usedBytes: number | null; totalBytes: number | null; externalBytes: number | null; arrayBuffersBytes: number | null; rssBytes: number };
  eventLoop: { delayP50Ms: number; delayP99Ms: number; delayMaxMs: number; utilization: number } | null;
  /**
   * The load generator in this second: its CPU in cores, serving threads saturated (render tasks queued, before serving threads), scrapes served.
   * The soak's own fleet: this process's CPU. Remote shards (`run --fleet`): the sum over the
   * shards that answered (CPU, scrapes), the deepest queue, and each shard in `shards`.
   */
  fleet: { cpuCores: number; queued: number; scrapesServed: number; shards?: ShardFrame[]; push?: PushFrame };
  /** CPU ms the telemetry agent itself took on the engine's main thread, the frame before this one (its cost to the engine; thread-clock.ts). */
  agentMs: number | null;
  /** Bytes allocated in this second from the target's own exact counter (Go: go_memstats_alloc_bytes_total); absent for the built-in engine (its allocation comes from V8's trace). */
  allocatedBytes?: number | null;
  /** What a target promsoak did not write reported this second (run/target/). */
  target?: TargetFrame;
}

/**
 * One fleet shard of `run --fleet` in one second, from its `/stats` (protocol/fleet-stats.ts),
 * polled once a second. A figure is null when the shard's last answer is over 2 s old; `up` is
 * false from a refused connection, or 3 s without an answer (it died, or its network did): its
 * exporters were not served from then on.
 */
export interface ShardFrame {
  /** `i/n`, as `--shard` wrote it (`0/1` for a fleet without shards). */
  shard: string;
  /** Where its /stats was read. */
  url: string;
  up: boolean;
  /** Its process's CPU over the last interval between two answers, cores. */
  cpuCores: number | null;
  /** Render tasks waiting in it when its /stats answered (as the soak's own fleet's, read at the frame). */
  queued: number | null;
  /** Scrapes it served since the last frame. */
  scrapesServed: number | null;
  /** Cores its process may use, and how many of the fleet's exporters it serves. */
  cores: number;
  exporters: number;
  /** Why it is down (only when `up` is false): `ECONNREFUSED`, `no answer for 3 s`, … */
  reason?: string;
}

/** A launched or external target's own figures for one second. */
export interface TargetFrame {
  /** The target process's threads. */
  threads: number;
  /** Go: go_memstats_next_gc_bytes. */
  heapGoalBytes: number | null;
  /** GC cycles the target counted this second (Go: go_gc_duration_seconds_count), and that count at the frame's end. */
  gcCycles: number | null;
  gcCount: number | null;
  /** Go: go_gc_duration_seconds' quantiles (its stop-the-world pauses, over the program's life so far), ms by quantile ("0", "0.25", … "1"). */
  gcPauseQuantilesMs: Record<string, number> | null;
  /** Scrapes the target itself counted as failed this second (e.g. up == 0 series), where it says. */
  scrapesFailed: number | null;
  /** How long the meta-scrape of the target's /metrics took, ms (null: it failed). */
  metaScrapeMs: number | null;
}

/** A GC trace event placed on the wall clock, as written to gc.ndjson. */
export type TimedGcEvent = Omit<GcEvent, 'pid' | 'isolateMs' | 'mutatorMs' | 'reduceMemory'> & {
  wallMs: number;
  /** Whose collector: absent or 'v8' for the engine's V8; 'go' for a Go target's GODEBUG=gctrace=1 cycle (see telemetry/go-gc-event.ts). */
  runtime?: 'v8' | 'go';
  /** Go: the cycle's heap goal and live heap (marked), bytes. */
  heapGoalBytes?: number;
  heapLiveBytes?: number;
  /** Go: GOMAXPROCS at the cycle. */
  procs?: number;
  /** Go: the cycle's number ("gc 12"), the runtime's own count of cycles (= go_gc_duration_seconds_count after it). */
  cycle?: number;
  /** Seconds since the soak started. */
  t: number;
  /** The engine's main isolate (the others are worker threads'). */
  main: boolean;
};

/** A GC as V8's --trace-gc-nvp reports it (parsed in src/telemetry/gc-trace.ts). */
export type GcKind = 'scavenge' | 'mark-compact' | 'minor-mark-compact' | 'other' | 'go';

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

/**
 * A pushing fleet's second (`run --push`): samples generated, acknowledged (2xx), rejected
 * (4xx), sent again, dropped (backlog full or at stop); the backlog (generated, not yet
 * answered) at the frame's end and the requests' latency p99 in that second (null: none answered).
 */
export interface PushFrame {
  generated: number;
  acknowledged: number;
  rejected: number;
  retried: number;
  dropped: number;
  backlog: number;
  latencyP99Ms: number | null;
}
