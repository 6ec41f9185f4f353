import { fork } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PromsoakError } from '../common/errors.js';
import { unwatchProcess, watchProcess } from '../run/process-groups.js';
import { ARTICLE_NOTE, articleFits, type ArticleFit } from './article.js';
import { fitLadder, flatness, summarize, type Flatness, type ShapeSummary, type TypeFit } from './aggregate.js';
import { sortRows, summarizeSnapshotFile } from '../heap/snapshot-summary.js';
import { ladderObservations, planCases, type CardinalityOptions, type CaseResult } from './spec.js';
import type { CaseMessage, CaseSpec } from '../protocol/cardinality-case.js';

export const SCHEMA = 'promsoak.cardinality/v1';

/** cardinality.json: a versioned contract (add fields freely; rename or remove only with a new schema). */
export interface CardinalityReport {
  schema: typeof SCHEMA;
  createdAt: string;
  machine: { node: string; v8: string; cpu: string; cores: number; platform: string };
  options: CardinalityOptions;
  /** Every child, in the order run. */
  cases: CaseResult[];
  /** Per shape over its repeats: median, min, max. */
  summary: ShapeSummary[];
  /** Per type: bytes = slope × labelSets + intercept over the ladder. */
  fits: TypeFit[];
  /** Per type and grid row: bytes per label set across observation counts. */
  flatness: Flatness[];
  article: { note: string; fits: ArticleFit[] };
  wallSeconds: number;
}

const CASE_MAIN = fileURLToPath(new URL('./case/case-main.js', import.meta.url));

export type Progress = (done: number, total: number, result: CaseResult) => void;

/** Runs one case in a fresh `node --expose-gc` child and returns what it measured. */
export function runCase(spec: CaseSpec): Promise<CaseResult> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    // A summary grid at 100k label sets holds GBs: give the child room (it is alone in its heap).
    const child = fork(CASE_MAIN, [JSON.stringify(spec)], {
      // --no-flush-bytecode: V8 drops bytecode of functions idle over several GCs, which would
      // show as a negative drift between baseline and measurement.
      execArgv: ['--expose-gc', '--no-flush-bytecode', '--max-old-space-size=8192'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    // A case can run for minutes in a loop of its own: should this process die first, the watchdog ends it.
    const pid = child.pid;
    if (pid !== undefined) {
      watchProcess(pid);
      child.once('exit', () => unwatchProcess(pid));
    }
    let msg: CaseMessage | undefined;
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => void (stderr = (stderr + d).slice(-4000)));
    child.on('message', (m) => void (msg = m as CaseMessage));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const what = `${spec.subject} ${spec.type} ${spec.labelSets} label sets × ${spec.observations}`;
      if (msg?.type === 'result') {
        const r = msg.result;
        const series = spec.labelSets * r.seriesPerLabelSet;
        resolve({ ...spec, ...r, bytesPerLabelSet: r.bytes / spec.labelSets, bytesPerSeries: r.bytes / series, wallMs: performance.now() - t0 });
      } else {
        const why = msg?.type === 'error' ? msg.message : `exited with ${signal ?? code}${stderr ? ': ' + stderr.trim().split('\n').slice(-3).join(' | ') : ''}`;
        reject(new PromsoakError('PROMSOAK_CHILD_FAILED', `cardinality case ${what} failed: ${why}`));
      }
    });
  });
}

/** Runs every planned case (`jobs` at a time), then summarises, fits and compares. */
export async function runCardinality(o: CardinalityOptions, progress?: Progress): Promise<CardinalityReport> {
  const t0 = performance.now();
  const specs = planCases(o, (c) => join(o.out ?? '.', `cardinality-${c.subject}-${c.type}-${c.labelSets}x${c.observations}.heapsnapshot`));
  const results: CaseResult[] = new Array(specs.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < specs.length) {
      const i = next++;
      const r = await runCase(specs[i]!);
      if (r.heapSnapshot) r.snapshotTop = snapshotTop(r.heapSnapshot, 5);
      results[i] = r;
      progress?.(++done, specs.length, r);
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.jobs, specs.length) }, worker));
  const summary = summarize(results);
  const obs0 = ladderObservations(o);
  const cpu = cpus();
  return {
    schema: SCHEMA,
    createdAt: new Date().toISOString(),
    machine: { node: process.version, v8: process.versions.v8, cpu: cpu[0]?.model ?? 'unknown', cores: cpu.length, platform: `${process.platform}-${process.arch}` },
    options: o,
    cases: results,
    summary,
    fits: fitLadder(results, o.labelSets, obs0),
    flatness: flatness(summary, o.gridLabelSets, o.observations),
    article: { note: ARTICLE_NOTE, fits: articleFits() },
    wallSeconds: (performance.now() - t0) / 1000,
  };
}

/** The top `n` constructors by self size of a case's heap snapshot (the article's `pprof top`), read by the heap summariser. */
export function snapshotTop(path: string, n: number): { name: string; selfSize: number; count: number }[] {
  return sortRows(summarizeSnapshotFile(path).rows, 'self')
    .slice(0, n)
    .map(({ name, selfSize, count }) => ({ name, selfSize, count }));
}
