import type { Summary } from '../analysis/summary.js';
import { gcBySecond } from '../analysis/starvation.js';
import { writeOwnFile } from './own-file.js';
import type { Frame, TimedGcEvent } from '../protocol/frame.js';
import { renderHtml } from '../report/html.js';
import type { RunDir } from './run-dir.js';

/** report.html of a run, from what its summary and frames say; only ever a regular file of its own (run/own-file.ts). */
export function writeReport(dir: RunDir, summary: Summary, frames: Frame[], gcEvents: TimedGcEvent[]): void {
  writeOwnFile(dir.file('report.html'), renderHtml(summary, frames, gcEvents, gcBySecond(frames, gcEvents)));
}
