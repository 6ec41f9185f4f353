import { test } from 'node:test';
import assert from 'node:assert/strict';
import { figureDifferences, formatDifference, valuesDifference } from '../src/compare/differences.js';
import { differenceLines } from '../src/compare/verdict.js';
import { tCritical } from '../src/analysis/difference.js';
import { pairedComparisons, storedComparisons, unsoundWhy } from '../src/compare/comparisons.js';
import { untrustedFigures, controlLines, withControl } from '../src/compare/control.js';
import type { VariantResult } from '../src/compare/aggregate.js';
import type { Summary } from '../src/analysis/summary.js';
import { syntheticSummary } from './helpers/summaries.js';

const US = { id: 'usPerSample', title: 'µs/sample', unit: 'µs', lowerIsBetter: true };

/** A variant's runs, one a round, from its figures by summary.json key. */
function result(label: string, rounds: Record<string, number>[], control = false): VariantResult {
  const runs = rounds.map((set, repeat) => ({ dir: `/nowhere/${label}-${repeat}`, repeat, summary: syntheticSummary(set) }));
  return { variant: { label, v8Flags: [], target: 'builtin', env: [], control }, runs, stats: {} as VariantResult['stats'], fleetShared: false, fleetSaturatedRuns: 0 };
}

test('A/A: identical settings with noise read "no difference detectable" on every figure', () => {
  const a = [100, 103, 98, 101, 99].map((us, i) => syntheticSummary({ 'cpu.usPerSample': us, 'cpu.avgCores': 0.5 + i * 0.01, 'starvation.windows': i % 2 }));
  const b = [101, 99, 100, 102, 98].map((us, i) => syntheticSummary({ 'cpu.usPerSample': us, 'cpu.avgCores': 0.5 + ((i + 1) % 5) * 0.01, 'starvation.windows': (i + 1) % 2 }));
  const ds = figureDifferences(a, b, 'paired');
  assert.equal(ds.length, 10);
  for (const d of ds) assert.equal(d.word, 'no difference detectable', `${d.title}: ${d.low}…${d.high}`);
  const us = ds.find((d) => d.figure === 'usPerSample')!;
  assert.equal(us.unit, '%');
  assert.equal(us.n, 5);
  assert.ok(us.low < 0 && us.high > 0);
});

test('+30 % with low noise reads worse, its interval well clear of 0; lower samples/s reads worse too', () => {
  const a = [100, 102, 98, 101].map((us) => syntheticSummary({ 'cpu.usPerSample': us, 'samplesPerSecond.mean': 1000 }));
  const b = [130, 133, 127, 131.5].map((us) => syntheticSummary({ 'cpu.usPerSample': us, 'samplesPerSecond.mean': 800 + us / 100 }));
  const ds = figureDifferences(a, b, 'paired');
  const us = ds.find((d) => d.figure === 'usPerSample')!;
  assert.equal(us.word, 'worse');
  assert.ok(us.low > 25 && us.high < 35, `${us.low}…${us.high}`);
  assert.equal(ds.find((d) => d.figure === 'samplesMean')!.word, 'worse');
  assert.equal(valuesDifference(US, [130, 133, 127, 131.5], [100, 102, 98, 101], 'paired').word, 'better');
});

test('paired by round sees a 5 % difference that the same numbers unpaired (Welch) cannot tell from the rounds\' spread', () => {
  const rounds = [100, 150, 200, 120, 180];
  const a = rounds;
  const b = rounds.map((x, i) => x * (1.05 + (i % 2 ? 0.005 : -0.005)));
  const paired = valuesDifference(US, a, b, 'paired');
  const unpaired = valuesDifference(US, a, b, 'unpaired');
  assert.equal(paired.word, 'worse');
  assert.equal(paired.design, 'paired');
  assert.equal(unpaired.word, 'no difference detectable');
  assert.equal(unpaired.design, 'unpaired');
  assert.ok(Math.abs(paired.value - 5) < 0.5);
  // The repeats to resolve 5 % at the noise measured: few paired, many more unpaired.
  assert.ok(paired.repeatsToResolve <= 3, String(paired.repeatsToResolve));
  assert.ok(unpaired.repeatsToResolve > 20, String(unpaired.repeatsToResolve));
});

test('starved seconds from a baseline of 0: an absolute difference in seconds with its interval, said why; a zero baseline of another figure too', () => {
  const a = [0, 0, 0, 0].map((w) => syntheticSummary({ 'starvation.windows': w, 'gc.cpuShare': 0 }));
  const b = [2, 3, 2, 3].map((w) => syntheticSummary({ 'starvation.windows': w, 'gc.cpuShare': 0.1 }));
  const ds = figureDifferences(a, b, 'paired');
  const st = ds.find((d) => d.figure === 'starved')!;
  assert.equal(st.unit, 's');
  assert.equal(st.word, 'worse');
  assert.equal(st.value, 2.5);
  // 2.5 ± t(0.9975, 3)·0.577/2 = 2.5 ± 2.15: the interval of one of 10 figures held together at 95 %.
  assert.ok(st.low > 0.3 && st.low < 0.4 && st.high > 4.6 && st.high < 4.7, `${st.low}..${st.high}`);
  assert.match(st.absoluteWhy!, /count/);
  const gc = ds.find((d) => d.figure === 'gcShare')!;
  assert.equal(gc.unit, 'points');
  assert.match(gc.absoluteWhy!, /baseline reads 0: a % is undefined/);
  assert.equal(gc.word, 'worse');
});

test('the verdict names only detectable differences, says the repeats to resolve 5 % of the rest, and that one repeat gives no interval', () => {
  const base = result('A', [100, 102, 98, 101].map((us) => ({ 'cpu.usPerSample': us, 'cpu.avgCores': 0.5 })));
  const b = result('B', [130, 133, 127, 131.5].map((us, i) => ({ 'cpu.usPerSample': us, 'cpu.avgCores': [0.5, 0.6, 0.45, 0.52][i]! })));
  const [c] = pairedComparisons([base, b]);
  const lines = differenceLines(c!);
  assert.match(lines[0]!, /^B vs A \(paired by round, 4 rounds\): worse: µs\/sample \+30\.\d % \[\+2\d\.\d, \+3\d\.\d\]\. no difference detectable at this noise in CPU avg/);
  assert.match(lines[1]!, /repeats that would resolve a 5 % difference .*: CPU avg \d+/);
  const one = pairedComparisons([result('A', [{ 'cpu.usPerSample': 100 }]), result('B', [{ 'cpu.usPerSample': 200 }])]);
  assert.match(differenceLines(one[0]!)[0]!, /one repeat: no interval can be computed/);
});

test('--control: the twin runs after the baseline in every round; when it reads a detectable difference the verdict says the figure is not trustworthy, and why', () => {
  const v = withControl([{ label: 'A', v8Flags: [], target: 'builtin', env: [] }, { label: 'B', v8Flags: [], target: 'builtin', env: [] }]);
  assert.deepEqual(v.map((x) => x.label), ['A', 'A′ (control)', 'B']);
  assert.equal(v[1]!.control, true);
  const base = result('A', [100, 102, 98, 101].map((us) => ({ 'cpu.usPerSample': us })));
  const calm = result('A′ (control)', [101, 101, 99, 100].map((us) => ({ 'cpu.usPerSample': us })), true);
  const [quiet] = pairedComparisons([base, calm]);
  assert.equal(quiet!.control, true);
  assert.deepEqual(untrustedFigures(quiet!, base, calm), []);
  assert.match(controlLines(quiet!, [])[0]!, /no detectable difference on any figure over 4 rounds/);
  const stalled = result('A′ (control)', [120, 123, 118, 121].map((us, i) => ({ 'cpu.usPerSample': us, 'run.harnessStalledSeconds': i === 2 ? 3 : 0, 'starvation.windows': i === 1 ? 2 : 0 })), true);
  const [loud] = pairedComparisons([base, stalled]);
  const untrusted = untrustedFigures(loud!, base, stalled);
  assert.deepEqual(untrusted.map((u) => u.figure), ['usPerSample']);
  const lines = controlLines(loud!, untrusted);
  assert.match(lines[0]!, /^NOT TRUSTWORTHY in this run: µs\/sample: the A\/A twin \(A′ \(control\)\) reads \+20\.\d %/);
  assert.match(lines[1]!, /the harness itself stalled in A′ \(control\) #3 \(3 s read neutral\)/);
  assert.match(lines[1]!, /A′ \(control\) #2 was starved 2 s and A not/);
  const [single] = pairedComparisons([result('A', [{ 'cpu.usPerSample': 100 }]), result('A′ (control)', [{ 'cpu.usPerSample': 100 }], true)]);
  assert.match(controlLines(single!, untrustedFigures(single!, base, calm))[0]!, /one round: the A\/A twin's noise cannot be measured/);
  const unexplained = result('A′ (control)', [120, 123, 118, 121].map((us) => ({ 'cpu.usPerSample': us })), true);
  const [odd] = pairedComparisons([base, unexplained]);
  assert.match(controlLines(odd!, untrustedFigures(odd!, base, unexplained))[1]!, /nothing the runs' summaries record explains it/);
});

test('an interrupted compare pairs only the rounds both ran', () => {
  const base = result('A', [100, 102, 98].map((us) => ({ 'cpu.usPerSample': us })));
  const b = result('B', [110, 112].map((us) => ({ 'cpu.usPerSample': us })));
  const [c] = pairedComparisons([base, b]);
  assert.equal(c!.figures.find((d) => d.figure === 'usPerSample')!.n, 2);
  const runs: (Summary | undefined)[] = [syntheticSummary(), undefined];
  assert.equal(figureDifferences(runs, runs, 'paired')[0]!.n, 1);
});

test('two repeats: an interval from t(1) past ±10,000 % is said as such, not as 30 digits', () => {
  const d = valuesDifference({ id: 'x', title: 'x', unit: 'µs', lowerIsBetter: true }, [70, 30], [48, 50], 'paired', 10);
  const text = formatDifference(d, 1);
  assert.match(text, /\[−\d+\.\d, >\+10000\]$/);
  assert.ok(text.length < 40, text);
});

test('a run that did not complete (its engine died) is left out of the differences: the rounds that completed are compared, not its part-window figures', () => {
  const base = result('A', [100, 102, 98].map((us) => ({ 'cpu.usPerSample': us })));
  const b = result('B', [101, 5000, 99].map((us) => ({ 'cpu.usPerSample': us })));
  b.runs[1]!.summary.run.stopReason = 'engine-exited';
  const [c] = pairedComparisons([base, b]);
  const us = c!.figures.find((d) => d.figure === 'usPerSample')!;
  assert.equal(us.n, 2);
  assert.ok(Math.abs(us.value) < 2, `the dead run's 5000 µs left out: ${us.value}`);
  const [stored] = storedComparisons('stored A', base.runs.map((r) => r.summary), [b]);
  assert.equal(stored!.figures.find((d) => d.figure === 'usPerSample')!.n, 2);
});

test('the repeats the verdict says would resolve 5 % do: at that many pairs, the interval compare computes (ten figures together) is narrower than ±5 %', () => {
  const a = [100, 100, 100, 100, 100, 100];
  const b = [104, 112, 96, 110, 98, 106];
  const d = valuesDifference(US, a, b, 'paired', 10);
  assert.ok(Number.isFinite(d.noise) && d.noise > 0);
  const n = d.repeatsToResolve;
  assert.ok(tCritical(n - 1, 10) * d.noise / Math.sqrt(n) < 5, `${n} pairs at ${d.noise.toFixed(2)} % noise: ±${(tCritical(n - 1, 10) * d.noise / Math.sqrt(n)).toFixed(2)} %`);
  assert.ok(tCritical(n - 2, 10) * d.noise / Math.sqrt(n - 1) >= 5, 'and no fewer would');
});

test('an absolute figure with no spread: ingestion CV 0 → 0.0001 every round reads no difference (it shows as +0.000 [+0.000, +0.000]); 0 → 0.01 reads worse', () => {
  const a = [0, 0, 0].map((cv) => syntheticSummary({ 'samplesPerSecond.cv': cv }));
  const tiny = figureDifferences(a, [1e-4, 1e-4, 1e-4].map((cv) => syntheticSummary({ 'samplesPerSecond.cv': cv })), 'paired').find((d) => d.figure === 'samplesCv')!;
  assert.equal(tiny.low, tiny.high);
  assert.equal(tiny.word, 'no difference detectable');
  const real = figureDifferences(a, [0.01, 0.01, 0.01].map((cv) => syntheticSummary({ 'samplesPerSecond.cv': cv })), 'paired').find((d) => d.figure === 'samplesCv')!;
  assert.equal(real.word, 'worse');
});

test('a run that completed but whose own soak FAILED (the harness stalled, the engine fell silent) is left out of the differences too, said why', () => {
  const base = result('A', [100, 102, 98].map((us) => ({ 'cpu.usPerSample': us })));
  const b = result('B', [101, 5000, 99].map((us) => ({ 'cpu.usPerSample': us })));
  b.runs[1]!.summary.verdict = ['FAILED: the engine sent no frame for 30 of the 60 s measured'];
  assert.match(unsoundWhy(b.runs[1]!.summary)!, /^its soak FAILED \(the engine sent no frame/);
  assert.equal(unsoundWhy(b.runs[0]!.summary), null);
  const [c] = pairedComparisons([base, b]);
  assert.equal(c!.figures.find((d) => d.figure === 'usPerSample')!.n, 2);
});
