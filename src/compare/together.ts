import { PromsoakError } from '../common/errors.js';
import { MACHINE_CORES } from '../run/engine-launch.js';
import type { CompareAxes, Variant } from './plan.js';

/**
 * `compare --together`: the variants at the same time on one fleet, each engine with its own
 * scrape phases and its own cores, so that noise that hits one second hits every variant and
 * the seconds pair between them (docs/diff.md, "Together or in turn"). Not built yet: what it
 * needs of run/ (a soak that scrapes a fleet it shares with other soaks under target ids of
 * its own, and a taskset core offset so that two engines get disjoint cores) is not there.
 * Until it is, --together is refused before anything runs, with the first reason that
 * applies to the compare asked, and the compare runs in turn (interleaved) without it.
 */
export interface TogetherAsk extends CompareAxes {
  together?: boolean;
}

const usage = (why: string): PromsoakError => new PromsoakError('PROMSOAK_USAGE', `--together ${why}`);

/** The variants' axes that --together can put side by side: the built-in engine's ingester and V8 flags. */
export function checkTogether(o: TogetherAsk, variants: readonly Variant[], machineCores = MACHINE_CORES): void {
  if (!o.together) return;
  const other = variants.find((v) => v.target !== 'builtin');
  if (other) throw usage(`needs the built-in engine: ${other.target} is another system (a launched target takes its own config, ports and cores); compare it in turn, without --together`);
  const axes = [o.cores?.length ? '--cores' : '', o.nodes?.length ? '--node' : '', o.envs?.length ? '--env' : ''].filter(Boolean);
  if (axes.length) throw usage(`varies --ingester and --v8-flags only (engines side by side on one fleet): not ${axes.join(', ')}; compare those in turn, without --together`);
  if (variants.length < 2) throw usage('needs two variants or more (--ingester a,b or --v8-flags twice): with one there is nothing to run beside it');
  const cores = machineCores >= variants.length + 1 ? `one core each and ${machineCores - variants.length} for the fleet` : `on ${machineCores} cores the ${variants.length} engines and the fleet would share them`;
  throw usage(
    `needs each engine to scrape the shared fleet under target ids of its own (its own scrape phases) and on cores of its own (${cores}); ` +
      'neither is built yet (docs/diff.md, "Together or in turn"): run without --together (each variant in turn, interleaved A B A B)',
  );
}
