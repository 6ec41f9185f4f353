import { isIP } from 'node:net';
import { PromsoakError } from './errors.js';

/**
 * Option checks, run on what the user gave before defaults are filled in. Each names the
 * option and says what it got, and throws PROMSOAK_USAGE (exit 2). An undefined value is
 * "not given" and passes: the caller's default applies.
 */

const usage = (message: string): PromsoakError => new PromsoakError('PROMSOAK_USAGE', message);

/** An integer ≥ 1 (and ≤ max when given). */
export function positiveInt<T extends number | undefined>(name: string, v: T, max?: number): T {
  if (v === undefined) return v;
  if (!Number.isInteger(v) || v < 1) throw usage(`${name} must be a positive integer (got ${v})`);
  if (max !== undefined && v > max) throw usage(`${name} must be an integer in 1..${max} (got ${v})`);
  return v;
}

/** An integer ≥ 0. */
export function nonNegativeInt<T extends number | undefined>(name: string, v: T): T {
  if (v !== undefined && !(Number.isInteger(v) && v >= 0)) throw usage(`${name} must be a non-negative integer (got ${v})`);
  return v;
}

/** A finite number > 0 (and ≤ max when given). */
export function positiveNumber<T extends number | undefined>(name: string, v: T, max?: number): T {
  if (v !== undefined && !(Number.isFinite(v) && v > 0)) throw usage(`${name} must be a positive number (got ${v})`);
  if (v !== undefined && max !== undefined && v > max) throw usage(`${name} must be at most ${max} (got ${v})`);
  return v;
}

/** A non-empty list of integers in 1..max. */
export function positiveInts(name: string, v: number[] | undefined, max: number): number[] | undefined {
  if (v === undefined) return v;
  if (!Array.isArray(v) || v.length === 0) throw usage(`${name} must be a comma-separated list of positive integers`);
  for (const x of v) if (!Number.isInteger(x) || x < 1 || x > max) throw usage(`${name} must hold integers in 1..${max} (got ${x})`);
  return v;
}

/** `a,b,…`: host names or IP addresses (an IPv6 one with or without brackets), no ports. */
export function hostList(name: string, v: string | undefined): string[] | undefined {
  if (v === undefined) return v;
  const items = String(v).split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw usage(`${name} needs at least one host, e.g. ${name} 10.0.0.7,exporters.example (got "${v}")`);
  for (const h of items) {
    const bare = h.replace(/^\[(.*)\]$/, '$1');
    if (!(isIP(bare) !== 0 || /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(bare))) {
      throw usage(`${name} ${h}: not a host name or IP address (hosts only, no port or scheme)`);
    }
  }
  return items;
}
