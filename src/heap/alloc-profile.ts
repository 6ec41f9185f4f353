/**
 * V8's sampling heap profile (`HeapProfiler.stopSampling`, the `.heapprofile` that Chrome
 * DevTools' Memory tab loads): a call tree whose nodes carry the bytes allocated in that
 * function (selfSize), plus the samples.
 *
 * V8 samples one allocation every ~samplingInterval bytes (Poisson) and scales each sample up
 * to an estimate: a sampled object of s bytes counts c = round(1 / (1 − e^(−s/interval)))
 * objects, and the inspector reports the sample's size as s × c (v8 sampling-heap-profiler.cc
 * ScaleSample; v8-heap-profiler-agent-impl.cc). So bytes are estimates with the sampler's
 * error, and the object count of a sample is recovered by inverting that scaling — but the
 * inversion is ambiguous (for small objects s × c ≈ interval whatever s is: 32 B × 1025 =
 * 40 B × 820), so the count is an ESTIMATE (see sampleObjects; within ~3× per sample):
 * alloc_objects is indicative, alloc_space is the number to read.
 */
import type { HeapProfile, HeapProfileNode } from '../protocol/heap-profile.js';

/** V8's default, and the inspector's: one sample per 32 KiB allocated on average. */
export const DEFAULT_SAMPLING_INTERVAL = 32768;

export function isHeapProfile(x: unknown): x is HeapProfile {
  const p = x as HeapProfile;
  return !!p && typeof p === 'object' && !!p.head && typeof p.head === 'object' && !!p.head.callFrame && Array.isArray(p.head.children) && Array.isArray(p.samples);
}

/**
 * The first node of a .heapprofile's tree that is not what V8 writes (a callFrame object, a
 * numeric selfSize and id, a children array), as "node <id or path>: why"; undefined when all
 * are. Files come from users: a hostile one must be an error, not a crash deep in a walk.
 */
export function badHeapProfileNode(p: HeapProfile): string | undefined {
  const todo: [unknown, string][] = [[p.head, 'head']];
  while (todo.length) {
    const [raw, where] = todo.pop()!;
    const n = raw as Partial<HeapProfileNode> | null;
    if (n === null || typeof n !== 'object') return `${where}: not an object`;
    if (n.callFrame === null || typeof n.callFrame !== 'object') return `${where}: no callFrame`;
    if (typeof n.selfSize !== 'number' || !Number.isFinite(n.selfSize)) return `${where}: selfSize is not a number`;
    if (typeof n.id !== 'number') return `${where}: id is not a number`;
    if (!Array.isArray(n.children)) return `${where}: no children array`;
    n.children.forEach((c, i) => todo.push([c, `node ${n.id}.children[${i}]`]));
  }
  return undefined;
}

/**
 * Objects that a sample reported as `scaledSize` (= s × c) stands for: scaledSize / s0, s0 the
 * unrounded solution of s / (1 − e^(−s/interval)) = scaledSize. V8 rounded c, and many (s, c)
 * fit one scaled size (32 B × 1025 = 40 B × 820 = 32800 B), so this is an estimate, within
 * ~3× of the truth for any one sample.
 */
export function sampleObjects(scaledSize: number, interval: number): number {
  if (!(scaledSize > 0)) return 0;
  // s / (1 − e^(−s/interval)) rises with s from `interval` (s → 0): bisection.
  let lo = 0;
  let hi = scaledSize;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (mid / -Math.expm1(-mid / interval) < scaledSize) lo = mid;
    else hi = mid;
  }
  return Math.max(1, Math.round(scaledSize / Math.max(1, (lo + hi) / 2)));
}

export interface NodeTotals {
  /** Node id → estimated objects allocated in it. */
  objects: Map<number, number>;
  /** Σ selfSize: bytes allocated (estimate). */
  bytes: number;
  /** Σ objects. */
  objectsTotal: number;
}

/** The profile's totals: bytes = Σ selfSize; objects from the samples (see sampleObjects). */
export function heapProfileTotals(p: HeapProfile): NodeTotals {
  const interval = p.samplingInterval ?? DEFAULT_SAMPLING_INTERVAL;
  const objects = new Map<number, number>();
  for (const s of p.samples) objects.set(s.nodeId, (objects.get(s.nodeId) ?? 0) + sampleObjects(s.size, interval));
  let bytes = 0;
  let objectsTotal = 0;
  walk(p.head, (n) => {
    bytes += n.selfSize;
    // A node with bytes but no sample of its own (should not happen): at least one object.
    if (n.selfSize > 0 && !objects.has(n.id)) objects.set(n.id, Math.max(1, Math.round(n.selfSize / interval)));
    if (n.selfSize === 0) objects.delete(n.id);
    objectsTotal += objects.get(n.id) ?? 0;
  });
  return { objects, bytes, objectsTotal };
}

export function walk(n: HeapProfileNode, f: (n: HeapProfileNode, stack: HeapProfileNode[]) => void, stack: HeapProfileNode[] = []): void {
  // Iterative: a deep recursion in the profiled program makes a deep tree.
  const todo: [HeapProfileNode, number][] = [[n, 0]];
  const path: HeapProfileNode[] = [...stack];
  while (todo.length) {
    const [node, depth] = todo.pop()!;
    path.length = stack.length + depth;
    path.push(node);
    f(node, path);
    for (let i = node.children.length - 1; i >= 0; i--) todo.push([node.children[i]!, depth + 1]);
  }
}
