import type { Fleet } from '../fleet/fleet.js';
import type { Frame, PushFrame } from '../protocol/frame.js';
import type { PushStats } from '../protocol/push-stats.js';
import { latencyP99Between } from '../push/push-meter.js';

/** What a recorder asks of the load generator each frame: the soak's own fleet, or remote shards (shard-poller.ts). */
export interface FleetFrameMeter {
  /** The soak's clock starts (wall ms): counts start afresh. */
  reset(soakStartMs?: number): void;
  /** The second that just ended, `seconds` long. */
  next(seconds: number): Frame['fleet'];
}

/**
 * The fleet's side of a frame: its CPU (this process's: the coordinator and the serving threads),
 * the scrapes it served since the last frame, and its serving threads saturated in the last second.
 */
export class FleetMeter implements FleetFrameMeter {
  private lastCpu = process.cpuUsage();
  private lastServed: number;
  private lastPush: PushStats['totals'] | null = null;
  private lastLatency: Float64Array | null = null;

  constructor(private readonly fleet: Fleet) {
    this.lastServed = fleet.stats.scrapes;
  }

  /** Starts the count afresh (the soak's clock starts). */
  reset(): void {
    this.lastCpu = process.cpuUsage();
    this.lastServed = this.fleet.stats.scrapes;
    this.lastPush = this.fleet.push?.stats().totals ?? null;
    this.lastLatency = this.fleet.push?.latencyCounts() ?? null;
  }

  /** The second that just ended, `seconds` long. */
  next(seconds: number): Frame['fleet'] {
    const cpu = process.cpuUsage();
    const served = this.fleet.stats.scrapes;
    const f = {
      cpuCores: (cpu.user - this.lastCpu.user + cpu.system - this.lastCpu.system) / 1e6 / Math.max(1e-3, seconds),
      queued: this.fleet.queued(),
      scrapesServed: served - this.lastServed,
    };
    this.lastCpu = cpu;
    this.lastServed = served;
    const push = this.pushSecond();
    return push ? { ...f, push } : f;
  }

  /** A pushing fleet's counts since the last frame (from when pushing started). */
  private pushSecond(): PushFrame | undefined {
    const pm = this.fleet.push;
    if (!pm) return undefined;
    const t = pm.stats().totals;
    const lat = pm.latencyCounts();
    const p = this.lastPush;
    const d = (k: 'generated' | 'acknowledged' | 'rejected' | 'retried' | 'droppedBacklog' | 'droppedAtStop'): number => t[k] - (p?.[k] ?? 0);
    const frame: PushFrame = {
      generated: d('generated'),
      acknowledged: d('acknowledged'),
      rejected: d('rejected'),
      retried: d('retried'),
      dropped: d('droppedBacklog') + d('droppedAtStop'),
      backlog: t.backlog,
      latencyP99Ms: latencyP99Between(this.lastLatency, lat),
    };
    this.lastPush = t;
    this.lastLatency = lat;
    return frame;
  }
}
