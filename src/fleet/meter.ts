import { hostname } from 'node:os';
import { version } from '../common/version.js';
import type { FleetCounts, FleetStats } from '../protocol/fleet-stats.js';
import { FLEET_STATS_SCHEMA_VERSION } from '../protocol/fleet-stats.js';
import type { Shard } from './shard.js';
import type { FleetThread } from '../protocol/fleet-stats.js';

/** The fleet's running counts, which its HTTP front adds to (plain numbers: per scrape, nothing allocated). */
export interface FleetCounters {
  scrapes: number;
  bytes: number;
  renderNs: number;
  errors: number;
  notFound: number;
  /** Scrapes rendered into a recycled body buffer (no allocation). */
  reused: number;
  /** Scrapes answered with an injected fault (the profile's `faults`). */
  faults: number;
  /** Connections cut off by the fleet's per-connection bounds (http-connection.ts): a response left unread, a head never finished. */
  connectionsCut: number;
  lastError?: string;
}

/** What /stats says about the fleet that never changes while it runs. */
export type FleetIdentity = Pick<FleetStats, 'profile' | 'shard' | 'exporters'> & {
  fleet: Omit<FleetStats['fleet'], 'pid' | 'host' | 'version' | 'node'>;
};

type Second = NonNullable<FleetStats['lastSecond']>;

/**
 * The fleet's clock for /stats and /metrics: once a second (an unref'd timer: it never keeps
 * a process alive) it takes the counters' and the process CPU's difference from the last
 * tick, the serving threads saturated in that second, and each thread's CPU and utilization. Sub-second detail is left to
 * a reader's own polling of the cumulative totals.
 */
export class FleetMeter {
  private timer: NodeJS.Timeout | undefined;
  private last: { atMs: number; counts: FleetCounts; cpuUs: number };
  private lastSecond: Second | null = null;
  private seconds = 0;
  private queuedSeconds = 0;

  constructor(
    readonly counters: FleetCounters,
    private readonly identity: FleetIdentity,
    private readonly queueDepth: () => number,
    private readonly threads?: { tick(now?: number): void; threadsNow(): FleetThread[] },
  ) {
    this.last = { atMs: Date.now(), counts: countsOf(counters), cpuUs: cpuMicros() };
  }

  start(): this {
    this.timer ??= setInterval(() => this.tick(), 1000).unref();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Closes the current second (the timer calls it; tests may too). */
  tick(now = Date.now()): void {
    this.threads?.tick(now);
    const counts = countsOf(this.counters);
    const cpuUs = cpuMicros();
    const seconds = Math.max(1e-3, (now - this.last.atMs) / 1000);
    const queueDepthMax = this.queueDepth();
    this.lastSecond = {
      startMs: this.last.atMs,
      endMs: now,
      scrapes: counts.scrapes - this.last.counts.scrapes,
      bytes: counts.bytes - this.last.counts.bytes,
      renderErrors: counts.renderErrors - this.last.counts.renderErrors,
      notFound: counts.notFound - this.last.counts.notFound,
      faults: counts.faults - this.last.counts.faults,
      cpuCores: (cpuUs - this.last.cpuUs) / 1e6 / seconds,
      queueDepthMax,
    };
    this.seconds++;
    if (queueDepthMax > 0) this.queuedSeconds++;
    this.last = { atMs: now, counts, cpuUs };
  }

  cpuSeconds(): number {
    return cpuMicros() / 1e6;
  }

  stats(): FleetStats {
    const id = this.identity;
    return {
      schemaVersion: FLEET_STATS_SCHEMA_VERSION,
      atMs: Date.now(),
      fleet: { pid: process.pid, host: hostname(), version, node: process.version, ...id.fleet },
      profile: id.profile,
      shard: id.shard,
      exporters: id.exporters,
      queueDepth: this.queueDepth(),
      ...(this.threads ? { threads: this.threads.threadsNow() } : {}),
      totals: { ...countsOf(this.counters), cpuSeconds: this.cpuSeconds(), seconds: this.seconds, queuedSeconds: this.queuedSeconds, connectionsCut: this.counters.connectionsCut },
      lastSecond: this.lastSecond,
    };
  }

  get shard(): Shard | null {
    return this.identity.shard;
  }
}

function countsOf(c: FleetCounters): FleetCounts {
  return { scrapes: c.scrapes, bytes: c.bytes, renderErrors: c.errors, notFound: c.notFound, faults: c.faults };
}

/** The process's CPU, every thread (the main one and the serving threads), µs. */
function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}
