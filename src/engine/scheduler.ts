import { failureReason, reasonIndex } from './failure-reason.js';
import { schedulePhaseMs } from '../common/schedule.js';
import { scrapeChannel, type ScrapeEvent } from '../protocol/engine-channels.js';
import type { ScrapeCallback, ScrapeClient } from './client.js';
import type { Ingester } from './ingest/ingester.js';
import type { TargetStatus } from '../protocol/engine.js';
import type { SelfMetrics } from './self-metrics.js';
import type { ScrapeTarget } from './targets.js';

/** Engine-wide counters, cumulative. */
export interface ScrapeCounters {
  samples: number;
  scrapesOk: number;
  scrapesFailed: number;
  scrapesSkipped: number;
  bodyBytes: number;
  seriesAdded: number;
}

export interface SchedulerOptions {
  intervalMs: number;
  timeoutMs: number;
}

const noop = (): void => undefined;

/**
 * When a target's first scrape happens, as Prometheus's scrapeLoop does it (scrape/target.go,
 * Target.offset): a fixed phase per target, hash(target) mod interval, so a fleet's scrapes
 * spread evenly over the interval and each target is scraped at the same phase every time.
 * Returns ms from `nowMs` to the first scrape, in (0, interval].
 */
export function scrapeOffsetMs(targetId: string, intervalMs: number, nowMs: number): number {
  const base = intervalMs - (nowMs % intervalMs);
  const offset = schedulePhaseMs(targetId, intervalMs);
  let next = base + offset;
  if (next > intervalMs) next -= intervalMs;
  return next;
}

class ScrapeLoop {
  readonly status: TargetStatus;
  timer: NodeJS.Timeout | undefined;
  running = false;
  /** performance.now() of the next tick. */
  nextAt = 0;
  /** The scrape in flight: its wall start and performance.now() start. */
  startMs = 0;
  t0 = 0;
  /** Bound once, so that a tick and a scrape's end allocate no closure. */
  tick: () => void = noop;
  done: ScrapeCallback = noop;
  constructor(readonly target: ScrapeTarget) {
    this.status = {
      target: target.id,
      labels: target.labels,
      health: 'unknown',
      lastScrapeMs: 0,
      lastDurationSeconds: 0,
      lastIngestSeconds: 0,
      lastSamples: 0,
      lastSeriesAdded: 0,
      lastBodyBytes: 0,
      scrapesOk: 0,
      scrapesFailed: 0,
      lastError: '',
      lastErrorReason: '',
    };
  }
}

/**
 * One scrape loop per target: at its phase, every interval, scrape (client) → ingest →
 * status and counters. A tick that finds the previous scrape of its target still running is
 * skipped (counted), as Prometheus's ticker drops ticks. A failed scrape (HTTP, timeout,
 * limit, ParseError…) marks only its own target down.
 */
export class Scheduler {
  readonly counters: ScrapeCounters = { samples: 0, scrapesOk: 0, scrapesFailed: 0, scrapesSkipped: 0, bodyBytes: 0, seriesAdded: 0 };
  private readonly loops: ScrapeLoop[];
  private stopped = false;
  private inFlight = 0;
  private drained: (() => void) | undefined;
  private readonly event: ScrapeEvent = { ok: true, reason: -1, durationMs: 0, samples: 0, seriesAdded: 0 };

  constructor(
    targets: ScrapeTarget[],
    private readonly client: ScrapeClient,
    private readonly ingester: Ingester,
    private readonly options: SchedulerOptions,
    private readonly metrics?: SelfMetrics,
  ) {
    this.loops = targets.map((t) => {
      const loop = new ScrapeLoop(t);
      loop.tick = () => this.tick(loop);
      loop.done = (err, body, contentType) => this.scraped(loop, err, body, contentType);
      return loop;
    });
  }

  start(): void {
    const wall = Date.now();
    const mono = performance.now();
    for (const loop of this.loops) {
      loop.nextAt = mono + scrapeOffsetMs(loop.target.id, this.options.intervalMs, wall);
      this.arm(loop);
    }
  }

  statuses(): TargetStatus[] {
    return this.loops.map((l) => l.status);
  }

  /** Stops scheduling and waits for the scrapes in flight. */
  stop(): Promise<void> {
    this.stopped = true;
    for (const l of this.loops) clearTimeout(l.timer);
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => (this.drained = resolve));
  }

  private arm(loop: ScrapeLoop): void {
    loop.timer = setTimeout(loop.tick, Math.max(0, loop.nextAt - performance.now()));
  }

  private tick(loop: ScrapeLoop): void {
    if (this.stopped) return;
    const interval = this.options.intervalMs;
    const now = performance.now();
    // Absolute schedule: no drift; after a stall, skip to the next phase in the future.
    loop.nextAt += interval;
    if (loop.nextAt <= now) loop.nextAt += Math.ceil((now - loop.nextAt) / interval) * interval;
    this.arm(loop);
    if (loop.running) {
      this.counters.scrapesSkipped++;
      return;
    }
    this.scrape(loop);
  }

  private scrape(loop: ScrapeLoop): void {
    loop.running = true;
    this.inFlight++;
    loop.startMs = Date.now();
    loop.t0 = performance.now();
    this.client.scrape(loop.target, this.options.timeoutMs, loop.done);
  }

  /** A scrape's end (the client's callback): ingest, record. */
  private scraped(loop: ScrapeLoop, err: Error | null, body: Uint8Array | null, contentType: string): void {
    const t1 = performance.now();
    let error = err;
    let samples = 0;
    if (error === null && body !== null) {
      try {
        samples = this.ingester.ingest(body, loop.target.id, loop.startMs, contentType);
        // A user's ingester that returns something else than a count fails its target's
        // scrape, as a throw does: NaN must not reach the samples/s.
        if (!(typeof samples === 'number' && samples >= 0 && Number.isFinite(samples))) {
          const got = typeof samples === 'number' ? String(samples) : typeof samples;
          samples = 0;
          error = new Error(`the ingester's ingest() returned ${got}, not a sample count`);
        }
      } catch (e) {
        error = e instanceof Error ? e : new Error(String(e));
      }
    }
    const t2 = performance.now();
    this.record(loop, loop.startMs, (t1 - loop.t0) / 1000, (t2 - t1) / 1000, body?.length ?? 0, samples, error);
    loop.running = false;
    if (--this.inFlight === 0 && this.drained) this.drained();
  }

  private record(loop: ScrapeLoop, startMs: number, httpS: number, ingestS: number, bytes: number, samples: number, error: Error | null): void {
    const s = loop.status;
    const c = this.counters;
    const reason = error === null ? undefined : failureReason(error);
    if (scrapeChannel.hasSubscribers) {
      // One event object, reused: subscribers read it during publish() (see ScrapeEvent).
      const e = this.event;
      e.ok = error === null;
      e.reason = reason === undefined ? -1 : reasonIndex(reason);
      e.durationMs = (httpS + ingestS) * 1000;
      e.samples = samples;
      e.seriesAdded = error === null ? (this.ingester.last?.seriesAdded ?? 0) : 0;
      scrapeChannel.publish(e);
    }
    s.lastScrapeMs = startMs;
    s.lastDurationSeconds = httpS;
    s.lastIngestSeconds = ingestS;
    s.lastBodyBytes = bytes;
    if (error === null) {
      const added = this.ingester.last?.seriesAdded ?? 0;
      s.health = 'up';
      s.lastError = '';
      s.lastErrorReason = '';
      s.lastSamples = samples;
      s.lastSeriesAdded = added;
      s.scrapesOk++;
      c.scrapesOk++;
      c.samples += samples;
      c.bodyBytes += bytes;
      c.seriesAdded += added;
      this.metrics?.scrapeOk(httpS, ingestS, samples, bytes, added);
    } else {
      s.health = 'down';
      s.lastError = error.message;
      s.lastErrorReason = reason!;
      s.lastSamples = 0;
      s.lastSeriesAdded = 0;
      s.scrapesFailed++;
      c.scrapesFailed++;
      this.metrics?.scrapeFailed(httpS, reason!);
    }
  }
}
