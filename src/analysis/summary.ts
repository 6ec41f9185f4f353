import type { PushSummary } from '../push/push-verdict.js';
import type { GcKind } from '../protocol/frame.js';
import type { FailureReason } from '../protocol/engine-channels.js';
import type { FaultKind } from '../profile/schema.js';

/**
 * summary.json: a versioned contract read by CI and other tools (see README "summary.json").
 * Additive changes keep schemaVersion; a removed or re-meant key bumps it.
 * Numbers that could not be measured are null, never guessed.
 */
/**
 * 2: figures a target does not expose are null (run.target names the system under test).
 * 3: memory.liveHeapBytes is the heap alone (it was heap + external memory; external is now
 * memory.liveOffHeapBytes); memory.ram splits peak RSS; provisioning.gcRamOverheadPct is GC's
 * headroom over the live heap (it was all of RSS over live memory); a starved second is "with GC"
 * when GC explains at least half of what it lost (it was: any mark-compact or 30 ms of GC in it
 * or the second before), with lostMs and gc.explainedMs per second; each second listed once.
 */
export const SCHEMA_VERSION = 3;

/** The system under test: promsoak's own engine, or a scraper it launched or was pointed at. */
export interface TargetInfo {
  kind: 'builtin' | 'prometheus' | 'victoria-metrics' | 'influxdb' | 'exec' | 'url';
  /** The program (the engine: the Node binary); null for a url: target. */
  binary: string | null;
  /** Its --version (first line), or null when it does not say. */
  version: string | null;
  /** Its command line (launched targets) or V8 flags (the engine). */
  flags: string[];
  /** Environment set for it (--env; GODEBUG=gctrace=1 when promsoak set it). */
  env: Record<string, string>;
  /** Where its own metrics were read, and what counted its samples. */
  metricsUrl: string | null;
  samples: string | null;
  pid: number | null;
  /** Whether its GC is traced (the engine: V8's trace; a Go target: gctrace=1 in GODEBUG). Untraced: GC figures are null. */
  gcTraced: boolean;
  /**
   * A launched target's log files: the bytes kept (at most limitBytes, --target-log-limit) and
   * those dropped past it. Absent for the engine and a url: target.
   */
  logs?: { file: string; limitBytes: number; bytes: number; droppedBytes: number }[];
}

export interface StarvedSecond {
  /** Seconds since the soak started. */
  t: number;
  samples: number;
  /** How far below the median, in % of the median. */
  deficitPct: number;
  /** null: the system under test has no event loop that promsoak can see (a Go target). */
  eventLoopDelayP99Ms: number | null;
  cpuCores: number;
  /**
   * What the second lost, ms: its deficit as time or its event-loop delay p99 (at most its
   * length), whichever is more; a second with no frame, all of it (analysis/gc-blame.ts).
   * Absent before schemaVersion 3.
   */
  lostMs?: number;
  /**
   * GC in the second: `explainedMs` is its work that took time from the engine (main-thread
   * pauses + incremental marking, and helper-thread GC CPU where the engine used ≥ 90 % of its
   * cores), at most `lostMs`. `incrementalMs` and `explainedMs` are absent before schemaVersion 3.
   */
  gc: { count: number; markCompacts: number; scavenges: number; pauseMs: number; incrementalMs?: number; backgroundMs: number; allocatedBytes: number; explainedMs?: number };
  /** GC explains at least half of what the second lost (schemaVersion ≤ 2: a mark-compact or GC time over the bound in it or the second before). */
  withGc: boolean;
  /**
   * The engine sent no frame for this second (frozen, blocked or silent): counted with 0
   * samples; `eventLoopDelayP99Ms` is then the silence's length in ms, and `withGc` says
   * whether the engine's main-thread GC explains most of it.
   */
  noFrame?: boolean;
}

export interface Summary {
  schemaVersion: number;
  tool: { name: 'promsoak'; version: string };
  /** A pushed soak's figures (`--push`): push/push-verdict.ts. */
  push?: PushSummary;
  run: {
    profile: string;
    ingester: string;
    startedAt: string;
    /** Seconds measured (after warm-up). */
    measuredSeconds: number;
    warmupSeconds: number;
    cores: string | null;
    v8Flags: string[];
    /** The system under test (absent in runs before schemaVersion 2: the engine). */
    target?: TargetInfo;
    node: string;
    machine: string;
    /**
     * completed: the window ran to its end; interrupted: Ctrl-C or SIGTERM; engine-exited: the
     * engine died; killed: the coordinator died before writing a summary (`promsoak report`
     * rebuilt it from what was on disk); disk-full: a write to the run directory failed (ENOSPC,
     * EDQUOT, EIO) and the soak stopped there (a failed soak, exit 1).
     */
    stopReason: 'completed' | 'interrupted' | 'engine-exited' | 'killed' | 'disk-full';
    /** Wall clock (ms since the epoch) of the measured window's start and end; null when not known. */
    windowStartMs: number | null;
    windowEndMs: number | null;
    /** Seconds of the window for which the engine sent no frame (see analysis/silence.ts); each counts as a starved second with 0 samples. */
    missingSeconds: number;
    /** The longest such silence, seconds. Over the analysis' silenceLimitSeconds the soak fails (exit 1). */
    longestSilenceSeconds: number;
    /** Spans in which the harness stopped the engine (heap snapshots): their GCs and silence are left out of every figure. */
    harnessPauses?: HarnessPause[];
    /**
     * Spans in which the coordinator itself did not run (run/stall-watch.ts: its timer came over
     * 250 ms late), so the fleet served nothing. The seconds they touch, and the 2 after, read
     * neutral in samplesPerSecond and starvation (harnessStalledSeconds of them); a stall of a
     * second or more fails the soak (exit 1).
     */
    harnessStalls?: HarnessPause[];
    harnessStalledSeconds?: number;
  };
  /** expectedSamplesPerSecond: exporters × (series + syntheticPerScrape) ÷ interval, what the system under test should ingest. */
  load: { exporters: number; seriesPerExporter: number; intervalSeconds: number; expectedSamplesPerSecond: number; syntheticPerScrape?: number };
  samples: number;
  /** cv is null when nothing was ingested (a CV of zeros is 0 ÷ 0). */
  samplesPerSecond: { mean: number; cv: number | null; min: number; median: number; expected: number };
  /** Σ allocated bytes (V8 trace, every isolate) ÷ Σ samples over the measured window. */
  bytesPerSample: number | null;
  allocation: { bytes: number; bytesPerSecond: number; source: string };
  cpu: {
    avgCores: number;
    /** p99 of per-second CPU. */
    peakCores: number;
    peakOverAvg: number;
    maxCores: number;
    usPerSample: number | null;
    /** null where the runtime does not name its threads (a Go target: all its CPU is in total). */
    byClass: { main: number | null; v8Platform: number | null; worker: number | null; other: number | null };
  };
  gc: {
    /** (main-thread pauses + incremental steps + background GC CPU) ÷ engine CPU time; never more than main-thread GC + helper threads' CPU. */
    cpuShare: number | null;
    count: number;
    /** Σ pause of the trace's events in the window (main thread, every isolate). */
    pauseMs: number;
    incrementalMs: number;
    /** Background GC CPU: each second's background job time, capped at its V8 helper threads' measured CPU. */
    backgroundMs: number;
    /** The trace's background job durations as they are (wall time, overlapping, waiting for cores: not CPU). */
    backgroundJobMs: number;
    /** GCs in the window that the harness caused (during its heap snapshots), left out of the figures above. */
    harnessGcs?: number;
    /** A target's gctrace lines left out as a cycle number again or more GC time than the wall clock allowed (telemetry/go-gc-guard.ts); absent: none. */
    traceLinesLeftOut?: { repeated: number; impossible: number };
    maxPauseMs: number;
    byKind: Partial<Record<GcKind, { count: number; pauseMs: number; maxPauseMs: number }>>;
  };
  /** null: the system under test has no event loop promsoak can see. */
  eventLoopDelayMs: { p50: number; p99: number; max: number } | null;
  eventLoopUtilization: number | null;
  memory: {
    peakRssBytes: number;
    peakHeapUsedBytes: number | null;
    /**
     * The live heap: V8's heap used right after a full GC at the end of the window; a Go
     * target's live heap as gctrace last reported it. schemaVersion ≤ 2 (the engine): heap used
     * + external memory; `promsoak report` of such a run says null here.
     */
    liveHeapBytes: number | null;
    /** External memory (ArrayBuffers: the head's typed arrays) after that full GC; null: not measured (a target, a run before schemaVersion 3). */
    liveOffHeapBytes?: number | null;
    /** Peak RSS split into live heap, GC headroom, off-heap, and the runtime and the rest (analysis/ram.ts); absent before schemaVersion 3. */
    ram?: {
      peakRssBytes: number;
      liveHeapBytes: number | null;
      /** The heap at its peak less the live heap: what GC adds onto RAM. */
      gcHeadroomBytes: number | null;
      offHeapBytes: number | null;
      runtimeAndRestBytes: number | null;
      /** How much the other parts add up to more than peak RSS (then the rest is 0); 0 when they fit; absent in runs before it was kept. */
      partsOverRssBytes?: number | null;
      /** The heap at its peak (V8: heap used at its highest second; Go: gctrace's heap before a cycle, or heap_alloc). */
      heapPeakBytes: number | null;
    };
    series: number | null;
    headBytes: number | null;
    /**
     * The live heap's growth over the window (analysis/heap-trend.ts: heap after each
     * mark-compact, or the per-bucket floor), null for a window too short to tell (under 5 minutes);
     * `leak` when a line that fits (r² ≥ 0.5) grows by more than 10 % of it (and 1 MiB) an hour,
     * over the window and over its second half (`lateGrowthBytesPerHour`); `settling` when it
     * does over the window but not over its second half (a warm-up levelling off). Runs before
     * `settling` was added lack it and `lateGrowthBytesPerHour`.
     */
    heapTrend: {
      growthBytesPerHour: number;
      floorBytes: number;
      buckets: number;
      r2: number;
      leak: boolean;
      settling?: boolean;
      lateGrowthBytesPerHour?: number | null;
      source: 'mark-compacts' | 'floor';
    } | null;
  };
  starvation: {
    windows: number;
    withGc: number;
    /** Σ lostMs of the starved seconds and what GC explains of it, seconds (absent before schemaVersion 3). */
    lostSeconds?: number;
    gcExplainedSeconds?: number;
    criteria: { belowMedianPct: number; eventLoopDelayMs: number; gcMsPerSecond: number; silenceLimitSeconds: number };
    /** Pearson r of per-second GC time (and allocation) with the per-second ingestion deficit. */
    correlation: { gcTime: number | null; allocation: number | null };
    seconds: StarvedSecond[];
  };
  provisioning: {
    /** ceil(p99 CPU incl. GC threads ÷ target utilisation). */
    coresNeeded: number;
    targetUtilization: number;
    /** What GC adds onto the cores: GC CPU ÷ the rest of the engine's CPU, %. */
    gcCoreOverheadPct: number | null;
    /**
     * What GC adds onto RAM: its headroom over the live heap, % (memory.ram.gcHeadroomBytes ÷
     * memory.ram.liveHeapBytes). schemaVersion ≤ 2: (peak RSS − live memory) ÷ live memory.
     */
    gcRamOverheadPct: number | null;
    ramNeededBytes: number;
  };
  scrapes: {
    /** null: the system under test does not count them (Prometheus: see fleet.scrapesServed). */
    ok: number | null;
    failed: number | null;
    /** Failed scrapes in the window by the engine's reason (FAILURE_REASONS); only reasons seen. */
    failedByReason: Partial<Record<FailureReason, number>>;
    durationMs: { p50: number; p99: number; max: number } | null;
  };
  /**
   * The profile's injected faults against what the system under test reported (absent: the
   * profile has none). Counts are over the whole run, warm-up included.
   */
  faults?: {
    /** Exporters per injected fault kind. */
    injected: Partial<Record<FaultKind, number>>;
    /** Failed scrapes of the faulty exporters, by the reason the engine gave. */
    reportedByReason: Partial<Record<FailureReason, number>>;
    /** Failed scrapes of exporters that had no fault (the goal: 0); null when the engine did not say (it died or went silent). */
    healthyScrapesFailed: number | null;
    /** Those failures × the samples each scrape would have brought. */
    healthySamplesLost: number | null;
  };
  /**
   * sharedWithEngine: the fleet ran on the engine's cores (no --cores, or --cores = all of them;
   * with `--fleet`, a shard on this host). With `--fleet`: `cores` is every shard's together,
   * saturated when any shard is (`shards`), and `offeredSamplesPerSecond` what the shards that
   * were up offered, on average over the window (less than `samplesPerSecond.expected` when one died).
   */
  fleet: {
    cpuCores: number;
    peakCpuCores: number;
    cores: number;
    sharedWithEngine: boolean;
    saturated: boolean;
    reason: string | null;
    shards?: ShardSummary[];
    offeredSamplesPerSecond?: number;
  };
  /** The telemetry agent's own main-thread time (it runs inside the engine it measures). */
  telemetry: { agentMsPerSecond: number | null; agentCpuShare: number | null };
  verdict: string[];
  thresholds: { expression: string; ok: boolean; actual: number | null }[];
  files: string[];
  /** Heap snapshots of the engine written during the run (promsoak run --heap-snapshot-*); absent: none asked. */
  heapSnapshots?: HeapSnapshotEntry[];
  /** The allocation profile of the measured window (promsoak run --alloc-profile); absent: not asked. */
  allocProfile?: AllocProfileEntry | null;
}

/** One remote fleet shard (`run --fleet`) over the measured window (analysis/fleet-shards.ts). */
export interface ShardSummary {
  /** `i/n`. */
  shard: string;
  url: string;
  exporters: number;
  /** Cores its process may use. */
  cores: number;
  /** Its CPU over the seconds it answered: mean and p99, cores (null: it never answered in the window). */
  cpuCores: number | null;
  peakCpuCores: number | null;
  /** Seconds in which a serving thread was saturated (render tasks waited, in runs before serving threads). */
  queuedSeconds: number;
  /** Its p99 CPU reached 90 % of its cores, or a serving thread was saturated in over 10 % of its seconds. */
  saturated: boolean;
  reason: string | null;
  /** Measured seconds it was down; the soak time of the first frame of that down stretch (the warm-up included), and why (a refused connection, no answer). */
  downSeconds: number;
  downAtT: number | null;
  downReason: string | null;
  upAtEnd: boolean;
  /**
   * The system under test's targets of this shard's exporters, as the engine reported them at
   * its end (the whole run): failed scrapes and the last failure's reason per target, summed.
   * Absent when the engine did not report its targets (another target, or it died).
   */
  scrapesFailed?: number;
  failedByReason?: Record<string, number>;
  targetsDown?: number;
}

/** A span in which the harness itself stopped the engine (a heap snapshot): its GCs and silence are not the engine's. */
export interface HarnessPause {
  fromMs: number;
  toMs: number;
  why: string;
}

export interface HeapSnapshotEntry {
  /** File name in the run directory. */
  file: string;
  trigger: 'at' | 'signal' | 'near-heap-limit';
  /** Seconds after the warm-up when it was asked (negative: during the warm-up). */
  t: number;
  /** How long the engine's main thread was stopped writing it (null: written by V8 near the heap limit). */
  writeMs: number | null;
  bytes: number;
  /** Set for the snapshot of one of the engine's worker threads. */
  workerThreadId?: number;
}

export interface AllocProfileEntry {
  /** V8's sampling heap profile, for Chrome DevTools (Memory → Load). */
  heapprofile: string;
  /** The same as gzipped pprof (alloc_objects, alloc_space) for `go tool pprof`. */
  pprof: string;
  samplingIntervalBytes: number;
  seconds: number;
  /** V8's estimates from the samples. */
  allocatedBytes: number;
  allocatedObjects: number;
  /** Top functions by bytes allocated in them (self), with their cumulative bytes. */
  top: { function: string; file: string; line: number; selfBytes: number; cumBytes: number }[];
}
