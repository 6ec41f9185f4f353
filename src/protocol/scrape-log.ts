import { FAILURE_REASONS, type ScrapeDrain, type ScrapeTally } from './engine-channels.js';

/**
 * Durations (and wake-ups' lateness) kept between two drains, at most (1 s at 1000 targets and a
 * 1 s interval is 1000): past it a second's are not kept, and its frame's scrapeMs.count reads
 * fewer than its scrapes.
 */
const MAX_DURATIONS = 1 << 20;

/**
 * What the engine's scheduler tells the telemetry agent about its scrapes: counts and
 * durations written into typed arrays (no object, no callback per scrape), which the agent
 * drains once a second. The engine makes one only when an agent listens at start-up
 * (engine-channels.ts); without one, nothing is recorded.
 */
export class ScrapeLog implements ScrapeDrain {
  private tally: ScrapeTally = newTally();
  private spare: ScrapeTally = newTally();

  /** One scrape's end; reason: its FAILURE_REASONS index when it failed, else -1. */
  record(ok: boolean, reason: number, durationMs: number, samples: number, seriesAdded: number): void {
    const t = this.tally;
    if (ok) {
      t.ok++;
      t.samples += samples;
      t.seriesAdded += seriesAdded;
    } else {
      t.failed++;
      if (reason >= 0) t.failedBy[reason]!++;
    }
    const d = (t.durationsUs = roomFor(t.durationsUs, t.count));
    if (t.count < d.length) d[t.count++] = Math.max(1, Math.round(durationMs * 1000));
  }

  /**
   * Samples stored without a scrape (a remote-write request the engine received): counted in
   * the second's samples and series added as a scrape's are, so a soak reads samples/s and
   * B/sample the same way; no scrape, no duration.
   */
  received(samples: number, seriesAdded: number): void {
    const t = this.tally;
    t.samples += samples;
    t.seriesAdded += seriesAdded;
  }

  /** One timer wake-up, `latenessUs` late: a store into a typed array (no histogram call per wake-up). */
  wake(latenessUs: number): void {
    const t = this.tally;
    const l = (t.latenessUs = roomFor(t.latenessUs, t.wakes));
    if (t.wakes < l.length) l[t.wakes++] = latenessUs;
  }

  /** The scrapes since the last drain; the log starts a new second (two tallies, swapped: nothing allocated). */
  drain(): ScrapeTally {
    const out = this.tally;
    const next = this.spare;
    next.ok = next.failed = next.samples = next.seriesAdded = next.count = next.wakes = 0;
    next.failedBy.fill(0);
    this.tally = next;
    this.spare = out;
    return out;
  }
}

function newTally(): ScrapeTally {
  return { ok: 0, failed: 0, samples: 0, seriesAdded: 0, failedBy: new Uint32Array(FAILURE_REASONS.length), durationsUs: new Uint32Array(1024), count: 0, latenessUs: new Uint32Array(256), wakes: 0 };
}

/** `a`, or a copy twice its length when its `n` values fill it and it is under the cap (full at the cap: nothing more is kept). */
function roomFor(a: Uint32Array, n: number): Uint32Array {
  if (n < a.length || a.length >= MAX_DURATIONS) return a;
  const grown = new Uint32Array(a.length * 2);
  grown.set(a);
  return grown;
}
