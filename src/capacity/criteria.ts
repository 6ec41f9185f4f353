/**
 * The criteria as flags give them, checked before a search starts: each out-of-range value one
 * line naming its flag (the runner throws it as PROMSOAK_USAGE: exit 2).
 */
import type { Criteria } from './types.js';

export function checkCriteria(c: Criteria): string | null {
  if (!(c.minIngestedRatio > 0 && c.minIngestedRatio <= 1)) return `--min-ingested must be in (0, 1] (got ${c.minIngestedRatio})`;
  if (!(c.maxLatencyIntervals > 0 && Number.isFinite(c.maxLatencyIntervals))) return `--max-latency must be a number of intervals above 0 (got ${c.maxLatencyIntervals})`;
  if (!(Number.isInteger(c.maxStarvedSeconds) && c.maxStarvedSeconds >= 0)) return `--max-starved must be a whole number of seconds ≥ 0 (got ${c.maxStarvedSeconds})`;
  if (!(c.maxCpuShare > 0 && c.maxCpuShare <= 1)) return `--max-cpu must be a share of the cores given in (0, 1] (got ${c.maxCpuShare})`;
  if (c.memoryLimitBytes !== null && !(Number.isSafeInteger(c.memoryLimitBytes) && c.memoryLimitBytes > 0)) return `--memory-limit must be a positive number of bytes (got ${c.memoryLimitBytes})`;
  if (!(c.maxBacklogGrowthRatio >= 0 && Number.isFinite(c.maxBacklogGrowthRatio))) return `the backlog growth allowed must be a share of offered ≥ 0 (got ${c.maxBacklogGrowthRatio})`;
  return null;
}
