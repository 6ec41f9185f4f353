import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseGcTraceLine, type GoGcCycle } from '../src/telemetry/go-gctrace.js';
import { GoGcGuard } from '../src/telemetry/go-gc-guard.js';
import { goCycleCpuMs } from '../src/telemetry/go-gc-event.js';
import { CLI, ROOT, TESTDATA, runCli } from './helpers/tools.js';
import { prng } from './fixtures/parse-helpers.js';
import type { Summary } from '../src/analysis/summary.js';
import type { TimedGcEvent } from '../src/protocol/frame.js';

const cycles = (file: string): GoGcCycle[] =>
  readFileSync(join(TESTDATA, file), 'utf8')
    .split('\n')
    .map(parseGcTraceLine)
    .filter((c): c is GoGcCycle => c !== null);
/** When a cycle's line is printed: its start plus its wall time (ms since the runtime started). */
const endMs = (c: GoGcCycle): number => c.atSeconds * 1000 + c.clockMs.sweepTerm + c.clockMs.mark + c.clockMs.markTerm;
const line = (n: number, at: number, clock: string, cpu: string): GoGcCycle =>
  parseGcTraceLine(`gc ${n} @${at}s 1%: ${clock} ms clock, ${cpu} ms cpu, 4->4->2 MB, 5 MB goal, 0 MB stacks, 0 MB globals, 2 P`)!;

test('the real traces (prometheus 2.42, victoria-metrics) pass the guard whole', () => {
  for (const f of ['gctrace-prometheus-2.42.log', 'gctrace-victoria-metrics.log']) {
    const g = new GoGcGuard(0, 2);
    const all = cycles(f);
    assert.ok(all.length > 10);
    for (const c of all) assert.ok(g.accept(c, endMs(c)), `${f}: gc ${c.cycle}`);
    assert.equal(g.rejected, 0);
  }
});

test('a cycle number seen again is not counted twice', () => {
  const g = new GoGcGuard(0, 2);
  const c = line(5, 1, '0.05+1+0.05', '0.1+0.5/0.5/0+0.1');
  assert.equal(g.accept(c, 1100), true);
  for (let i = 0; i < 1000; i++) assert.equal(g.accept(c, 1200 + i), false);
  assert.equal(g.accept(line(4, 1.5, '0.05+1+0.05', '0.1+0.5/0.5/0+0.1'), 2000), false, 'nor an older one');
  assert.equal(g.repeated, 1001);
  assert.equal(g.accept(line(6, 2, '0.05+1+0.05', '0.1+0.5/0.5/0+0.1'), 2100), true);
});

test('a pause or CPU beyond what the wall clock allows is left out', () => {
  const g = new GoGcGuard(0, 2);
  assert.equal(g.accept(line(1, 1, '200000000000+1+0.05', '0.1+0.5/0.5/0+0.1'), 5000), false, 'a 2e11 ms pause in a 5 s soak');
  assert.equal(g.accept(line(2, 1, '0.05+1+0.05', '0.1+40000/0/0+0.1'), 5000), false, '40 s of CPU in 5 s on 2 cores');
  assert.equal(g.accept(line(3, 3600, '0.05+1+0.05', '0.1+0.5/0.5/0+0.1'), 5000), false, 'a cycle an hour after the start, 5 s in');
  assert.equal(g.impossible, 3);
  assert.equal(g.accept(line(4, 4, '0.05+1+0.05', '0.1+0.5/0.5/0+0.1'), 5000), true);
});

test('a heap size of 400 digits (Infinity) or over a petabyte is left out: no Infinity reaches the RAM figures', () => {
  const g = new GoGcGuard(0, 2);
  const huge = parseGcTraceLine(`gc 1 @0.1s 1%: 0.05+1+0.05 ms clock, 0.1+0.5/0.5/0+0.1 ms cpu, ${'9'.repeat(400)}->4->2 MB, 5 MB goal, 2 P`)!;
  assert.equal(huge.heapBeforeBytes, Infinity);
  assert.equal(g.accept(huge, 5000), false);
  const peta = parseGcTraceLine(`gc 2 @0.2s 1%: 0.05+1+0.05 ms clock, 0.1+0.5/0.5/0+0.1 ms cpu, 4->4->2 MB, ${'9'.repeat(10)} MB goal, 2 P`)!;
  assert.equal(g.accept(peta, 5000), false);
  assert.equal(g.impossible, 2);
  assert.equal(g.accept(line(3, 1, '0.05+1+0.05', '0.1+0.5/0.5/0+0.1'), 5000), true);
});

test('whatever a program prints, the GC CPU accepted stays within the wall clock × cores', () => {
  const rnd = prng(23);
  const g = new GoGcGuard(0, 2);
  let cpu = 0;
  let wall = 0;
  for (let i = 0; i < 5000; i++) {
    const now = i; // 5 s of lines, one a millisecond
    const big = (): string => (rnd() < 0.5 ? (rnd() * 10).toFixed(3) : String(Math.floor(rnd() * 1e9)));
    const c = line(Math.floor(rnd() * 3000), rnd() * 10, `${big()}+${big()}+${big()}`, `${big()}+${big()}/${big()}/${big()}+${big()}`);
    if (!g.accept(c, now)) continue;
    cpu += goCycleCpuMs(c);
    wall = now;
  }
  assert.ok(g.rejected > 0);
  assert.ok(cpu <= (wall + 2000) * 2, `accepted ${cpu} ms of GC CPU by ${wall} ms`);
});

/** A soak of the fake scraper (test/fixtures/fake-gctrace-scraper.ts) with gctrace on; its run directory. */
function soakFake(env: string[]): string {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-gcguard-'));
  const p = JSON.parse(readFileSync(join(ROOT, 'profiles', 'default.json'), 'utf8'));
  Object.assign(p, { name: 'gcguard', exporters: 10, scrapeIntervalSeconds: 1, scrapeTimeoutSeconds: 1 });
  const profile = join(out, 'gcguard.json');
  writeFileSync(profile, JSON.stringify(p));
  const scraper = join(ROOT, 'dist', 'test', 'fixtures', 'fake-gctrace-scraper.js');
  const r = spawnSync(
    process.execPath,
    [CLI, 'run', profile, '--target', `exec:${process.execPath} ${scraper} {file_sd} {port} {interval}`, '--target-metrics', 'http://127.0.0.1:{port}/metrics', '--target-samples', 'tiny_samples_total',
      ...env.flatMap((e) => ['--env', e]), '--duration', '5', '--warmup', '2', '--out', join(out, 'runs')],
    { encoding: 'utf8', timeout: 80_000, env: { ...process.env, CI: '1' } },
  );
  assert.ok(r.status === 0 || r.status === 1, `${r.status}: ${r.stderr}`);
  return join(out, 'runs', readdirSync(join(out, 'runs'))[0]!);
}

const summaryOf = (dir: string): Summary => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Summary;

test('a target printing gctrace that cannot be true: cycles counted once, GC share of CPU physically possible, the verdict says so', { timeout: 90_000 }, () => {
  const dir = soakFake(['GODEBUG=gctrace=1']);
  const s = summaryOf(dir);
  assert.ok(s.gc.cpuShare === null || s.gc.cpuShare <= 1, `GC share ${s.gc.cpuShare}`);
  assert.match(s.verdict.join('\n'), /WARNING: the target printed \d+ gctrace lines? that cannot be true/);
  assert.doesNotMatch(s.verdict.join('\n'), /GC took \d{4,}/);
  const gc = readFileSync(join(dir, 'gc.ndjson'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as TimedGcEvent);
  const seen = gc.map((e) => e.cycle!);
  assert.equal(new Set(seen).size, seen.length, 'each cycle once');
  assert.ok(gc.every((e) => e.pauseMs < 1000), 'no impossible pause recorded');
  // And the run directory reads back, still saying it.
  const again = runCli(['report', dir]);
  assert.equal(again.status, 0, again.stderr);
  assert.match(summaryOf(dir).verdict.join('\n'), /WARNING: the target printed \d+ gctrace lines? that cannot be true/, 'report keeps saying it');
});

test('a gctrace claiming more GC CPU than the target used: its GC reads as untraced, with a warning, not as over 100 %', { timeout: 90_000 }, () => {
  const dir = soakFake(['GODEBUG=gctrace=1', 'FAKE_GC=heavy']);
  const s = summaryOf(dir);
  assert.equal(s.gc.cpuShare, null);
  assert.equal(s.run.target!.gcTraced, false);
  assert.match(s.verdict.join('\n'), /WARNING: the target's gctrace adds up to [\d.]+ × the CPU the target used/);
  assert.doesNotMatch(s.verdict.join('\n'), /GC took/);
  assert.equal(runCli(['report', dir]).status, 0);
});
