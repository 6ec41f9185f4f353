import type { Frame } from '../protocol/frame.js';

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

/** Scrapes due in [fromMs, toMs) for one target whose due times are ≡ offset (mod interval). */
function dueIn(fromMs: number, toMs: number, offsetMs: number, intervalMs: number): number {
  return Math.floor((toMs - offsetMs) / intervalMs) - Math.floor((fromMs - offsetMs) / intervalMs);
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
  return frames.map((f) => {
    let due = 0;
    for (const o of s.offsetsMs) due += dueIn(f.startMs - lagMs, f.endMs - lagMs, o, s.intervalMs);
    return due * s.samplesPerScrape;
  });
}
