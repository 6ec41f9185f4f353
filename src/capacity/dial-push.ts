import { checkOffer, type LoadDial } from './dial.js';

/** A pushing fleet as the dial needs it: fleet/fleet.ts's Fleet has it. */
export interface PushOfferable {
  /** The profile's exporters (every shard's together): ids 0..exporters−1. */
  readonly exporters: number;
  /** Push only the exporters with id < n from now on; resolves once every serving thread took it. */
  offerPush(n: number): Promise<void>;
}

/**
 * A pushing soak's dial (`--push`): each serving thread generates only the exporters with
 * id < n (a `push-offer` message on its control port, fleet/serve-task.ts). An exporter switched
 * off is simply not generated: no stale markers are sent for its series, they stop as those of a
 * target that went away do; switched back on, it resumes at its next phase. Set before the
 * push starts, the first step is pushed from the first sample.
 */
export function pushDial(fleet: PushOfferable): LoadDial {
  let offered = fleet.exporters;
  return {
    maxExporters: fleet.exporters,
    get offered() {
      return offered;
    },
    async set(n: number): Promise<void> {
      await fleet.offerPush(checkOffer(n, fleet.exporters));
      offered = n;
    },
  };
}
