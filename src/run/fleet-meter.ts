import type { Fleet } from '../fleet/fleet.js';
import type { Frame } from '../protocol/frame.js';

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

  constructor(private readonly fleet: Fleet) {
    this.lastServed = fleet.stats.scrapes;
  }

  /** Starts the count afresh (the soak's clock starts). */
  reset(): void {
    this.lastCpu = process.cpuUsage();
    this.lastServed = this.fleet.stats.scrapes;
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
    return f;
  }
}
