import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { computeDominators } from './dominators.js';
import { readHeapSnapshot, type HeapGraph } from './snapshot-parse.js';

/** One constructor's totals, grouped as Chrome DevTools' "Summary" view groups them. */
export interface ConstructorRow {
  name: string;
  count: number;
  selfSize: number;
  /**
   * Retained size of the group without double counting: the sum of the retained sizes of its
   * objects that no other object of the same group dominates (DevTools' rule).
   */
  retainedSize: number;
}

export interface SnapshotSummary {
  file: string;
  fileBytes: number;
  nodes: number;
  edges: number;
  /** Σ self size of the objects reachable from the root (= the root's retained size). */
  totalBytes: number;
  objects: number;
  rows: ConstructorRow[];
}

export type SortKey = 'self' | 'retained' | 'count';

/** The group a node belongs to: constructor name for objects, "(type)" for the rest. */
function groupOf(type: string, name: string): string {
  switch (type) {
    case 'object':
    case 'native':
    case 'synthetic':
      return name || '(anonymous)';
    case 'hidden':
    case 'object shape':
      return '(system)';
    case 'code':
      return '(compiled code)';
    case 'regexp':
      return 'RegExp';
    case 'string':
    case 'concatenated string':
    case 'sliced string':
      return '(string)';
    default:
      return `(${type})`;
  }
}

export function summarizeGraph(g: HeapGraph, file = '', fileBytes = 0): SnapshotSummary {
  const { idom, retained, reachable } = computeDominators(g);
  const classes = new Map<string, number>();
  const rows: ConstructorRow[] = [];
  const nodeClass = new Uint32Array(g.nodeCount);
  const synthetic = g.nodeTypes.indexOf('synthetic');
  let objects = 0;
  for (let i = 0; i < g.nodeCount; i++) {
    const name = groupOf(g.nodeTypes[g.nodeType[i]!] ?? 'unknown', g.strings[g.nodeName[i]!]!);
    let c = classes.get(name);
    if (c === undefined) {
      c = rows.length;
      classes.set(name, c);
      rows.push({ name, count: 0, selfSize: 0, retainedSize: 0 });
    }
    nodeClass[i] = c;
    if (idom[i] === 0xffffffff || g.nodeType[i] === synthetic) continue; // unreachable, or the roots themselves
    rows[c]!.count++;
    rows[c]!.selfSize += g.nodeSelf[i]!;
    objects++;
  }
  // Group retained sizes: walk the dominator tree top-down with a count of each group on the
  // path; an object counts only when no dominator of it is of its group.
  const childStart = new Uint32Array(g.nodeCount + 1);
  for (let i = 1; i < g.nodeCount; i++) if (idom[i] !== 0xffffffff && idom[i] !== i) childStart[idom[i]! + 1]!++;
  for (let i = 0; i < g.nodeCount; i++) childStart[i + 1]! += childStart[i]!;
  const children = new Uint32Array(childStart[g.nodeCount]!);
  const fill = childStart.slice(0, g.nodeCount);
  for (let i = 1; i < g.nodeCount; i++) if (idom[i] !== 0xffffffff && idom[i] !== i) children[fill[idom[i]!]!++] = i;
  const onPath = new Uint32Array(rows.length);
  const stack = new Uint32Array(reachable + 1);
  const next = new Uint32Array(reachable + 1);
  let sp = 0;
  if (g.nodeCount > 0) {
    stack[0] = 0;
    next[0] = childStart[0]!;
    onPath[nodeClass[0]!]!++;
    sp = 1;
  }
  while (sp > 0) {
    const v = stack[sp - 1]!;
    if (next[sp - 1]! < childStart[v + 1]!) {
      const w = children[next[sp - 1]!++]!;
      const c = nodeClass[w]!;
      if (onPath[c] === 0 && g.nodeType[w] !== synthetic) rows[c]!.retainedSize += retained[w]!;
      onPath[c]!++;
      stack[sp] = w;
      next[sp] = childStart[w]!;
      sp++;
    } else {
      onPath[nodeClass[v]!]!--;
      sp--;
    }
  }
  return {
    file,
    fileBytes,
    nodes: g.nodeCount,
    edges: g.edgeCount,
    totalBytes: g.nodeCount > 0 ? retained[0]! : 0,
    objects,
    rows: rows.filter((r) => r.count > 0),
  };
}

export function summarizeSnapshotFile(path: string): SnapshotSummary {
  return summarizeGraph(readHeapSnapshot(path), path, statSync(path).size);
}

export function sortRows<T extends { count: number; selfSize: number; retainedSize: number }>(rows: T[], by: SortKey, abs = false): T[] {
  const key = (r: T): number => {
    const v = by === 'self' ? r.selfSize : by === 'retained' ? r.retainedSize : r.count;
    return abs ? Math.abs(v) : v;
  };
  return [...rows].sort((a, b) => key(b) - key(a));
}

const units = ['B', 'kB', 'MB', 'GB'];
export function fmtBytes(b: number, sign = false): string {
  const s = sign && b > 0 ? '+' : b < 0 ? '-' : '';
  let v = Math.abs(b);
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${s}${u === 0 ? v.toFixed(0) : v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)} ${units[u]}`;
}

const pct = (v: number, total: number): string => (total > 0 ? `${((v / total) * 100).toFixed(1)}%` : '-');
const int = (v: number, sign = false): string => `${sign && v > 0 ? '+' : ''}${v.toLocaleString('en-US')}`;

/** `promsoak heap summary`: pprof-top-like table of constructors. */
export function renderSummary(s: SnapshotSummary, top: number, by: SortKey): string {
  const rows = sortRows(s.rows, by).slice(0, top);
  const out = [
    `${basename(s.file)}: ${fmtBytes(s.fileBytes)} file, ${int(s.objects)} objects, ${fmtBytes(s.totalBytes)} reachable (nodes ${int(s.nodes)}, edges ${int(s.edges)})`,
    `retained sizes: exact, from the dominator tree (Cooper-Harvey-Kennedy; weak edges ignored); a group's retained size counts objects not dominated by one of their own group`,
    `top ${rows.length} of ${s.rows.length} constructors by ${by}:`,
    `${'count'.padStart(10)} ${'self'.padStart(10)} ${'self%'.padStart(6)} ${'retained'.padStart(10)} ${'ret%'.padStart(6)}  constructor`,
  ];
  for (const r of rows) {
    out.push(`${int(r.count).padStart(10)} ${fmtBytes(r.selfSize).padStart(10)} ${pct(r.selfSize, s.totalBytes).padStart(6)} ${fmtBytes(r.retainedSize).padStart(10)} ${pct(r.retainedSize, s.totalBytes).padStart(6)}  ${r.name}`);
  }
  return out.join('\n');
}

export interface DiffRow extends ConstructorRow {
  /** The row's values in `a`; count/selfSize/retainedSize are b − a. */
  before: { count: number; selfSize: number; retainedSize: number };
}

/** Growth by constructor from snapshot a to snapshot b (b − a), largest change first. */
export function diffSummaries(a: SnapshotSummary, b: SnapshotSummary): DiffRow[] {
  const rows = new Map<string, DiffRow>();
  const get = (name: string): DiffRow => {
    let r = rows.get(name);
    if (!r) rows.set(name, (r = { name, count: 0, selfSize: 0, retainedSize: 0, before: { count: 0, selfSize: 0, retainedSize: 0 } }));
    return r;
  };
  for (const x of a.rows) {
    const r = get(x.name);
    r.before = { count: x.count, selfSize: x.selfSize, retainedSize: x.retainedSize };
    r.count -= x.count;
    r.selfSize -= x.selfSize;
    r.retainedSize -= x.retainedSize;
  }
  for (const x of b.rows) {
    const r = get(x.name);
    r.count += x.count;
    r.selfSize += x.selfSize;
    r.retainedSize += x.retainedSize;
  }
  return [...rows.values()].filter((r) => r.count !== 0 || r.selfSize !== 0 || r.retainedSize !== 0);
}

export function renderDiff(a: SnapshotSummary, b: SnapshotSummary, top: number, by: SortKey): string {
  const rows = sortRows(diffSummaries(a, b), by, true).slice(0, top);
  const out = [
    `${basename(a.file)} → ${basename(b.file)}: ${int(b.objects - a.objects, true)} objects, ${fmtBytes(b.totalBytes - a.totalBytes, true)} reachable (${fmtBytes(a.totalBytes)} → ${fmtBytes(b.totalBytes)})`,
    `growth by constructor (b − a), top ${rows.length} by |Δ ${by}|; retained sizes exact (dominator tree):`,
    `${'Δcount'.padStart(10)} ${'Δself'.padStart(10)} ${'Δretained'.padStart(10)} ${'self before'.padStart(12)} ${'self after'.padStart(11)}  constructor`,
  ];
  for (const r of rows) {
    out.push(`${int(r.count, true).padStart(10)} ${fmtBytes(r.selfSize, true).padStart(10)} ${fmtBytes(r.retainedSize, true).padStart(10)} ${fmtBytes(r.before.selfSize).padStart(12)} ${fmtBytes(r.before.selfSize + r.selfSize).padStart(11)}  ${r.name}`);
  }
  return out.join('\n');
}
