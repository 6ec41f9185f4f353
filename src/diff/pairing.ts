import type { Frame } from '../protocol/frame.js';
import { windowFrames, type Blocks, type SeriesKey, type WindowOf } from './blocks.js';

/**
 * Two runs made at the same time (two engines scraping one fleet, e.g. two `promsoak run --fleet`
 * side by side) saw the same seconds of one machine: a stall, a noisy neighbour, the fleet's own
 * hiccup hits both. Their blocks, cut on one grid, pair, and the per-block difference leaves
 * that common noise out (a paired interval); runs made apart are compared unpaired (Welch).
 */

/** The start of the stretch both measured windows cover, when it holds at least two blocks; undefined when they were not run at the same time. */
export function sharedOrigin(a: { frames: readonly Frame[]; w: WindowOf }, b: { frames: readonly Frame[]; w: WindowOf }, blockSeconds: number): number | undefined {
  const fa = windowFrames(a.frames, a.w);
  const fb = windowFrames(b.frames, b.w);
  if (!fa.length || !fb.length) return undefined;
  const from = Math.max(fa[0]!.startMs, fb[0]!.startMs);
  const to = Math.min(fa.at(-1)!.endMs, fb.at(-1)!.endMs);
  return to - from >= 2 * blockSeconds * 1000 ? from : undefined;
}

/** The blocks both have (the same seconds), as two lists in step. */
export function pairedValues(a: Blocks, b: Blocks, key: SeriesKey): { a: number[]; b: number[] } {
  const at = new Map(b.index.map((ix, j) => [ix, j]));
  const out = { a: [] as number[], b: [] as number[] };
  a.index.forEach((ix, i) => {
    const j = at.get(ix);
    if (j === undefined) return;
    out.a.push(a.values[key][i]!);
    out.b.push(b.values[key][j]!);
  });
  return out;
}

/**
 * The fleet URL two runs both scraped (`run --fleet`), when they did: made at the same time they
 * scraped the same target ids, so at the same scrape phases (a phase hashes the id), in lockstep.
 * Which engine's scrape waits on the other's then decides its CPU: an A/A pair of runs so read
 * CPU +17 % and scrape p99 +26 % "worse" here (docs/diff.md), a bias no interval shows.
 */
export function sharedFleet(a: { fleet: { shards?: unknown } }, b: { fleet: { shards?: unknown } }): string | undefined {
  // summary.json's shards are not in the schema run-dir-read.ts checks: each URL taken only when it is a string.
  const urls = (s: unknown): string[] => (Array.isArray(s) ? s.slice(0, 10_000).map((x) => (x as { url?: unknown } | null)?.url).filter((u): u is string => typeof u === 'string') : []);
  const ua = new Set(urls(a.fleet.shards));
  return urls(b.fleet.shards).find((u) => ua.has(u));
}
