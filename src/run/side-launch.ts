import { has, type EngineLaunch } from './engine-launch.js';

/**
 * Engines side by side (`compare --together`): where the machine has a core for each engine and
 * one for the fleet, engine k goes on core k+1 alone (V8's pool sized to it) and the fleet on
 * core 0 and any cores past the engines'; otherwise (fewer cores, or no taskset) every engine and
 * the fleet share the machine's cores. Returns the launches, and the fleet's CPUs (null: shared).
 */
export function sideLaunches(launches: readonly EngineLaunch[], machineCores: number, taskset = has('taskset')): { launches: EngineLaunch[]; fleetCpus: string | null } {
  const n = launches.length;
  if (machineCores < n + 1 || !taskset) return { launches: [...launches], fleetCpus: null };
  const rest = machineCores - 1 === n + 1 ? `${n + 1}` : `${n + 1}-${machineCores - 1}`;
  const fleetCpus = machineCores === n + 1 ? '0' : `0,${rest}`;
  return {
    fleetCpus,
    launches: launches.map((l, k) => ({
      ...l,
      prefix: ['taskset', '-c', String(k + 1), ...l.prefix],
      // First: a variant's own --v8-pool-size, later on the line, still wins.
      execArgv: ['--v8-pool-size=1', ...l.execArgv],
      engineCpus: String(k + 1),
      fleetCpus,
      fleetCores: machineCores - n,
    })),
  };
}
