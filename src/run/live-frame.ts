import type { Frame, TimedGcEvent } from '../protocol/frame.js';

/**
 * A record as the live metrics read it: any number in it may be null or absent, and so may any
 * object in it. Frames are being made to say null where a target does not expose a value
 * (never 0); reading them through this type compiles against today's Frame and that one alike,
 * and makes every read face the null.
 */
export type Nullable<T> = T extends number
  ? number | null | undefined
  : T extends string | boolean
    ? T
    : T extends object
      ? { [K in keyof T]: Nullable<T[K]> } | null | undefined
      : T;

export type LiveFrame = NonNullable<Nullable<Frame>>;
export type LiveGcEvent = NonNullable<Nullable<TimedGcEvent>>;

/** A measured number, or null (null, absent, NaN, ±Infinity: nothing to count or show). */
export function num(x: number | null | undefined): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}
