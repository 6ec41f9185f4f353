import { PromsoakError } from '../common/errors.js';
import { renderDiff, renderSummary, summarizeSnapshotFile, type SortKey } from '../heap/snapshot-summary.js';

export interface HeapCommandOptions {
  top?: number;
  by?: SortKey;
}

function check(o: HeapCommandOptions): { top: number; by: SortKey } {
  const top = o.top ?? 20;
  if (!Number.isInteger(top) || top < 1) throw new PromsoakError('PROMSOAK_USAGE', `--top must be a positive integer (got ${top})`);
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
