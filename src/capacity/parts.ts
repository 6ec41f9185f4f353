import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CapacitySearch } from './search.js';
import { judgeStep } from './judge.js';
import { sdDial } from './dial-sd.js';
import type { CapacityParts, CapacityRun } from './run.js';
import type { CapacityOutput } from '../commands/capacity.js';

/**
 * The pieces `promsoak capacity` runs with: the search (search.ts), the judge (judge.ts), the
 * dial for the soak's system (dial-*.ts) and what is written at the end.
 */
export const capacityParts: CapacityParts & CapacityOutput = {
  search: (c) => new CapacitySearch(c),
  judge: judgeStep,
  refuse(plan) {
    if (plan.push) return 'capacity --push: the pushing fleet\'s dial is not here yet (its exporters cannot be switched on and off while it runs); capacity scrapes for now';
    if (plan.target.spec.kind === 'builtin') return 'capacity --target builtin: the engine\'s retarget is not here yet (it reads its targets once); use --target prometheus, victoria-metrics or exec:';
    if (plan.target.spec.kind === 'url') return 'capacity --target url: a scraper promsoak did not start reads no file_sd of promsoak\'s: its load cannot be moved';
    if (plan.target.spec.kind === 'influxdb') return 'capacity --target influxdb: it only receives pushes, and capacity does not push yet';
    return undefined;
  },
  async dial(source) {
    return sdDial({ groups: source.groups, fileSd: source.fileSd, httpSd: source.serveTargets });
  },
  write: writeInterim,
};

/** capacity.json of the steps and outcomes, and the answer's lines (until result.ts, terminal.ts and html.ts land). */
function writeInterim(run: CapacityRun): string[] {
  const doc = {
    kind: 'capacity',
    profile: run.profile,
    target: run.target,
    by: run.settings.by,
    criteria: run.settings.criteria,
    interrupted: run.interrupted,
    perCores: run.perCores.map((c) => ({ cores: c.cores, runDir: c.runDir, outcome: c.outcome, steps: c.steps, ...(c.soakProblem ? { problem: c.soakProblem } : {}) })),
    notes: run.notes,
  };
  writeFileSync(join(run.dir, 'capacity.json'), JSON.stringify(doc, null, 1) + '\n');
  const lines = [`promsoak capacity: ${run.profile}, target ${run.target} (${run.dir})`];
  for (const c of run.perCores) {
    lines.push(`  ${c.cores} core${c.cores === 1 ? '' : 's'}: ${c.outcome.words ?? c.outcome.kind}${c.soakProblem ? ` (${c.soakProblem})` : ''}`);
  }
  for (const n of run.notes) lines.push(`  note: ${n}`);
  return lines;
}
