import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/tools.js';
import { SYNTHETIC_PROFILE, syntheticRunDir } from './helpers/run-dir-fixture.js';
import { blockMeans, blockSecondsFor } from '../src/diff/blocks.js';
import { frame, T0 } from './helpers/frames.js';

const root = mkdtempSync(join(tmpdir(), 'promsoak-diff-'));
let n = 0;
const fresh = (): string => join(root, `d${n++}`);
const DAY_LATER = T0 + 86_400_000;

type Row = { key: string; difference: { word: string; pct: number; lowPct: number | null; highPct: number | null } };

function diffJson(args: string[]): { status: number | null; stdout: string; stderr: string; json: any } {
  const file = join(fresh() + '.json');
  const r = runCli(['diff', ...args, '--json', file]);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    json = undefined;
  }
  return { ...r, json };
}

test('diff of two runs of one thing (other seeds of the same noise): every series reads no difference detectable, exit 0', () => {
  const a = syntheticRunDir(fresh(), { seed: 1 });
  const b = syntheticRunDir(fresh(), { seed: 2, atMs: DAY_LATER });
  const r = diffJson([a, b]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.json.kind, 'runs');
  assert.equal(r.json.design, 'unpaired');
  assert.equal(r.json.blockSeconds, 10);
  assert.deepEqual(r.json.blocks, { a: 12, b: 12 });
  for (const s of r.json.series as Row[]) {
    assert.equal(s.difference.word, 'no difference detectable', `${s.key}: ${JSON.stringify(s.difference)}`);
    assert.ok(s.difference.lowPct! <= 0 && s.difference.highPct! >= 0, s.key);
  }
  assert.deepEqual(r.json.worse, []);
  assert.match(r.stdout, /per-second series, as means of 10 s blocks/);
  assert.match(r.stdout, /nothing reads worse at this noise/);
  // The headline figures side by side, from summary.json.
  assert.match(r.stdout, /^\s+CPU avg\s+0\.50\s+0\.50/m);
  // The same run twice: the interval is 0 wide at 0.
  const same = diffJson([a, a, '--fail-on-worse']);
  assert.equal(same.status, 0, same.stderr);
  for (const s of same.json.series as Row[]) assert.equal(s.difference.pct, 0, s.key);
});

test('diff: a run with +30 % CPU reads worse on CPU with an interval clear of 0; exit 0, or 1 with --fail-on-worse', () => {
  const a = syntheticRunDir(fresh(), { seed: 3 });
  const b = syntheticRunDir(fresh(), { seed: 4, cpuScale: 1.3, atMs: DAY_LATER });
  const r = diffJson([a, b]);
  assert.equal(r.status, 0, r.stderr);
  const cpu = (r.json.series as Row[]).find((s) => s.key === 'cpuCores')!;
  assert.equal(cpu.difference.word, 'worse');
  assert.ok(cpu.difference.lowPct! > 20 && cpu.difference.highPct! < 40, JSON.stringify(cpu.difference));
  assert.ok(Math.abs(cpu.difference.pct - 30) < 5, String(cpu.difference.pct));
  assert.equal((r.json.series as Row[]).find((s) => s.key === 'samplesPerSecond')!.difference.word, 'no difference detectable');
  assert.match(r.stdout, /^\s+CPU cores\s+0\.50\d\s+0\.6\d\d\s+\+\d\d\.\d % \[\+\d\d\.\d, \+\d\d\.\d\]\s+worse/m);
  assert.match(r.stdout, /worse: CPU cores \+/);
  const gate = runCli(['diff', a, b, '--fail-on-worse']);
  assert.equal(gate.status, 1, gate.stderr);
  // The other way round CPU reads better, and nothing fails.
  const back = runCli(['diff', b, a, '--fail-on-worse']);
  assert.equal(back.status, 0, back.stderr);
  assert.match(back.stdout, /^\s+CPU cores.*better$/m);
});

test('diff: two runs made at the same time pair by block, so a load both saw cancels: +5 % CPU reads worse paired, not when the runs were made apart', () => {
  const a = syntheticRunDir(fresh(), { seed: 20, machineWavePct: 40 });
  const b = syntheticRunDir(fresh(), { seed: 21, machineWavePct: 40, cpuScale: 1.05 });
  const r = diffJson([a, b]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.json.design, 'paired');
  const cpu = (r.json.series as Row[]).find((s) => s.key === 'cpuCores')!;
  assert.equal(cpu.difference.word, 'worse', JSON.stringify(cpu.difference));
  assert.ok(cpu.difference.lowPct! > 2 && cpu.difference.highPct! < 8, JSON.stringify(cpu.difference));
  assert.match(r.stdout, /paired by block: the runs were made at the same time/);
  assert.match(r.stdout, /a and b were run at the same time: their 12 common blocks pair/);
  assert.doesNotMatch(r.stdout, /WARNING/);
  // The same two runs scraping one --fleet: the same target ids, so the same phases, in lockstep: said.
  const shards = (s: Record<string, any>): void => void (s.fleet.shards = [{ shard: '0/1', url: 'http://127.0.0.1:9100' }]);
  const fa = syntheticRunDir(fresh(), { seed: 20, machineWavePct: 40, summary: shards });
  const fb = syntheticRunDir(fresh(), { seed: 21, machineWavePct: 40, summary: shards });
  assert.match(runCli(['diff', fa, fb]).stdout, /WARNING: a and b scraped one fleet \(http:\/\/127\.0\.0\.1:9100\) at the same time under the same target ids, so at the same scrape phases/);
  // The same +5 % made a day apart, each run under its own stretch of the load: lost in the noise, said so.
  const c = syntheticRunDir(fresh(), { seed: 21, machineWavePct: 40, cpuScale: 1.05, atMs: T0 + 86_400_000 + 40_000 });
  const apart = diffJson([a, c]);
  assert.equal(apart.json.design, 'unpaired');
  assert.equal((apart.json.series as Row[]).find((s) => s.key === 'cpuCores')!.difference.word, 'no difference detectable');
});

test('diff refuses runs of different profiles, loads or targets, naming the difference; --force compares them and says so', () => {
  const a = syntheticRunDir(fresh(), { seed: 5 });
  const other = { ...SYNTHETIC_PROFILE, families: [{ type: 'gauge', name: 'x', series: 200 }] };
  const b = syntheticRunDir(fresh(), { seed: 6, profile: other });
  const r = runCli(['diff', a, b]);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /are not runs of one soak: profile: .*first at families\[0\]\.series: 100 vs 200 \(--force compares them anyway\)/);
  assert.doesNotMatch(r.stderr, /at .*\.js:\d+/);
  const forced = runCli(['diff', a, b, '--force']);
  assert.equal(forced.status, 0, forced.stderr);
  assert.match(forced.stdout, /forced \(--force\): profile: /);
  // A load that differs (the interval) and a target that differs, each named.
  const c = syntheticRunDir(fresh(), { seed: 7, summary: (s) => ((s.load.intervalSeconds = 15), (s.run.target = { kind: 'prometheus', binary: '/usr/bin/prometheus', flags: [], env: {} })) });
  const r2 = runCli(['diff', a, c]);
  assert.equal(r2.status, 2, r2.stderr);
  assert.match(r2.stderr, /load: intervalSeconds 1 vs 15; target: builtin vs prometheus/);
});

test('diff: a malformed frames line is one line naming the file and the line, exit 2', () => {
  const a = syntheticRunDir(fresh(), { seed: 8 });
  const b = syntheticRunDir(fresh(), { seed: 9 });
  const path = join(b, 'frames.ndjson');
  const lines = readFileSync(path, 'utf8').split('\n');
  lines[4] = lines[4]!.replace(/"samples":\d+/, '"samples":-5');
  writeFileSync(path, lines.join('\n'));
  const r = runCli(['diff', a, b]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^promsoak: .*frames\.ndjson:5: samples: /);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  // Not a run directory at all, and a run and a compare: one line each.
  const empty = fresh();
  mkdirSync(empty);
  const r2 = runCli(['diff', a, empty]);
  assert.equal(r2.status, 2);
  assert.match(r2.stderr, /is not a run directory \(no summary\.json\) nor a compare directory/);
});

test('diff: an older summary schemaVersion is read when it can be (said), and is one line naming it when it cannot', () => {
  const a = syntheticRunDir(fresh(), { seed: 10 });
  const b = syntheticRunDir(fresh(), { seed: 11, summary: (s) => (s.schemaVersion = 2) });
  const r = runCli(['diff', a, b]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /schemaVersion 2 \(this promsoak writes 3\): read as it is/);
  const c = syntheticRunDir(fresh(), { seed: 12, summary: (s) => ((s.schemaVersion = 1), delete s.fleet) });
  const r2 = runCli(['diff', a, c]);
  assert.equal(r2.status, 2, r2.stderr);
  assert.match(r2.stderr, /summary\.json: fleet is missing \(summary\.json schemaVersion 1, older than this promsoak's 3: it cannot be read\)/);
});

test('diff: a run that was starved, saturated its fleet or stopped early is said, not read as a good one', () => {
  const a = syntheticRunDir(fresh(), { seed: 30 });
  const b = syntheticRunDir(fresh(), { seed: 31, summary: (s) => ((s.starvation.windows = 7), (s.fleet.saturated = true), (s.fleet.reason = 'p99 CPU at its cores'), (s.run.stopReason = 'engine-exited')) });
  const r = runCli(['diff', a, b]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /b was starved in 7 of 120 s: its seconds are not a steady load's/);
  assert.match(r.stdout, /WARNING: b: the load generator was saturated \(p99 CPU at its cores\)/);
  assert.match(r.stdout, /WARNING: b \(.*\) stopped engine-exited, not completed/);
  assert.doesNotMatch(r.stdout, /WARNING: a|a was starved/);
});

test('diff: a summary.json whose unchecked figures are crafted (wrong types, missing) reads n/a, never a stack trace', () => {
  const a = syntheticRunDir(fresh(), { seed: 32 });
  const b = syntheticRunDir(fresh(), { seed: 33, summary: (s) => ((s.verdict = 'FAILED'), (s.fleet.saturated = 'yes'), (s.fleet.shards = [null, 7]), (s.samplesPerSecond = null), delete s.cpu) });
  const r = runCli(['diff', a, b]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\s+samples\/s\s+\d+\s+n\/a\s+n\/a$/m);
  assert.match(r.stdout, /^\s+CPU avg\s+0\.50\s+n\/a\s+n\/a$/m);
  assert.doesNotMatch(r.stdout + r.stderr, /TypeError|at .*\.js:\d+/);
});

/** A compare directory as `promsoak compare` leaves one: compare.json and one run directory per run. */
function compareDir(runs: { variant: string; cpuScale?: number }[], seed: number): string {
  const dir = fresh();
  mkdirSync(dir);
  const list = runs.map((r, i) => {
    const name = `run-${i}`;
    syntheticRunDir(join(dir, name), { seed: seed + i, cpuScale: r.cpuScale, runLevelPct: 3 });
    // compare.json names where the run was made: another path, read by its base name in the compare directory.
    return { variant: r.variant, repeat: i, dir: `/elsewhere/${name}` };
  });
  writeFileSync(join(dir, 'compare.json'), JSON.stringify({ schemaVersion: 1, profile: 'synthetic', runs: list }));
  return dir;
}

test('diff of two compare directories: per variant, each run a repeat; a variant 30 % dearer reads worse, the same one reads no difference', () => {
  const a = compareDir([{ variant: 'x' }, { variant: 'y' }, { variant: 'x' }, { variant: 'y' }, { variant: 'x' }, { variant: 'y' }], 100);
  const b = compareDir([{ variant: 'x' }, { variant: 'y', cpuScale: 1.3 }, { variant: 'x' }, { variant: 'y', cpuScale: 1.3 }, { variant: 'x' }, { variant: 'y', cpuScale: 1.3 }], 200);
  const r = diffJson([a, b]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.json.kind, 'compares');
  const x = r.json.variants.find((v: any) => v.variant === 'x');
  const y = r.json.variants.find((v: any) => v.variant === 'y');
  assert.deepEqual(y.repeats, { a: 3, b: 3 });
  assert.equal(x.rows.find((row: Row) => row.key === 'cpuAvg').difference.word, 'no difference detectable');
  const cpu = y.rows.find((row: Row) => row.key === 'cpuAvg');
  assert.equal(cpu.difference.word, 'worse', JSON.stringify(cpu.difference));
  assert.match(r.stdout, /variant y: 3 vs 3 repeats/);
  assert.equal(runCli(['diff', a, b, '--fail-on-worse']).status, 1);
  // --html: a variant label from compare.json is data, escaped, never markup.
  const la = compareDir([{ variant: '<img src=x onerror=alert(1)>' }], 300);
  const lb = compareDir([{ variant: '<img src=x onerror=alert(1)>' }], 400);
  const html = fresh() + '.html';
  assert.equal(runCli(['diff', la, lb, '--html', html]).status, 0);
  const page = readFileSync(html, 'utf8');
  assert.match(page, /Variant &lt;img src=x onerror=alert\(1\)&gt;: 1 vs 1 repeats/);
  assert.doesNotMatch(page, /<img/);
  // A run directory against a compare directory: refused, one line.
  const mixed = runCli(['diff', a, join(a, 'run-0')]);
  assert.equal(mixed.status, 2);
  assert.match(mixed.stderr, /is a compare directory and .* is not/);
  // A compare.json whose run names a path out of the directory reads it by its base name only; one that names none is refused.
  const bad = fresh();
  cpSync(a, bad, { recursive: true });
  writeFileSync(join(bad, 'compare.json'), JSON.stringify({ profile: 'synthetic', runs: [{ variant: 'x', repeat: 0, dir: '/' }] }));
  const r3 = runCli(['diff', bad, a]);
  assert.equal(r3.status, 2);
  assert.match(r3.stderr, /compare\.json: runs\[0\]\.dir: not a run directory's name/);
});

test('blocks: whole scrape intervals; the seconds a harness stall touches (and 2 after) are left out, not averaged in', () => {
  assert.equal(blockSecondsFor(10, 1), 10);
  assert.equal(blockSecondsFor(10, 15), 15);
  assert.equal(blockSecondsFor(10, 4), 12);
  const frames = Array.from({ length: 42 }, (_, i) => frame(i, i >= 20 && i < 23 ? 0 : 10_000));
  const plain = blockMeans(frames, { windowStartMs: T0 + 2000, windowEndMs: T0 + 42_000 }, 10);
  assert.equal(plain.count, 4);
  assert.ok(plain.values.samplesPerSecond[1]! < 9000, 'the stalled seconds pull their block down when not left out');
  const stalled = blockMeans(frames, { windowStartMs: T0 + 2000, windowEndMs: T0 + 42_000, harnessStalls: [{ fromMs: T0 + 20_000, toMs: T0 + 21_000, why: 'stall' }] }, 10);
  assert.equal(stalled.secondsLeftOut, 3);
  assert.deepEqual(stalled.values.samplesPerSecond, [10_000, 10_000, 10_000, 10_000].slice(0, stalled.count));
  assert.equal(stalled.count, 4);
});

test('diff of two compare directories, one run against three: an interval (the three\'s noise taken for the one), said so; one against one: none, said so', () => {
  const one = compareDir([{ variant: 'x' }], 600);
  const three = compareDir([{ variant: 'x', cpuScale: 1.3 }, { variant: 'x', cpuScale: 1.3 }, { variant: 'x', cpuScale: 1.3 }], 700);
  const r = diffJson([one, three]);
  assert.equal(r.status, 0, r.stderr);
  const cpu = r.json.variants[0].rows.find((row: Row) => row.key === 'cpuAvg');
  assert.ok(Number.isFinite(cpu.difference.lowPct) && Number.isFinite(cpu.difference.highPct), JSON.stringify(cpu.difference));
  assert.ok(r.json.notes.some((n: string) => /variant x: 1 and 3 repeat\(s\): the single run's noise is taken as the other side's/.test(n)), r.json.notes.join('\n'));
  const none = diffJson([one, compareDir([{ variant: 'x' }], 800)]);
  assert.ok(none.json.notes.some((n: string) => /1 and 1 repeat\(s\): an interval needs at least 2 on one side/.test(n)), none.json.notes.join('\n'));
});
