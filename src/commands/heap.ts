import { positiveInt } from '../common/options.js';
import { renderDiff, renderSummary, summarizeSnapshotFile, type SortKey } from '../heap/snapshot-summary.js';

export interface HeapCommandOptions {
  top?: number;
  by?: SortKey;
}

function check(o: HeapCommandOptions): { top: number; by: SortKey } {
  const top = positiveInt('--top', o.top ?? 20);
  return { top, by: o.by ?? 'retained' };
}

/** `promsoak heap summary <file>`: top constructors by count, self and retained size. */
export function heapSummaryCommand(file: string, o: HeapCommandOptions, log: (line: string) => void): void {
  const { top, by } = check(o);
  log(renderSummary(summarizeSnapshotFile(file), top, by));
}

/** `promsoak heap diff <a> <b>`: growth by constructor from a to b. */
export function heapDiffCommand(a: string, b: string, o: HeapCommandOptions, log: (line: string) => void): void {
  const { top } = check(o);
  log(renderDiff(summarizeSnapshotFile(a), summarizeSnapshotFile(b), top, o.by ?? 'self'));
}
