import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PromsoakError } from '../common/errors.js';
import { summarize, DEFAULT_ANALYSIS } from '../analysis/summarize.js';
import { gcBySecond } from '../analysis/starvation.js';
import { readNdjson } from '../run/run-dir.js';
import { renderHtml } from '../report/html.js';
import { renderTerminal } from '../report/terminal.js';
import type { Summary } from '../analysis/summary.js';
import type { Frame, TimedGcEvent } from '../protocol/frame.js';

/**
 * `promsoak report <dir>`: recomputes summary.json from the run's frames.ndjson and gc.ndjson
 * (with the run's recorded settings) and re-renders report.html and the terminal summary.
 */
export function reportCommand(dir: string, log: (line: string) => void): void {
  const summaryPath = join(dir, 'summary.json');
  if (!existsSync(join(dir, 'frames.ndjson'))) throw new PromsoakError('PROMSOAK_RUN_DIR_INVALID', `${dir} is not a run directory (no frames.ndjson)`);
  if (!existsSync(summaryPath)) throw new PromsoakError('PROMSOAK_RUN_DIR_INVALID', `${dir} has no summary.json to take the run's settings from`);
  const old = JSON.parse(readFileSync(summaryPath, 'utf8')) as Summary;
  const frames = readNdjson<Frame>(join(dir, 'frames.ndjson'));
  const gc = readNdjson<TimedGcEvent>(join(dir, 'gc.ndjson'));
  const s = summarize(
    frames,
    gc,
    {
      version: old.tool.version,
      profile: old.run.profile,
      ingester: old.run.ingester,
      startedAt: old.run.startedAt,
      warmupSeconds: old.run.warmupSeconds,
      cores: old.run.cores,
      v8Flags: old.run.v8Flags,
      node: old.run.node,
      machine: old.run.machine,
      stopReason: old.run.stopReason,
      exporters: old.load.exporters,
      seriesPerExporter: old.load.seriesPerExporter,
      intervalSeconds: old.load.intervalSeconds,
      fleetCores: old.fleet.cores,
      fleetShared: old.fleet.sharedWithEngine ?? true,
      liveHeapBytes: old.memory.liveHeapBytes,
      files: old.files,
    },
    { ...DEFAULT_ANALYSIS, ...old.starvation.criteria, targetUtilization: old.provisioning.targetUtilization },
  );
  s.thresholds = old.thresholds;
  // What the run wrote beside the frames (snapshots, allocation profile) is not in them: keep it.
  if (old.heapSnapshots) s.heapSnapshots = old.heapSnapshots;
  if (old.allocProfile) s.allocProfile = old.allocProfile;
  writeFileSync(summaryPath, JSON.stringify(s, null, 2) + '\n');
  writeFileSync(join(dir, 'report.html'), renderHtml(s, frames, gc, gcBySecond(frames, gc)));
  log(renderTerminal(s, dir));
}
