import { readFileSd } from '../engine/targets.js';
import { schedulePhaseMs } from '../common/schedule.js';
import type { Schedule } from '../analysis/schedule.js';

/**
 * The engine's schedule for the fleet's targets: the file_sd the engine reads, read the engine's
 * way, each phase shifted by the engine's `phaseOffsetMs` (EngineOptions) as the engine shifts it.
 */
export function engineSchedule(fileSd: string, intervalMs: number, samplesPerScrape: number, phaseOffsetMs = 0): Schedule {
  return { intervalMs, offsetsMs: readFileSd(fileSd).map((t) => schedulePhaseMs(t.id, intervalMs, phaseOffsetMs)), samplesPerScrape };
}
