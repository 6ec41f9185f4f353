import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { version } from '../common/version.js';
import { fileError } from '../common/errors.js';
import { fitModel, bestModel, predict } from './model.js';
import { scaling, selfChecks } from './scaling.js';
import { capacityJson, capacityResult, type CapacityResult } from './result.js';
import { renderCapacityTerminal } from './terminal.js';
import { renderCapacityHtml } from './html.js';
import type { CapacityRun } from './run.js';
import type { SearchOutcome } from './search.js';

/** The answer of a search (finished or cut short) as capacity.json's document: the model fitted per core count, scaling, the prediction asked for, the self-check. */
export function capacityOf(run: CapacityRun): CapacityResult {
  const cores = run.perCores.map((c) => ({ cores: c.cores, steps: c.steps, outcome: c.outcome as SearchOutcome }));
  const model = cores.map((c) => fitModel(c.cores, c.steps));
  const best = bestModel(model);
  const asked = run.settings.predict;
  const notes = [...run.notes];
  for (const c of run.perCores) {
    if (c.runDir) notes.push(`${c.cores} core${c.cores === 1 ? '' : 's'}: the whole ramp's run directory is ${c.runDir}`);
    if (c.soakProblem) notes.push(`${c.cores} core${c.cores === 1 ? '' : 's'}: ${c.soakProblem}`);
  }
  if (asked && !best) notes.push('--predict: no core count has enough passing steps at different loads for a fit; no number is given');
  return capacityResult({
    version,
    startedAt: run.startedAt,
    profile: run.profile,
    target: run.target,
    by: run.settings.by,
    pushed: run.pushed,
    load: { samplesPerExporterPerSecond: run.samplesPerExporterPerSecond, seriesPerExporter: run.seriesPerExporter, intervalSeconds: run.intervalSeconds, maxExporters: run.maxExporters },
    criteria: run.settings.criteria,
    cores,
    scaling: scaling(cores),
    model,
    prediction: asked && best ? predict(best, asked) : null,
    selfCheck: selfChecks(cores, model, run.settings.criteria),
    notes,
  });
}

/** capacity.json and capacity.html into the capacity directory; the terminal answer's lines back. */
export function writeCapacity(run: CapacityRun): string[] {
  const r = capacityOf(run);
  for (const [name, text] of [['capacity.json', capacityJson(r)], ['capacity.html', renderCapacityHtml(r)]] as const) {
    const path = join(run.dir, name);
    try {
      writeFileSync(path, text);
    } catch (e) {
      throw fileError(path, e);
    }
  }
  return renderCapacityTerminal(r, run.dir).split('\n');
}
