import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { PromsoakError } from '../common/errors.js';
import { readRegularFile } from '../common/read-file.js';
import { parseBoundedJson } from '../common/bounded-json.js';
import { firstIssue } from '../run/run-dir-schema.js';
import { readRunInput, type RunInput } from './run-input.js';

/**
 * A compare directory as `promsoak diff` reads it: compare.json names its runs (variant,
 * repeat, directory); each run is read from the compare directory itself (the directory's base
 * name: a compare moved elsewhere still reads, and a crafted path cannot lead out of it).
 */
export interface CompareInput {
  dir: string;
  /** Variants in compare.json's order, each with its runs (its repeats). */
  variants: { label: string; runs: RunInput[] }[];
  notes: string[];
}

/** A compare of 1000 variants × 1000 repeats is more than any machine runs; a crafted file holds no more. */
const MAX_RUNS = 10_000;

const compareSchema = z.looseObject({
  schemaVersion: z.number().int().min(1).max(1000).optional(),
  profile: z.string().max(10_000),
  runs: z
    .array(z.looseObject({ variant: z.string().min(1).max(10_000), repeat: z.number().int().min(0).max(1_000_000), dir: z.string().min(1).max(10_000) }))
    .max(MAX_RUNS),
});

/** A directory promsoak makes for a run: a plain base name (as run-dir-schema.ts's files). */
const RUN_DIR_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,254}$/;

export const isCompareDir = (dir: string): boolean => existsSync(join(dir, 'compare.json'));

export function readCompareInput(dir: string): CompareInput {
  const path = join(dir, 'compare.json');
  const parsed = parseBoundedJson(readRegularFile(path, { maxBytes: 64 * 2 ** 20, what: 'a compare.json' }).toString('utf8'));
  if (!parsed.ok) throw new PromsoakError('PROMSOAK_INPUT_INVALID', `${path}: not readable JSON (${parsed.why})`);
  const r = compareSchema.safeParse(parsed.value);
  if (!r.success) throw new PromsoakError('PROMSOAK_INPUT_INVALID', `${path}: ${firstIssue(r.error)}`);
  const variants: CompareInput['variants'] = [];
  const notes: string[] = [];
  r.data.runs.forEach((run, i) => {
    const name = basename(run.dir);
    if (!RUN_DIR_NAME.test(name)) throw new PromsoakError('PROMSOAK_INPUT_INVALID', `${path}: runs[${i}].dir: not a run directory's name`);
    const input = readRunInput(join(dir, name), { frames: false });
    notes.push(...input.notes);
    let v = variants.find((x) => x.label === run.variant);
    if (!v) variants.push((v = { label: run.variant, runs: [] }));
    v.runs.push(input);
  });
  if (variants.length === 0) throw new PromsoakError('PROMSOAK_INPUT_INVALID', `${path}: no runs`);
  return { dir, variants, notes };
}
