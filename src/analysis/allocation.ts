import type { TimedGcEvent } from '../protocol/frame.js';
import { sum } from './stats.js';

/**
 * Bytes the engine allocated in the window. V8's `allocated=` on a GC line is the heap's
 * growth since the previous GC: the first GC in the window also counts what was allocated
 * before the window started, and what was allocated after the last GC is on no line. Both
 * ends are corrected with the heap used at the window's edges (main isolate; worker
 * isolates' lines are summed as they are). With no GC in the window, the heap's growth is
 * the allocation.
 */
export function allocationInWindow(
  events: TimedGcEvent[],
  heapAtStart: number | undefined,
  heapAtEnd: number | undefined,
): { bytes: number | null; source: string } {
  const main = events.filter((e) => e.main);
  const total = sum(events.map((e) => e.allocatedBytes));
  if (heapAtStart === undefined || heapAtEnd === undefined) {
    return events.length ? { bytes: total, source: 'allocated= of --trace-gc-nvp, every isolate' } : { bytes: null, source: 'not measured (no frames)' };
  }
  if (main.length === 0) {
    return heapAtEnd >= heapAtStart
      ? { bytes: total + (heapAtEnd - heapAtStart), source: 'heap growth over the window (no GC of the main isolate in it)' }
      : { bytes: events.length ? total : null, source: 'allocated= of --trace-gc-nvp' };
  }
  const first = main[0]!;
  const last = main.at(-1)!;
  const afterPrevious = first.sizeBeforeBytes - first.allocatedBytes;
  const before = Math.max(0, heapAtStart - afterPrevious);
  const after = Math.max(0, heapAtEnd - last.sizeAfterBytes);
  return { bytes: Math.max(0, total - before + after), source: 'allocated= of --trace-gc-nvp, every isolate, window edges corrected with heap used' };
}
