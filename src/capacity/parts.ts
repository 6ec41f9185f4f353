import { CapacitySearch } from './search.js';
import { judgeStep } from './judge.js';
import { sdDial } from './dial-sd.js';
import { engineDial } from './dial-engine.js';
import { pushDial } from './dial-push.js';
import type { LoadDial } from './dial.js';
import { writeCapacity } from './output.js';
import type { CapacityOutput, CapacityParts } from './run.js';
import type { RampSource, RampSystem } from '../run/soak-ramp.js';

/**
 * The pieces `promsoak capacity` runs with: the search (search.ts), the judge (judge.ts), the
 * dial for the soak's system (dial-*.ts) and what is written at the end (output.ts).
 */
export const capacityParts: CapacityParts & CapacityOutput = {
  search: (c) => new CapacitySearch(c),
  judge: judgeStep,
  refuse(plan) {
    if (plan.target.spec.kind === 'url') return 'capacity --target url: a scraper promsoak did not start reads no file_sd of promsoak\'s: its load cannot be moved';
    return undefined;
  },
  async dial(source, system, plan) {
    if (plan.push) return pushDial(source.fleet!);
    if (plan.target.spec.kind === 'builtin') return builtinDial(source, system);
    return sdDial({ groups: source.groups, fileSd: source.fileSd, httpSd: source.serveTargets });
  },
  write: writeCapacity,
};

/**
 * The built-in engine's dial: before the engine starts, its targets file holds the first step
 * (it reads it once at its start); once it runs, each step is the file rewritten and a retarget.
 */
function builtinDial(source: RampSource, system: () => RampSystem | undefined): LoadDial {
  const file = sdDial({ groups: source.groups, fileSd: source.fileSd });
  let live: LoadDial | undefined;
  return {
    maxExporters: source.groups.length,
    get offered() {
      return (live ?? file).offered;
    },
    async set(n: number) {
      const engine = system()?.engine;
      if (engine && !live) live = engineDial({ groups: source.groups, fileSd: source.fileSd, engine });
      await (live ?? file).set(n);
    },
  };
}
