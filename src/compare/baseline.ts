import { existsSync, lstatSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import type { Summary } from '../analysis/summary.js';
import { PromsoakError } from '../common/errors.js';
import { readRegularFile } from '../common/read-file.js';
import { parseBoundedJson } from '../common/bounded-json.js';
import { describeIssue, preview } from '../common/schema-issue.js';
import { readSummaryFile } from '../run/run-dir-read.js';
import { readSummaryKey } from './summary-paths.js';
import { unsoundWhy } from './comparisons.js';
import { median } from '../analysis/stats.js';

/**
 * `--baseline`: a stored result the current variants are compared with: a compare.json (schema
 * 1 or 2), a compare directory (its compare.json) or one run directory (its summary.json: one
 * repeat). Its first variant's completed runs are the baseline's repeats; a schema-2 compare
 * made with --control also gives the A/A noise its control read, round by round.
 */
export interface StoredBaseline {
  source: string;
  /** compare.json's schemaVersion; null for a run directory. */
  schemaVersion: number | null;
  label: string;
  /** The baseline variant's runs by round (undefined: missing or not completed). */
  rounds: (Summary | undefined)[];
  /** Its control's runs by round; empty when it had none. */
  control: (Summary | undefined)[];
  /** Runs left out, and why (not completed). */
  leftOut: string[];
}

const COMPARE_JSON_VERSIONS = [1, 2];

const compareJsonSchema = z.object({
  schemaVersion: z.number(),
  variants: z.array(z.object({ label: z.string(), control: z.boolean().optional() })).min(1),
  runs: z.array(z.object({ variant: z.string(), repeat: z.number().int().nonnegative().max(100_000), dir: z.string(), relDir: z.string().optional(), stopReason: z.string().optional() })),
});

const invalid = (where: string, what: string): PromsoakError => new PromsoakError('PROMSOAK_INPUT_INVALID', `--baseline ${where}: ${what}`);

/**
 * A run's directory as compare.json names it: always one directory beside compare.json (compare
 * writes every run into its compare directory), by `relDir` (schema 2) or by the name of `dir`
 * (schema 1, or a compare directory moved: a CI artifact). A relDir that is not a plain name
 * (`../../etc`, an absolute path) or a run directory that is a symlink is refused, naming the run:
 * a crafted compare.json read summary.json files from anywhere on the machine.
 */
function runDir(path: string, index: number, run: { dir: string; relDir?: string }): string {
  const compareDir = dirname(path);
  const name = run.relDir ?? basename(run.dir);
  const field = run.relDir !== undefined ? `runs[${index}].relDir` : `runs[${index}].dir`;
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\\') || name.includes('\0')) {
    throw invalid(path, `${field}: ${preview(run.relDir ?? run.dir)} is not a run directory beside compare.json (a run of a compare is one directory in it)`);
  }
  const dir = join(compareDir, name);
  if (existsSync(dir) && lstatSync(dir).isSymbolicLink()) throw invalid(path, `${field}: ${preview(name)} is a symbolic link, not a run directory of this compare`);
  return dir;
}

function fromCompareJson(path: string): StoredBaseline {
  const parsed = parseBoundedJson(readRegularFile(path, { maxBytes: 64 * 2 ** 20, what: 'a compare.json' }).toString('utf8'));
  if (!parsed.ok) throw invalid(path, `not readable JSON (${parsed.why})`);
  const version = (parsed.value as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof version !== 'number') throw invalid(path, 'not a compare.json (no schemaVersion)');
  if (!COMPARE_JSON_VERSIONS.includes(version)) throw invalid(path, `compare.json schemaVersion ${version}: this promsoak reads ${COMPARE_JSON_VERSIONS.join(' and ')}`);
  const r = compareJsonSchema.safeParse(parsed.value, { reportInput: true });
  if (!r.success) throw invalid(path, describeIssue(r.error.issues[0]!));
  const j = r.data;
  const label = j.variants[0]!.label;
  const controlLabel = j.variants.find((v) => v.control === true)?.label;
  const rounds: (Summary | undefined)[] = [];
  const control: (Summary | undefined)[] = [];
  const leftOut: string[] = [];
  for (const [index, run] of j.runs.entries()) {
    const into = run.variant === label ? rounds : run.variant === controlLabel ? control : undefined;
    if (!into) continue;
    const s = readSummaryFile(join(runDir(path, index, run), 'summary.json'));
    const why = unsoundWhy(s);
    if (why !== null) leftOut.push(`${run.variant} #${run.repeat + 1} (${s.run.stopReason === 'completed' ? why : s.run.stopReason})`);
    else into[run.repeat] = s;
  }
  const n = Math.max(rounds.length, control.length);
  const pad = (x: (Summary | undefined)[]): (Summary | undefined)[] => Array.from({ length: x.length ? n : 0 }, (_, i) => x[i]);
  if (!rounds.some(Boolean)) throw invalid(path, `no completed run of its baseline variant ${label}${leftOut.length ? ` (left out: ${leftOut.join(', ')})` : ''}`);
  return { source: path, schemaVersion: version, label, rounds: pad(rounds), control: pad(control), leftOut };
}

/** The stored baseline at `path`, read and checked; any problem is one line naming the path (exit 2). */
export function loadBaseline(path: string): StoredBaseline {
  if (!existsSync(path)) throw new PromsoakError('PROMSOAK_FILE_NOT_FOUND', `--baseline ${path}: no such file or directory`);
  if (statSync(path).isDirectory()) {
    if (existsSync(join(path, 'compare.json'))) return fromCompareJson(join(path, 'compare.json'));
    if (!existsSync(join(path, 'summary.json'))) throw invalid(path, 'neither a compare directory (compare.json) nor a run directory (summary.json)');
    path = join(path, 'summary.json');
  }
  if (basename(path) === 'summary.json') {
    const s = readSummaryFile(path);
    const why = unsoundWhy(s);
    if (why !== null) throw invalid(path, `the run ${why.replace(/^its soak/, 'is a soak that')}: no baseline to gate by`);
    return { source: dirname(path), schemaVersion: null, label: `${s.run.profile} run`, rounds: [s], control: [], leftOut: [] };
  }
  return fromCompareJson(path);
}

/** The stored baseline's completed runs. */
export const baselineRuns = (b: StoredBaseline): Summary[] => b.rounds.filter((s): s is Summary => s !== undefined);

/** The largest |difference| in % its A/A control read on a key, over its rounds; NaN without a control. */
export function aaNoisePct(b: StoredBaseline, key: string): number {
  let worst = NaN;
  b.control.forEach((c, r) => {
    const a = b.rounds[r];
    if (!a || !c) return;
    const x = readSummaryKey(a, key);
    const y = readSummaryKey(c, key);
    if (!Number.isFinite(x) || !Number.isFinite(y) || x === 0) return;
    const d = Math.abs((100 * (y - x)) / x);
    worst = Number.isNaN(worst) ? d : Math.max(worst, d);
  });
  return worst;
}

/** What the current compare will run, for the check against the baseline. */
export interface NowSettings {
  profile: string;
  exporters: number;
  intervalSeconds: number;
  /** Seconds measured a run. */
  durationSeconds: number;
  /** Each variant's target kind (builtin, prometheus, …). */
  targets: string[];
  /** --push's protocol ('1.0', '2.0', as summary.json's push.protocol), or absent: scraped. */
  push?: string;
}

/** The differences between the baseline and now that make a comparison meaningless (refused unless --force). */
export function baselineMismatch(b: StoredBaseline, now: NowSettings): string[] {
  const s = baselineRuns(b)[0]!;
  const out: string[] = [];
  if (s.run.profile !== now.profile) out.push(`profile ${s.run.profile} there, ${now.profile} now`);
  if (s.load.exporters !== now.exporters) out.push(`${s.load.exporters} exporters there, ${now.exporters} now`);
  if (s.load.intervalSeconds !== now.intervalSeconds) out.push(`a ${s.load.intervalSeconds} s scrape interval there, ${now.intervalSeconds} s now`);
  // A window of another length changes what a run can show (starved seconds are a count, a peak grows with time): beyond 10 %, not the same soak.
  // Seconds measured are whole frames, so one second either way is the count's own grain (a 3 s soak here measured 4 once): the median run's, within max(10 %, 1 s).
  const measured = median(baselineRuns(b).map((x) => x.run.measuredSeconds));
  if (Math.abs(measured - now.durationSeconds) > Math.max(0.1 * now.durationSeconds, 1)) out.push(`${measured} s measured a run there, ${now.durationSeconds} s now`);
  // Pushed and scraped are other soaks: what is measured (the receiver's write path, not its scrapes) and what the figures mean differ.
  const how = (push: string | undefined): string => (push === undefined ? 'scraped' : `pushed (remote write ${push})`);
  if (s.push?.protocol !== now.push) out.push(`${how(s.push?.protocol)} there, ${how(now.push)} now`);
  const kind = s.run.target?.kind ?? 'builtin';
  const other = [...new Set(now.targets.filter((t) => t !== kind))];
  if (other.length) out.push(`target ${kind} there, ${other.join(', ')} now`);
  return out;
}

/** After the runs: the load each run measured against the baseline's (a profile file edited under the same name). */
export function loadMismatch(b: StoredBaseline, runs: Summary[]): string[] {
  const s = baselineRuns(b)[0]!;
  const r = runs[0];
  if (!r) return [];
  const out: string[] = [];
  if (r.load.seriesPerExporter !== s.load.seriesPerExporter) out.push(`${s.load.seriesPerExporter} series an exporter there, ${r.load.seriesPerExporter} now`);
  if (r.load.expectedSamplesPerSecond !== s.load.expectedSamplesPerSecond) out.push(`${s.load.expectedSamplesPerSecond} samples/s expected there, ${r.load.expectedSamplesPerSecond} now`);
  return out;
}
