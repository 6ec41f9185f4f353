import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { runCli, which } from './helpers/tools.js';
import { heapProfileTotals, sampleObjects, walk } from '../src/heap/alloc-profile.js';
import type { HeapProfile } from '../src/protocol/heap-profile.js';
import { heapProfileTop, heapProfileToPprof, MAX_STACK, profileTop } from '../src/heap/pprof.js';
import type { Summary } from '../src/analysis/summary.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'promsoak-alloc-'));

test("sampleObjects inverts V8's scaling of a sample: an estimate within 3.5×", () => {
  const interval = 32768;
  const scaled = (size: number): number => Math.floor(1 / (1 - Math.exp(-size / interval)) + 0.5);
  assert.equal(sampleObjects(1_000_000, interval), 1);
  // Sizes are ambiguous: 32 B × 1025 = 40 B × 820 = 32800 B; 40000 B × 1 = 20000 B × 2. The answer is within 3.5× of the truth.
  for (const size of [8, 16, 24, 32, 40, 56, 104, 1000, 8016, 40000]) {
    const c = sampleObjects(size * scaled(size), interval);
    assert.ok(c <= 3.5 * scaled(size) && c >= scaled(size) / 3.5, `size ${size}: ${c} vs ${scaled(size)}`);
  }
});

let runDir: string | undefined;
function naiveRun(): string {
  if (runDir) return runDir;
  const out = tmp();
  const r = runCli(['run', 'smoke', '--duration', '4', '--warmup', '1', '--ingester', 'naive', '--alloc-profile', '--alloc-sampling-interval', '4096', '--out', out], { timeout: 60_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /allocation profile: alloc\.heapprofile, alloc\.pb\.gz/);
  runDir = join(out, readdirSync(out)[0]!);
  return runDir;
}

test('promsoak run --alloc-profile --ingester naive: its per-line parsing functions are among the top allocators', { timeout: 60_000 }, () => {
  const dir = naiveRun();
  const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Summary;
  assert.ok(s.files.includes('alloc.heapprofile') && s.files.includes('alloc.pb.gz'));
  assert.ok(s.allocProfile && s.allocProfile.allocatedBytes > 1e6, JSON.stringify(s.allocProfile));
  // Sampling covers the measured window only (4 s), not the warm-up.
  assert.ok(s.allocProfile.seconds >= 3.5 && s.allocProfile.seconds < 5.5, `${s.allocProfile.seconds} s`);
  for (const file of ['alloc.pb.gz', 'alloc.heapprofile']) {
    const r = runCli(['profile', 'top', join(dir, file), '--top', '10']);
    assert.equal(r.status, 0, r.stderr);
    const rows = r.stdout.split('\n').slice(2);
    assert.ok(rows.some((l) => / parseLine ingest\/naive\.js:\d+$/.test(l)), r.stdout);
    assert.ok(rows.some((l) => / seriesKey ingest\/naive\.js:\d+$/.test(l)), r.stdout);
  }
  assert.match(readFileSync(join(dir, 'report.html'), 'utf8'), /<h2>Allocation profile<\/h2>/);
});

test('pprof round trip: alloc_objects and alloc_space, totals equal to the .heapprofile', { timeout: 60_000 }, () => {
  const dir = naiveRun();
  const hp = JSON.parse(readFileSync(join(dir, 'alloc.heapprofile'), 'utf8')) as HeapProfile;
  const decoded = Profile.decode(gunzipSync(readFileSync(join(dir, 'alloc.pb.gz'))));
  const str = (i: number | bigint): string => decoded.stringTable.strings[Number(i)]!;
  assert.deepEqual(decoded.sampleType.map((t) => [str(t.type), str(t.unit)]), [['alloc_objects', 'count'], ['alloc_space', 'bytes']]);
  assert.equal(Number(decoded.period), 4096);
  let selfBytes = 0;
  walk(hp.head, (n) => void (selfBytes += n.selfSize));
  const sum = (i: number): number => decoded.sample.reduce((a, s) => a + Number(s.value[i]), 0);
  assert.equal(sum(1), selfBytes);
  assert.equal(sum(0), heapProfileTotals(hp).objectsTotal);
  // The samples' sizes (V8's scaled ones) add up to the nodes' bytes within V8's rounding.
  const sampled = hp.samples.reduce((a, s) => a + s.size, 0);
  assert.ok(Math.abs(sampled - selfBytes) / selfBytes < 0.02, `${sampled} vs ${selfBytes}`);
  // Encoding again from the .heapprofile gives the same top.
  assert.deepEqual(profileTop(heapProfileToPprof(hp)).rows.slice(0, 5), profileTop(decoded).rows.slice(0, 5));
  // The call tree's own top (linear in its nodes) agrees with pprof's.
  const tree = heapProfileTop(hp);
  assert.equal(tree.total, selfBytes);
  const key = (r: { name: string; flat: number; cum: number }): string => `${r.name} ${r.flat} ${r.cum}`;
  assert.deepEqual(tree.rows.slice(0, 8).map(key), profileTop(decoded).rows.slice(0, 8).map(key));

  const go = which('go');
  if (!go) {
    test.skip?.('go tool pprof: go is not installed');
    return;
  }
  const r = spawnSync(go, ['tool', 'pprof', '-top', '-sample_index=alloc_space', join(dir, 'alloc.pb.gz')], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Type: alloc_space/);
  assert.match(r.stdout, /\sparseLine\n/);
});

test('profile top: a file that is not a profile → one line, exit 2', () => {
  const dir = tmp();
  const text = join(dir, 'x.txt');
  writeFileSync(text, 'not a profile\n');
  const json = join(dir, 'x.json');
  writeFileSync(json, '{"nodes": []}');
  const gz = join(dir, 'x.pb.gz');
  writeFileSync(gz, Buffer.from([0x1f, 0x8b, 1, 2, 3]));
  for (const [f, re] of [
    [text, /not a pprof profile/],
    [json, /not an allocation profile \(JSON without "head" and "samples"/],
    [gz, /not a pprof profile \(a broken gzip stream\)/],
  ] as const) {
    const r = runCli(['profile', 'top', f]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test('a 50,000-deep call tree: top is linear in its nodes, pprof stacks are cut at MAX_STACK frames', () => {
  const depth = 50_000;
  const frame = (i: number): HeapProfile['head']['callFrame'] => ({ functionName: i % 2 ? 'recurse' : 'step', scriptId: '1', url: 'file:///x.js', lineNumber: i % 2, columnNumber: 0 });
  const head: HeapProfile['head'] = { callFrame: { functionName: '(root)', scriptId: '0', url: '', lineNumber: -1, columnNumber: -1 }, selfSize: 0, id: 0, children: [] };
  let at = head;
  for (let i = 1; i <= depth; i++) {
    const n = { callFrame: frame(i), selfSize: 32, id: i, children: [] };
    at.children.push(n);
    at = n;
  }
  const hp: HeapProfile = { head, samples: [], samplingInterval: 32768 };
  const top = heapProfileTop(hp);
  assert.equal(top.total, depth * 32);
  // Each function is counted once per stack: its outermost call holds (nearly) everything.
  assert.deepEqual(top.rows.map((r) => [r.name, r.flat, r.cum]).sort(), [['recurse', (depth / 2) * 32, depth * 32], ['step', (depth / 2) * 32, (depth - 1) * 32]]);
  const p = heapProfileToPprof(hp);
  assert.equal(p.sample.length, depth);
  assert.ok(p.sample.every((s) => s.locationId.length <= MAX_STACK + 1));
  assert.equal(p.sample.reduce((a, s) => a + Number(s.value[1]), 0), depth * 32);
});
