import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PromsoakError } from '../common/errors.js';
import { readRegularFile } from '../common/read-file.js';
import { parseBoundedJson } from '../common/bounded-json.js';
import { canonicalJson } from '../profile/digest.js';
import { createHash } from 'node:crypto';
import { SCHEMA_VERSION, type Summary } from '../analysis/summary.js';
import type { Frame } from '../protocol/frame.js';
import { checkExtent, readFramesFile, readSummaryFile } from '../run/run-dir-read.js';

/**
 * One run directory as `promsoak diff` reads it: summary.json and frames.ndjson through the
 * run directory's own checked readers (run/run-dir-read.ts: untrusted, bounded, the first
 * problem one line naming the file, the line and the field), and the profile it served
 * (profile.json) as a digest.
 */
export interface RunInput {
  dir: string;
  summary: Summary;
  frames: Frame[];
  /** profile.json without `source` (where it was read from), or null when the run has none. */
  profile: { digest: string; value: unknown } | null;
  /** Said of the input and kept going: a summary of another schemaVersion, a cut last line. */
  notes: string[];
}

const invalid = (where: string, what: string): PromsoakError => new PromsoakError('PROMSOAK_INPUT_INVALID', `${where}: ${what}`);

/** A resolved profile is a few KiB (a replayed capture is named by its path, not held). */
const PROFILE_LIMIT = { maxBytes: 16 * 2 ** 20, what: "a run directory's profile.json" };

function readProfile(path: string): RunInput['profile'] {
  if (!existsSync(path)) return null;
  const r = parseBoundedJson(readRegularFile(path, PROFILE_LIMIT).toString('utf8'));
  if (!r.ok) throw invalid(path, `not readable JSON (${r.why})`);
  if (r.value === null || typeof r.value !== 'object' || Array.isArray(r.value)) throw invalid(path, 'not a profile (not a JSON object)');
  const { source: _source, ...value } = r.value as Record<string, unknown>;
  return { digest: `sha256:${createHash('sha256').update(canonicalJson(value)).digest('hex')}`, value };
}

/** The schemaVersion a summary.json says it has, read without its schema (for the message of one that fails it). */
function statedVersion(path: string): number | undefined {
  try {
    const r = parseBoundedJson(readRegularFile(path, { maxBytes: 64 * 2 ** 20, what: 'a summary.json' }).toString('utf8'));
    const v = r.ok ? (r.value as { schemaVersion?: unknown } | null)?.schemaVersion : undefined;
    return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function readSummary(path: string, notes: string[]): Summary {
  let s: Summary;
  try {
    s = readSummaryFile(path);
  } catch (e) {
    const v = statedVersion(path);
    if (e instanceof PromsoakError && v !== undefined && v < SCHEMA_VERSION) {
      throw new PromsoakError(e.code, `${e.message} (summary.json schemaVersion ${v}, older than this promsoak's ${SCHEMA_VERSION}: it cannot be read)`);
    }
    throw e;
  }
  const v = s.schemaVersion ?? 1;
  if (v < SCHEMA_VERSION) notes.push(`${path}: schemaVersion ${v} (this promsoak writes ${SCHEMA_VERSION}): read as it is; figures later versions added read n/a`);
  if (v > SCHEMA_VERSION) notes.push(`${path}: schemaVersion ${v}, written by a newer promsoak (this one reads ${SCHEMA_VERSION}): a figure it re-meant may read wrongly`);
  return s;
}

/** `frames: false`: summary.json and profile.json only (a compare directory's runs are compared by their summaries). */
export function readRunInput(dir: string, o: { frames?: boolean } = {}): RunInput {
  const summaryPath = join(dir, 'summary.json');
  const framesPath = join(dir, 'frames.ndjson');
  if (!existsSync(summaryPath)) {
    throw new PromsoakError('PROMSOAK_RUN_DIR_INVALID', existsSync(framesPath) ? `${dir} has no summary.json (the run did not finish): \`promsoak report ${dir}\` rebuilds it` : `${dir} is not a run directory (no summary.json) nor a compare directory (no compare.json)`);
  }
  const notes: string[] = [];
  const summary = readSummary(summaryPath, notes);
  if (o.frames === false) return { dir, summary, frames: [], profile: readProfile(join(dir, 'profile.json')), notes };
  if (!existsSync(framesPath)) throw new PromsoakError('PROMSOAK_RUN_DIR_INVALID', `${dir} has no frames.ndjson: its seconds cannot be compared`);
  const frames = readFramesFile(framesPath);
  const r = summary.run;
  checkExtent(dir, frames.items, [r.windowStartMs, r.windowEndMs, ...[...(r.harnessPauses ?? []), ...(r.harnessStalls ?? [])].flatMap((p) => [p.fromMs, p.toMs])]);
  if (frames.tornLastLine) notes.push(`${framesPath} ends with a cut line (the run was killed mid-write); it was left out`);
  return { dir, summary, frames: frames.items, profile: readProfile(join(dir, 'profile.json')), notes };
}
