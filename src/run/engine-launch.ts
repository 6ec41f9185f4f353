import { positiveInt } from '../common/options.js';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { PromsoakError } from '../common/errors.js';

/**
 * How the engine child is started: V8's GC trace always on, the telemetry agent preloaded,
 * and, with --cores N, pinned with taskset to CPUs 0…N−1 with V8's platform pool sized to
 * match; the fleet then goes on the other CPUs when there are any.
 */
export interface EngineLaunch {
  execArgv: string[];
  prefix: string[];
  /** CPUs the engine may use ("0" or "0-1"); null: not pinned. */
  engineCpus: string | null;
  /** CPUs left for the fleet (null: shared with the engine). */
  fleetCpus: string | null;
  /** Cores the fleet can use (for the saturation check). */
  fleetCores: number;
  /** Every CPU of the machine ("0-1"). */
  allCpus: string;
}

/**
 * The cores this process may use, read once at load: after a soak pins the fleet (this
 * process) to the engine's leftovers, availableParallelism() would answer that instead.
 */
export const MACHINE_CORES = availableParallelism();

export const AGENT_URL = new URL('../telemetry/agent/agent.js', import.meta.url).href;

export function planLaunch(o: { cores?: number; v8Flags: string[]; telemetry: boolean; machineCores?: number }): EngineLaunch {
  const total = o.machineCores ?? MACHINE_CORES;
  const execArgv = ['--trace-gc-nvp'];
  if (o.telemetry) execArgv.push(`--import=${AGENT_URL}`);
  const prefix: string[] = [];
  let engineCpus: string | null = null;
  let fleetCpus: string | null = null;
  if (o.cores !== undefined) {
    positiveInt('--cores', o.cores);
    if (o.cores > total) throw new PromsoakError('PROMSOAK_USAGE', `--cores ${o.cores} is more than this machine's ${total} cores`);
    if (!has('taskset')) throw new PromsoakError('PROMSOAK_PIN', '--cores needs taskset (util-linux), which is not installed');
    engineCpus = o.cores === 1 ? '0' : `0-${o.cores - 1}`;
    fleetCpus = o.cores < total ? (o.cores === total - 1 ? `${o.cores}` : `${o.cores}-${total - 1}`) : null;
    prefix.push('taskset', '-c', engineCpus);
    execArgv.push(`--v8-pool-size=${o.cores}`);
  }
  // V8 prints the trace with C stdio, block-buffered into a pipe: line-buffer it so GC
  // events arrive when they happen (and a crash loses none).
  if (has('stdbuf')) prefix.push('stdbuf', '-oL');
  execArgv.push(...o.v8Flags);
  const fleetCores = fleetCpus === null ? total : total - o.cores!;
  return { execArgv, prefix, engineCpus, fleetCpus, fleetCores, allCpus: total === 1 ? '0' : `0-${total - 1}` };
}

/** Pins every thread of this process (the coordinator and the fleet's serving threads). */
export function pinSelf(cpus: string): void {
  const r = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(process.pid)], { encoding: 'utf8' });
  if (r.status !== 0) throw new PromsoakError('PROMSOAK_PIN', `taskset could not pin the fleet to CPUs ${cpus}: ${r.stderr.trim()}`);
}

/** Whether `cmd` is on the PATH. */
export function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

