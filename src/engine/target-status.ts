import type { FailureReason } from '../protocol/engine-channels.js';
import type { TargetStatus } from '../protocol/engine.js';
import type { ScrapeTarget } from './targets.js';

/** A target's numbers in the table: F.Size doubles, target i at i * F.Size. */
const enum F {
  LastScrapeMs = 0,
  LastDurationSeconds = 1,
  LastIngestSeconds = 2,
  LastSamples = 3,
  LastSeriesAdded = 4,
  LastBodyBytes = 5,
  ScrapesOk = 6,
  ScrapesFailed = 7,
  Size = 8,
}

const HEALTH = ['unknown', 'up', 'down'] as const;
const enum Health {
  Unknown = 0,
  Up = 1,
  Down = 2,
}

/**
 * Every target's status (Prometheus's targets page: health, last scrape, last error) as
 * columns: one Float64Array of numbers, one byte of health a target, and the last error's
 * message and reason only while the target is down. A TargetStatus object is made when one is
 * asked for (IPC, /metrics): as an object per target, with its doubles boxed, 5000 targets
 * were 10,000 objects on the heap for every mark-compact (docs/heap.md).
 * Per scrape, recording allocates nothing.
 */
export class TargetStatusTable {
  private num: Float64Array;
  private health: Uint8Array;
  private readonly errors: string[];
  private readonly reasons: string[];
  /** Targets whose last scrape succeeded. */
  up = 0;

  /** `targets` is read where it is asked for: a scheduler that appends loops to it calls grow() first. */
  constructor(private readonly targets: readonly ScrapeTarget[]) {
    this.num = new Float64Array(targets.length * F.Size);
    this.health = new Uint8Array(targets.length);
    this.errors = new Array<string>(targets.length).fill('');
    this.reasons = new Array<string>(targets.length).fill('');
  }

  /** Target i's scrape that started at startMs succeeded. MUST stay allocation-free: once per scrape. */
  ok(i: number, startMs: number, httpS: number, ingestS: number, bytes: number, samples: number, added: number): void {
    this.scraped(i, startMs, httpS, ingestS, bytes, Health.Up);
    const r = i * F.Size;
    this.num[r + F.LastSamples] = samples;
    this.num[r + F.LastSeriesAdded] = added;
    this.num[r + F.ScrapesOk]!++;
    this.errors[i] = '';
    this.reasons[i] = '';
  }

  /** Target i's scrape that started at startMs failed. */
  failed(i: number, startMs: number, httpS: number, ingestS: number, bytes: number, error: string, reason: FailureReason): void {
    this.scraped(i, startMs, httpS, ingestS, bytes, Health.Down);
    const r = i * F.Size;
    this.num[r + F.LastSamples] = 0;
    this.num[r + F.LastSeriesAdded] = 0;
    this.num[r + F.ScrapesFailed]!++;
    this.errors[i] = error;
    this.reasons[i] = reason;
  }

  /** Room for `n` targets (appended to `targets` by a retarget); the new ones unknown, never scraped. */
  grow(n: number): void {
    if (n <= this.health.length) return;
    const num = new Float64Array(n * F.Size);
    num.set(this.num);
    const health = new Uint8Array(n);
    health.set(this.health);
    this.num = num;
    this.health = health;
    for (let i = this.errors.length; i < n; i++) {
      this.errors.push('');
      this.reasons.push('');
    }
  }

  /** Target i left the targets (a retarget): its status starts again from unknown, should it come back. */
  forget(i: number): void {
    if (this.health[i] === Health.Up) this.up--;
    this.health[i] = Health.Unknown;
    this.num.fill(0, i * F.Size, (i + 1) * F.Size);
    this.errors[i] = '';
    this.reasons[i] = '';
  }

  /** Target i's status, as a new object. */
  get(i: number): TargetStatus {
    const r = i * F.Size;
    const n = this.num;
    return {
      target: this.targets[i]!.id,
      labels: this.targets[i]!.labels,
      health: HEALTH[this.health[i]!]!,
      lastScrapeMs: n[r + F.LastScrapeMs]!,
      lastDurationSeconds: n[r + F.LastDurationSeconds]!,
      lastIngestSeconds: n[r + F.LastIngestSeconds]!,
      lastSamples: n[r + F.LastSamples]!,
      lastSeriesAdded: n[r + F.LastSeriesAdded]!,
      lastBodyBytes: n[r + F.LastBodyBytes]!,
      scrapesOk: n[r + F.ScrapesOk]!,
      scrapesFailed: n[r + F.ScrapesFailed]!,
      lastError: this.errors[i]!,
      lastErrorReason: this.reasons[i]!,
    };
  }

  /** Every target's status, in the targets' order (new objects). */
  all(): TargetStatus[] {
    return this.targets.map((_, i) => this.get(i));
  }

  private scraped(i: number, startMs: number, httpS: number, ingestS: number, bytes: number, health: Health): void {
    const r = i * F.Size;
    const n = this.num;
    n[r + F.LastScrapeMs] = startMs;
    n[r + F.LastDurationSeconds] = httpS;
    n[r + F.LastIngestSeconds] = ingestS;
    n[r + F.LastBodyBytes] = bytes;
    if (this.health[i] === Health.Up) this.up--;
    if (health === Health.Up) this.up++;
    this.health[i] = health;
  }
}
