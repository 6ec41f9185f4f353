import { PromsoakError } from '../common/errors.js';
import { visible } from '../common/terminal-text.js';
import { mean } from '../analysis/stats.js';
import { pairedDifference, unpairedDifference, type Difference } from '../analysis/difference.js';
import { pairedValues, sharedFleet, sharedOrigin } from './pairing.js';
import { blockMeans, blockSecondsFor, SERIES } from './blocks.js';
import { settingsDifferences } from './comparable.js';
import { HEADLINE } from './headline.js';
import { isCompareDir, readCompareInput } from './compare-input.js';
import { readRunInput, type RunInput } from './run-input.js';

/**
 * `promsoak diff a b`: two runs already made, or two compares. Two run directories: their
 * headline figures side by side, and their per-second series as batch means (blocks.ts)
 * compared by Welch's interval. Two compare directories: per variant (by label), each run a
 * repeat, Welch's interval over the repeats for every headline figure.
 */
export interface DiffOptions {
  a: string;
  b: string;
  /** Compare anyway what differs in profile, load or target. */
  force?: boolean;
  /** Seconds a block spans at least (rounded up to whole scrape intervals); default 10. */
  blockSeconds?: number;
}

export interface FigureRow {
  key: string;
  title: string;
  digits: number;
  a: number;
  b: number;
  /** Runs: the headline figure's change, %, no interval (one value a side). */
  pct: number;
}

export interface SeriesRow {
  key: string;
  title: string;
  digits: number;
  /** Means of the block means; the difference with its 95 % interval over the blocks. */
  a: number;
  b: number;
  difference: Difference;
}

export interface VariantRows {
  variant: string;
  repeats: { a: number; b: number };
  rows: SeriesRow[];
}

export interface DiffResult {
  kind: 'runs' | 'compares';
  a: string;
  b: string;
  /** What differs between them that --force let through. */
  forced: string[];
  notes: string[];
  /** Runs only. Paired: the runs were made at the same time and their blocks are the same seconds (pairing.ts); else unpaired (Welch). */
  design?: 'paired' | 'unpaired';
  blockSeconds?: number;
  blocks?: { a: number; b: number };
  headline: FigureRow[];
  series: SeriesRow[];
  /** Compares only. */
  variants: VariantRows[];
  /** Each figure that reads worse, with its interval: what --fail-on-worse fails on. */
  worse: string[];
}

export const DEFAULT_BLOCK_SECONDS = 10;

export const formatPct = (d: { pct: number; lowPct: number; highPct: number }): string => {
  const p = (v: number): string => `${v >= 0 ? '+' : ''}${v.toFixed(1)}`;
  if (!Number.isFinite(d.pct)) return 'n/a';
  return Number.isFinite(d.lowPct) ? `${p(d.pct)} % [${p(d.lowPct)}, ${p(d.highPct)}]` : `${p(d.pct)} %`;
};

function refuseOrForce(where: string, diffs: string[], force: boolean | undefined): string[] {
  if (diffs.length === 0) return [];
  if (!force) throw new PromsoakError('PROMSOAK_INPUT_INVALID', `${where} are not runs of one soak: ${diffs.join('; ')} (--force compares them anyway)`);
  return diffs;
}

/** Warnings that a run is not a good one: what it reads must not pass for a healthy run's figures. */
function health(r: RunInput, name: string): string[] {
  const out: string[] = [];
  const s = r.summary;
  if (s.run.stopReason !== 'completed') out.push(`WARNING: ${name} (${visible(r.dir)}) stopped ${s.run.stopReason}, not completed: its figures cover part of a soak`);
  if (s.push?.failed) out.push(`WARNING: ${name} (${visible(r.dir)}): its push failed`);
  // Batch means read a steady load: a starved engine or a saturated fleet is not one.
  if (typeof s.starvation.windows === 'number' && s.starvation.windows > 0) out.push(`${name} was starved in ${s.starvation.windows} of ${Math.round(s.run.measuredSeconds)} s: its seconds are not a steady load's, read its figures with care`);
  if (s.fleet.saturated === true) out.push(`WARNING: ${name}: the load generator was saturated${typeof s.fleet.reason === 'string' ? ` (${visible(s.fleet.reason.slice(0, 500))})` : ''}: it measured the fleet, not the system under test`);
  // summary.json's verdict is not in the schema run-dir-read.ts checks: read only as strings.
  const failed = (Array.isArray(s.verdict) ? (s.verdict as unknown[]) : []).find((l): l is string => typeof l === 'string' && l.startsWith('FAILED'));
  if (failed !== undefined) out.push(`WARNING: ${name} (${visible(r.dir)}) is a FAILED soak: ${visible(failed.slice(0, 500))}`);
  return out;
}

/** The series (or figures) of one diff are judged together: their intervals hold at 95 % all at once (Bonferroni). */
const pairedDifferenceOf = (v: { a: number[]; b: number[] }, lowerIsBetter: boolean): Difference => pairedDifference(v.a, v.b, lowerIsBetter, SERIES.length);

function diffRuns(o: DiffOptions): DiffResult {
  const a = readRunInput(o.a);
  const b = readRunInput(o.b);
  const forced = refuseOrForce(`${visible(o.a)} and ${visible(o.b)}`, settingsDifferences(a, b), o.force);
  const block = blockSecondsFor(o.blockSeconds ?? DEFAULT_BLOCK_SECONDS, Math.max(a.summary.load.intervalSeconds, b.summary.load.intervalSeconds));
  const origin = sharedOrigin({ frames: a.frames, w: a.summary.run }, { frames: b.frames, w: b.summary.run }, block);
  const ba = blockMeans(a.frames, a.summary.run, block, origin);
  const bb = blockMeans(b.frames, b.summary.run, block, origin);
  const paired = origin !== undefined && pairedValues(ba, bb, 'samplesPerSecond').a.length >= 2;
  const notes = [...a.notes, ...b.notes, ...health(a, 'a'), ...health(b, 'b')];
  for (const [name, x] of [['a', ba], ['b', bb]] as const) {
    if (x.count < 2) notes.push(`${name} has ${x.count} block${x.count === 1 ? '' : 's'} of ${block} s in its measured window: an interval needs at least 2 (a longer soak, or a smaller --block-seconds)`);
    if (x.secondsLeftOut > 0) notes.push(`${name}: ${x.secondsLeftOut} s left out of its blocks (the harness stalled or paused the engine in them)`);
  }
  const headline = HEADLINE.map((f) => {
    const va = f.get(a.summary);
    const vb = f.get(b.summary);
    return { key: f.key, title: f.title, digits: f.digits, a: va, b: vb, pct: va === 0 ? NaN : (100 * (vb - va)) / Math.abs(va) };
  });
  for (const h of headline) if (h.a === 0 && h.b !== 0) notes.push(`${h.title}: ${h.a} in a, ${h.b.toFixed(h.digits)} in b (a change from 0 has no %)`);
  const series = SERIES.map((s) => ({
    key: s.key,
    title: s.title,
    digits: s.digits,
    a: mean(ba.values[s.key].filter(Number.isFinite)),
    b: mean(bb.values[s.key].filter(Number.isFinite)),
    difference: paired ? pairedDifferenceOf(pairedValues(ba, bb, s.key), s.lowerIsBetter) : unpairedDifference(ba.values[s.key], bb.values[s.key], s.lowerIsBetter, SERIES.length),
  }));
  const worse = series.filter((r) => r.difference.word === 'worse').map((r) => `${r.title} ${formatPct(r.difference)}`);
  const fleet = paired ? sharedFleet(a.summary, b.summary) : undefined;
  if (fleet) {
    notes.push(
      `WARNING: a and b scraped one fleet (${visible(fleet)}) at the same time under the same target ids, so at the same scrape phases: one engine's scrapes wait on the other's, ` +
        'a difference no interval shows (two identical runs so read CPU 17 % apart here: docs/diff.md)',
    );
  }
  if (paired) notes.push(`a and b were run at the same time: their ${series[0]!.difference.n} common blocks pair (the same seconds), the interval is of the per-block differences`);
  return { kind: 'runs', a: o.a, b: o.b, forced, notes, design: paired ? 'paired' : 'unpaired', blockSeconds: block, blocks: { a: ba.count, b: bb.count }, headline, series, variants: [], worse };
}

function diffCompares(o: DiffOptions): DiffResult {
  const a = readCompareInput(o.a);
  const b = readCompareInput(o.b);
  const notes = [...a.notes, ...b.notes];
  const forced: string[] = [];
  const variants: VariantRows[] = [];
  const worse: string[] = [];
  for (const va of a.variants) {
    const vb = b.variants.find((v) => v.label === va.label);
    if (!vb) {
      notes.push(`variant ${visible(va.label)} is only in a`);
      continue;
    }
    forced.push(...refuseOrForce(`${visible(o.a)} and ${visible(o.b)} (variant ${visible(va.label)})`, settingsDifferences(va.runs[0]!, vb.runs[0]!), o.force).map((d) => `${visible(va.label)}: ${d}`));
    for (const [i, r] of va.runs.entries()) notes.push(...health(r, `a ${visible(va.label)} #${i + 1}`));
    for (const [i, r] of vb.runs.entries()) notes.push(...health(r, `b ${visible(vb.label)} #${i + 1}`));
    if (va.runs.length < 2 && vb.runs.length < 2) notes.push(`variant ${visible(va.label)}: ${va.runs.length} and ${vb.runs.length} repeat(s): an interval needs at least 2 on one side (compare --repeat)`);
    else if (va.runs.length < 2 || vb.runs.length < 2) notes.push(`variant ${visible(va.label)}: ${va.runs.length} and ${vb.runs.length} repeat(s): the single run's noise is taken as the other side's (the same soak)`);
    const rows = HEADLINE.map((f) => {
      const xa = va.runs.map((r) => f.get(r.summary));
      const xb = vb.runs.map((r) => f.get(r.summary));
      return { key: f.key, title: f.title, digits: f.digits, a: mean(xa.filter(Number.isFinite)), b: mean(xb.filter(Number.isFinite)), difference: unpairedDifference(xa, xb, f.lowerIsBetter, HEADLINE.length) };
    });
    for (const r of rows) if (r.a === 0 && r.b !== 0) notes.push(`variant ${visible(va.label)}: ${r.title}: 0 in a, ${r.b.toFixed(r.digits)} in b (mean of the repeats; a change from 0 has no %)`);
    for (const r of rows) if (r.difference.word === 'worse') worse.push(`${visible(va.label)}: ${r.title} ${formatPct(r.difference)}`);
    variants.push({ variant: va.label, repeats: { a: va.runs.length, b: vb.runs.length }, rows });
  }
  for (const vb of b.variants) if (!a.variants.some((v) => v.label === vb.label)) notes.push(`variant ${visible(vb.label)} is only in b`);
  if (variants.length === 0) throw new PromsoakError('PROMSOAK_INPUT_INVALID', `${visible(o.a)} and ${visible(o.b)} have no variant in common (compared by label)`);
  return { kind: 'compares', a: o.a, b: o.b, forced, notes, headline: [], series: [], variants, worse };
}

export function diff(o: DiffOptions): DiffResult {
  const ca = isCompareDir(o.a);
  const cb = isCompareDir(o.b);
  if (ca !== cb) throw new PromsoakError('PROMSOAK_USAGE', `${visible(ca ? o.a : o.b)} is a compare directory and ${visible(ca ? o.b : o.a)} is not: diff compares two run directories or two compare directories`);
  return ca ? diffCompares(o) : diffRuns(o);
}
