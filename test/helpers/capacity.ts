import { CapacitySearch, type SearchOptions } from '../../src/capacity/search.js';
import { fitModel, bestModel, predict } from '../../src/capacity/model.js';
import { scaling, selfChecks, type CoreRun } from '../../src/capacity/scaling.js';
import { capacityResult, type CapacityResult } from '../../src/capacity/result.js';
import { DEFAULT_CRITERIA, type StepPlan, type StepResult } from '../../src/capacity/types.js';

/**
 * A capacity result from the real search over a synthetic system: CPU p99 = 0.05 + 1.9e-6 ×
 * samples/s, RSS = 60 MB + 2 kB × series, GC a quarter of the CPU; a step fails its CPU
 * criterion when the line reaches the cores given (1 core: ~500k samples/s, 2 cores: ~1.03M).
 */
export const SEARCH: SearchOptions = {
  startExporters: 100, maxExporters: 20_000, factor: 2, resolution: 0.05, warmupSeconds: 10, holdSeconds: 30,
  maxSteps: 40, maxDurationSeconds: 86_400, samplesPerExporterPerSecond: 100, seriesPerExporter: 100, by: 'rate',
};

export const cpuAt = (rate: number): number => 0.05 + 1.9e-6 * rate;

export function syntheticStep(index: number, p: StepPlan, cores: number): StepResult {
  const rate = p.load.offeredSamplesPerSecond;
  const wobble = 1 + ((index * 7) % 5 - 2) * 0.004;
  const pass = cpuAt(rate) < cores;
  const cpu = pass ? Math.min(0.995 * cores, cpuAt(rate) * wobble) : cores;
  const ingested = pass ? rate : rate * (cores / cpuAt(rate));
  return {
    index, plan: p, startMs: 1_700_000_000_000 + index * 40_000, endMs: 1_700_000_000_000 + index * 40_000 + p.holdSeconds * 1000,
    figures: {
      ingestedPerSecond: ingested, ingestedRatio: ingested / rate, cpuAvgCores: cpu * 0.9, cpuP99Cores: cpu, peakRssBytes: (60e6 + 2000 * p.load.series) * wobble,
      gcCpuShare: 0.25, bytesPerSample: 120, starvedSeconds: pass ? 0 : 3, latencyP99Ms: pass ? 20 : 1420, backlogGrowthPerSecond: null, fleetCpuCores: 0.3, fleetQueuedMax: 0, series: p.load.series,
    },
    pass,
    failed: pass ? [] : [{ criterion: 'cpu', measured: cpu, limit: cores, words: `CPU p99 ${cpu.toFixed(2)} cores reached the ${cores} core${cores === 1 ? '' : 's'} given` }],
    generatorSaturated: null,
  };
}

export function searchRun(cores: number, o: Partial<SearchOptions> = {}): CoreRun {
  const s = new CapacitySearch({ ...SEARCH, ...o });
  const steps: StepResult[] = [];
  for (let p = s.next(); p; p = s.next()) {
    const r = syntheticStep(steps.length, p, cores);
    steps.push(r);
    s.record(r);
  }
  return { cores, steps, outcome: s.outcome()! };
}

export function syntheticResult(over: Partial<CapacityResult> = {}): CapacityResult {
  const runs = [searchRun(1), searchRun(2)];
  const models = runs.map((r) => fitModel(r.cores, r.steps));
  const best = bestModel(models);
  return {
    ...capacityResult({
      version: '0.1.0', startedAt: '2026-12-07T00:00:00.000Z', profile: 'default', target: 'builtin', by: 'rate', pushed: false,
      load: { samplesPerExporterPerSecond: 100, seriesPerExporter: 100, intervalSeconds: 1, maxExporters: 20_000 },
      criteria: DEFAULT_CRITERIA, cores: runs, scaling: scaling(runs), model: models,
      prediction: best ? predict(best, { samples: 2e6, series: 1e7 }) : null, selfCheck: selfChecks(runs, models, DEFAULT_CRITERIA), notes: ['the fleet shared the machine\'s 2 cores with the system under test'],
    }),
    ...over,
  };
}
