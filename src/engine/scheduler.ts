import { failureReason, reasonIndex } from './failure-reason.js';
import { schedulePhaseMs } from '../common/schedule.js';
import type { ScrapeLog } from '../protocol/scrape-log.js';
import type { ScrapeCallback, ScrapeClient } from './client.js';
import { DueQueue } from './due-queue.js';
import { TargetStatusTable } from './target-status.js';
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
  /** Added to every target's phase (EngineOptions.phaseOffsetMs); default 0. */
  phaseOffsetMs?: number;
}

/**
 * When a target's first scrape happens, as Prometheus's scrapeLoop does it (scrape/target.go,
 * Target.offset): a fixed phase per target, hash(target) mod interval, so a fleet's scrapes
 * spread evenly over the interval and each target is scraped at the same phase every time.
 * Returns ms from `nowMs` to the first scrape, in (0, interval].
 */
export function scrapeOffsetMs(targetId: string, intervalMs: number, nowMs: number, phaseOffsetMs = 0): number {
  const base = intervalMs - (nowMs % intervalMs);
  const offset = schedulePhaseMs(targetId, intervalMs, phaseOffsetMs);
  let next = base + offset;
  if (next > intervalMs) next -= intervalMs;
  return next;
}

/** A loop's place in the targets (a retarget moves it). */
const enum Loop {
  /** Not a target now, and not queued. */
  Off = 0,
  /** A target: queued, or scraping. */
  On = 1,
  /** Removed by a retarget but still queued: its next tick drops it (a scrape in flight finishes). */
  Leaving = 2,
}

/**
 * One scrape loop per target: at its phase, every interval, scrape (client) → ingest →
 * status and counters. A tick that finds the previous scrape of its target still running is
 * skipped (counted), as Prometheus's ticker drops ticks. A failed scrape (HTTP, timeout,
 * limit, ParseError…) marks only its own target down.
 *
 * A loop is an index, its state columns of typed arrays (DueQueue: when it is due, one timer
 * for all; TargetStatusTable: its status), and the client calls one callback with the loop's
 * index: nothing per target on the heap but its ScrapeTarget (docs/heap.md).
 */
export class Scheduler {
  readonly counters: ScrapeCounters = { samples: 0, scrapesOk: 0, scrapesFailed: 0, scrapesSkipped: 0, bodyBytes: 0, seriesAdded: 0 };
  private readonly status: TargetStatusTable;
  private readonly due: DueQueue;
  /** Every loop there ever was, by index: the start's targets, then those retargets added. */
  private readonly loops: ScrapeTarget[];
  /** Per loop: Loop (On, Leaving, Off). */
  private state: Uint8Array;
  /** Per loop: 1 while its scrape is in flight. */
  private running: Uint8Array;
  /** Per loop, the scrape in flight: its wall start and performance.now() start. */
  private startMs: Float64Array;
  private t0: Float64Array;
  /** Loops On. */
  private active: number;
  /** A loop's index by target id, made at the first retarget. */
  private index: Map<string, number> | undefined;
  private stopped = false;
  private inFlight = 0;
  private drained: (() => void) | undefined;
  /** Bound once: the client calls it with the loop's index. */
  private readonly done: ScrapeCallback = (err, body, contentType, i) => this.scraped(i, err, body, contentType);

  constructor(
    targets: readonly ScrapeTarget[],
    private readonly client: ScrapeClient,
    private readonly ingester: Ingester,
    private readonly options: SchedulerOptions,
    private readonly metrics?: SelfMetrics,
    /** The telemetry agent's, when one listens (engine-channels.ts): scrapes, and the timer's lateness. */
    private readonly log?: ScrapeLog,
  ) {
    const n = targets.length;
    this.loops = targets.slice();
    this.active = n;
    this.status = new TargetStatusTable(this.loops);
    this.due = new DueQueue(n, (i, now) => this.tick(i, now), log);
    this.state = new Uint8Array(n).fill(Loop.On);
    this.running = new Uint8Array(n);
    this.startMs = new Float64Array(n);
    this.t0 = new Float64Array(n);
  }

  start(): void {
    const wall = Date.now();
    const mono = performance.now();
    for (let i = 0; i < this.loops.length; i++) this.due.schedule(i, mono + scrapeOffsetMs(this.loops[i]!.id, this.options.intervalMs, wall, this.options.phaseOffsetMs));
  }

  /** The targets scraped now (after the last retarget), in the order the loops were made. */
  get targets(): ScrapeTarget[] {
    return this.loops.filter((_, i) => this.state[i] === Loop.On);
  }

  /** How many targets are scraped now. */
  get targetCount(): number {
    return this.active;
  }

  /**
   * The targets are `next` from now on (the engine re-read its file_sd): a new one starts at
   * its phase, as at the start; a removed one is not scraped again (a scrape of it in flight
   * finishes and is counted; its series stay in the head, as Prometheus keeps them until they
   * go stale); one that comes back keeps its loop. Returns the targets scraped now.
   */
  retarget(next: readonly ScrapeTarget[]): number {
    if (this.stopped) return this.active;
    const index = (this.index ??= new Map(this.loops.map((t, i) => [t.id, i])));
    const want = new Uint8Array(this.loops.length + next.length);
    for (const t of next) {
      let i = index.get(t.id);
      if (i === undefined) {
        i = this.loops.push(t) - 1;
        index.set(t.id, i);
      } else this.loops[i] = t; // its labels as the file says now
      want[i] = 1;
    }
    this.grow(this.loops.length);
    const wall = Date.now();
    const mono = performance.now();
    let active = 0;
    for (let i = 0; i < this.loops.length; i++) {
      const s = this.state[i]!;
      if (want[i] === 1) {
        active++;
        // A Leaving loop is still queued at its phase: it stays.
        if (s === Loop.Off) this.due.schedule(i, mono + scrapeOffsetMs(this.loops[i]!.id, this.options.intervalMs, wall, this.options.phaseOffsetMs));
        this.state[i] = Loop.On;
      } else if (s === Loop.On) {
        this.state[i] = Loop.Leaving;
        if (this.running[i] === 0) this.status.forget(i);
      }
    }
    this.active = active;
    return active;
  }

  /** Every target's status (new objects, in the targets' order). */
  statuses(): TargetStatus[] {
    const out: TargetStatus[] = [];
    for (let i = 0; i < this.loops.length; i++) if (this.state[i] === Loop.On) out.push(this.status.get(i));
    return out;
  }

  /** Targets whose last scrape succeeded. */
  get targetsUp(): number {
    return this.status.up;
  }

  /** Stops scheduling and waits for the scrapes in flight. */
  stop(): Promise<void> {
    this.stopped = true;
    this.due.stop();
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => (this.drained = resolve));
  }

  /** Room in every column for `n` loops. */
  private grow(n: number): void {
    if (n <= this.state.length) return;
    const more = <T extends Uint8Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.state = more(this.state, (k) => new Uint8Array(k));
    this.running = more(this.running, (k) => new Uint8Array(k));
    this.startMs = more(this.startMs, (k) => new Float64Array(k));
    this.t0 = more(this.t0, (k) => new Float64Array(k));
    this.due.grow(n);
    this.status.grow(n);
  }

  /** Loop i is due (out of the queue). */
  private tick(i: number, now: number): void {
    if (this.stopped) return;
    if (this.state[i] !== Loop.On) {
      // Removed by a retarget: not queued again.
      this.state[i] = Loop.Off;
      return;
    }
    const interval = this.options.intervalMs;
    // Absolute schedule: no drift; after a stall, skip to the next phase in the future.
    let next = this.due.at[i]! + interval;
    if (next <= now) next += Math.ceil((now - next) / interval) * interval;
    this.due.schedule(i, next);
    if (this.running[i] !== 0) {
      this.counters.scrapesSkipped++;
      return;
    }
    this.running[i] = 1;
    this.inFlight++;
    this.startMs[i] = Date.now();
    this.t0[i] = performance.now();
    this.client.scrape(this.loops[i]!, this.options.timeoutMs, this.done, i);
  }

  /** A scrape's end (the client's callback): ingest, record. */
  private scraped(i: number, err: Error | null, body: Uint8Array | null, contentType: string): void {
    const t1 = performance.now();
    const startMs = this.startMs[i]!;
    let error = err;
    let samples = 0;
    if (error === null && body !== null) {
      try {
        samples = this.ingester.ingest(body, this.loops[i]!.id, startMs, contentType);
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
    this.record(i, startMs, (t1 - this.t0[i]!) / 1000, (t2 - t1) / 1000, body?.length ?? 0, samples, error);
    this.running[i] = 0;
    // A target a retarget removed while this scrape ran: counted, but no longer on the targets page.
    if (this.state[i] !== Loop.On) this.status.forget(i);
    if (--this.inFlight === 0 && this.drained) this.drained();
  }

  private record(i: number, startMs: number, httpS: number, ingestS: number, bytes: number, samples: number, error: Error | null): void {
    const c = this.counters;
    const reason = error === null ? undefined : failureReason(error);
    const added = error === null ? (this.ingester.last?.seriesAdded ?? 0) : 0;
    this.log?.record(error === null, reason === undefined ? -1 : reasonIndex(reason), (httpS + ingestS) * 1000, samples, added);
    if (error === null) {
      this.status.ok(i, startMs, httpS, ingestS, bytes, samples, added);
      c.scrapesOk++;
      c.samples += samples;
      c.bodyBytes += bytes;
      c.seriesAdded += added;
      this.metrics?.scrapeOk(httpS, ingestS, samples, bytes, added);
    } else {
      this.status.failed(i, startMs, httpS, ingestS, bytes, error.message, reason!);
      c.scrapesFailed++;
      this.metrics?.scrapeFailed(httpS, reason!);
    }
  }
}
