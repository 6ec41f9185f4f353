import { PromsoakError } from '../common/errors.js';
import type { CompareAxes, Variant } from './plan.js';

/**
 * `compare --together`: the variants at the same time on one fleet, each engine with its own
 * scrape phases and, where the machine has the cores, its own core, so that noise that hits one
 * second hits every variant and round r of every variant is the same seconds (docs/diff.md,
 * "Together or in turn"; the runner is together-run.ts). What it cannot put side by side is
 * refused here, before anything runs, with the first reason that applies.
 */
export interface TogetherAsk extends CompareAxes {
  together?: boolean;
  fleet?: string;
  push?: string;
  metricsPort?: number;
}

const usage = (why: string): PromsoakError => new PromsoakError('PROMSOAK_USAGE', `--together ${why}`);

/** The variants' axes that --together can put side by side: the built-in engine's ingester and V8 flags, on a fleet of its own. */
export function checkTogether(o: TogetherAsk, variants: readonly Variant[]): void {
  if (!o.together) return;
  const other = variants.find((v) => v.target !== 'builtin');
  if (other) throw usage(`needs the built-in engine: ${other.target} is another system (a launched target takes its own config, ports and cores); compare it in turn, without --together`);
  const axes = [o.cores?.length ? '--cores' : '', o.nodes?.length ? '--node' : '', o.envs?.length ? '--env' : ''].filter(Boolean);
  if (axes.length) throw usage(`varies --ingester and --v8-flags only (engines side by side on one fleet): not ${axes.join(', ')}; compare those in turn, without --together`);
  if (variants.length < 2) throw usage('needs two variants or more (--ingester a,b or --v8-flags twice): with one there is nothing to run beside it');
  checkTogetherFlags(o);
}

/** The flags --together has no place for, refused first of all (before --fleet's shards are asked anything). */
export function checkTogetherFlags(o: TogetherAsk): void {
  if (!o.together) return;
  const flags = [o.fleet !== undefined ? '--fleet' : '', o.push !== undefined ? '--push' : '', o.metricsPort !== undefined ? '--metrics-port' : ''].filter(Boolean);
  if (flags.length) throw usage(`runs its own fleet, scraped, with no live metrics (one /metrics for several engines would mix them): not ${flags.join(', ')}; run without --together for those`);
}

/** The design said in compare's verdict and each run's summary: on cores of their own, or shared. */
export function togetherNote(variants: number, fleetCpus: string | null, machineCores: number): string {
  const phases = `each engine scrapes every target at its own phase (engine k at k·interval/${variants})`;
  if (fleetCpus !== null) return `together: ${variants} engines at the same time on one fleet, engine k alone on core k+1, the fleet on CPUs ${fleetCpus}; ${phases}.`;
  return `together on shared cores: noise hits all variants, but they also compete for the cores (${variants} engines and the fleet on this machine's ${machineCores}; a core each needs ${variants + 1}); ${phases}.`;
}
