import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitLine, predictAt, reachAt } from '../src/capacity/regression.js';
import { bestModel, fitModel, parsePredict, predict, TARGET_UTILIZATION } from '../src/capacity/model.js';
import { scaling, selfChecks, type CoreRun } from '../src/capacity/scaling.js';
import { DEFAULT_CRITERIA, type StepResult } from '../src/capacity/types.js';
import type { SearchOutcome } from '../src/capacity/search.js';

const close = (a: number, b: number, tol: number, what: string): void => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test('regression: coefficients, their standard errors and the 95 % prediction interval (t at n − 2)', () => {
  const f = fitLine([1, 2, 3, 4, 5], [2.2, 4.1, 5.8, 8.3, 9.9])!;
  close(f.intercept, 0.18, 1e-9, 'a');
  close(f.slope, 1.96, 1e-9, 'b');
  close(f.residualSd, 0.228035085, 1e-8, 's');
  close(f.slopeSe, 0.072111026, 1e-8, 'se(b)');
  close(f.interceptSe, 0.239165215, 1e-8, 'se(a)');
  const p = predictAt(f, 10);
  close(p.value, 19.78, 1e-9, 'ŷ(10)');
  // t(3) = 3.182 × s × √(1 + 1/5 + (10 − 3)² / 10)
  close(p.high - p.value, 1.792118672, 1e-8, 'half width');
  close(p.value - p.low, 1.792118672, 1e-8, 'half width');
  assert.equal(fitLine([1, 2], [1, 2]), null, 'two points: no error to be had');
  assert.equal(fitLine([3, 3, 3], [1, 2, 3]), null, 'one x');
  // Where the line reaches 12: x = (12 − 0.18) / 1.96, the interval around it from the prediction band.
  const r = reachAt(f, 12)!;
  close(r.value, (12 - 0.18) / 1.96, 1e-9, 'reach');
  assert.ok(r.low < r.value && r.high! > r.value);
  close(predictAt(f, r.low).high, 12, 1e-6, 'upper edge at low');
  close(predictAt(f, r.high!).low, 12, 1e-6, 'lower edge at high');
  assert.equal(reachAt(fitLine([1, 2, 3], [3, 2, 1])!, 5), null, 'a falling line never reaches it');
});

/** A passing step at `rate` samples/s whose figures follow the given lines (with a small wobble). */
function step(index: number, rate: number, o: { cpu: (r: number) => number; rss: (series: number) => number; gcShare?: number | null; pass?: boolean; spoiled?: string }): StepResult {
  const series = rate * 10;
  const wobble = index % 2 ? 1.01 : 0.99;
  return {
    index, startMs: 0, endMs: 1, pass: o.pass ?? true, failed: [], generatorSaturated: null, ...(o.spoiled ? { spoiled: o.spoiled } : {}),
    plan: { load: { exporters: rate / 100, offeredSamplesPerSecond: rate, series }, phase: 'geometric', warmupSeconds: 5, holdSeconds: 30 },
    figures: {
      ingestedPerSecond: rate, ingestedRatio: 1, cpuAvgCores: o.cpu(rate) * 0.9 * wobble, cpuP99Cores: o.cpu(rate) * wobble, peakRssBytes: o.rss(series) * wobble,
      gcCpuShare: o.gcShare === undefined ? 0.25 : o.gcShare, bytesPerSample: 100, starvedSeconds: 0, latencyP99Ms: 5, backlogGrowthPerSecond: null, fleetCpuCores: 0.1, fleetQueuedMax: 0, series,
    },
  };
}

const lines = { cpu: (r: number): number => 0.05 + 1.9e-6 * r, rss: (s: number): number => 60e6 + 2000 * s };

test('model: CPU and RSS lines from the passing steps; a prediction in cores and RAM at the 80 % rule with intervals; extrapolation said', () => {
  const steps = [10_000, 20_000, 40_000, 80_000, 160_000, 320_000].map((r, i) => step(i, r, lines));
  steps.push(step(6, 640_000, { ...lines, pass: false }), step(7, 240_000, { ...lines, spoiled: 'a harness stall' }));
  const m = fitModel(1, steps);
  assert.equal(m.steps, 6, 'failed and spoiled steps are left out');
  assert.equal(m.reason, null);
  close(m.cpu!.slope, 1.9e-6, 0.05e-6, 'CPU per sample/s');
  close(m.rss!.slope, 2000, 50, 'bytes per series');
  close(m.gcCpu!.slope, 1.9e-6 * 0.9 * 0.25, 0.05e-6, 'GC cores per sample/s');
  assert.equal(TARGET_UTILIZATION, 0.8);
  const p = predict(m, { samples: 2e6, series: 1e7 });
  assert.equal(p.reason, null);
  close(p.cpuCores!.value, 0.05 + 1.9e-6 * 2e6, 0.2, 'p99 CPU at 2M samples/s');
  assert.ok(p.cpuCores!.low < p.cpuCores!.value && p.cpuCores!.value < p.cpuCores!.high);
  // 3.85 cores ÷ 0.8 = 4.8: 5 cores.
  assert.equal(p.coresNeeded!.value, Math.ceil(p.cpuCores!.value / 0.8));
  assert.equal(p.coresNeeded!.value, 5);
  close(p.rssBytes!.value, 60e6 + 2000 * 1e7, 1e9, 'RSS at 10M series');
  close(p.ramNeededBytes!.value, p.rssBytes!.value / 0.8, 1, 'RAM at 80 %');
  assert.equal(p.notes.length, 2);
  assert.match(p.notes[0]!, /^2M samples\/s is 6\.3 × the most measured \(320k\): the line is extrapolated$/);
  // Inside what was measured: no note.
  assert.deepEqual(predict(m, { samples: 100_000, series: 1e6 }).notes, []);
});

test('model: fewer than 3 passing steps give a reason and no number', () => {
  const m = fitModel(2, [step(0, 10_000, lines), step(1, 20_000, lines), step(2, 40_000, { ...lines, pass: false })]);
  assert.equal(m.cpu, null);
  assert.equal(m.reason, '2 passing steps at 2 cores: a fit needs at least 3');
  const p = predict(m, { samples: 1e6, series: 1e6 });
  assert.equal(p.reason, '2 passing steps at 2 cores: a fit needs at least 3');
  assert.equal(p.cpuCores, null);
  assert.equal(p.coresNeeded, null);
  assert.equal(p.ramNeededBytes, null);
  assert.equal(bestModel([m]), null);
  // GC not traced: no GC line, the rest stands.
  const blind = fitModel(1, [1, 2, 3].map((k) => step(k, k * 10_000, { ...lines, gcShare: null })));
  assert.equal(blind.gcCpu, null);
  assert.ok(blind.cpu);
  assert.equal(predict(blind, { samples: 1, series: 1 }).gcCores, null);
});

test('model: a CPU or RSS line that does not rise with the load gives a reason, never 1 core or 0 bytes for a larger load', () => {
  // CPU p99 noisy and flat (falling a little), RSS rising: no CPU answer can be read off this line.
  const falling = fitModel(1, [10_000, 20_000, 40_000].map((r, i) => step(i, r, { ...lines, cpu: (x) => 0.5 - 1e-7 * x })));
  assert.ok(falling.cpu && falling.cpu.slope < 0);
  const p = predict(falling, { samples: 1e9, series: 1e7 });
  assert.equal(p.coresNeeded, null, 'no cores for a load 25 000 × the most measured');
  assert.equal(p.ramNeededBytes, null);
  assert.match(p.reason!, /^CPU p99 does not rise with the samples\/s \(slope -\d.*\) over the 3 passing steps at 1 core: no line to predict from$/);
  const rssFlat = fitModel(2, [10_000, 20_000, 40_000].map((r, i) => step(i, r, { ...lines, rss: () => 80e6 })));
  assert.match(predict(rssFlat, { samples: 1e5, series: 1e8 }).reason!, /peak RSS does not rise with the series/);
  // With another core count's lines rising, the prediction rests on those, even with fewer steps.
  const falling4 = fitModel(2, [10_000, 20_000, 40_000, 80_000].map((r, i) => step(i, r, { ...lines, cpu: (x) => 0.5 - 1e-7 * x })));
  const rising3 = fitModel(1, [10_000, 20_000, 40_000].map((r, i) => step(i, r, lines)));
  assert.equal(bestModel([falling4, rising3]), rising3);
  assert.equal(bestModel([falling4]), falling4, 'alone, it is the model, and predict() says why there is no number');
  // A rising line still predicts.
  assert.equal(predict(fitModel(1, [10_000, 20_000, 40_000].map((r, i) => step(i, r, lines))), { samples: 1e5, series: 1e6 }).reason, null);
});

function outcome(kind: SearchOutcome['kind'], samplesPerSecond: number | null, step: number | null): SearchOutcome {
  return { kind, samplesPerSecond, series: samplesPerSecond && samplesPerSecond * 10, exporters: samplesPerSecond && samplesPerSecond / 100, failureAbove: null, step, words: '' };
}

test('self-check: the 2-core ceiling predicted from the 1-core CPU line, with its error against the measured one; scaling with GC\'s share of the cores', () => {
  const one: CoreRun = { cores: 1, steps: [10_000, 40_000, 160_000, 320_000, 480_000].map((r, i) => step(i, r, lines)), outcome: outcome('ceiling', 480_000, 4) };
  const two: CoreRun = { cores: 2, steps: [10_000, 160_000, 640_000, 1_000_000].map((r, i) => step(i, r, { ...lines, gcShare: 0.1 })), outcome: outcome('ceiling', 1_000_000, 3) };
  const models = [fitModel(1, one.steps), fitModel(2, two.steps)];
  assert.equal(bestModel(models)!.cores, 1, 'the most passing steps');
  const [check] = selfChecks([two, one], models, DEFAULT_CRITERIA);
  assert.equal(check!.fromCores, 1);
  assert.equal(check!.toCores, 2);
  // (2 − 0.05) / 1.9e-6 = 1.026M against 1M measured: +2.6 %.
  close(check!.predicted!.value, 1.95 / 1.9e-6, 20_000, 'predicted 2-core ceiling');
  assert.equal(check!.measured, 1_000_000);
  close(check!.errorPct!, 2.6, 2, 'error %');
  assert.ok(check!.predicted!.low < check!.predicted!.value);
  const rows = scaling([two, one]);
  assert.deepEqual(rows.map((r) => r.cores), [1, 2]);
  close(rows[1]!.ratio!, 1_000_000 / 480_000, 1e-9, 'scaling');
  assert.equal(rows[1]!.ratioIsBound, false);
  // At the 1-core ceiling: 0.9 × CPU(480k) × 0.25 of GC, over 1 core.
  close(rows[0]!.gcShareOfCores!, 0.9 * lines.cpu(480_000) * 0.25, 0.02, 'GC share of the cores at 1');
  close(rows[1]!.gcShareOfCores!, (0.9 * lines.cpu(1_000_000) * 0.1) / 2, 0.02, 'GC share of the cores at 2');
  // A 2-core search that ended 'above': the ratio is a bound, and there is nothing to check the prediction against.
  const above = { ...two, outcome: outcome('above', 1_000_000, 3) };
  assert.equal(scaling([one, above])[1]!.ratioIsBound, true);
  const noCheck = selfChecks([one, above], models, DEFAULT_CRITERIA)[0]!;
  assert.equal(noCheck.errorPct, null);
  assert.equal(noCheck.reason, 'no ceiling measured at 2 cores (above) to check it against');
  // 1-core steps too few: said, no number.
  const few = selfChecks([{ ...one, steps: one.steps.slice(0, 2) }, two], [fitModel(1, one.steps.slice(0, 2))], DEFAULT_CRITERIA)[0]!;
  assert.equal(few.predicted, null);
  assert.equal(few.reason, '2 passing steps at 1 core: a fit needs at least 3');
});

test('--predict: samples= and series= both, positive numbers; anything else one line naming it', () => {
  assert.deepEqual(parsePredict('samples=2e6,series=1e7'), { samples: 2e6, series: 1e7 });
  assert.deepEqual(parsePredict(' series = 500000 , samples=1000'), { samples: 1000, series: 500000 });
  assert.equal(parsePredict('samples=2e6'), "--predict: both samples= and series= are needed (got 'samples=2e6')");
  assert.equal(parsePredict('samples=-1,series=2'), "--predict: 'samples=-1' is not samples=<samples/s> or series=<series> with a positive number");
  assert.equal(parsePredict('samples=1,samples=2,series=3'), '--predict: samples given twice');
  assert.match(parsePredict('cores=4,samples=1,series=1') as string, /'cores=4'/);
});
