import { isIP } from 'node:net';
import { PromsoakError } from './errors.js';

/**
 * Option checks, run on what the user gave before defaults are filled in. Each names the
 * option and says what it got, and throws PROMSOAK_USAGE (exit 2). An undefined value is
 * "not given" and passes: the caller's default applies.
 */

const usage = (message: string): PromsoakError => new PromsoakError('PROMSOAK_USAGE', message);

/** An integer ≥ 1 (and ≤ max when given); past 2^53 integers are not exact, so not integers here. */
export function positiveInt<T extends number | undefined>(name: string, v: T, max?: number): T {
  if (v === undefined) return v;
  if (!Number.isSafeInteger(v) || v < 1) throw usage(`${name} must be a positive integer (got ${v})`);
  if (max !== undefined && v > max) throw usage(`${name} must be an integer in 1..${max} (got ${v})`);
  return v;
}

/** An integer ≥ 0. */
export function nonNegativeInt<T extends number | undefined>(name: string, v: T): T {
  if (v !== undefined && !(Number.isSafeInteger(v) && v >= 0)) throw usage(`${name} must be a non-negative integer (got ${v})`);
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

/**
 * The longest delay a Node timer can wait: 2^31−1 ms (~24.8 days). A longer setTimeout fires
 * at once (with a TimeoutOverflowWarning): a --duration of 1e12 would stop at the start.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** MAX_TIMER_MS in whole seconds: 2,147,483 s. */
export const MAX_TIMER_SECONDS = Math.floor(MAX_TIMER_MS / 1000);

/**
 * Seconds that end up in a timer (a duration, timeout, interval, warm-up): a finite number
 * > 0 (≥ 0 with `zero`, where 0 means something: no warm-up), at most `max` (default and
 * ceiling: MAX_TIMER_SECONDS, what a timer can wait). Every such flag goes through here.
 */
export function seconds<T extends number | undefined>(name: string, v: T, o: { zero?: boolean; max?: number } = {}): T {
  if (v === undefined) return v;
  const max = Math.min(o.max ?? MAX_TIMER_SECONDS, MAX_TIMER_SECONDS);
  if (!(Number.isFinite(v) && (o.zero ? v >= 0 : v > 0))) throw usage(`${name} must be a number of seconds ${o.zero ? '>= 0' : '> 0'} (got ${v})`);
  if (v > max) throw usage(`${name} must be at most ${max} s${unitOf(max)} (got ${v})`);
  return v;
}

const unitOf = (s: number): string =>
  s === MAX_TIMER_SECONDS ? ' (~24.8 days, the longest a timer waits)' : s % 86_400 === 0 ? ` (${s / 86_400 === 1 ? 'a day' : s / 86_400 === 7 ? 'a week' : `${s / 86_400} days`})` : '';

/** A TCP port to listen on: an integer in 0..65535 (0: a free one). */
export function port<T extends number | undefined>(name: string, v: T): T {
  if (v !== undefined && !(Number.isInteger(v) && v >= 0 && v <= 65_535)) throw usage(`${name} must be an integer in 0..65535 (got ${v})`);
  return v;
}
