import type { Summary } from '../analysis/summary.js';

/**
 * summary.json's keys as dotted paths, for `--gate`: the numeric ones a gate can read, and the
 * others (strings, booleans, lists) that it refuses by name. Both lists are checked against the
 * Summary type at compile time, both ways: a key added to summary.ts fails the build until it is
 * listed here. Maps keyed by a free string (push.totals.rejectedByStatus.*, run.target.env.*) are
 * left out.
 */
type IsObject<T> = T extends readonly unknown[] ? false : T extends object ? true : false;
type NumericPath<T> = {
  [K in keyof T & string]-?: NonNullable<T[K]> extends number ? K : IsObject<NonNullable<T[K]>> extends true ? `${K}.${NumericPath<NonNullable<T[K]>>}` : never;
}[keyof T & string];
type OtherPath<T> = {
  [K in keyof T & string]-?: NonNullable<T[K]> extends number ? never : IsObject<NonNullable<T[K]>> extends true ? `${K}.${OtherPath<NonNullable<T[K]>>}` : K;
}[keyof T & string];
type FreeKeyed = `push.totals.rejectedByStatus.${string}` | `run.target.env.${string}`;

export const NUMERIC_SUMMARY_KEYS = [
  'allocProfile.allocatedBytes', 'allocProfile.allocatedObjects', 'allocProfile.samplingIntervalBytes',
  'allocProfile.seconds', 'allocation.bytes', 'allocation.bytesPerSecond', 'bytesPerSample', 'cpu.avgCores',
  'cpu.byClass.main', 'cpu.byClass.other', 'cpu.byClass.v8Platform', 'cpu.byClass.worker', 'cpu.maxCores',
  'cpu.peakCores', 'cpu.peakOverAvg', 'cpu.usPerSample', 'eventLoopDelayMs.max', 'eventLoopDelayMs.p50',
  'eventLoopDelayMs.p99', 'eventLoopUtilization', 'faults.healthySamplesLost', 'faults.healthyScrapesFailed',
  'faults.injected.flap', 'faults.injected.http5xx', 'faults.injected.malformed',
  'faults.injected.oversized', 'faults.injected.reset', 'faults.injected.slow', 'faults.injected.timeout',
  'faults.injected.truncated', 'faults.reportedByReason.bad_response', 'faults.reportedByReason.body_limit',
  'faults.reportedByReason.connection', 'faults.reportedByReason.http_status',
  'faults.reportedByReason.ingester', 'faults.reportedByReason.other', 'faults.reportedByReason.parse',
  'faults.reportedByReason.sample_limit', 'faults.reportedByReason.timeout', 'fleet.cores', 'fleet.cpuCores',
  'fleet.offeredSamplesPerSecond', 'fleet.peakCpuCores', 'gc.backgroundJobMs', 'gc.backgroundMs',
  'gc.byKind.go.count', 'gc.byKind.go.maxPauseMs', 'gc.byKind.go.pauseMs', 'gc.byKind.mark-compact.count',
  'gc.byKind.mark-compact.maxPauseMs', 'gc.byKind.mark-compact.pauseMs',
  'gc.byKind.minor-mark-compact.count', 'gc.byKind.minor-mark-compact.maxPauseMs',
  'gc.byKind.minor-mark-compact.pauseMs', 'gc.byKind.other.count', 'gc.byKind.other.maxPauseMs',
  'gc.byKind.other.pauseMs', 'gc.byKind.scavenge.count', 'gc.byKind.scavenge.maxPauseMs',
  'gc.byKind.scavenge.pauseMs', 'gc.count', 'gc.cpuShare', 'gc.harnessGcs', 'gc.incrementalMs',
  'gc.maxPauseMs', 'gc.pauseMs', 'gc.traceLinesLeftOut.impossible', 'gc.traceLinesLeftOut.repeated',
  'load.expectedSamplesPerSecond', 'load.exporters', 'load.intervalSeconds', 'load.seriesPerExporter',
  'load.syntheticPerScrape', 'memory.headBytes', 'memory.heapTrend.buckets', 'memory.heapTrend.floorBytes',
  'memory.heapTrend.growthBytesPerHour', 'memory.heapTrend.lateGrowthBytesPerHour', 'memory.heapTrend.r2',
  'memory.liveHeapBytes', 'memory.liveOffHeapBytes', 'memory.peakHeapUsedBytes', 'memory.peakRssBytes',
  'memory.ram.gcHeadroomBytes', 'memory.ram.heapPeakBytes', 'memory.ram.liveHeapBytes',
  'memory.ram.offHeapBytes', 'memory.ram.partsOverRssBytes', 'memory.ram.peakRssBytes',
  'memory.ram.runtimeAndRestBytes', 'memory.series', 'provisioning.coresNeeded',
  'provisioning.gcCoreOverheadPct', 'provisioning.gcRamOverheadPct', 'provisioning.ramNeededBytes',
  'provisioning.targetUtilization', 'push.acknowledgedNotStored', 'push.batch',
  'push.lastSecond.acknowledged', 'push.lastSecond.backlog', 'push.lastSecond.bytesRaw',
  'push.lastSecond.bytesWire', 'push.lastSecond.droppedAtStop', 'push.lastSecond.droppedBacklog',
  'push.lastSecond.endMs', 'push.lastSecond.generated', 'push.lastSecond.generatedLate',
  'push.lastSecond.latencyP50Ms', 'push.lastSecond.latencyP99Ms', 'push.lastSecond.networkErrors',
  'push.lastSecond.rejected', 'push.lastSecond.requests', 'push.lastSecond.requestsOk',
  'push.lastSecond.retried', 'push.lastSecond.retriedRequests', 'push.lastSecond.sent',
  'push.lastSecond.serverErrors', 'push.lastSecond.skipped', 'push.lastSecond.staleMarkers',
  'push.lastSecond.startMs', 'push.lastSecond.tooManyRequests', 'push.lastSecond.written', 'push.maxBacklog',
  'push.senders', 'push.stored', 'push.totals.acknowledged', 'push.totals.backlog', 'push.totals.bytesRaw',
  'push.totals.bytesWire', 'push.totals.droppedAtStop', 'push.totals.droppedBacklog',
  'push.totals.generated', 'push.totals.generatedLate', 'push.totals.generatorLagMaxMs',
  'push.totals.latencyP50Ms', 'push.totals.latencyP99Ms', 'push.totals.networkErrors',
  'push.totals.rejected', 'push.totals.requests', 'push.totals.requestsOk', 'push.totals.retried',
  'push.totals.retriedRequests', 'push.totals.sent', 'push.totals.serverErrors', 'push.totals.skipped',
  'push.totals.staleMarkers', 'push.totals.tooManyRequests', 'push.totals.written',
  'run.harnessStalledSeconds', 'run.longestSilenceSeconds', 'run.measuredSeconds', 'run.missingSeconds',
  'run.target.pid', 'run.warmupSeconds', 'run.windowEndMs', 'run.windowStartMs', 'samples',
  'samplesPerSecond.cv', 'samplesPerSecond.expected', 'samplesPerSecond.mean', 'samplesPerSecond.median',
  'samplesPerSecond.min', 'schemaVersion', 'scrapes.durationMs.max', 'scrapes.durationMs.p50',
  'scrapes.durationMs.p99', 'scrapes.failed', 'scrapes.failedByReason.bad_response',
  'scrapes.failedByReason.body_limit', 'scrapes.failedByReason.connection',
  'scrapes.failedByReason.http_status', 'scrapes.failedByReason.ingester', 'scrapes.failedByReason.other',
  'scrapes.failedByReason.parse', 'scrapes.failedByReason.sample_limit', 'scrapes.failedByReason.timeout',
  'scrapes.ok', 'starvation.correlation.allocation', 'starvation.correlation.gcTime',
  'starvation.criteria.belowMedianPct', 'starvation.criteria.eventLoopDelayMs',
  'starvation.criteria.gcMsPerSecond', 'starvation.criteria.silenceLimitSeconds',
  'starvation.gcExplainedSeconds', 'starvation.lostSeconds', 'starvation.windows', 'starvation.withGc',
  'telemetry.agentCpuShare', 'telemetry.agentMsPerSecond',
] as const satisfies readonly NumericPath<Summary>[];

const OTHER_SUMMARY_KEYS = [
  'allocProfile.heapprofile', 'allocProfile.pprof', 'allocProfile.top', 'allocation.source', 'files',
  'fleet.reason', 'fleet.saturated', 'fleet.shards', 'fleet.sharedWithEngine', 'heapSnapshots',
  'memory.heapTrend.leak', 'memory.heapTrend.settling', 'memory.heapTrend.source', 'push.failed',
  'push.notes', 'push.protocol', 'push.storedCounter', 'push.storedReset', 'push.storedUnknown', 'push.url',
  'run.cores', 'run.harnessPauses', 'run.harnessStalls', 'run.ingester', 'run.machine', 'run.node',
  'run.profile', 'run.startedAt', 'run.stopReason', 'run.target.binary', 'run.target.flags',
  'run.target.gcTraced', 'run.target.kind', 'run.target.logs', 'run.target.metricsUrl', 'run.target.samples',
  'run.target.version', 'run.v8Flags', 'starvation.seconds', 'thresholds', 'tool.name', 'tool.version',
  'verdict',
] as const satisfies readonly OtherPath<Summary>[];

type Missing = Exclude<NumericPath<Summary> | OtherPath<Summary>, (typeof NUMERIC_SUMMARY_KEYS)[number] | (typeof OTHER_SUMMARY_KEYS)[number] | FreeKeyed>;
/** A compile error here names a key of Summary missing from the lists above. */
export const SUMMARY_KEYS_COMPLETE: [Missing] extends [never] ? true : Missing = true;

export type NumericSummaryKey = (typeof NUMERIC_SUMMARY_KEYS)[number];

const NUMERIC = new Set<string>(NUMERIC_SUMMARY_KEYS);
const OTHER = new Set<string>(OTHER_SUMMARY_KEYS);

/** Why `key` is not a numeric summary.json key, or null when it is one. */
export function numericKeyProblem(key: string): string | null {
  if (NUMERIC.has(key)) return null;
  if (OTHER.has(key)) return `${key} is not a number in summary.json`;
  const under = NUMERIC_SUMMARY_KEYS.filter((k) => k.startsWith(`${key}.`));
  if (under.length) return `${key} is not a number in summary.json but an object (its numbers: ${under.slice(0, 4).join(', ')}${under.length > 4 ? ', …' : ''})`;
  return `${key} is not a key of summary.json (see docs/compare.md for the keys a gate reads)`;
}

/** The number at a numeric key of a run's summary; NaN where it is null or absent (not measured, an older run). */
export function readSummaryKey(s: Summary, key: string): number {
  let v: unknown = s;
  for (const part of key.split('.')) {
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, part)) return NaN;
    v = (v as Record<string, unknown>)[part];
  }
  return typeof v === 'number' ? v : NaN;
}
