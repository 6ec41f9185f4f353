import type { z } from 'zod';
import { fileError, PromsoakError } from '../common/errors.js';
import { readRegularFile } from '../common/read-file.js';
import { MAX_JSON_DEPTH, nestedDeeperThan, parseBoundedJson } from '../common/bounded-json.js';
import type { Summary } from '../analysis/summary.js';
import type { Frame, TimedGcEvent } from '../protocol/frame.js';
import type { RunRecord } from './soak-summary.js';
import { readNdjsonChecked } from './run-dir.js';
import { firstIssue, frameSchema, gcEventSchema, MAX_RUN_MS, runRecordSchema, runScheduleSchema, summarySchema } from './run-dir-schema.js';

/**
 * A run directory's files as `promsoak report` reads them: each checked against its schema
 * (run-dir-schema.ts), the first problem one line naming the file, the line (ndjson) and the
 * field, as a PromsoakError (exit 2). Nothing read here reaches the analysis unchecked.
 */
const invalid = (where: string, what: string): PromsoakError => new PromsoakError('PROMSOAK_INPUT_INVALID', `${where}: ${what}`);

/** Larger than any run's file (a week of frames is ~0.5 GB) and than a string V8 can hold. */
const LIMIT = { maxBytes: 512 * 2 ** 20, what: "a run directory's file" };

/** A JSON file of the run directory: a regular file within LIMIT (common/read-file.ts: a FIFO or /dev/zero is one line), parsed. */
function readJson(path: string): unknown {
  // Nesting bounded (bounded-json.ts): report copies pieces of it, and a value 200k levels deep overflowed JSON.stringify.
  const r = parseBoundedJson(readRegularFile(path, LIMIT).toString('utf8'));
  if (!r.ok) throw invalid(path, `not readable JSON (${r.why})`);
  return r.value;
}

function checked<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw invalid(where, firstIssue(r.error));
  return r.data;
}

export function readSummaryFile(path: string): Summary {
  const v = readJson(path) as { run?: { profile?: unknown }; load?: { exporters?: unknown } } | null;
  if (typeof v?.run?.profile !== 'string' || typeof v?.load?.exporters !== 'number') throw invalid(path, 'not a promsoak summary (no run.profile or load.exporters)');
  return checked(summarySchema, v, path) as unknown as Summary;
}

export function readRunRecordFile(path: string): RunRecord {
  const v = readJson(path) as { meta?: { profile?: unknown } } | null;
  if (typeof v?.meta?.profile !== 'string') throw invalid(path, 'not a promsoak run record (no meta.profile)');
  return checked(runRecordSchema, v, path) as unknown as RunRecord;
}

/** run.json read only for the scrape schedule (summary.json has the rest). */
export function readRunSchedule(path: string): RunRecord['meta']['schedule'] {
  return (checked(runScheduleSchema, readJson(path), path) as unknown as Partial<RunRecord>).meta?.schedule;
}

function readRecords<S extends z.ZodType>(path: string, schema: S): { items: z.output<S>[]; lineOf: number[]; tornLastLine: boolean } {
  // Read once, as a regular file within the bound: a check and a second open could meet a FIFO or /dev/zero swapped in between.
  const text = readRegularFile(path, LIMIT).toString('utf8');
  if (nestedDeeperThan(text, MAX_JSON_DEPTH)) throw invalid(path, `a record nested deeper than ${MAX_JSON_DEPTH} levels`);
  let read: ReturnType<typeof readNdjsonChecked<unknown>>;
  try {
    read = readNdjsonChecked<unknown>(path, text);
  } catch (e) {
    if (e instanceof PromsoakError) throw e;
    throw fileError(path, e);
  }
  const items = read.items.map((v, i) => checked(schema, v, `${path}:${read.lineOf[i]}`));
  return { items, lineOf: read.lineOf, tornLastLine: read.tornLastLine };
}

/**
 * frames.ndjson: every record a frame, in time order (each starts no earlier than a second
 * before the one above it ends), none ending before it starts, all within MAX_RUN_MS.
 */
export function readFramesFile(path: string): { items: Frame[]; tornLastLine: boolean } {
  const r = readRecords(path, frameSchema);
  const frames = r.items as unknown as Frame[];
  frames.forEach((f, i) => {
    const at = `${path}:${r.lineOf[i]}`;
    if (f.endMs < f.startMs) throw invalid(at, `endMs: ${f.endMs} is before startMs ${f.startMs}`);
    if (f.endMs - f.startMs > MAX_RUN_MS) throw invalid(at, `endMs: the frame spans ${f.endMs - f.startMs} ms, longer than any run`);
    const prev = frames[i - 1];
    if (prev && f.startMs < prev.startMs - 1000) throw invalid(at, `startMs: ${f.startMs} is before the frame above it (${prev.startMs}): frames are in time order`);
  });
  return { items: frames, tornLastLine: r.tornLastLine };
}

/** gc.ndjson: every record a GC event; a Go runtime's cycles each once, in order. */
export function readGcFile(path: string): { items: TimedGcEvent[]; tornLastLine: boolean } {
  const r = readRecords(path, gcEventSchema);
  const events = r.items as unknown as TimedGcEvent[];
  let lastCycle = -1;
  events.forEach((e, i) => {
    if (e.runtime !== 'go' || e.cycle === undefined) return;
    if (e.cycle <= lastCycle) throw invalid(`${path}:${r.lineOf[i]}`, `cycle: Go GC cycle ${e.cycle} after cycle ${lastCycle}: a cycle is counted once, in order`);
    lastCycle = e.cycle;
  });
  return { items: events, tornLastLine: r.tornLastLine };
}

/** The run's whole extent (its frames, its window, the harness's pauses) is at most MAX_RUN_MS: nothing sized by it can be crafted huge. */
export function checkExtent(where: string, frames: Frame[], times: (number | null | undefined)[]): void {
  let lo = Infinity;
  let hi = -Infinity;
  const see = (t: number): void => {
    lo = Math.min(lo, t);
    hi = Math.max(hi, t);
  };
  for (const t of times) if (typeof t === 'number') see(t);
  for (const f of frames) {
    see(f.startMs);
    see(f.endMs);
  }
  if (hi - lo > MAX_RUN_MS) throw invalid(where, `the run's times span ${Math.round((hi - lo) / 1000)} s (frames, window, pauses), longer than any soak (${MAX_RUN_MS / 1000} s)`);
}
