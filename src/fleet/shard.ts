import { PromsoakError } from '../common/errors.js';

/**
 * Fleet shards: `promsoak fleet --shard i/n` serves the exporters of shard i of n, so that n
 * processes (on one host or many, e.g. the pods of a StatefulSet) serve a profile's fleet
 * together, each exporter exactly once.
 *
 * Exporter ids are the fleet's own: integers 0..exporters−1, as in `/exporters/<id>/metrics`
 * and the `exporter` label of `/sd` (a string there: `Number()` it). The partition is
 * id mod n: it needs no exporter count (a shard and a coordinator agree without sharing the
 * profile), it is balanced to within one exporter, and each shard's ids spread over the
 * whole range, so the exporters a profile's `faults` pick (by seed, across the range) land in
 * every shard in about the same numbers.
 */
export interface Shard {
  /** 0-based: a StatefulSet pod's ordinal. */
  index: number;
  count: number;
}

/** What a fleet without `--shard` serves: everything, as one shard of one. */
export const WHOLE_FLEET: Shard = Object.freeze({ index: 0, count: 1 });

/** Shards beyond this are a typo (more than the largest sensible cluster of fleets). */
const MAX_SHARDS = 100_000;

const SHARD = /^(\d{1,6})\/(\d{1,6})$/;

/** `"i/n"` (0 ≤ i < n) → a shard; anything else is one line, PROMSOAK_USAGE (exit 2). */
export function parseShard(text: string): Shard {
  const m = SHARD.exec(String(text).trim());
  if (!m) throw usage(`--shard must be i/n, two integers with 0 ≤ i < n (shard i of n, counted from 0) (got "${text}")`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > MAX_SHARDS) throw usage(`--shard ${text}: the shard count n must be in 1..${MAX_SHARDS} (got ${count})`);
  if (index >= count) throw usage(`--shard ${text}: the index i must be in 0..${count - 1} (shards are counted from 0; got ${index})`);
  return { index, count };
}

/** True when exporter `id` belongs to `shard` (null: the whole fleet). */
export function inShard(id: number, shard: Shard | null): boolean {
  return shard === null || id % shard.count === shard.index;
}

/** How many of `exporters` ids (0..exporters−1) fall in `shard`. */
export function shardSize(exporters: number, shard: Shard | null): number {
  if (shard === null) return exporters;
  return Math.max(0, Math.ceil((exporters - shard.index) / shard.count));
}

/** The ids of `shard` among 0..exporters−1, ascending. */
export function shardIds(exporters: number, shard: Shard | null): number[] {
  const step = shard?.count ?? 1;
  const out: number[] = [];
  for (let id = shard?.index ?? 0; id < exporters; id += step) out.push(id);
  return out;
}

export function formatShard(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}

/**
 * Whether `shards` together serve the fleet exactly once: null when they do, otherwise one
 * line naming the shards that disagree on n, are out of range, repeat, or are missing.
 */
export function checkCoverage(shards: readonly Shard[]): string | null {
  if (shards.length === 0) return 'no shards given: at least one fleet is needed';
  const malformed = shards.filter((s) => !(Number.isInteger(s.count) && s.count >= 1 && Number.isInteger(s.index) && s.index >= 0 && s.index < s.count));
  if (malformed.length > 0) return `shard${malformed.length > 1 ? 's' : ''} ${list(malformed)} out of range (i/n needs 0 ≤ i < n)`;
  const counts = [...new Set(shards.map((s) => s.count))];
  if (counts.length > 1) {
    const byCount = counts.map((n) => `${list(shards.filter((s) => s.count === n))} split the fleet ${n} ways`).join(', ');
    return `the shards disagree on how many there are: ${byCount}`;
  }
  const n = counts[0]!;
  const seen = new Map<number, number>();
  for (const s of shards) seen.set(s.index, (seen.get(s.index) ?? 0) + 1);
  const twice = [...seen].filter(([, k]) => k > 1).map(([i, k]) => `${i}/${n} (${k} times)`);
  const missing: string[] = [];
  for (let i = 0; i < n; i++) if (!seen.has(i)) missing.push(`${i}/${n}`);
  const problems: string[] = [];
  if (twice.length > 0) problems.push(`shard${twice.length > 1 ? 's' : ''} ${twice.join(', ')} given more than once: their exporters would be served twice`);
  if (missing.length > 0) problems.push(`shard${missing.length > 1 ? 's' : ''} ${abbreviate(missing)} missing: their exporters would not be served`);
  return problems.length > 0 ? problems.join('; ') : null;
}

const list = (shards: readonly Shard[]): string => abbreviate(shards.map(formatShard));

/** A long list (a 1000-way split with most shards missing) cut to stay one readable line. */
function abbreviate(items: string[], max = 10): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

const usage = (message: string): PromsoakError => new PromsoakError('PROMSOAK_USAGE', message);

/** The ids of a shard in a few characters: `<1,4,7..19>` (`<0..19>` for the whole fleet). */
export function describeIds(exporters: number, shard: Shard | null): string {
  if (exporters === 0) return '<none>';
  if (shard === null || shard.count === 1) return `<0..${exporters - 1}>`;
  const ids = shardIds(exporters, shard);
  if (ids.length === 0) return '<none>';
  if (ids.length <= 3) return `<${ids.join(',')}>`;
  return `<${ids.slice(0, 3).join(',')}..${ids[ids.length - 1]}>`;
}
