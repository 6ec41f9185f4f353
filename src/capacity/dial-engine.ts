import { PromsoakError } from '../common/errors.js';
import type { TargetGroup } from '../fleet/sd.js';
import { checkOffer, type LoadDial } from './dial.js';
import { sdDial } from './dial-sd.js';

/** The engine child as the dial needs it: run/engine-child.ts's EngineChild has it. */
export interface Retargetable {
  /** The engine re-reads its targets file; resolves with the targets it scrapes from now on. */
  retarget(): Promise<number>;
}

export interface EngineDialOptions {
  /** Every target the fleet serves, in order. */
  groups: readonly TargetGroup[];
  /** The targets file the engine was started with (the run directory's file_sd.json). */
  fileSd: string;
  engine: Retargetable;
}

/**
 * The built-in engine's dial: the first n targets written to its targets file (as dial-sd.ts
 * does for a scraper), then the engine told to re-read it (`retarget` over IPC): it starts the
 * new targets at their phase and drops the removed ones at once, so the step is handed over
 * when `set` resolves (the first scrapes of the new targets still come within one interval).
 */
export function engineDial(o: EngineDialOptions): LoadDial {
  const file = sdDial({ groups: o.groups, fileSd: o.fileSd });
  let offered = o.groups.length;
  return {
    maxExporters: o.groups.length,
    get offered() {
      return offered;
    },
    async set(n: number): Promise<void> {
      checkOffer(n, o.groups.length);
      await file.set(n);
      const scraped = await o.engine.retarget();
      offered = scraped;
      if (scraped !== n) throw new PromsoakError('PROMSOAK_ENGINE', `capacity: the engine scrapes ${scraped} targets after a step to ${n} (its targets file ${o.fileSd})`);
    },
  };
}
