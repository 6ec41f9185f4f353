import { z } from 'zod';
import { FAILURE_REASONS } from '../protocol/engine-channels.js';
import { isScrapeHistogram } from './histogram-check.js';
import { describeIssue } from '../common/schema-issue.js';

/**
 * What `promsoak report` reads of a run directory, as zod schemas: summary.json (the fields the
 * report takes its settings from), run.json, and each record of frames.ndjson and gc.ndjson.
 * Every number is finite and in a range a real run can have (JSON.parse reads 1e999 as
 * Infinity; 1e308 sums to it), so no figure of the report is NaN or ∞ and nothing allocates by
 * a crafted number. Objects are loose: keys this version does not read (a later version's
 * additive keys) pass through. Fields that older versions did not write are optional.
 */

/** A week and a day: a soak is at most a week (run/soak-plan.ts MAX_SOAK_SECONDS). */
export const MAX_RUN_MS = 8 * 86_400_000;
/** Wall clock, ms since the epoch: 1970 to the year 5138. */
const wallMs = z.number().min(0).max(1e14);
/** A quantity (bytes, samples, counts) that cannot be negative; 1e15 bytes is a petabyte. */
const qty = z.number().min(0).max(1e15);
/** Milliseconds of some work within a run (a GC's pause, a scrape): at most the longest run. */
const ms = z.number().min(0).max(MAX_RUN_MS);
/** CPU in cores. */
const cores = z.number().min(0).max(100_000);
/** Seconds since a soak started (may be negative: before it, during the warm-up's lead). */
const soakSeconds = z.number().min(-MAX_RUN_MS / 1000).max(MAX_RUN_MS / 1000);
const str = z.string().max(100_000);

export const GC_KINDS = ['scavenge', 'mark-compact', 'minor-mark-compact', 'other', 'go'] as const;

const harnessPause = z.looseObject({ fromMs: wallMs, toMs: wallMs, why: str });

/** run.target (schemaVersion 2); gcTraced came a few commits after the rest: optional (read as traced). */
const target = z.looseObject({
  kind: z.enum(['builtin', 'prometheus', 'victoria-metrics', 'influxdb', 'exec', 'url']),
  binary: str.nullish(),
  version: str.nullish(),
  flags: z.array(str).optional(),
  env: z.record(str, str).optional(),
  metricsUrl: str.nullish(),
  samples: str.nullish(),
  pid: z.number().int().min(0).nullish(),
  gcTraced: z.boolean().optional(),
});

const criteria = {
  belowMedianPct: z.number().min(0).max(100),
  eventLoopDelayMs: ms,
  gcMsPerSecond: ms,
  silenceLimitSeconds: z.number().min(0).max(MAX_RUN_MS / 1000).optional(),
};

/** A file promsoak wrote into the run directory: a plain base name (no `/`, no `..`, no lone surrogate that encodeURI throws on). */
const runFile = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,254}$/, { error: 'must be a file name of the run directory ([A-Za-z0-9._-])' });

const heapSnapshot = z.looseObject({
  file: runFile,
  trigger: z.enum(['at', 'signal', 'near-heap-limit']),
  t: soakSeconds,
  writeMs: ms.nullable(),
  bytes: qty,
  workerThreadId: z.number().int().min(0).optional(),
});

const allocProfile = z.looseObject({
  heapprofile: runFile,
  pprof: runFile,
  samplingIntervalBytes: qty,
  seconds: z.number().min(0).max(MAX_RUN_MS / 1000),
  allocatedBytes: qty,
  allocatedObjects: qty,
  top: z.array(z.looseObject({ function: str, file: str, line: z.number().int().min(0).max(1e9), selfBytes: qty, cumBytes: qty })).max(10_000),
});

/** The meta a run records (run.json's meta, and what summary.json says of the run). */
const schedule = z.looseObject({
  intervalMs: z.number().min(1).max(86_400_000),
  offsetsMs: z.array(z.number().min(0).max(86_400_000)).max(10_000_000),
  samplesPerScrape: qty,
});

const stopReason = z.enum(['completed', 'interrupted', 'engine-exited', 'killed', 'disk-full']);

export const summarySchema = z.looseObject({
  schemaVersion: z.number().int().min(1).max(1000).optional(),
  tool: z.looseObject({ version: str }),
  run: z.looseObject({
    profile: str,
    ingester: str,
    startedAt: str,
    measuredSeconds: z.number().min(0).max(MAX_RUN_MS / 1000),
    warmupSeconds: z.number().min(0).max(MAX_RUN_MS / 1000),
    cores: str.nullable(),
    v8Flags: z.array(str),
    target: target.optional(),
    node: str,
    machine: str,
    stopReason,
    windowStartMs: wallMs.nullish(),
    windowEndMs: wallMs.nullish(),
    harnessPauses: z.array(harnessPause).max(100_000).optional(),
    harnessStalls: z.array(harnessPause).max(100_000).optional(),
  }),
  load: z.looseObject({
    exporters: z.number().int().min(0).max(10_000_000),
    seriesPerExporter: z.number().int().min(0).max(1e9),
    intervalSeconds: z.number().gt(0).max(86_400),
    syntheticPerScrape: z.number().int().min(0).max(1e6).optional(),
  }),
  samples: qty,
  fleet: z.looseObject({ cores: cores, sharedWithEngine: z.boolean().optional() }),
  gc: z.looseObject({ traceLinesLeftOut: z.looseObject({ repeated: qty, impossible: qty }).optional() }).optional(),
  memory: z.looseObject({ liveHeapBytes: qty.nullable(), liveOffHeapBytes: qty.nullish() }),
  starvation: z.looseObject({ criteria: z.looseObject(criteria) }),
  provisioning: z.looseObject({ targetUtilization: z.number().gt(0).max(1) }),
  thresholds: z.array(z.looseObject({ expression: str, ok: z.boolean(), actual: z.number().nullable() })),
  files: z.array(str),
  heapSnapshots: z.array(heapSnapshot).max(10_000).optional(),
  allocProfile: allocProfile.nullable().optional(),
  // A pushed soak's figures (push/push-verdict.ts): what the report prints of them.
  push: z
    .looseObject({
      protocol: z.enum(['1.0', '2.0']),
      failed: z.boolean(),
      stored: qty.nullable(),
      storedCounter: str,
      acknowledgedNotStored: qty.nullable(),
      batch: qty,
      senders: qty,
      maxBacklog: qty,
      notes: z.array(str).max(100),
      totals: z.looseObject({
        generated: qty,
        acknowledged: qty,
        rejected: qty,
        rejectedByStatus: z.record(z.string().regex(/^[1-5]\d\d$/), qty),
        retried: qty,
        requests: qty,
        bytesWire: qty,
        networkErrors: qty,
        droppedBacklog: qty,
        droppedAtStop: qty,
        staleMarkers: qty.optional(),
        generatedLate: qty.optional(),
        skipped: qty.optional(),
        generatorLagMaxMs: qty.optional(),
        latencyP50Ms: z.number().finite().nonnegative().max(1e9).nullable(),
        latencyP99Ms: z.number().finite().nonnegative().max(1e9).nullable(),
      }),
    })
    .optional(),
});

export const runRecordSchema = z.looseObject({
  meta: z.looseObject({
    version: str,
    profile: str,
    ingester: str,
    startedAt: str,
    warmupSeconds: z.number().min(0).max(MAX_RUN_MS / 1000),
    cores: str.nullable(),
    v8Flags: z.array(str),
    node: str,
    machine: str,
    exporters: z.number().int().min(0).max(10_000_000),
    seriesPerExporter: z.number().int().min(0).max(1e9),
    intervalSeconds: z.number().gt(0).max(86_400),
    fleetCores: cores,
    fleetShared: z.boolean(),
    target: target.optional(),
    syntheticPerScrape: z.number().int().min(0).max(1e6).optional(),
    harnessPauses: z.array(harnessPause).max(100_000).optional(),
    harnessStalls: z.array(harnessPause).max(100_000).optional(),
    windowStartMs: wallMs.nullish(),
    schedule: schedule.optional(),
  }),
  analysis: z.looseObject({ ...criteria, targetUtilization: z.number().gt(0).max(1) }),
  thresholds: z.array(str),
  files: z.array(str),
});

/** run.json read only for its schedule (a summary.json is there): the rest of it is not read. */
export const runScheduleSchema = z.looseObject({ meta: z.looseObject({ schedule: schedule.optional() }).optional() });

const nullableQty = qty.nullish();
const nullableCores = cores.nullish();

const shardFrame = z.looseObject({
  shard: str,
  url: str,
  up: z.boolean(),
  cpuCores: nullableCores,
  queued: nullableQty,
  scrapesServed: nullableQty,
  cores: cores,
  exporters: z.number().int().min(0).max(10_000_000),
  reason: str.optional(),
});

export const frameSchema = z.looseObject({
  t: soakSeconds,
  startMs: wallMs,
  endMs: wallMs,
  warmup: z.boolean(),
  samples: qty,
  scrapesOk: nullableQty,
  scrapesFailed: nullableQty,
  scrapesFailedByReason: z.partialRecord(z.enum(FAILURE_REASONS), qty).optional(),
  seriesAdded: nullableQty,
  series: nullableQty,
  headBytes: nullableQty,
  scrapeMs: z.looseObject({ count: qty, p50: ms, p99: ms, max: ms }).nullish(),
  scrapeHistogram: z
    .string()
    .max(1_000_000)
    .refine((h) => h === '' || isScrapeHistogram(h), 'not a scrape-duration histogram as promsoak writes one'),
  cpu: z.looseObject({
    total: cores,
    user: nullableCores,
    system: nullableCores,
    main: nullableCores,
    v8Platform: nullableCores,
    worker: nullableCores,
    other: nullableCores,
  }),
  gcObserved: z
    .looseObject({ count: qty, pauseMs: ms, byKind: z.partialRecord(z.enum(GC_KINDS), z.looseObject({ count: qty, pauseMs: ms })) })
    .nullish(),
  heap: z.looseObject({ usedBytes: nullableQty, totalBytes: nullableQty, externalBytes: nullableQty, arrayBuffersBytes: nullableQty, rssBytes: qty }),
  eventLoop: z.looseObject({ delayP50Ms: ms, delayP99Ms: ms, delayMaxMs: ms, utilization: z.number().min(0).max(1) }).nullish(),
  fleet: z.looseObject({
    cpuCores: cores,
    queued: qty,
    scrapesServed: qty,
    shards: z.array(shardFrame).max(10_000).optional(),
    push: z
      .object({ generated: qty, acknowledged: qty, rejected: qty, retried: qty, dropped: qty, backlog: qty, latencyP99Ms: z.number().finite().nonnegative().max(1e9).nullable() })
      .optional(),
  }),
  agentMs: ms.nullish(),
  allocatedBytes: nullableQty,
  target: z
    .looseObject({
      threads: qty,
      heapGoalBytes: nullableQty,
      gcCycles: nullableQty,
      gcCount: nullableQty,
      gcPauseQuantilesMs: z.record(str, ms).nullish(),
      scrapesFailed: nullableQty,
      metaScrapeMs: ms.nullish(),
    })
    .optional(),
});

export const gcEventSchema = z.looseObject({
  wallMs,
  t: soakSeconds,
  main: z.boolean(),
  runtime: z.enum(['v8', 'go']).optional(),
  isolate: str,
  kind: z.enum(GC_KINDS),
  pauseMs: ms,
  incrementalMs: ms,
  backgroundMs: ms,
  allocatedBytes: qty,
  promotedBytes: qty,
  sizeBeforeBytes: qty,
  sizeAfterBytes: qty,
  heapGoalBytes: qty.optional(),
  heapLiveBytes: qty.optional(),
  procs: z.number().int().min(1).max(100_000).optional(),
  cycle: z.number().int().min(0).max(1e15).optional(),
});

/** The first problem of a value that fails a schema, as common/schema-issue.ts says one: `field: what (got …)`. */
export function firstIssue(error: z.ZodError): string {
  return describeIssue(error.issues[0]!).replace(/^the answer\b/, 'the record');
}
