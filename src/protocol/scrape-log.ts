import { FAILURE_REASONS, type ScrapeDrain, type ScrapeTally } from './engine-channels.js';

/**
 * Durations kept between two drains, at most (1 s at 1000 targets and a 1 s interval is 1000):
 * past it a second's durations are not kept, and its frame's scrapeMs.count reads fewer than its scrapes.
 */
const MAX_DURATIONS = 1 << 20;

/**
 * What the engine's scheduler tells the telemetry agent about its scrapes: counts and
 * durations written into typed arrays (no object, no callback per scrape), which the agent
 * drains once a second. The engine makes one only when an agent listens at start-up
 * (engine-channels.ts); without one, nothing is recorded.
 */
export class ScrapeLog implements ScrapeDrain {
  private tally: ScrapeTally = { ok: 0, failed: 0, samples: 0, seriesAdded: 0, failedBy: new Uint32Array(FAILURE_REASONS.length), durationsUs: new Uint32Array(1024), count: 0 };
  private spare: ScrapeTally = { ...this.tally, failedBy: new Uint32Array(FAILURE_REASONS.length), durationsUs: new Uint32Array(1024) };

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
    if (t.count === t.durationsUs.length) {
      if (t.count >= MAX_DURATIONS) return;
      const grown = new Uint32Array(t.count * 2);
      grown.set(t.durationsUs);
      t.durationsUs = grown;
    }
    t.durationsUs[t.count++] = Math.max(1, Math.round(durationMs * 1000));
  }

  /** The scrapes since the last drain; the log starts a new second (two tallies, swapped: nothing allocated). */
  drain(): ScrapeTally {
    const out = this.tally;
    const next = this.spare;
    next.ok = next.failed = next.samples = next.seriesAdded = next.count = 0;
    next.failedBy.fill(0);
    this.tally = next;
    this.spare = out;
    return out;
  }
}
