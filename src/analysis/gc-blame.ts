import { availableParallelism } from 'node:os';
import { round1 } from './stats.js';

/**
 * What GC explains of a starved second: its GC work set against what the second lost. One rule
 * for a second with a frame and one without (silence.ts):
 *
 * - lost: the ingestion deficit as time (the share of the median the second missed × its length)
 *   or the event-loop delay (p99, at most the second's length), whichever is more; a second with
 *   no frame lost all of itself;
 * - GC's work: main-thread pauses and incremental marking, plus the helper threads' GC CPU only
 *   where it competed for the engine's cores (the engine used nearly all of them that second;
 *   on idle cores it takes nothing from the engine);
 * - `explainedMs` is that work, at most what was lost; the second reads "with GC" only when GC
 *   explains at least half of its loss. A 8 ms mark-compact in a second blocked for 1 s is not
 *   the cause.
 */
export interface Blame {
  lostMs: number;
  explainedMs: number;
  withGc: boolean;
}

/** GC must explain at least this share of what a second lost to be its cause. */
export const GC_EXPLAINS_SHARE = 0.5;

/** Helper-thread GC competes for the engine's cores when the engine used at least this share of them. */
export const COMPETING_SHARE = 0.9;

export function blame(lostMs: number, gcWorkMs: number): Blame {
  const explainedMs = Math.max(0, Math.min(gcWorkMs, lostMs));
  return { lostMs: round1(lostMs), explainedMs: round1(explainedMs), withGc: explainedMs > 0 && explainedMs >= GC_EXPLAINS_SHARE * lostMs };
}

/** What a second with a frame lost, ms: its deficit as time, or its event-loop delay, whichever is more. */
export function lostMsOf(deficit: number, secondMs: number, loopDelayP99Ms: number | null): number {
  return Math.max(deficit * secondMs, loopDelayP99Ms === null ? 0 : Math.min(loopDelayP99Ms, secondMs));
}

/** GC work that took time from the engine: main thread always, helper threads only on saturated cores. */
export function gcWorkMs(mainThreadMs: number, helperMs: number, cpuCores: number | null, engineCores: number): number {
  const competing = cpuCores !== null && cpuCores >= COMPETING_SHARE * engineCores;
  return mainThreadMs + (competing ? helperMs : 0);
}

/**
 * How many CPUs a cpulist (`0-3,6`, taskset's form) names; when there is none, the run's machine's
 * (summary.json's `run.machine`, `<model> x<count>`), so that `report` on another host or under
 * another CPU limit judges the run by the machine it ran on; this machine's only when that is unknown.
 */
export function coresOf(cpuList: string | null, machine?: string): number {
  const machineCores = (): number => {
    const n = Number(/ x(\d{1,5})$/.exec(machine ?? '')?.[1]);
    return Number.isInteger(n) && n > 0 ? n : availableParallelism();
  };
  if (!cpuList) return machineCores();
  let n = 0;
  for (const part of cpuList.split(',')) {
    const [a, b] = part.split('-').map(Number);
    if (a === undefined || !Number.isInteger(a)) continue;
    n += b !== undefined && Number.isInteger(b) && b >= a ? b - a + 1 : 1;
  }
  return n > 0 ? n : machineCores();
}

