import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PromsoakError } from '../common/errors.js';
import { checkOwnFile, writeOwnFile } from '../run/own-file.js';
import { summarize, DEFAULT_ANALYSIS, type AnalysisOptions, type RunMeta } from '../analysis/summarize.js';
import { gcBySecond } from '../analysis/starvation.js';
import { evaluate, parseThreshold } from '../analysis/thresholds.js';
import { checkExtent, readFramesFile, readGcFile, readRunRecordFile, readRunSchedule, readSummaryFile } from '../run/run-dir-read.js';
import { checkBelievable, traceLinesLeftOutLine } from '../analysis/believable.js';
import { renderHtml } from '../report/html.js';
import { renderTerminal } from '../report/terminal.js';
import type { Summary } from '../analysis/summary.js';
import { pushVerdict } from '../push/push-verdict.js';

/** The run's settings: from its summary.json, or from run.json when the coordinator died before writing one. */
interface Settings {
  meta: RunMeta;
  analysis: AnalysisOptions;
  old: Summary | undefined;
  thresholds: Summary['thresholds'] | string[];
}

function settings(dir: string): Settings {
  const s = settingsOf(dir);
  // The scrape schedule is only in run.json (thousands of offsets): evenness is measured against it.
  const runPath = join(dir, 'run.json');
  if (existsSync(runPath) && s.meta.schedule === undefined) s.meta.schedule = readRunSchedule(runPath);
  return s;
}

function settingsOf(dir: string): Settings {
  const summaryPath = join(dir, 'summary.json');
  if (existsSync(summaryPath)) {
    const old = readSummaryFile(summaryPath);
    return {
      old,
      meta: {
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
        liveHeapBytes: liveHeapOf(old),
        liveOffHeapBytes: old.memory.liveOffHeapBytes ?? null,
        files: old.files,
        windowStartMs: old.run.windowStartMs ?? null,
        windowEndMs: old.run.windowEndMs ?? null,
        harnessPauses: old.run.harnessPauses,
        harnessStalls: old.run.harnessStalls,
        target: old.run.target,
        syntheticPerScrape: old.load.syntheticPerScrape,
      },
      analysis: { ...DEFAULT_ANALYSIS, ...old.starvation.criteria, targetUtilization: old.provisioning.targetUtilization },
      thresholds: old.thresholds,
    };
  }
  const runPath = join(dir, 'run.json');
  if (!existsSync(runPath)) throw new PromsoakError('PROMSOAK_RUN_DIR_INVALID', `${dir} has neither summary.json nor run.json to take the run's settings from`);
  const r = readRunRecordFile(runPath);
  // No summary: the coordinator died (kill -9, power) before the end; its window ends with the frames on disk.
  return {
    old: undefined,
    meta: { ...r.meta, stopReason: 'killed', liveHeapBytes: null, files: r.files, windowEndMs: null },
    analysis: { ...DEFAULT_ANALYSIS, ...r.analysis },
    thresholds: r.thresholds,
  };
}

/**
 * The live heap a summary recorded. Before schemaVersion 3 the engine's was heap + external
 * memory, which cannot be split again: null (its RAM figures read n/a, not a wrong number). A
 * Go target's was gctrace's live heap then too.
 */
function liveHeapOf(old: Summary): number | null {
  const target = old.run.target !== undefined && old.run.target.kind !== 'builtin';
  return (old.schemaVersion ?? 1) >= 3 || target ? old.memory.liveHeapBytes : null;
}

/**
 * `promsoak report <dir>`: recomputes summary.json from the run's frames.ndjson and gc.ndjson
 * (with the run's recorded settings) and re-renders report.html and the terminal summary. A
 * corrupt frames file is an error that leaves summary.json as it was; a good summary.json is
 * never replaced by one that covers less.
 */
export function reportCommand(dir: string, log: (line: string) => void): void {
  const framesPath = join(dir, 'frames.ndjson');
  if (!existsSync(framesPath)) throw new PromsoakError('PROMSOAK_RUN_DIR_INVALID', `${dir} is not a run directory (no frames.ndjson)`);
  // Neither is written unless both can be: a report.html that is a symlink leaves summary.json as it was too.
  for (const f of ['summary.json', 'report.html']) checkOwnFile(join(dir, f));
  const { meta, analysis, old, thresholds } = settings(dir);
  const frames = readFramesFile(framesPath);
  const gcPath = join(dir, 'gc.ndjson');
  const gc = existsSync(gcPath) ? readGcFile(gcPath) : { items: [], tornLastLine: false };
  const spans = [...(meta.harnessPauses ?? []), ...(meta.harnessStalls ?? [])].flatMap((p) => [p.fromMs, p.toMs]);
  checkExtent(dir, frames.items, [meta.windowStartMs, meta.windowEndMs, ...spans]);
  const s = summarize(frames.items, gc.items, meta, analysis);
  checkBelievable(s, framesPath, gcPath);
  if (old && s.samples < old.samples) {
    throw new PromsoakError(
      'PROMSOAK_INPUT_INVALID',
      `${framesPath} holds ${s.samples} samples over ${s.run.measuredSeconds} s, less than the ${old.samples} over ${old.run.measuredSeconds} s of summary.json: the frames are incomplete, summary.json is kept`,
    );
  }
  s.thresholds = typeof thresholds[0] === 'string' ? (thresholds as string[]).map((t) => evaluate(parseThreshold(t), s)) : (thresholds as Summary['thresholds']);
  // What the run wrote beside the frames (snapshots, allocation profile) is not in them: keep it.
  if (old?.heapSnapshots) s.heapSnapshots = old.heapSnapshots;
  if (old?.allocProfile) s.allocProfile = old.allocProfile;
  // A pushed soak's accounting (what the fleet sent, what the receiver stored) is not in the frames either.
  if (old?.push) {
    s.push = old.push;
    const lines = pushVerdict(old.push);
    s.verdict.unshift(...lines.filter((l) => l.startsWith('FAILED')));
    s.verdict.push(...lines.filter((l) => !l.startsWith('FAILED')));
  }
  // What the soak left out of gctrace is not in gc.ndjson: keep it, and say it again.
  const leftOut = old?.gc?.traceLinesLeftOut;
  if (leftOut) {
    s.gc.traceLinesLeftOut = leftOut;
    s.verdict.push(traceLinesLeftOutLine(leftOut));
  }
  if (!old) s.verdict.unshift('the run did not finish: its coordinator was killed before writing summary.json; this summary is rebuilt from the frames on disk.');
  if (frames.tornLastLine || gc.tornLastLine) s.verdict.push(`${frames.tornLastLine ? 'frames.ndjson' : 'gc.ndjson'} ends with a cut line (the run was killed mid-write); it was left out.`);
  const html = renderHtml(s, frames.items, gc.items, gcBySecond(frames.items, gc.items));
  writeOwnFile(join(dir, 'summary.json'), JSON.stringify(s, null, 2) + '\n');
  writeOwnFile(join(dir, 'report.html'), html);
  log(renderTerminal(s, dir));
}
