import { isPromsoakError, PromsoakError } from '../common/errors.js';
import type { Summary } from '../analysis/summary.js';
import type { Frame, TimedGcEvent } from '../protocol/frame.js';
import { diskFaultText } from './disk-fault.js';
import { writeReport } from './report-file.js';
import type { RunDir } from './run-dir.js';
import { faultSecond, soakExitCode, type SoakEnd, type SoakResult } from './soak-summary.js';

/**
 * The end of a soak, either kind: summary.json and report.html written, the result returned.
 * A soak the disk stopped (stopReason disk-full) is one line instead, exit 1: what failed to be
 * written, when, and whether summary.json found room for what was measured.
 */
export function writeSoakResult(dir: RunDir, end: SoakEnd, summary: Summary, frames: Frame[], gcEvents: TimedGcEvent[], engineStderrTail: string): SoakResult {
  let room = true;
  try {
    dir.writeJson('summary.json', summary);
    writeReport(dir, summary, frames, gcEvents);
  } catch (e) {
    if (!(isPromsoakError(e) && e.code === 'PROMSOAK_DISK_FULL')) throw e;
    // The disk filled up at the very end: the soak ran, but what it measured is not all on disk.
    if (!end.diskFault) throw new PromsoakError('PROMSOAK_DISK_FULL', `${e.message}: the soak ran to its end, but its summary and report are not both on disk (${dir.path})`);
    room = dir.has('summary.json');
  }
  if (end.diskFault) {
    const kept = room ? `summary.json has the ${summary.run.measuredSeconds} s measured` : 'no room for summary.json either';
    throw new PromsoakError('PROMSOAK_DISK_FULL', `${diskFaultText(end.diskFault)}: the soak stopped at t=${faultSecond(end)} s; ${kept} (${dir.path})`);
  }
  return { dir: dir.path, summary, exitCode: soakExitCode(summary), engineStderrTail };
}
