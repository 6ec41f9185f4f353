import type { Frame } from '../protocol/frame.js';
import { upperBound } from './stats.js';

/**
 * What the scrape schedule expected to complete in each second. The engine scrapes each
 * target at fixed wall-clock phases (src/common/schedule.ts: a target's offset within the
 * interval comes from its id), so at a long interval the scrapes of one second are not those
 * of the next: 1000 targets at 5 s are ~200 a second, give or take their offsets' spread. A
 * second's ingestion measured against its own expected count reads even for a healthy engine
 * at any interval; against the mean it would saw-tooth with the offsets.
 */
export interface Schedule {
  intervalMs: number;
  /** Each target's phase within the interval, ms. */
  offsetsMs: number[];
  /** Samples one scrape of a target brings. */
  samplesPerScrape: number;
}

/** Each schedule's target phases as residues of the interval, sorted: built once per schedule. */
const residuesOf = new WeakMap<Schedule, Float64Array>();

function residues(s: Schedule): Float64Array {
  let r = residuesOf.get(s);
  if (!r) {
    r = Float64Array.from(s.offsetsMs, (o) => ((o % s.intervalMs) + s.intervalMs) % s.intervalMs).sort();
    residuesOf.set(s, r);
  }
  return r;
}

/**
 * Σ over targets of ⌊(x − offset) ÷ interval⌋, less a constant that cancels in a difference:
 * with x = m·interval + y, a target whose residue r ≤ y has had m due times, one above y m − 1.
 * So a second's due scrapes cost two bisections, not a pass over every target (a run.json of
 * 10 M offsets and 600 k frames would have taken hours).
 */
function dueBefore(x: number, s: Schedule, r: Float64Array): number {
  const m = Math.floor(x / s.intervalMs);
  return r.length * m - (r.length - upperBound(r, x - m * s.intervalMs));
}

/**
 * One second's samples/s read against the schedule, as the summary reads it (summarize.ts:
 * samples ÷ what the second was due × what the schedule offers a second), so the live line and
 * summary.json say one number; null when the second was due nothing (then only the raw count says).
 */
export function scheduledRate(f: Frame, s: Schedule, lagMs = 0): number | null {
  const due = expectedSamples([f], s, lagMs)[0]!;
  const offered = (s.offsetsMs.length * s.samplesPerScrape * 1000) / s.intervalMs;
  return due > 0 ? (f.samples / due) * offered : null;
}

/**
 * Per frame, the samples its second was due: the scrapes scheduled in it × samples per scrape.
 * Scrapes complete a few ms after they are due, so the window is shifted by `lagMs` (the
 * median scrape's duration).
 */
export function expectedSamples(frames: Frame[], s: Schedule, lagMs = 0): number[] {
  const r = residues(s);
  return frames.map((f) => (dueBefore(f.endMs - lagMs, s, r) - dueBefore(f.startMs - lagMs, s, r)) * s.samplesPerScrape);
}
