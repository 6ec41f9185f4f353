import { PromsoakError } from '../common/errors.js';
import type { Summary } from './summary.js';

/**
 * What a run directory's records may not make a summary say, checked before it is written:
 * GC cannot take more CPU than the process it runs in used (a GC trace claiming more is not
 * one this run could have written: repeated or invented cycles), and no figure of the verdict
 * is NaN or infinite. Either is one line naming the file, exit 2, never a verdict.
 */
export function checkBelievable(s: Summary, framesPath: string, gcPath: string): void {
  if (gcBeyondCpu(s)) {
    throw new PromsoakError(
      'PROMSOAK_INPUT_INVALID',
      `${gcPath}: its GC events add up to ${s.gc.cpuShare!.toFixed(2)} × the CPU the system under test used in the window (per ${framesPath}); GC runs inside that CPU, so these records are not a real trace`,
    );
  }
  const bad = s.verdict.find((v) => /\bNaN\b|Infinity|∞/.test(v));
  if (bad !== undefined) {
    throw new PromsoakError('PROMSOAK_INPUT_INVALID', `${framesPath}: its figures give a verdict that is not a number (${JSON.stringify(bad.slice(0, 120))})`);
  }
}

/** GC claimed more CPU than the whole process used: not possible, so the trace is not true. */
export const gcBeyondCpu = (s: Summary): boolean => s.gc.cpuShare !== null && !(s.gc.cpuShare <= 1);


/** The verdict's line for a target's gctrace lines left out (Summary.gc.traceLinesLeftOut). */
export function traceLinesLeftOutLine(n: { repeated: number; impossible: number }): string {
  const all = n.repeated + n.impossible;
  return `WARNING: the target printed ${all} gctrace line${all === 1 ? '' : 's'} that cannot be true (${n.repeated} a cycle number again, ${n.impossible} more GC time than the wall clock allowed): left out of every GC figure.`;
}
