import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { judgeGates, parseGate, type GateSide } from '../src/compare/gate.js';
import { aaNoisePct, baselineMismatch, baselineRuns, loadBaseline, loadMismatch } from '../src/compare/baseline.js';
import { NUMERIC_SUMMARY_KEYS, readSummaryKey } from '../src/compare/summary-paths.js';
import type { Summary } from '../src/analysis/summary.js';
import { syntheticSummary } from './helpers/summaries.js';
import { ROOT, runCli } from './helpers/tools.js';

const side = (label: string, us: number[], set: Record<string, number> = {}): GateSide => ({ label, runs: us.map((x) => syntheticSummary({ 'cpu.usPerSample': x, ...set })) });

test('gate keys are summary.json keys: an unknown key, a non-number and a bad form are refused, naming them', () => {
  const g = parseGate('cpu.usPerSample<+5%');
  assert.deepEqual({ key: g.key, op: g.op, bound: g.bound, relative: g.relative }, { key: 'cpu.usPerSample', op: '<', bound: 5, relative: true });
  assert.deepEqual(parseGate('starvation.windows==0'), { expression: 'starvation.windows==0', key: 'starvation.windows', op: '==', bound: 0, relative: false });
  const refused = (expr: string, why: RegExp): void =>
    assert.throws(() => parseGate(expr), (e: Error & { code?: string }) => e.code === 'PROMSOAK_USAGE' && why.test(e.message), expr);
  refused('cpu.usPerSampel<+5%', /^--gate 'cpu\.usPerSampel<\+5%': cpu\.usPerSampel is not a key of summary\.json/);
  refused('run.profile==1', /run\.profile is not a number in summary\.json/);
  refused('cpu<+5%', /cpu is not a number in summary\.json but an object \(its numbers: cpu\.avgCores/);
  refused('cpu.usPerSample=5', /not a gate/);
  refused('cpu.usPerSample==5%', /a % bound .* use < or >/);
  // Every listed key reads a number (or NaN: not measured) from a real summary.
  const s = syntheticSummary();
  assert.equal(readSummaryKey(s, 'cpu.usPerSample'), s.cpu.usPerSample);
  assert.ok(NUMERIC_SUMMARY_KEYS.includes('starvation.windows'));
  assert.ok(Number.isNaN(readSummaryKey(s, 'push.totals.generated')));
});

test('a % gate fails only on a detectable regression past its bound; an A/A run passes; an absolute gate holds on every repeat', () => {
  const base = { ...side('stored', [100, 102, 98, 101, 99]), design: 'unpaired' as const };
  const gates = [parseGate('cpu.usPerSample<+5%'), parseGate('starvation.windows==0')];
  const aa = judgeGates(gates, { candidates: [side('now', [101, 99, 100, 102, 98])], base });
  assert.deepEqual(aa.map((g) => [g.ok, g.judged]), [[true, true], [true, true]]);
  assert.match(aa[0]!.line, /^gate cpu\.usPerSample<\+5% passed: [+−±]\d\.\d\d % \[−\d\.\d\d, \+\d\.\d\d\] against stored\.$/);
  assert.match(aa[1]!.line, /^gate starvation\.windows==0 passed: 0, 0, 0, 0, 0 in 5 repeats\.$/);
  // +30 %: fails, with its interval.
  const worse = judgeGates(gates, { candidates: [side('now', [130, 132, 128, 131, 129], { 'starvation.windows': 0 })], base });
  assert.equal(worse[0]!.ok, false);
  assert.match(worse[0]!.line, /^FAILED: gate cpu\.usPerSample<\+5%: \+30\.\d\d % \[\+2\d\.\d\d, \+3\d\.\d\d\] against stored: a detectable regression past \+5 %\.$/);
  // +4 % detectable, but not past +5 %: passes.
  assert.equal(judgeGates([gates[0]!], { candidates: [side('now', [104, 106, 102, 105, 103])], base })[0]!.ok, true);
  // A noisy +8 % whose interval reaches under +5 %: not a detectable regression past the bound.
  assert.equal(judgeGates([gates[0]!], { candidates: [side('now', [90, 125, 100, 118, 107])], base })[0]!.ok, true);
  // One starved second in one repeat fails ==0, naming the repeat.
  const starved = { label: 'now', runs: [0, 1, 0].map((w) => syntheticSummary({ 'starvation.windows': w })) };
  assert.match(judgeGates([gates[1]!], { candidates: [starved] })[0]!.line, /^FAILED: gate starvation\.windows==0: #2 1: the bound not held on every repeat\.$/);
  // > bounds: samples/s may not drop past 5 %.
  const drop = judgeGates([parseGate('samplesPerSecond.mean>-5%')], { candidates: [side('now', [1, 1, 1], {})].map((c, i) => ({ ...c, runs: [800, 810, 790].map((m) => syntheticSummary({ 'samplesPerSecond.mean': m + i })) })), base: { label: 'stored', design: 'unpaired', runs: [1000, 1010, 990].map((m) => syntheticSummary({ 'samplesPerSecond.mean': m })) } });
  assert.equal(drop[0]!.ok, false);
});

test('one repeat: no interval; the gate judges against the baseline\'s A/A noise when it has one, else passes with a warning', () => {
  const g = [parseGate('cpu.usPerSample<+5%')];
  const one = { ...side('stored', [100]), design: 'unpaired' as const };
  const noControl = judgeGates(g, { candidates: [side('now', [150])], base: one });
  assert.equal(noControl[0]!.ok, true);
  assert.equal(noControl[0]!.judged, false);
  assert.match(noControl[0]!.line, /^WARNING: gate cpu\.usPerSample<\+5% not judged: \+50\.00 % \(no interval: 1 repeat\) against stored; no interval \(one repeat\) and no A\/A noise recorded in the baseline; it passes with this warning/);
  const withNoise = judgeGates(g, { candidates: [side('now', [150])], base: { ...one, aaNoisePct: () => 8 } });
  assert.equal(withNoise[0]!.ok, false);
  assert.match(withNoise[0]!.line, /judged against the baseline's A\/A noise ±8\.00 %/);
  assert.equal(judgeGates(g, { candidates: [side('now', [110])], base: { ...one, aaNoisePct: () => 8 } })[0]!.ok, true);
});

/** A compare directory as `compare` writes it, its run directories holding synthetic summaries. */
function storedCompare(version: number, runs: { variant: string; repeat: number; summary: Summary }[], variants: { label: string; control?: boolean }[], absoluteDirs = false): string {
  const dir = mkdtempSync(join(tmpdir(), 'promsoak-cmp-baseline-'));
  const entries = runs.map((r, i) => {
    const name = `run-${i}`;
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'summary.json'), JSON.stringify(r.summary));
    // Schema 1 names absolute directories; a compare directory moved (a CI artifact) is found by the runs' names beside compare.json.
    return { variant: r.variant, repeat: r.repeat, dir: absoluteDirs ? join('/moved/away', name) : join(dir, name), ...(version >= 2 ? { relDir: name } : {}) };
  });
  writeFileSync(join(dir, 'compare.json'), JSON.stringify({ schemaVersion: version, profile: 'smoke', repeat: 2, variants, runs: entries }));
  return dir;
}

test('--baseline reads a compare directory (schema 2 with its control, schema 1 moved), a run directory, and refuses others in one line', () => {
  const s = (us: number, stop = 'completed'): Summary => syntheticSummary({ 'cpu.usPerSample': us, 'run.stopReason': stop });
  const v2 = storedCompare(2, [
    { variant: 'A', repeat: 0, summary: s(100) },
    { variant: 'A′ (control)', repeat: 0, summary: s(104) },
    { variant: 'A', repeat: 1, summary: s(100) },
    { variant: 'A′ (control)', repeat: 1, summary: s(97) },
    { variant: 'B', repeat: 1, summary: s(500) },
  ], [{ label: 'A' }, { label: 'A′ (control)', control: true }, { label: 'B' }]);
  const b = loadBaseline(v2);
  assert.equal(b.schemaVersion, 2);
  assert.equal(b.label, 'A');
  assert.deepEqual(baselineRuns(b).map((x) => x.cpu.usPerSample), [100, 100]);
  assert.equal(aaNoisePct(b, 'cpu.usPerSample'), 4);
  const v1 = storedCompare(1, [{ variant: 'A', repeat: 0, summary: s(100) }, { variant: 'A', repeat: 1, summary: s(90, 'interrupted') }], [{ label: 'A' }], true);
  const b1 = loadBaseline(join(v1, 'compare.json'));
  assert.equal(baselineRuns(b1).length, 1);
  assert.deepEqual(b1.leftOut, ['A #2 (interrupted)']);
  assert.ok(Number.isNaN(aaNoisePct(b1, 'cpu.usPerSample')));
  const run = join(v1, 'run-0');
  assert.equal(baselineRuns(loadBaseline(run)).length, 1);
  const refused = (path: string, why: RegExp): void => assert.throws(() => loadBaseline(path), (e: Error & { exitCode?: number }) => e.exitCode === 2 && why.test(e.message) && !e.message.includes('\n'), path);
  const v3 = storedCompare(3, [], [{ label: 'A' }]);
  refused(v3, /compare\.json schemaVersion 3: this promsoak reads 1 and 2/);
  refused(join(v1, 'nope'), /no such file or directory/);
  refused(tmpdir() + '/', /neither a compare directory|no such file/);
  writeFileSync(join(v3, 'compare.json'), '{"schemaVersion": 2, "variants": []}');
  refused(v3, /variants/);
  // Not the same soak: named.
  const secs = baselineRuns(b)[0]!.run.measuredSeconds;
  assert.deepEqual(baselineMismatch(b, { profile: 'default', exporters: 20, intervalSeconds: 1, durationSeconds: secs * 2, targets: ['builtin', 'prometheus'] }), ['profile smoke there, default now', `${secs} s measured a run there, ${secs * 2} s now`, 'target builtin there, prometheus now']);
  assert.deepEqual(baselineMismatch(b, { profile: 'smoke', exporters: 20, intervalSeconds: 1, durationSeconds: secs, targets: ['builtin'] }), []);
  // A profile edited under the same name: seen in what the runs measured.
  const expected = baselineRuns(b)[0]!.load.expectedSamplesPerSecond;
  assert.deepEqual(loadMismatch(b, [syntheticSummary({ 'load.expectedSamplesPerSecond': expected * 2 })]), [`${expected} samples/s expected there, ${expected * 2} now`]);
  assert.deepEqual(loadMismatch(b, [syntheticSummary()]), []);
});

test('CLI: an unknown gate key, a % gate with nothing to compare with, or a baseline of another profile is refused before anything runs (exit 2, one line)', () => {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-cmp-gate-'));
  const cases: [string[], RegExp][] = [
    [['--gate', 'cpu.usPerSampel<+5%'], /^promsoak: --gate 'cpu\.usPerSampel<\+5%': cpu\.usPerSampel is not a key of summary\.json/],
    [['--gate', 'verdict==0'], /verdict is not a number in summary\.json/],
    [['--gate', 'cpu.usPerSample<+5%'], /a % bound is on a difference from a baseline: give --baseline/],
    [['--baseline', storedCompare(2, [{ variant: 'A', repeat: 0, summary: syntheticSummary({ 'run.profile': 'default' }) }], [{ label: 'A' }])], /^promsoak: --baseline .*: not the same soak: profile default there, smoke now \(--force compares them anyway\)$/],
  ];
  for (const [args, why] of cases) {
    const r = runCli(['compare', 'smoke', '--duration', '2', '--warmup', '1', '--out', out, ...args], { timeout: 30_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr.trim(), why);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  assert.deepEqual(readdirSync(out), [], 'nothing ran');
  assert.ok(existsSync(out));
});

test('CLI: a run that did not complete (the engine died) is no figure to judge a gate by: FAILED, exit 1, not a pass', { timeout: 60_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-cmp-gate-crash-'));
  const crash = join(ROOT, 'dist', 'test', 'fixtures', 'crash-ingester.js');
  const r = runCli(['compare', 'smoke', '--ingester', `module:${crash}`, '--duration', '3', '--warmup', '1', '--gate', 'starvation.windows<=100', '--out', out], { timeout: 60_000 });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /FAILED: the gates were not judged: baseline #1 did not complete \(engine-exited\)\./);
  assert.doesNotMatch(r.stdout, /gate starvation\.windows<=100 passed/);
});

test('--baseline: a scraped baseline against a pushed compare (or the other way, or another remote-write version) is not the same soak: named', () => {
  const dir = storedCompare(2, [{ variant: 'A', repeat: 0, summary: syntheticSummary({ 'cpu.usPerSample': 100 }) }], [{ label: 'A' }]);
  const b = loadBaseline(dir);
  const secs = baselineRuns(b)[0]!.run.measuredSeconds;
  const now = { profile: 'smoke', exporters: 20, intervalSeconds: 1, durationSeconds: secs, targets: ['builtin'] };
  assert.deepEqual(baselineMismatch(b, now), []);
  assert.deepEqual(baselineMismatch(b, { ...now, push: '2.0' }), ['scraped there, pushed (remote write 2.0) now']);
  (baselineRuns(b)[0] as { push?: unknown }).push = { protocol: '1.0' };
  assert.deepEqual(baselineMismatch(b, now), ['pushed (remote write 1.0) there, scraped now']);
  assert.deepEqual(baselineMismatch(b, { ...now, push: '2.0' }), ['pushed (remote write 1.0) there, pushed (remote write 2.0) now']);
  assert.deepEqual(baselineMismatch(b, { ...now, push: '1.0' }), []);
});

test('a one-run baseline (a run directory) with --repeat 3 now: the gate judges, the baseline\'s noise taken as the repeats\'; +50 % fails, an A/A run passes', () => {
  const g = [parseGate('cpu.usPerSample<+5%')];
  const one = { ...side('stored', [100]), design: 'unpaired' as const };
  const worse = judgeGates(g, { candidates: [side('now', [150, 152, 148])], base: one })[0]!;
  assert.deepEqual([worse.ok, worse.judged], [false, true], worse.line);
  assert.match(worse.line, /^FAILED: gate cpu\.usPerSample<\+5%: \+50\.00 % \[\+\d+\.\d\d, \+\d+\.\d\d\] against stored: a detectable regression past \+5 %\.$/);
  const aa = judgeGates(g, { candidates: [side('now', [101, 99, 100])], base: one })[0]!;
  assert.deepEqual([aa.ok, aa.judged], [true, true], aa.line);
});

test('--baseline: a crafted compare.json cannot read summaries outside its directory (relDir ../, an absolute dir, a symlinked run directory), and a string where a number goes is named with what was there', () => {
  const dir = storedCompare(2, [{ variant: 'A', repeat: 0, summary: syntheticSummary({ 'cpu.usPerSample': 100 }) }], [{ label: 'A' }]);
  const elsewhere = storedCompare(2, [{ variant: 'A', repeat: 0, summary: syntheticSummary({ 'cpu.usPerSample': 1 }) }], [{ label: 'A' }]);
  const json = JSON.parse(readFileSync(join(dir, 'compare.json'), 'utf8'));
  const refused = (runs: unknown[], why: RegExp): void => {
    writeFileSync(join(dir, 'compare.json'), JSON.stringify({ ...json, runs }));
    assert.throws(() => loadBaseline(dir), (e: Error & { exitCode?: number }) => e.exitCode === 2 && why.test(e.message) && !e.message.includes('\n'), String(why));
  };
  refused([{ variant: 'A', repeat: 0, dir: '/x', relDir: relative(dir, join(elsewhere, 'run-0')) }], /runs\[0\]\.relDir: "\.\.\/.*" is not a run directory beside compare\.json/);
  refused([{ variant: 'A', repeat: 0, dir: join(elsewhere, 'run-0'), relDir: join(elsewhere, 'run-0') }], /runs\[0\]\.relDir: .* is not a run directory beside compare\.json/);
  refused([{ variant: 'A', repeat: 0, dir: '..' }], /runs\[0\]\.dir: "\.\." is not a run directory beside compare\.json/);
  symlinkSync(join(elsewhere, 'run-0'), join(dir, 'linked'));
  refused([{ variant: 'A', repeat: 0, dir: '/x', relDir: 'linked' }], /runs\[0\]\.relDir: "linked" is a symbolic link/);
  refused([{ variant: 'A', repeat: '0', dir: '/x', relDir: 'run-0' }], /runs\[0\]\.repeat: .* \(got "0"\)/);
  // Absolute dirs of schema 1 (the compare directory where it was made) still find the run by its name here.
  writeFileSync(join(dir, 'compare.json'), JSON.stringify({ ...json, runs: [{ variant: 'A', repeat: 0, dir: join('/moved/away', 'run-0') }] }));
  assert.deepEqual(baselineRuns(loadBaseline(dir)).map((s) => s.cpu.usPerSample), [100]);
});

test('a gate with no run to judge it by (Ctrl-C before any ran) fails: compare.json never says it passed', () => {
  const [r] = judgeGates([parseGate('starvation.windows==0')], { candidates: [] });
  assert.equal(r!.ok, false);
  assert.match(r!.line, /^FAILED: gate starvation\.windows==0: no run to judge it by: /);
});

test('--baseline: a stored run whose soak FAILED is left out of the baseline\'s repeats (said), and a run directory whose soak FAILED is refused', () => {
  const failed = syntheticSummary({ 'cpu.usPerSample': 500 });
  failed.verdict = ['FAILED: the harness itself stalled for 9 s'];
  const dir = storedCompare(2, [{ variant: 'A', repeat: 0, summary: syntheticSummary({ 'cpu.usPerSample': 100 }) }, { variant: 'A', repeat: 1, summary: failed }], [{ label: 'A' }]);
  const b = loadBaseline(dir);
  assert.deepEqual(baselineRuns(b).map((s) => s.cpu.usPerSample), [100]);
  assert.match(b.leftOut[0]!, /^A #2 \(its soak FAILED \(the harness itself stalled/);
  assert.throws(() => loadBaseline(join(dir, 'run-1')), (e: Error & { exitCode?: number }) => e.exitCode === 2 && /the run is a soak that FAILED .*: no baseline to gate by/.test(e.message));
});

test('--baseline: the measured window is the median run\'s, within max(10 %, 1 s): a 3 s baseline whose first run measured 4 s (a frame\'s grain) is the same soak; one measured 5 s is not', () => {
  const runs = (secs: number[]) => secs.map((x, i) => ({ variant: 'A', repeat: i, summary: syntheticSummary({ 'cpu.usPerSample': 100, 'run.measuredSeconds': x }) }));
  const now = { profile: 'smoke', exporters: 20, intervalSeconds: 1, durationSeconds: 3, targets: ['builtin'] };
  assert.deepEqual(baselineMismatch(loadBaseline(storedCompare(2, runs([4, 3, 3]), [{ label: 'A' }])), now), []);
  assert.deepEqual(baselineMismatch(loadBaseline(storedCompare(2, runs([5, 5, 3]), [{ label: 'A' }])), now), ['5 s measured a run there, 3 s now']);
  assert.deepEqual(baselineMismatch(loadBaseline(storedCompare(2, runs([60, 60]), [{ label: 'A' }])), { ...now, durationSeconds: 50 }), ['60 s measured a run there, 50 s now']);
});
