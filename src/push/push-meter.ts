import type { PushCounts, PushStats } from '../protocol/push-stats.js';
import type { PushOptions } from './push-options.js';
import { LAT_BUCKETS, latencyQuantile, P, STATUS_FIRST, STATUS_SLOTS, sumSlots } from './push-counters.js';

const FIELDS: [keyof PushCounts, P][] = [
  ['generated', P.Generated],
  ['sent', P.Sent],
  ['acknowledged', P.Acked],
  ['rejected', P.Rejected],
  ['retried', P.RetriedSamples],
  ['retriedRequests', P.RetriedRequests],
  ['droppedBacklog', P.DroppedBacklog],
  ['droppedAtStop', P.DroppedStop],
  ['requests', P.Requests],
  ['requestsOk', P.RequestsOk],
  ['bytesWire', P.BytesWire],
  ['bytesRaw', P.BytesRaw],
  ['networkErrors', P.NetworkErrors],
  ['serverErrors', P.ServerErrors],
  ['tooManyRequests', P.TooMany],
  ['written', P.Written],
  ['staleMarkers', P.Stale],
  ['generatedLate', P.Late],
  ['skipped', P.Skipped],
];

/** At most this many distinct notes are kept (each said once by a sender). */
const MAX_NOTES = 20;

/** The main thread's view of the pushing threads' counters: totals when asked, and each whole second. */
export class PushMeter {
  private last: { atMs: number; sums: Float64Array };
  private lastSecond: PushStats['lastSecond'] = null;
  readonly notes: string[] = [];

  constructor(
    private readonly shared: SharedArrayBuffer,
    private readonly o: PushOptions,
    private readonly senders: number,
  ) {
    this.last = { atMs: Date.now(), sums: sumSlots(shared) };
  }

  get drainMs(): number {
    return this.o.drainMs;
  }

  private readonly noted = new Set<string>();

  /** A sender's line, kept once per cause (`key`: every sender of every thread says the same cause in its own words, e.g. its batch's size). */
  note(line: string, key: string = line): void {
    if (this.notes.length >= MAX_NOTES || this.noted.has(key)) return;
    this.noted.add(key);
    this.notes.push(line);
  }

  tick(now = Date.now()): void {
    const sums = sumSlots(this.shared);
    const d = new Float64Array(sums.length);
    for (let i = 0; i < d.length; i++) d[i] = sums[i]! - this.last.sums[i]!;
    this.lastSecond = { startMs: this.last.atMs, endMs: now, ...counts(d), backlog: Math.max(0, sums[P.Backlog]!), ...latency(d) };
    this.last = { atMs: now, sums };
  }

  /** The latency histogram's counts now (a copy), for a reader's own intervals (latencyP99Between). */
  latencyCounts(): Float64Array {
    return sumSlots(this.shared).slice(P.Latency, P.Latency + LAT_BUCKETS);
  }

  stats(): PushStats {
    const sums = sumSlots(this.shared);
    const byStatus: Record<string, number> = {};
    for (let s = 0; s < STATUS_SLOTS; s++) if (sums[P.Status + s]! > 0) byStatus[String(STATUS_FIRST + s)] = sums[P.Status + s]!;
    return {
      protocol: this.o.protocol === 2 ? '2.0' : '1.0',
      url: this.o.url,
      batch: this.o.batch,
      senders: this.senders,
      maxBacklog: this.o.maxBacklog,
      totals: { ...counts(sums), rejectedByStatus: byStatus, backlog: Math.max(0, sums[P.Backlog]!), generatorLagMaxMs: lagMax(this.shared), ...latency(sums) },
      lastSecond: this.lastSecond,
      notes: [...this.notes],
    };
  }
}

/** The most any thread's generation lagged, ms (each slot keeps its own maximum). */
function lagMax(shared: SharedArrayBuffer): number {
  const f = new Float64Array(shared);
  let max = 0;
  for (let i = P.LagMaxMs; i < f.length; i += P.Size) max = Math.max(max, f[i]!);
  return Math.round(max);
}

function counts(f: Float64Array): PushCounts {
  const c = {} as PushCounts;
  for (const [name, p] of FIELDS) c[name] = f[p]!;
  return c;
}

function latency(f: Float64Array): { latencyP50Ms: number | null; latencyP99Ms: number | null } {
  let n = 0;
  for (let b = 0; b < LAT_BUCKETS; b++) n += f[P.Latency + b]!;
  if (n === 0) return { latencyP50Ms: null, latencyP99Ms: null };
  return { latencyP50Ms: round(latencyQuantile(f, 0.5)), latencyP99Ms: round(latencyQuantile(f, 0.99)) };
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/** The p99 of the latencies counted between two readings of latencyCounts(), ms; null when none. */
export function latencyP99Between(before: Float64Array | null, after: Float64Array): number | null {
  const f = new Float64Array(P.Size);
  for (let b = 0; b < LAT_BUCKETS; b++) f[P.Latency + b] = after[b]! - (before?.[b] ?? 0);
  return latency(f).latencyP99Ms;
}
