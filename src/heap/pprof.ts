import { gunzipSync, gzipSync } from 'node:zlib';
import { Function as PFunction, Location, Profile, StringTable, ValueType, type SampleInput } from 'pprof-format';
import { PromsoakError } from '../common/errors.js';
import { describeBytes, readRegularFile } from '../common/read-file.js';
import { badHeapProfileNode, heapProfileTotals, isHeapProfile, walk, DEFAULT_SAMPLING_INTERVAL } from './alloc-profile.js';
import type { HeapProfile, HeapProfileNode } from '../protocol/heap-profile.js';

/**
 * The sampling heap profile as a pprof Profile (github.com/google/pprof proto/profile.proto),
 * encoded by `pprof-format` (pure JS) and gzipped, so `go tool pprof -top
 * -sample_index=alloc_space alloc.pb.gz` reads it. Sample types: alloc_objects (count) and
 * alloc_space (bytes), as Go's heap profiles name them; one sample per call-tree node that
 * allocated, its stack leaf first; one location per function (V8's sampler records the
 * function, not the line, so Line.line is the function's first line).
 */
/**
 * The most bytes of a profile read by `profile top`: the file, and a pprof's gzip inflated.
 * V8's sampling heap profile of a long soak is a few MiB as JSON and less as pprof; 64 MiB
 * is far past any real one, and bounds what a gzip bomb (8.7 MB inflating to ~9 GB) can
 * make this process hold.
 */
export const PROFILE_MAX_BYTES = 64 * 2 ** 20;

/** The most frames a pprof sample keeps (leaf first). */
export const MAX_STACK = 512;

export function heapProfileToPprof(p: HeapProfile): Profile {
  const strings = new StringTable();
  const functions: PFunction[] = [];
  const locations: Location[] = [];
  const locationOf = new Map<string, number>();
  const totals = heapProfileTotals(p);
  const locId = (n: HeapProfileNode): number => {
    const f = n.callFrame;
    const key = `${f.functionName}\0${f.url}\0${f.lineNumber}\0${f.columnNumber}`;
    let id = locationOf.get(key);
    if (id === undefined) {
      id = locations.length + 1;
      locationOf.set(key, id);
      // Anonymous functions are told apart by place: pprof merges functions of one name.
      const name = strings.dedup(f.functionName || (f.url ? `(anonymous ${f.url.split('/').pop()}:${f.lineNumber + 1})` : '(anonymous)'));
      functions.push(new PFunction({ id, name, systemName: name, filename: strings.dedup(f.url), startLine: f.lineNumber + 1 }));
      locations.push(new Location({ id, line: [{ functionId: id, line: f.lineNumber + 1 }] }));
    }
    return id;
  };
  const samples: SampleInput[] = [];
  let truncatedId = 0;
  walk(p.head, (n, path) => {
    if (n.selfSize <= 0) return;
    const stack: number[] = [];
    // Leaf first, without V8's synthetic "(root)". A sample lists its whole stack, so a deep
    // recursion would make the profile quadratic in its depth: stacks keep their leaf-most
    // MAX_STACK frames and one "(… frames cut)" frame, as Go's profiles bound theirs.
    const from = Math.max(1, path.length - MAX_STACK);
    for (let i = path.length - 1; i >= from; i--) stack.push(locId(path[i]!));
    if (from > 1) {
      if (truncatedId === 0) {
        truncatedId = locations.length + 1;
        const name = strings.dedup('(deeper frames cut)');
        functions.push(new PFunction({ id: truncatedId, name, systemName: name }));
        locations.push(new Location({ id: truncatedId, line: [{ functionId: truncatedId, line: 0 }] }));
      }
      stack.push(truncatedId);
    }
    if (stack.length === 0) stack.push(locId(n));
    samples.push({ locationId: stack, value: [totals.objects.get(n.id) ?? 0, n.selfSize] });
  });
  const interval = p.samplingInterval ?? DEFAULT_SAMPLING_INTERVAL;
  const sampleType = [
    new ValueType({ type: strings.dedup('alloc_objects'), unit: strings.dedup('count') }),
    new ValueType({ type: strings.dedup('alloc_space'), unit: strings.dedup('bytes') }),
  ];
  return new Profile({
    sampleType,
    sample: samples,
    location: locations,
    function: functions,
    stringTable: strings,
    periodType: new ValueType({ type: strings.dedup('space'), unit: strings.dedup('bytes') }),
    period: interval,
    timeNanos: BigInt(Math.round(p.startTime ?? Date.now())) * 1_000_000n,
    durationNanos: BigInt(Math.round((p.durationMs ?? 0) * 1e6)),
    defaultSampleType: sampleType[1]!.type,
    comment: [strings.dedup(`promsoak: V8 sampling heap profiler, one sample per ~${interval} B allocated; values are V8's scaled estimates`)],
  });
}

export function encodePprofGz(p: Profile): Buffer {
  return gzipSync(p.encode());
}

/** A pprof file (gzipped or not) → Profile; anything else → one clear error (exit 2). Inflates at most `maxBytes`. */
export function decodePprof(bytes: Uint8Array, name: string, maxBytes = PROFILE_MAX_BYTES): Profile {
  let raw: Uint8Array = bytes;
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      // zlib stops at maxOutputLength (ERR_BUFFER_TOO_LARGE): the inflated bytes never pass it.
      raw = gunzipSync(bytes, { maxOutputLength: maxBytes });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new PromsoakError('PROMSOAK_INPUT_INVALID', `${name}: its gzip inflates to over ${describeBytes(maxBytes)}, the limit of an allocation profile (a gzip bomb, not a profile)`);
      }
      throw new PromsoakError('PROMSOAK_INPUT_INVALID', `${name}: not a pprof profile (a broken gzip stream)`);
    }
  }
  let p: Profile;
  try {
    p = Profile.decode(raw);
  } catch (e) {
    throw new PromsoakError('PROMSOAK_INPUT_INVALID', `${name}: not a pprof profile (${(e as Error).message})`);
  }
  if (p.sampleType.length === 0 || p.stringTable.strings.length === 0) throw new PromsoakError('PROMSOAK_INPUT_INVALID', `${name}: not a pprof profile (no sample types)`);
  return p;
}

/** Reads a .heapprofile (JSON) or a pprof .pb(.gz): the call tree of the one, the decoded profile of the other. */
export function readProfileFile(path: string): Profile | HeapProfile {
  const bytes = readRegularFile(path, { maxBytes: PROFILE_MAX_BYTES, what: 'an allocation profile' });
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  if (bytes[i] === 0x7b) {
    let json: unknown;
    try {
      json = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new PromsoakError('PROMSOAK_INPUT_INVALID', `${path}: not an allocation profile (JSON that does not parse)`);
    }
    if (!isHeapProfile(json)) throw new PromsoakError('PROMSOAK_INPUT_INVALID', `${path}: not an allocation profile (JSON without "head" and "samples" of a .heapprofile)`);
    const bad = badHeapProfileNode(json);
    if (bad) throw new PromsoakError('PROMSOAK_INPUT_INVALID', `${path}: not an allocation profile (${bad})`);
    return json;
  }
  return decodePprof(bytes, path);
}

/** `profile top` of either kind of file. */
export function topOf(p: Profile | HeapProfile, sampleIndex?: string): ProfileTop {
  return p instanceof Profile ? profileTop(p, sampleIndex) : heapProfileTop(p, sampleIndex);
}

/**
 * `pprof -top` straight from V8's call tree, in time linear in its nodes however deep it is:
 * flat is a function's own bytes (or objects), cum its subtree's, a function counted once per
 * stack (a recursive function's inner calls are inside its outermost one).
 */
export function heapProfileTop(p: HeapProfile, sampleIndex = 'alloc_space'): ProfileTop {
  if (sampleIndex !== 'alloc_space' && sampleIndex !== 'alloc_objects') {
    throw new PromsoakError('PROMSOAK_USAGE', `sample index ${sampleIndex} is not in the profile (it has alloc_objects, alloc_space)`);
  }
  const totals = heapProfileTotals(p);
  const value = (n: HeapProfileNode): number => (sampleIndex === 'alloc_space' ? n.selfSize : (totals.objects.get(n.id) ?? 0));
  // Pre-order with parents, then subtree totals bottom-up: no recursion, no per-stack copies.
  const nodes: HeapProfileNode[] = [];
  const parent: number[] = [];
  const todo: [HeapProfileNode, number][] = [[p.head, -1]];
  while (todo.length) {
    const [n, up] = todo.pop()!;
    nodes.push(n);
    parent.push(up);
    const me = nodes.length - 1;
    for (let i = n.children.length - 1; i >= 0; i--) todo.push([n.children[i]!, me]);
  }
  const subtree = nodes.map(value);
  for (let i = nodes.length - 1; i > 0; i--) subtree[parent[i]!]! += subtree[i]!;
  const rows = new Map<string, TopRow>();
  const keyOf = nodes.map((n) => {
    const f = n.callFrame;
    const key = `${f.functionName}\0${f.url}\0${f.lineNumber}\0${f.columnNumber}`;
    if (!rows.has(key)) {
      const name = f.functionName || (f.url ? `(anonymous ${f.url.split('/').pop()}:${f.lineNumber + 1})` : '(anonymous)');
      rows.set(key, { name, file: f.url, line: f.lineNumber + 1, flat: 0, cum: 0 });
    }
    return key;
  });
  // Walk again with how many times each function is on the path: cum counts a node only when
  // no ancestor is the same function. Node 0 is V8's synthetic "(root)".
  const onPath = new Map<string, number>();
  const order: number[] = [0];
  const children: number[][] = nodes.map(() => []);
  for (let i = 1; i < nodes.length; i++) children[parent[i]!]!.push(i);
  while (order.length) {
    const i = order.pop()!;
    if (i < 0) {
      const k = keyOf[~i]!;
      onPath.set(k, onPath.get(k)! - 1);
      continue;
    }
    if (i > 0) {
      const k = keyOf[i]!;
      const r = rows.get(k)!;
      r.flat += value(nodes[i]!);
      const depth = onPath.get(k) ?? 0;
      if (depth === 0) r.cum += subtree[i]!;
      onPath.set(k, depth + 1);
      order.push(~i);
    }
    for (let c = children[i]!.length - 1; c >= 0; c--) order.push(children[i]![c]!);
  }
  const total = subtree[0] ?? 0;
  const kept = [...rows.values()].filter((r) => r.flat !== 0 || r.cum !== 0);
  return { sampleType: sampleIndex, unit: sampleIndex === 'alloc_space' ? 'bytes' : 'count', total, rows: kept.sort((a, b) => b.flat - a.flat || b.cum - a.cum) };
}

export interface TopRow {
  name: string;
  file: string;
  line: number;
  flat: number;
  cum: number;
}

export interface ProfileTop {
  sampleType: string;
  unit: string;
  total: number;
  rows: TopRow[];
}

/** Flat (self) and cumulative values by function, as `pprof -top`; a function counts once per stack. */
export function profileTop(p: Profile, sampleIndex?: string): ProfileTop {
  const str = (i: number | bigint): string => p.stringTable.strings[Number(i)] ?? '';
  const types = p.sampleType.map((t) => str(t.type));
  const want = sampleIndex ?? (p.defaultSampleType ? str(p.defaultSampleType) : types.at(-1)!);
  const idx = types.indexOf(want);
  if (idx < 0) throw new PromsoakError('PROMSOAK_USAGE', `sample index ${want} is not in the profile (it has ${types.join(', ')})`);
  const fnById = new Map(p.function.map((f) => [Number(f.id), f]));
  const locFns = new Map(p.location.map((l) => [Number(l.id), l.line.map((x) => Number(x.functionId))]));
  const rows = new Map<number, TopRow>();
  const row = (fid: number): TopRow => {
    let r = rows.get(fid);
    if (!r) {
      const f = fnById.get(fid);
      rows.set(fid, (r = { name: f ? str(f.name) : `function ${fid}`, file: f ? str(f.filename) : '', line: f ? Number(f.startLine) : 0, flat: 0, cum: 0 }));
    }
    return r;
  };
  let total = 0;
  for (const s of p.sample) {
    const v = Number(s.value[idx] ?? 0);
    if (v === 0) continue;
    total += v;
    const seen = new Set<number>();
    s.locationId.forEach((loc, i) => {
      const fns = locFns.get(Number(loc)) ?? [];
      fns.forEach((fid, j) => {
        if (i === 0 && j === 0) row(fid).flat += v;
        if (!seen.has(fid)) {
          seen.add(fid);
          row(fid).cum += v;
        }
      });
    });
  }
  const unit = str(p.sampleType[idx]!.unit);
  return { sampleType: want, unit, total, rows: [...rows.values()].sort((a, b) => b.flat - a.flat || b.cum - a.cum) };
}

export function fmtValue(v: number, unit: string): string {
  if (unit !== 'bytes') return Math.round(v).toLocaleString('en-US');
  const u = ['B', 'kB', 'MB', 'GB'];
  let x = v;
  let i = 0;
  while (Math.abs(x) >= 1000 && i < u.length - 1) {
    x /= 1000;
    i++;
  }
  return `${i === 0 ? x.toFixed(0) : x.toFixed(2)} ${u[i]}`;
}

/** A short place for a function: the file's last two path parts and the line. */
function where(r: TopRow): string {
  if (!r.file) return '';
  const parts = r.file.replace(/^file:\/\//, '').split('/');
  return ` ${parts.slice(-2).join('/')}:${r.line}`;
}

export function renderTop(t: ProfileTop, top: number, name: string): string {
  const out = [
    `${name}: ${t.sampleType} ${fmtValue(t.total, t.unit)} in total, ${t.rows.length} functions; V8 sampling estimates`,
    `${'flat'.padStart(11)} ${'flat%'.padStart(6)} ${'sum%'.padStart(6)} ${'cum'.padStart(11)} ${'cum%'.padStart(6)}  function`,
  ];
  let sum = 0;
  const pct = (v: number): string => (t.total > 0 ? `${((v / t.total) * 100).toFixed(1)}%` : '-');
  for (const r of t.rows.slice(0, top)) {
    sum += r.flat;
    out.push(`${fmtValue(r.flat, t.unit).padStart(11)} ${pct(r.flat).padStart(6)} ${pct(sum).padStart(6)} ${fmtValue(r.cum, t.unit).padStart(11)} ${pct(r.cum).padStart(6)}  ${r.name}${where(r)}`);
  }
  return out.join('\n');
}
