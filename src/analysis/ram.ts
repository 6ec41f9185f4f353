import type { Frame, TimedGcEvent } from '../protocol/frame.js';
import type { Summary } from './summary.js';
import { max, measured } from './stats.js';

/** What is live at the end of the window: the heap after a full GC, and memory outside the heap. */
export interface LiveMemory {
  /** V8: heap used after a full GC; Go: the live heap gctrace last reported. null: not measured. */
  heapBytes: number | null;
  /** V8: external memory (ArrayBuffers: the head's typed arrays) after that GC; null: not measured. */
  offHeapBytes: number | null;
}

/**
 * Peak RSS split into what holds it (summary.json `memory.ram`):
 *
 * - live heap: what the program keeps (V8: heap used after a full GC; Go: gctrace's live heap);
 * - GC headroom: how far the heap grew over that before a collection, at its peak (V8: the
 *   heap used at its highest second; Go: the heap at a cycle's start or end of marking, gctrace's "before->after", or
 *   go_memstats_heap_alloc_bytes at its highest): what a collector that ran at once would not need;
 * - off-heap: V8's external memory (ArrayBuffers) at its highest; Go: the runtime's memory outside
 *   the heap (go_memstats_sys_bytes − heap_sys: stacks, GC metadata) where its metrics say;
 * - the runtime and the rest: RSS less all those (the binary's code, V8's reserved and unused
 *   heap pages, malloc's arenas, thread stacks, a Prometheus' mmapped chunks); where the other
 *   parts add up to more than peak RSS (a Go heap's peak is not all resident at once), the rest
 *   is 0 and `partsOverRssBytes` says by how much.
 *
 * "GC adds X % onto RAM" is the headroom over the live heap, the same for V8 and Go (Go at
 * GOGC=100 grows its heap to twice the live one: ~100 %). Figures that cannot be known are
 * null, never 0 (a run from before schemaVersion 3 did not keep the live heap apart from
 * external memory).
 */
export function ramParts(frames: Frame[], events: TimedGcEvent[], live: LiveMemory, runtime: 'v8' | 'go'): NonNullable<Summary['memory']['ram']> {
  const peakRssBytes = frames.length ? max(frames.map((f) => f.heap.rssBytes)) : 0;
  const used = measured(frames.map((f) => f.heap.usedBytes));
  // A Go heap keeps growing while a cycle marks (gctrace's "before->after->live"): its peak is the larger of the two.
  const before = runtime === 'go' ? events.filter((e) => e.runtime === 'go').map((e) => Math.max(e.sizeBeforeBytes, e.sizeAfterBytes)) : [];
  const peaks = [...used, ...before];
  const heapPeakBytes = peaks.length ? max(peaks) : null;
  const external = measured(frames.map((f) => f.heap.externalBytes));
  const offHeapBytes = external.length ? max(external) : null;
  const liveHeapBytes = live.heapBytes !== null && live.heapBytes > 0 ? live.heapBytes : null;
  const gcHeadroomBytes = liveHeapBytes !== null && heapPeakBytes !== null ? Math.max(0, heapPeakBytes - liveHeapBytes) : null;
  const known = liveHeapBytes !== null && gcHeadroomBytes !== null;
  // What RSS does not hold of the other parts: a Go heap's pages at its peak (gctrace's sizes)
  // are not all resident at the second RSS peaked. Said, not hidden in a rest clamped to 0.
  const rest = known ? peakRssBytes - liveHeapBytes - gcHeadroomBytes - (offHeapBytes ?? 0) : null;
  return {
    peakRssBytes,
    liveHeapBytes,
    gcHeadroomBytes,
    offHeapBytes,
    runtimeAndRestBytes: rest === null ? null : Math.max(0, rest),
    partsOverRssBytes: rest === null ? null : Math.max(0, -rest),
    heapPeakBytes,
  };
}

/** What GC adds onto RAM, %: its headroom over the live heap; null when either is unknown. */
export function gcRamOverheadPct(r: NonNullable<Summary['memory']['ram']>): number | null {
  if (r.liveHeapBytes === null || r.gcHeadroomBytes === null) return null;
  return Math.round((r.gcHeadroomBytes / r.liveHeapBytes) * 1000) / 10;
}

/** The GC headroom as a share of peak RSS, % to a tenth: how much of the RAM to provision is GC's; null when unknown. */
export function gcHeadroomOfRssPct(r: NonNullable<Summary['memory']['ram']>): number | null {
  if (r.gcHeadroomBytes === null || r.peakRssBytes <= 0) return null;
  return Math.round((r.gcHeadroomBytes / r.peakRssBytes) * 1000) / 10;
}
