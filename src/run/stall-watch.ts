import type { HarnessPause } from '../analysis/summary.js';

/**
 * Watches the coordinator's own event loop during a soak. The coordinator serves the fleet:
 * when it does not run (SIGSTOP, swapped out, a machine too small for the load, a long block of
 * its own), no exporter answers, the engine's scrapes wait or fail, and the seconds read as the
 * engine starving when it was the harness that stopped. A timer ticks every `tickMs`; a tick that
 * comes more than `thresholdMs` late marks [previous tick, this tick] as a stall.
 * Cost: ten timer callbacks a second in the coordinator, none in the engine.
 */
export class StallWatch {
  readonly stalls: HarnessPause[] = [];
  private timer: NodeJS.Timeout | undefined;
  private last = 0;

  constructor(
    private readonly tickMs = 100,
    private readonly thresholdMs = 250,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    this.last = this.now();
    this.timer = setInterval(() => this.tick(), this.tickMs).unref();
  }

  /** Stops watching; a stall still in progress (the loop blocked right up to here) is counted. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.tick();
  }

  /** One tick (exposed for tests): a gap over tickMs + thresholdMs is a stall. */
  tick(): void {
    const t = this.now();
    if (t - this.last > this.tickMs + this.thresholdMs) this.stalls.push({ fromMs: this.last, toMs: t, why: 'the coordinator (serving the fleet) did not run' });
    this.last = t;
  }
}
