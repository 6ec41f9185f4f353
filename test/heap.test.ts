import { readNdjson } from '../src/run/run-dir.js';
import type { TimedGcEvent } from '../src/protocol/frame.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { CLI, ROOT, runCli } from './helpers/tools.js';
import { readHeapSnapshot } from '../src/heap/snapshot-parse.js';
import { computeDominators } from '../src/heap/dominators.js';
import { diffSummaries, summarizeGraph, summarizeSnapshotFile } from '../src/heap/snapshot-summary.js';
import { trackWorkers, writeSnapshots } from '../src/telemetry/agent/heap-control.js';
import { parseTimes } from '../src/run/heap-diagnostics.js';
import type { Summary } from '../src/analysis/summary.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'promsoak-heap-'));

/** A hand-made snapshot: root → (GC roots) → a, b; a → c, b → c; c → d; a weakly → e; b → e. */
function tinySnapshot(): string {
  const strings = ['', '(GC roots)', 'A', 'B', 'C', 'D', 'E', 'x'];
  const node_fields = ['type', 'name', 'id', 'self_size', 'edge_count', 'trace_node_id', 'detachedness'];
  const nodeTypes = ['hidden', 'array', 'string', 'object', 'code', 'closure', 'regexp', 'number', 'native', 'synthetic', 'concatenated string', 'sliced string', 'symbol', 'bigint', 'object shape'];
  const edgeTypes = ['context', 'element', 'property', 'internal', 'hidden', 'shortcut', 'weak'];
  // ordinal: 0 root, 1 gcroots, 2 a, 3 b, 4 c, 5 d, 6 e
  const nodes = [
    [9, 0, 1, 0, 1],
    [9, 1, 3, 0, 2],
    [3, 2, 5, 10, 2],
    [3, 3, 7, 20, 2],
    [3, 4, 9, 40, 1],
    [3, 5, 11, 80, 0],
    [3, 6, 13, 160, 0],
  ].flatMap((n) => [...n, 0, 0]);
  const e = (type: string, to: number): number[] => [edgeTypes.indexOf(type), 7, to * node_fields.length];
  const edges = [e('element', 1), e('element', 2), e('element', 3), e('property', 4), e('weak', 6), e('property', 4), e('property', 6), e('property', 5)].flat();
  return JSON.stringify({
    snapshot: {
      meta: { node_fields, node_types: [nodeTypes, 'string', 'number', 'number', 'number', 'number', 'number'], edge_fields: ['type', 'name_or_index', 'to_node'], edge_types: [edgeTypes, 'string_or_number', 'node'] },
      node_count: 7,
      edge_count: 8,
    },
    nodes,
    edges,
    trace_function_infos: [],
    trace_tree: [],
    samples: [],
    locations: [],
    strings,
  });
}

test('dominators: retained sizes of a hand-made graph (shared child, weak edge ignored)', () => {
  const dir = tmp();
  const f = join(dir, 'tiny.heapsnapshot');
  writeFileSync(f, tinySnapshot());
  const g = readHeapSnapshot(f);
  const d = computeDominators(g);
  // c is reachable from a and b: dominated by (GC roots), not a; e is held weakly by a, strongly by b.
  assert.equal(d.idom[4], 1);
  assert.equal(d.idom[6], 3);
  assert.deepEqual([...d.retained], [310, 310, 10, 180, 120, 80, 160]);
  const s = summarizeGraph(g, f);
  assert.equal(s.totalBytes, 310);
  assert.deepEqual(s.rows.find((r) => r.name === 'C'), { name: 'C', count: 1, selfSize: 40, retainedSize: 120 });
  // Byte-sized chunks cross every token boundary and give the same graph.
  const g1 = readHeapSnapshot(f, 1);
  assert.deepEqual([...g1.edgeTo], [...g.edgeTo]);
  assert.deepEqual(g1.strings, g.strings);
});

class LeakyThing {
  readonly data = new Float64Array(1000);
  constructor(readonly n: number) {}
}

test('streaming parser = the snapshot of this process, at any chunk size; a group retains its typed arrays', () => {
  const dir = tmp();
  const keep = Array.from({ length: 500 }, (_, i) => new LeakyThing(i));
  const f = writeHeapSnapshot(join(dir, 'self.heapsnapshot'));
  assert.equal(keep.length, 500);
  const t0 = performance.now();
  const s = summarizeSnapshotFile(f);
  const ms = performance.now() - t0;
  const row = s.rows.find((r) => r.name === 'LeakyThing');
  assert.ok(row, 'LeakyThing in the summary');
  assert.equal(row.count, 500);
  assert.ok(row.retainedSize >= 500 * 8000, `retained ${row.retainedSize}`);
  const json = JSON.parse(readFileSync(f, 'utf8'));
  assert.equal(s.nodes, json.snapshot.node_count);
  const small = readHeapSnapshot(f, 4093);
  const big = readHeapSnapshot(f);
  assert.deepEqual(small.strings.length, json.strings.length);
  assert.deepEqual(Buffer.from(small.edgeTo.buffer), Buffer.from(big.edgeTo.buffer));
  assert.deepEqual(Buffer.from(small.nodeSelf.buffer), Buffer.from(big.nodeSelf.buffer));
  assert.ok(ms < 20_000, `summary took ${ms} ms`);
});

test("engine-side: a worker thread's heap is written next to the main thread's", async () => {
  trackWorkers();
  const w = new Worker('globalThis.keep = new Array(1000).fill("x"); setInterval(() => {}, 1000);', { eval: true });
  await new Promise((r) => w.once('online', r));
  const dir = tmp();
  const files = await writeSnapshots(join(dir, 'heap-1s.heapsnapshot'));
  await w.terminate();
  assert.equal(files.length, 2);
  assert.match(files[1]!, /heap-1s\.worker-\d+\.heapsnapshot$/);
  assert.ok(summarizeSnapshotFile(files[1]!).objects > 100);
});

test('bad input: not a snapshot, truncated, missing → one line, exit 2', () => {
  const dir = tmp();
  const notJson = join(dir, 'notes.txt');
  writeFileSync(notJson, 'hello world\n');
  const otherJson = join(dir, 'other.json');
  writeFileSync(otherJson, JSON.stringify({ nodes: [1, 2, 3] }));
  const truncated = join(dir, 'cut.heapsnapshot');
  writeFileSync(truncated, tinySnapshot().slice(0, 700));
  for (const [f, re] of [
    [notJson, /not a V8 heap snapshot \(starts with "h"/],
    [otherJson, /its first key is "nodes", not "snapshot"/],
    [truncated, /not a V8 heap snapshot \(the file ends inside "(nodes|edges)" \(truncated\?\)/],
    [join(dir, 'missing.heapsnapshot'), /no such file/],
  ] as const) {
    const r = runCli(['heap', 'summary', f]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  const r = runCli(['run', 'smoke', '--heap-snapshot-at', 'soon']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--heap-snapshot-at takes seconds/);
  assert.deepEqual(parseTimes('20s,50,1.5s,500ms'), [20, 50, 1.5, 0.5]);
});

test('promsoak run: snapshots at 0 s and 4.5 s and on SIGUSR2; the head\'s typed arrays in the summary; diff shows the series added', { timeout: 60_000 }, async () => {
  const out = tmp();
  // 200 exporters × 200 series, scraped every 4 s from the start: the head fills during the run.
  const p = JSON.parse(readFileSync(join(ROOT, 'profiles', 'default.json'), 'utf8'));
  Object.assign(p, { name: 'grow', exporters: 200, scrapeIntervalSeconds: 4 });
  const profile = join(out, 'grow.json');
  writeFileSync(profile, JSON.stringify(p));
  const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const c = spawn(process.execPath, [CLI, 'run', profile, '--duration', '5', '--warmup', '0', '--heap-snapshot-at', '0s,4.5s', '--heap-snapshot-on', 'SIGUSR2', '--out', join(out, 'runs')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => {
      stderr += d;
      // The coordinator says where to send the signal once it listens; the snapshot lands mid-run.
      if (/kill -USR2 \d+/.test(stderr) && !(c as { sent?: boolean }).sent) {
        (c as { sent?: boolean }).sent = true;
        setTimeout(() => c.kill('SIGUSR2'), 3000);
      }
    });
    c.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const dir = join(out, 'runs', readdirSync(join(out, 'runs'))[0]!);
  const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Summary;
  const names = s.heapSnapshots!.map((h) => h.file);
  assert.ok(names.includes('heap-0s.heapsnapshot') && names.includes('heap-4.5s.heapsnapshot'), names.join());
  const usr2 = s.heapSnapshots!.find((h) => h.trigger === 'signal');
  assert.ok(usr2 && /^heap-usr2-[\d.]+s\.heapsnapshot$/.test(usr2.file), names.join());
  for (const n of names) assert.ok(s.files.includes(n), n);
  // The snapshots stopped the engine: those spans are the harness's, not silence or GC of the engine.
  assert.ok((s.run.harnessPauses?.length ?? 0) >= 3, JSON.stringify(s.run.harnessPauses));
  assert.ok(!s.starvation.seconds.some((x) => x.noFrame), JSON.stringify(s.starvation.seconds));
  const gcs = readNdjson<TimedGcEvent>(join(dir, 'gc.ndjson'));
  const firstFrame = readNdjson<{ startMs: number; warmup: boolean }>(join(dir, 'frames.ndjson')).find((f) => !f.warmup)!;
  const inPauses = gcs.filter((e) => e.wallMs >= firstFrame.startMs && e.wallMs < s.run.windowEndMs! && s.run.harnessPauses!.some((p) => e.wallMs >= p.fromMs - 100 && e.wallMs <= p.toMs + 100)).length;
  assert.equal(s.gc.harnessGcs ?? 0, inPauses);
  assert.match(r.stdout, /heap snapshots \(promsoak heap summary\|diff FILE\):\n\s+heap-0s\.heapsnapshot\s+scheduled at t=0s/);
  assert.match(readFileSync(join(dir, 'report.html'), 'utf8'), /<a href="\.\/heap-4\.5s\.heapsnapshot">/);

  const sum = runCli(['heap', 'summary', join(dir, 'heap-4.5s.heapsnapshot'), '--top', '12']);
  assert.equal(sum.status, 0, sum.stderr);
  assert.match(sum.stdout, /\sFloat64Array\n/);
  assert.match(sum.stdout, /\sHead\n/);
  const a = summarizeSnapshotFile(join(dir, 'heap-0s.heapsnapshot'));
  const b = summarizeSnapshotFile(join(dir, 'heap-4.5s.heapsnapshot'));
  const f64 = diffSummaries(a, b).find((x) => x.name === 'Float64Array')!;
  // 40,000 series × 120 samples × (value + time) × 8 B = 77 MB of typed arrays once all are in.
  assert.ok(f64.retainedSize > 30e6, `Float64Array grew by ${f64.retainedSize} B`);
  const diff = runCli(['heap', 'diff', join(dir, 'heap-0s.heapsnapshot'), join(dir, 'heap-4.5s.heapsnapshot'), '--top', '5']);
  assert.equal(diff.status, 0, diff.stderr);
  assert.match(diff.stdout.split('\n')[3]!, /\+\d+(\.\d+)? MB .*system \/ JSArrayBufferData$/);
});
