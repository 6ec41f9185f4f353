import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/**
 * Cores this process may use: its CPU affinity (availableParallelism), lowered to a cgroup v2
 * CPU quota where one is set (a container's CPU limit, e.g. a pod's `resources.limits.cpu`),
 * which Node 20's availableParallelism does not see. A fleet in a 2-core pod on a 64-core
 * node has 2 cores to saturate, not 64. `cpuMax` is for tests.
 */
export function usableCores(cpuMax = readCpuMax()): number {
  const cores = availableParallelism();
  const m = /^(\d+) (\d+)/.exec(cpuMax ?? '');
  if (!m) return cores; // "max 100000" (no quota) or no cgroup v2
  const quota = Number(m[1]) / Number(m[2]);
  return quota > 0 ? Math.min(cores, quota) : cores;
}

function readCpuMax(): string | undefined {
  try {
    return readFileSync('/sys/fs/cgroup/cpu.max', 'utf8');
  } catch {
    return undefined;
  }
}
