import { DEFAULTS } from '../common/defaults.js';
import { existsSync, readdirSync } from 'node:fs';
import { readRegularFile } from '../common/read-file.js';
import { dirname, resolve, basename, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { ProfileError } from '../common/errors.js';
import { profileNameSchema, profileSchema, type FamilyInput, type FaultsInput, type ProfileInput } from './schema.js';

/** The folder of shipped profiles (works from src/ under tsx and from dist/src/). */
export function profilesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'profiles');
    if (existsSync(join(candidate, 'default.json'))) return candidate;
    dir = dirname(dir);
  }
  throw new ProfileError('cannot find the shipped profiles/ folder', 'PROMSOAK_PROFILE_NOT_FOUND');
}

export interface ResolvedProfile {
  name: string;
  description: string;
  /** Absolute path of the file it came from. */
  source: string;
  exporters: number;
  scrapeIntervalSeconds: number;
  scrapeTimeoutSeconds: number;
  durationSeconds: number;
  warmupSeconds: number;
  seed: number;
  format: 'negotiate' | 'text' | 'openmetrics';
  churn: { seriesEverySeconds: number; seriesFraction: number; valuesEverySeconds: number };
  /** Faults the fleet injects (src/fleet/faults.ts); {} for none. */
  faults: FaultsInput;
  /** Replay files resolved to absolute paths. */
  families: FamilyInput[];
}

/** `default` → profiles/default.json; anything with a slash or .json is a path. */
export function resolveProfilePath(ref: string): string {
  if (ref.includes('/') || ref.includes('\\') || extname(ref) === '.json') {
    const p = resolve(ref);
    if (!existsSync(p)) throw new ProfileError(`profile file ${ref} does not exist`, 'PROMSOAK_PROFILE_NOT_FOUND');
    return p;
  }
  const p = join(profilesDir(), `${ref}.json`);
  if (!existsSync(p)) {
    throw new ProfileError(`no shipped profile named "${ref}" (see: promsoak profiles)`, 'PROMSOAK_PROFILE_NOT_FOUND');
  }
  return p;
}

/** The largest profile read: a profile is a page of JSON (a replayed capture is a file of its own). */
export const PROFILE_FILE_MAX_BYTES = 16 * 2 ** 20;

export function loadProfile(ref = 'default'): ResolvedProfile {
  const path = resolveProfilePath(ref);
  const text = readRegularFile(path, { maxBytes: PROFILE_FILE_MAX_BYTES, what: 'a profile', code: 'PROMSOAK_PROFILE_INVALID' }).toString('utf8');
  return parseProfile(text, path);
}

/** Validates a profile's text; errors name the file and the field, in one line. */
export function parseProfile(text: string, path: string): ResolvedProfile {
  const shown = displayPath(path);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ProfileError(`${shown}: invalid JSON${jsonPosition(text, (e as Error).message)}: ${(e as Error).message}`);
  }
  const parsed = profileSchema.safeParse(data, { reportInput: true });
  if (!parsed.success) throw new ProfileError(`${shown}: ${describeIssue(parsed.error.issues[0]!)}`);
  return resolveDefaults(parsed.data, path, shown);
}

function resolveDefaults(p: ProfileInput, path: string, shown: string): ResolvedProfile {
  // Without a "name", the file's name is the profile's: held to the same rule.
  const name = p.name ?? basename(path, '.json');
  const named = profileNameSchema.safeParse(name);
  if (!named.success) throw new ProfileError(`${shown}: profile.name is absent and the file's name ${JSON.stringify(name)} ${named.error.issues[0]!.message}; give the profile a "name"`);
  const interval = p.scrapeIntervalSeconds ?? DEFAULTS.intervalSeconds;
  if (p.scrapeTimeoutSeconds !== undefined && p.scrapeTimeoutSeconds > interval) {
    throw new ProfileError(`${shown}: scrapeTimeoutSeconds (${p.scrapeTimeoutSeconds}) must not exceed scrapeIntervalSeconds (${interval})`);
  }
  const names = new Set<string>();
  p.families.forEach((f, i) => {
    if (f.type === 'replay') {
      const file = resolve(dirname(path), f.file);
      if (!existsSync(file)) throw new ProfileError(`${shown}: families[${i}].file ${f.file} does not exist (resolved to ${file})`);
      f.file = file;
      return;
    }
    const reserved = f.type === 'histogram' ? 'le' : f.type === 'summary' ? 'quantile' : undefined;
    (f.labels ?? []).forEach((l, j) => {
      if (l.name === reserved) throw new ProfileError(`${shown}: families[${i}].labels[${j}].name "${reserved}" is reserved for ${f.type}s`);
      if (l.name === 'churn_id') throw new ProfileError(`${shown}: families[${i}].labels[${j}].name "churn_id" is reserved for churn`);
    });
    const seen = new Set<string>();
    (f.labels ?? []).forEach((l, j) => {
      if (seen.has(l.name)) throw new ProfileError(`${shown}: families[${i}].labels[${j}].name "${l.name}" is repeated`);
      seen.add(l.name);
    });
    const count = f.count ?? 1;
    for (let k = 0; k < count; k++) {
      const n = count === 1 ? f.name : `${f.name}_${k}`;
      if (names.has(n)) throw new ProfileError(`${shown}: families[${i}].name "${n}" is used by an earlier family`);
      names.add(n);
    }
  });
  return {
    name,
    description: p.description ?? '',
    source: path,
    exporters: p.exporters,
    scrapeIntervalSeconds: interval,
    scrapeTimeoutSeconds: p.scrapeTimeoutSeconds ?? Math.min(DEFAULTS.maxTimeoutSeconds, interval),
    durationSeconds: p.durationSeconds ?? 60,
    warmupSeconds: p.warmupSeconds ?? 10,
    seed: p.seed ?? 1,
    format: p.format ?? 'negotiate',
    churn: {
      seriesEverySeconds: p.churn?.seriesEverySeconds ?? 0,
      seriesFraction: p.churn?.seriesFraction ?? 0,
      valuesEverySeconds: p.churn?.valuesEverySeconds ?? 1,
    },
    faults: p.faults ?? {},
    families: p.families,
  };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const field = formatPath(issue.path);
  const got = 'input' in issue && issue.input !== undefined ? ` (got ${preview(issue.input)})` : '';
  if (issue.code === 'unrecognized_keys') {
    return `${field ? field + ': ' : ''}unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) return `${field} is required`;
  return `${field || 'profile'} ${issue.message}${got}`;
}

function formatPath(path: PropertyKey[]): string {
  let s = 'profile';
  for (const k of path) s += typeof k === 'number' ? `[${k}]` : `.${String(k)}`;
  return s === 'profile' ? '' : s;
}

function preview(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}

function jsonPosition(text: string, message: string): string {
  const m = /position (\d+)/.exec(message);
  if (!m) return '';
  const pos = Number(m[1]);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const col = pos - before.lastIndexOf('\n');
  return ` at line ${line} column ${col}`;
}

function displayPath(path: string): string {
  const cwd = process.cwd();
  return path.startsWith(cwd + '/') ? path.slice(cwd.length + 1) : path;
}

/** The shipped profiles, for `promsoak profiles`. */
export function listProfileFiles(): string[] {
  const dir = profilesDir();
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(dir, f));
}
