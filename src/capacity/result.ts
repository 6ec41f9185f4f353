/**
 * capacity.json: what `promsoak capacity` found, versioned (`schemaVersion: 1`, `kind:
 * 'capacity'`). The zod schema is the file's definition: the writer checks what it writes
 * against it (a NaN or ∞ that JSON would turn into null is a bug caught here, not a good-looking
 * file), and the reader checks what it reads, the first problem one line naming the file and
 * the field (PROMSOAK_INPUT_INVALID: exit 2). Objects are loose: a later version's additive keys pass.
 */
import { z } from 'zod';
import { PromsoakError } from '../common/errors.js';
import { readRegularFile } from '../common/read-file.js';
import { parseBoundedJson } from '../common/bounded-json.js';
import { describeIssue } from '../common/schema-issue.js';
import type { Criteria, StepResult } from './types.js';
import type { SearchOutcome } from './search.js';
import type { CoreModel, Prediction } from './model.js';
import type { ScalingRow, SelfCheck } from './scaling.js';

export const CAPACITY_SCHEMA_VERSION = 1;

/** A year of steps is far less; a bigger file is not ours. */
const MAX_FILE_BYTES = 64 * 2 ** 20;

const num = z.number().min(-1e18).max(1e18);
const qty = z.number().min(0).max(1e18);
const int = z.number().int().min(0).max(1e12);
const str = z.string().max(10_000);
const CRITERIA = ['ingested', 'latency', 'starved', 'cpu', 'memory', 'backlog'] as const;

const criteria = z.looseObject({
  minIngestedRatio: z.number().min(0).max(1),
  maxLatencyIntervals: z.number().gt(0).max(1e6),
  maxStarvedSeconds: qty,
  maxCpuShare: z.number().gt(0).max(1e3),
  memoryLimitBytes: qty.nullable(),
  maxBacklogGrowthRatio: z.number().min(0).max(1e6),
});

const load = z.looseObject({ exporters: int, offeredSamplesPerSecond: qty, series: qty });

const step = z.looseObject({
  index: int,
  plan: z.looseObject({ load, phase: z.enum(['geometric', 'bisect', 'confirm']), warmupSeconds: qty, holdSeconds: qty }),
  startMs: qty,
  endMs: qty,
  figures: z.looseObject({
    ingestedPerSecond: qty,
    ingestedRatio: qty,
    cpuAvgCores: qty,
    cpuP99Cores: qty,
    peakRssBytes: qty,
    gcCpuShare: qty.nullable(),
    bytesPerSample: qty.nullable(),
    starvedSeconds: qty,
    latencyP99Ms: qty.nullable(),
    backlogGrowthPerSecond: num.nullable(),
    fleetCpuCores: qty,
    fleetQueuedMax: qty,
    series: qty.nullable(),
  }),
  pass: z.boolean(),
  failed: z.array(z.looseObject({ criterion: z.enum(CRITERIA), measured: num, limit: num, words: str })).max(CRITERIA.length),
  generatorSaturated: str.nullable(),
  notJudged: z.array(z.looseObject({ criterion: z.enum(CRITERIA), words: str })).max(CRITERIA.length).optional(),
  spoiled: str.optional(),
});

const outcome = z.looseObject({
  kind: z.enum(['ceiling', 'above', 'generator', 'none', 'interrupted']),
  samplesPerSecond: qty.nullable(),
  series: qty.nullable(),
  exporters: int.nullable(),
  failureAbove: z.looseObject({ samplesPerSecond: qty, exporters: int, criterion: z.enum(CRITERIA), words: str }).nullable(),
  step: int.nullable(),
  words: str,
});

const line = z.looseObject({ intercept: num, slope: num, interceptSe: qty, slopeSe: qty, residualSd: qty, r2: num, n: int, xMean: num, sxx: qty });
const interval = z.looseObject({ value: num, low: num, high: num });

const model = z.looseObject({ cores: int, steps: int, cpu: line.nullable(), gcCpu: line.nullable(), rss: line.nullable(), maxSamplesPerSecond: qty, maxSeries: qty, reason: str.nullable() });

const prediction = z.looseObject({
  asked: z.looseObject({ samples: qty, series: qty }),
  basis: int.nullable(),
  cpuCores: interval.nullable(),
  coresNeeded: interval.nullable(),
  gcCores: interval.nullable(),
  rssBytes: interval.nullable(),
  ramNeededBytes: interval.nullable(),
  targetUtilization: z.number().gt(0).max(1),
  notes: z.array(str).max(100),
  reason: str.nullable(),
});

const scalingRow = z.looseObject({
  cores: int,
  outcome: outcome.shape.kind,
  samplesPerSecond: qty.nullable(),
  ratio: qty.nullable(),
  ratioIsBound: z.boolean(),
  gcShareOfCores: qty.nullable(),
});

const selfCheck = z.looseObject({
  fromCores: int,
  toCores: int,
  predicted: z.looseObject({ value: num, low: num, high: num.nullable() }).nullable(),
  measured: qty.nullable(),
  errorPct: num.nullable(),
  reason: str.nullable(),
});

export const capacitySchema = z.looseObject({
  schemaVersion: z.literal(CAPACITY_SCHEMA_VERSION),
  kind: z.literal('capacity'),
  tool: z.looseObject({ name: z.literal('promsoak'), version: str }),
  startedAt: str,
  profile: str,
  /** The system under test as the runner names it ('builtin', 'prometheus 2.42.0', 'exec:…'). */
  target: str,
  by: z.enum(['rate', 'series']),
  pushed: z.boolean(),
  load: z.looseObject({ samplesPerExporterPerSecond: qty, seriesPerExporter: qty, intervalSeconds: z.number().gt(0).max(86_400), maxExporters: int }),
  criteria,
  cores: z.array(z.looseObject({ cores: int, steps: z.array(step).max(100_000), outcome })).max(1024),
  scaling: z.array(scalingRow).max(1024),
  model: z.array(model).max(1024),
  prediction: prediction.nullable(),
  selfCheck: z.array(selfCheck).max(1024),
  notes: z.array(str).max(1000),
});

export interface CapacityInput {
  version: string;
  startedAt: string;
  profile: string;
  target: string;
  by: 'rate' | 'series';
  pushed: boolean;
  load: { samplesPerExporterPerSecond: number; seriesPerExporter: number; intervalSeconds: number; maxExporters: number };
  criteria: Criteria;
  cores: { cores: number; steps: StepResult[]; outcome: SearchOutcome }[];
  scaling: ScalingRow[];
  model: CoreModel[];
  prediction: Prediction | null;
  selfCheck: SelfCheck[];
  notes: string[];
}

/** capacity.json as written and read (the modules' own types; the schema checks every value of them, and a test reads back what was written). */
export type CapacityResult = Omit<CapacityInput, 'version'> & { schemaVersion: typeof CAPACITY_SCHEMA_VERSION; kind: 'capacity'; tool: { name: 'promsoak'; version: string } };

export function capacityResult(i: CapacityInput): CapacityResult {
  const { version, ...rest } = i;
  return { schemaVersion: CAPACITY_SCHEMA_VERSION, kind: 'capacity', tool: { name: 'promsoak', version }, ...rest };
}

/** The file's text; a value the schema refuses (NaN, ∞, out of range) throws: it is promsoak's bug, never written as if good. */
export function capacityJson(r: CapacityResult): string {
  const checked = capacitySchema.safeParse(r, { reportInput: true });
  if (!checked.success) throw new Error(`capacity.json would not read back: ${describeIssue(checked.error.issues[0]!)}`);
  return `${JSON.stringify(r, null, 2)}\n`;
}

const invalid = (path: string, what: string): PromsoakError => new PromsoakError('PROMSOAK_INPUT_INVALID', `${path}: ${what}`);

/** Reads and checks a capacity.json: a regular file within 64 MiB, JSON nested no deeper than the bound, the schema; one line naming the field otherwise (exit 2). */
export function readCapacityJson(path: string): CapacityResult {
  const parsed = parseBoundedJson(readRegularFile(path, { maxBytes: MAX_FILE_BYTES, what: 'a capacity.json' }).toString('utf8'));
  if (!parsed.ok) throw invalid(path, `not readable JSON (${parsed.why})`);
  const v = parsed.value as { kind?: unknown; schemaVersion?: unknown } | null;
  if (v === null || typeof v !== 'object' || v.kind !== 'capacity') throw invalid(path, "not a promsoak capacity.json (no kind 'capacity')");
  if (typeof v.schemaVersion === 'number' && v.schemaVersion > CAPACITY_SCHEMA_VERSION) {
    throw invalid(path, `schemaVersion ${v.schemaVersion} is newer than this promsoak reads (${CAPACITY_SCHEMA_VERSION})`);
  }
  const r = capacitySchema.safeParse(v, { reportInput: true });
  if (!r.success) throw invalid(path, describeIssue(r.error.issues[0]!));
  return r.data as unknown as CapacityResult;
}
