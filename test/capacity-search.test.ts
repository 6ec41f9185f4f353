import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CapacitySearch, checkOptions, type SearchOptions, type SearchOutcome } from '../src/capacity/search.js';
import type { StepPlan, StepResult } from '../src/capacity/types.js';

/** 100 samples/s and 100 series per exporter; a fleet of 10,000 exporters (1M samples/s). */
const OPTIONS: SearchOptions = {
  startExporters: 10, maxExporters: 10_000, factor: 2, resolution: 0.05, warmupSeconds: 10, holdSeconds: 30,
  maxSteps: 40, maxDurationSeconds: 24 * 3600, samplesPerExporterPerSecond: 100, seriesPerExporter: 100, by: 'rate',
};

/** A fake system: a function of the step's plan (its load, its phase) → pass, or the failure's words; and the generator's own limit. */
type Fake = (p: StepPlan) => { pass: boolean; words?: string; saturated?: string | null; spoiled?: string };

function result(index: number, p: StepPlan, v: ReturnType<Fake>): StepResult {
  const offered = p.load.offeredSamplesPerSecond;
  return {
    index, plan: p, startMs: index * 1000, endMs: index * 1000 + p.holdSeconds * 1000,
    figures: { ingestedPerSecond: v.pass ? offered : offered * 0.9, ingestedRatio: v.pass ? 1 : 0.9, cpuAvgCores: 0.5, cpuP99Cores: 0.6, peakRssBytes: 1e8, gcCpuShare: 0.1, bytesPerSample: 100, starvedSeconds: 0, latencyP99Ms: 5, backlogGrowthPerSecond: null, fleetCpuCores: 0.1, fleetQueuedMax: 0, series: p.load.series },
    pass: v.pass,
    failed: v.pass ? [] : [{ criterion: 'ingested', measured: 0.9, limit: 0.99, words: v.words ?? 'ingested 90.0 % of offered' }],
    generatorSaturated: v.saturated ?? null,
    ...(v.spoiled ? { spoiled: v.spoiled } : {}),
  };
}

function run(o: Partial<SearchOptions>, fake: Fake): { outcome: SearchOutcome; steps: StepPlan[] } {
  const s = new CapacitySearch({ ...OPTIONS, ...o });
  const steps: StepPlan[] = [];
  for (let p = s.next(); p; p = s.next()) {
    assert.ok(steps.length < 200, 'the search ends');
    assert.ok(Number.isInteger(p.load.exporters) && p.load.exporters >= 1 && p.load.exporters <= (o.maxExporters ?? OPTIONS.maxExporters), `exporters ${p.load.exporters} within [1, max]`);
    assert.equal(s.next(), p, 'the same plan until it is recorded');
    steps.push(p);
    s.record(result(steps.length - 1, p, fake(p)));
  }
  return { outcome: s.outcome()!, steps };
}

const ceilingAt = (samplesPerSecond: number): Fake => (p) => (p.load.offeredSamplesPerSecond <= samplesPerSecond ? { pass: true } : { pass: false, words: `scrape p99 1.42 s passed the 1 s interval` });

test('search: geometric to the first failure, bisection to 5 %, then the found load held twice as long: within resolution of the true ceiling', () => {
  for (const truth of [1_000, 37_300, 123_456, 640_000, 999_000]) {
    const { outcome, steps } = run({}, ceilingAt(truth));
    assert.equal(outcome.kind, 'ceiling', `${truth}: ${outcome.words}`);
    assert.ok(outcome.samplesPerSecond! <= truth, `${truth}: found ${outcome.samplesPerSecond} is a load that passed`);
    assert.ok(outcome.samplesPerSecond! >= truth / (1 + OPTIONS.resolution) - 100, `${truth}: found ${outcome.samplesPerSecond} within 5 % (one exporter) of the truth`);
    assert.equal(outcome.exporters! * 100, outcome.samplesPerSecond);
    assert.equal(outcome.series, outcome.exporters! * 100);
    // The phases in order: geometric ×2, then bisect, then one confirmation at the answer, held twice as long.
    const phases = steps.map((s) => s.phase);
    const firstBisect = phases.indexOf('bisect');
    assert.ok(phases.slice(0, firstBisect === -1 ? phases.length - 1 : firstBisect).every((x) => x === 'geometric'));
    for (let i = 1; i < firstBisect; i++) assert.equal(steps[i]!.load.exporters, Math.min(10_000, steps[i - 1]!.load.exporters * 2));
    assert.equal(steps.at(-1)!.phase, 'confirm');
    assert.equal(steps.at(-1)!.holdSeconds, 2 * OPTIONS.holdSeconds);
    assert.equal(steps.at(-1)!.load.exporters, outcome.exporters);
    assert.equal(outcome.step, steps.length - 1, 'the answer rests on the confirmation');
    // Bounded: log2(1000) geometric steps + log2(1/0.05) bisections + 1.
    assert.ok(steps.length <= 10 + 6 + 1, `${truth}: ${steps.length} steps`);
    assert.equal(outcome.failureAbove!.criterion, 'ingested');
    assert.equal(outcome.failureAbove!.words, 'scrape p99 1.42 s passed the 1 s interval');
    assert.ok(outcome.failureAbove!.samplesPerSecond > truth, 'the failure named is above the truth');
    assert.match(outcome.words, /^ceiling .* samples\/s .*held twice as long to confirm; at .* samples\/s scrape p99 1\.42 s passed the 1 s interval$/);
  }
});

test('search: a confirmation that fails moves the answer down and bisection goes on below it', () => {
  // Short holds pass up to 64k; a long hold only up to 50k (a leak that needs time).
  const fake: Fake = (p) => ({ pass: p.load.offeredSamplesPerSecond <= (p.phase === 'confirm' ? 50_000 : 64_000), words: 'peak RSS 1.1 GiB passed the 1 GiB memory limit' });
  const { outcome, steps } = run({}, fake);
  const confirms = steps.filter((s) => s.phase === 'confirm');
  assert.ok(confirms.length >= 2, 'the first confirmation failed and another was planned');
  assert.ok(confirms[0]!.load.offeredSamplesPerSecond > 50_000);
  assert.equal(outcome.kind, 'ceiling');
  assert.ok(outcome.samplesPerSecond! <= 50_000 && outcome.samplesPerSecond! >= 50_000 / 1.05 - 100, String(outcome.samplesPerSecond));
  assert.ok(outcome.samplesPerSecond! < confirms[0]!.load.offeredSamplesPerSecond, 'the answer moved below the failed confirmation');
  // Every load between the failed confirmation and the answer is above the answer.
  assert.ok(steps.indexOf(confirms[0]!) < steps.length - 1);
});

test('search: a fleet that never fails the system ends "above" with every exporter offered', () => {
  const { outcome, steps } = run({ maxExporters: 300 }, () => ({ pass: true }));
  assert.equal(outcome.kind, 'above');
  assert.deepEqual(steps.map((s) => s.load.exporters), [10, 20, 40, 80, 160, 300]);
  assert.equal(outcome.samplesPerSecond, 30_000);
  assert.equal(outcome.words, 'above 30k samples/s (30k series) (all 300 exporters of the fleet offered)');
  assert.equal(outcome.failureAbove, null);
});

test('search: --max-steps and --max-duration end it with "above" the best pass', () => {
  const steps = run({ maxSteps: 3 }, () => ({ pass: true }));
  assert.equal(steps.steps.length, 3);
  assert.equal(steps.outcome.kind, 'above');
  assert.equal(steps.outcome.exporters, 40);
  assert.match(steps.outcome.words, /^above 4k samples\/s .*--max-steps 3 reached/);
  // 40 s a step: 100 s allows two.
  const time = run({ maxDurationSeconds: 100 }, ceilingAt(50_000));
  assert.equal(time.steps.length, 2);
  assert.equal(time.outcome.kind, 'above');
  assert.equal(time.outcome.exporters, 20);
  assert.match(time.outcome.words, /--max-duration 100 s reached \(the next step needed 40 s more\)/);
  // Mid-bisection: above the best pass, and the failure above it named.
  const mid = run({ maxSteps: 9 }, ceilingAt(50_000));
  assert.equal(mid.outcome.kind, 'above');
  assert.ok(mid.outcome.failureAbove !== null);
  assert.ok(mid.outcome.samplesPerSecond! <= 50_000);
});

test('search: the first step failing ends it: "none", naming the criterion', () => {
  const { outcome, steps } = run({}, ceilingAt(500));
  assert.equal(steps.length, 1);
  assert.equal(outcome.kind, 'none');
  assert.equal(outcome.samplesPerSecond, null);
  assert.equal(outcome.step, 0);
  assert.equal(outcome.failureAbove!.criterion, 'ingested');
  assert.equal(outcome.words, 'no load kept: the first step failed (1k samples/s, 10 exporters): scrape p99 1.42 s passed the 1 s interval');
});

test('search: a saturated generator ends it: "at least X", never a ceiling', () => {
  // The system would hold 500k, the generator runs out at 80k offered.
  const fake: Fake = (p) => (p.load.offeredSamplesPerSecond >= 80_000 ? { pass: false, saturated: 'the fleet used 1.90 of its 2 cores at p99' } : { pass: true });
  const { outcome, steps } = run({}, fake);
  assert.equal(outcome.kind, 'generator');
  assert.deepEqual(steps.map((s) => s.load.exporters), [10, 20, 40, 80, 160, 320, 640, 1280], '1280 exporters (128k samples/s) saturated it');
  assert.equal(outcome.samplesPerSecond, 64_000);
  assert.equal(outcome.exporters, 640);
  assert.equal(outcome.failureAbove, null, 'what failed there was the generator, not the system');
  assert.equal(outcome.words, 'at least 64k samples/s (64k series): the load generator ran out first (the fleet used 1.90 of its 2 cores at p99)');
  // The generator ran out at a first step that failed: nothing was kept, no rate or series is claimed (by series neither).
  const first = run({ by: 'series' }, () => ({ pass: false, words: 'peak RSS 1.1 GiB passed the 1 GiB memory limit', saturated: 'the fleet used 1.90 of its 2 cores at p99' }));
  assert.equal(first.outcome.kind, 'generator');
  assert.deepEqual([first.outcome.samplesPerSecond, first.outcome.series, first.outcome.exporters], [null, null, null]);
  assert.equal(first.outcome.words, 'no load kept and none measured: the load generator ran out at the first step (the fleet used 1.90 of its 2 cores at p99; the step at 1k samples/s (10 exporters, 1k series) failed: peak RSS 1.1 GiB passed the 1 GiB memory limit)');
  // A saturated step that still passed counts as kept.
  const kept = run({}, (p) => ({ pass: true, saturated: p.load.exporters >= 40 ? 'a serving thread was saturated (render tasks queued) in 3 of 30 s' : null }));
  assert.equal(kept.outcome.kind, 'generator');
  assert.equal(kept.outcome.exporters, 40);
});

test('search: a spoiled step is planned again, at most twice, then the search ends saying why', () => {
  let spoils = 1;
  const once = run({}, (p) => (p.load.exporters === 20 && spoils-- > 0 ? { pass: true, spoiled: 'a harness stall of 1.2 s' } : ceilingAt(100_000)(p)));
  assert.deepEqual(once.steps.slice(0, 4).map((s) => s.load.exporters), [10, 20, 20, 40], 'the spoiled step again, same load');
  assert.equal(once.outcome.kind, 'ceiling');
  const always = run({}, (p) => (p.load.exporters === 20 ? { pass: true, spoiled: 'fleet shard 1/2 died' } : { pass: true }));
  assert.deepEqual(always.steps.map((s) => s.load.exporters), [10, 20, 20, 20]);
  assert.equal(always.outcome.kind, 'interrupted');
  assert.equal(always.outcome.exporters, 10);
  assert.equal(always.outcome.words, 'interrupted (the step at 2k samples/s (20 exporters, 2k series) was spoiled 3 times (last: fleet shard 1/2 died)): at least 1k samples/s (1k series) kept');
});

test('search: interrupt() (Ctrl-C) keeps what was found; a step recorded against another plan is refused', () => {
  const s = new CapacitySearch(OPTIONS);
  const p = s.next()!;
  s.record(result(0, p, { pass: true }));
  const q = s.next()!;
  assert.throws(() => s.record(result(1, p, { pass: true })), /planned 20/);
  s.interrupt('Ctrl-C');
  assert.equal(s.next(), null);
  assert.equal(s.outcome()!.kind, 'interrupted');
  assert.equal(s.outcome()!.exporters, 10);
  assert.equal(s.outcome()!.words, 'interrupted (Ctrl-C): at least 1k samples/s (1k series) kept');
  assert.throws(() => s.record(result(1, q, { pass: true })), /after the search ended/);
});

test('search: options out of range are refused in a line', () => {
  assert.equal(checkOptions(OPTIONS), null);
  assert.match(checkOptions({ ...OPTIONS, factor: 1 })!, /factor must be above 1/);
  assert.match(checkOptions({ ...OPTIONS, resolution: 0 })!, /resolution/);
  assert.match(checkOptions({ ...OPTIONS, maxExporters: 2.5 })!, /maxExporters/);
  assert.throws(() => new CapacitySearch({ ...OPTIONS, startExporters: 0 }), /startExporters must be a whole number/);
});

test('search: by series, the answer is said in series', () => {
  const { outcome } = run({ by: 'series' }, ceilingAt(100_000));
  assert.equal(outcome.kind, 'ceiling');
  assert.match(outcome.words, /^ceiling [\d.]+k series \([\d.]+k samples\/s\)/);
});

test('search: steps are numbered by their place in the search whatever index the runner left, and the outcome names that step', () => {
  const s = new CapacitySearch({ ...OPTIONS, maxExporters: 40 });
  for (let p = s.next(); p; p = s.next()) s.record(result(0, p, { pass: true }));
  assert.deepEqual(s.steps().map((x) => x.index), [0, 1, 2]);
  assert.equal(s.outcome()!.kind, 'above');
  assert.equal(s.outcome()!.step, 2);
});

test('search: a finer --resolution and another factor find the ceiling as close, in a bounded number of steps', () => {
  for (const [factor, resolution] of [[1.5, 0.01], [4, 0.1]] as const) {
    const truth = 277_700;
    const { outcome, steps } = run({ factor, resolution }, ceilingAt(truth));
    assert.equal(outcome.kind, 'ceiling');
    assert.ok(outcome.samplesPerSecond! <= truth && outcome.samplesPerSecond! >= truth / (1 + resolution) - 100, `${factor}/${resolution}: ${outcome.samplesPerSecond}`);
    const geometric = Math.ceil(Math.log(10_000 / 10) / Math.log(factor)) + 1;
    assert.ok(steps.length <= geometric + Math.ceil(Math.log2(factor / resolution)) + 2, `${factor}/${resolution}: ${steps.length} steps`);
  }
});

test('search: a memory failure ends it at the last pass (memory does not come back when the load goes down), instead of bisecting below on contaminated readings', () => {
  const s = new CapacitySearch({ ...OPTIONS, by: 'series' });
  const steps: StepPlan[] = [];
  for (let p = s.next(); p; p = s.next()) {
    steps.push(p);
    const r = result(steps.length - 1, p, p.load.exporters <= 20 ? { pass: true } : { pass: false });
    if (!r.pass) r.failed = [{ criterion: 'memory', measured: 6.1e8, limit: 5.12e8, words: 'peak RSS 610 MiB passed the 512 MiB memory limit' }];
    s.record(r);
  }
  const o = s.outcome()!;
  assert.deepEqual(steps.map((p) => p.load.exporters), [10, 20, 40]);
  assert.equal(o.kind, 'ceiling');
  assert.equal(o.exporters, 20);
  assert.match(o.words, /^ceiling 2k series .*memory does not come back when the load goes down.*; at 4k samples\/s peak RSS 610 MiB passed the 512 MiB memory limit$/);
});
