import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as hdr from 'hdr-histogram-js';
import type { Frame, PushFrame, ShardFrame } from '../src/protocol/frame.js';
import { frame, gc } from './helpers/frames.js';
import { judgeStep } from '../src/capacity/judge.js';
import { DEFAULT_CRITERIA, type StepPlan, type StepWindow } from '../src/capacity/types.js';

/** A step of 100 exporters × 100 samples/s: 10k samples/s offered, 10 measured seconds. */
const plan: StepPlan = { load: { exporters: 100, offeredSamplesPerSecond: 10_000, series: 10_000 }, phase: 'geometric', warmupSeconds: 5, holdSeconds: 10 };

function frames(n: number, over: (i: number) => Partial<Frame> = () => ({})): Frame[] {
  return Array.from({ length: n }, (_, i) => frame(i, 10_000, { warmup: false, ...over(i) }));
}

function win(fs: Frame[], extra: Partial<StepWindow> = {}): StepWindow {
  return { plan, frames: fs, gcEvents: [], cores: 1, intervalSeconds: 1, pushed: false, fleetCores: 2, ...extra };
}

/** A second's scrape histogram holding one duration, ms. */
function scrapes(ms: number): Pick<Frame, 'scrapeMs' | 'scrapeHistogram'> {
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
  h.recordValue(ms * 1000);
  const enc = hdr.encodeIntoCompressedBase64(h);
  h.destroy();
  return { scrapeMs: { count: 1, p50: ms, p99: ms, max: ms }, scrapeHistogram: enc };
}

test('judge: a step that kept every criterion passes, with its figures from the frames', () => {
  const events = Array.from({ length: 10 }, (_, i) => gc(i, 'scavenge', 50, 1_000_000));
  const r = judgeStep(win(frames(10), { gcEvents: events }), DEFAULT_CRITERIA);
  assert.equal(r.pass, true, JSON.stringify(r.failed));
  assert.deepEqual(r.failed, []);
  assert.equal(r.generatorSaturated, null);
  assert.equal(r.notJudged, undefined);
  assert.equal(r.figures.ingestedPerSecond, 10_000);
  assert.equal(r.figures.ingestedRatio, 1);
  assert.equal(r.figures.cpuAvgCores, 0.5);
  assert.equal(r.figures.starvedSeconds, 0);
  // 10 × 50 ms of GC pauses over 10 s × 0.5 cores of CPU: a tenth.
  assert.ok(Math.abs(r.figures.gcCpuShare! - 0.1) < 1e-9, String(r.figures.gcCpuShare));
  // 10 MB allocated over 100k samples.
  assert.equal(r.figures.bytesPerSample, 100);
  assert.ok(r.figures.latencyP99Ms! > 1.9 && r.figures.latencyP99Ms! < 2.1);
  assert.equal(r.startMs, frames(1)[0]!.startMs);
  assert.equal(r.endMs - r.startMs, 10_000);
});

test('judge: ingested below 99 % of offered fails with the share and the offered rate in words', () => {
  const r = judgeStep(win(frames(10, () => ({ samples: 9_710 }))), DEFAULT_CRITERIA);
  assert.equal(r.pass, false);
  assert.deepEqual(r.failed.map((f) => f.criterion), ['ingested']);
  assert.equal(r.failed[0]!.words, 'ingested 97.1 % of the 10k samples/s offered (at least 99.0 % asked)');
  assert.ok(Math.abs(r.failed[0]!.measured - 0.971) < 1e-9);
});

test('judge: a scrape p99 past the interval fails; a system that does not report scrape durations is "not measured", not passed silently', () => {
  const slow = judgeStep(win(frames(10, (i) => (i === 3 ? scrapes(1420) : {}))), DEFAULT_CRITERIA);
  assert.deepEqual(slow.failed.map((f) => f.criterion), ['latency']);
  assert.equal(slow.failed[0]!.words, 'scrape p99 1.42 s passed the 1 s interval');
  const twice = judgeStep(win(frames(10, (i) => (i === 3 ? scrapes(2500) : {}))), { ...DEFAULT_CRITERIA, maxLatencyIntervals: 2 });
  assert.equal(twice.failed[0]!.words, 'scrape p99 2.5 s passed 2 × the 1 s interval (2 s)');
  const blind = judgeStep(win(frames(10, () => ({ scrapeMs: null, scrapeHistogram: '' }))), DEFAULT_CRITERIA);
  assert.equal(blind.figures.latencyP99Ms, null);
  assert.deepEqual(blind.notJudged, [{ criterion: 'latency', words: 'scrape latency not measured: the system does not report its scrape durations' }]);
});

test('judge: a starved second, CPU at the cores given and RSS past --memory-limit each fail in words', () => {
  const starved = judgeStep(win(frames(10, (i) => (i === 6 ? { samples: 5_000 } : {}))), { ...DEFAULT_CRITERIA, minIngestedRatio: 0.9 });
  assert.deepEqual(starved.failed.map((f) => f.criterion), ['starved']);
  assert.equal(starved.failed[0]!.words, '1 starved second in 10 s (0 allowed)');
  const cpu = judgeStep(win(frames(10, () => ({ cpu: { total: 1.0, user: 0.9, system: 0.1, main: 1, v8Platform: 0, worker: 0, other: 0 } }))), DEFAULT_CRITERIA);
  assert.deepEqual(cpu.failed.map((f) => f.criterion), ['cpu']);
  assert.equal(cpu.failed[0]!.words, 'CPU p99 1.00 cores reached the 1 core given');
  const oneCore = { cpu: { total: 1.0, user: 0.9, system: 0.1, main: 1, v8Platform: 0, worker: 0, other: 0 } };
  assert.equal(judgeStep(win(frames(10, () => oneCore), { cores: 2 }), DEFAULT_CRITERIA).pass, true, 'one core of two given');
  assert.equal(judgeStep(win(frames(10, () => oneCore), { cores: 2 }), { ...DEFAULT_CRITERIA, maxCpuShare: 0.5 }).failed[0]!.words, 'CPU p99 1.00 cores reached 50.0 % of the 2 cores given');
  const mem = judgeStep(win(frames(10)), { ...DEFAULT_CRITERIA, memoryLimitBytes: 64 * 1024 * 1024 });
  assert.deepEqual(mem.failed.map((f) => f.criterion), ['memory']);
  assert.equal(mem.failed[0]!.words, 'peak RSS 95.4 MiB passed the 64 MiB memory limit');
});

test('judge: pushed, ingested is what was acknowledged, latency the push p99, and a growing backlog fails', () => {
  const push = (over: Partial<PushFrame> = {}): PushFrame => ({ generated: 10_000, acknowledged: 10_000, rejected: 0, retried: 0, dropped: 0, backlog: 1000, latencyP99Ms: 40, ...over });
  const good = judgeStep(win(frames(10, () => ({ samples: 0, scrapeMs: null, fleet: { cpuCores: 0.2, queued: 0, scrapesServed: 0, push: push() } })), { pushed: true }), DEFAULT_CRITERIA);
  assert.equal(good.pass, true, JSON.stringify(good.failed));
  assert.equal(good.figures.ingestedPerSecond, 10_000);
  assert.equal(good.figures.latencyP99Ms, 40);
  assert.equal(good.figures.backlogGrowthPerSecond, 0);
  const behind = judgeStep(
    win(frames(10, (i) => ({ samples: 0, fleet: { cpuCores: 0.2, queued: 0, scrapesServed: 0, push: push({ acknowledged: 9_000, backlog: 1000 + 1000 * i, latencyP99Ms: 1500 }) } })), { pushed: true }),
    DEFAULT_CRITERIA,
  );
  assert.deepEqual(behind.failed.map((f) => f.criterion).sort(), ['backlog', 'ingested', 'latency']);
  assert.equal(behind.failed.find((f) => f.criterion === 'backlog')!.words, "the senders' backlog grew 1k samples/s (at most 100: 1.0 % of offered)");
  assert.equal(behind.failed.find((f) => f.criterion === 'latency')!.words, 'push p99 1.5 s passed the 1 s interval');
  assert.match(behind.failed.find((f) => f.criterion === 'ingested')!.words, /^acknowledged 90\.0 % of the 10k samples\/s offered/);
});

test('judge: pushed, a backlog that saw-tooths under batch × senders is batching, not a receiver behind; past it the growth fails', () => {
  // 660 samples/s into batches of 2000: the backlog fills and empties; a line through 4 s of it rises.
  const offered = 660;
  const p: StepPlan = { ...plan, load: { exporters: 20, offeredSamplesPerSecond: offered, series: 660 } };
  const saw = [100, 760, 1420, 80, 740];
  const fs = frames(5, (i) => ({ samples: 0, scrapeMs: null, fleet: { cpuCores: 0.1, queued: 0, scrapesServed: 0, push: { generated: offered, acknowledged: offered, rejected: 0, retried: 0, dropped: 0, backlog: saw[i]!, latencyP99Ms: 5 } } }));
  const batching = judgeStep({ ...win(fs, { pushed: true }), plan: p, pushBatchSamples: 2000 * 4 }, DEFAULT_CRITERIA);
  assert.ok(batching.figures.backlogGrowthPerSecond! > 0.01 * offered, `the line rises: ${batching.figures.backlogGrowthPerSecond}`);
  assert.equal(batching.pass, true, JSON.stringify(batching.failed));
  // The same growth ending past what batching holds: behind.
  const over = fs.map((f, i) => ({ ...f, fleet: { ...f.fleet, push: { ...f.fleet.push!, backlog: 8000 + saw[i]! } } }));
  const behind = judgeStep({ ...win(over, { pushed: true }), plan: p, pushBatchSamples: 2000 * 4 }, DEFAULT_CRITERIA);
  assert.deepEqual(behind.failed.map((f) => f.criterion), ['backlog']);
});

test('judge: the generator saturated (its CPU, its render queue, a shard down, a pusher behind) is named, not read as the system', () => {
  const cpu = judgeStep(win(frames(10, () => ({ fleet: { cpuCores: 1.9, queued: 0, scrapesServed: 10 } }))), DEFAULT_CRITERIA);
  assert.equal(cpu.generatorSaturated, 'the fleet used 1.90 of its 2 cores at p99');
  const queue = judgeStep(win(frames(10, (i) => ({ fleet: { cpuCores: 1, queued: i < 3 ? 4 : 0, scrapesServed: 10 } }))), DEFAULT_CRITERIA);
  assert.equal(queue.generatorSaturated, 'a serving thread was saturated (render tasks queued) in 3 of 10 s');
  const once = judgeStep(win(frames(10, (i) => ({ fleet: { cpuCores: 1, queued: i < 1 ? 4 : 0, scrapesServed: 10 } }))), DEFAULT_CRITERIA);
  assert.equal(once.generatorSaturated, null, 'one queued second in ten is a burst');
  const shard = (up: boolean): ShardFrame => ({ shard: '1/2', url: 'http://127.0.0.1:9101', up, cpuCores: up ? 0.2 : null, queued: up ? 0 : null, scrapesServed: up ? 5 : null, cores: 4, exporters: 50, ...(up ? {} : { reason: 'ECONNREFUSED' }) });
  const down = judgeStep(win(frames(10, (i) => ({ fleet: { cpuCores: 0.4, queued: 0, scrapesServed: 10, shards: [{ ...shard(true), shard: '0/2' }, shard(i < 7)] } }))), DEFAULT_CRITERIA);
  assert.equal(down.generatorSaturated, 'fleet shard 1/2 (http://127.0.0.1:9101) was down 3 seconds (ECONNREFUSED)');
  const pusher = judgeStep(win(frames(10, () => ({ fleet: { cpuCores: 0.2, queued: 0, scrapesServed: 0, push: { generated: 8_000, acknowledged: 8_000, rejected: 0, retried: 0, dropped: 0, backlog: 0, latencyP99Ms: 5 } } })), { pushed: true }), DEFAULT_CRITERIA);
  assert.equal(pusher.generatorSaturated, 'the pushing fleet generated 80.0 % of the 10k samples/s it was to offer');
});

test('judge: a window without frames does not pass', () => {
  const r = judgeStep(win([]), DEFAULT_CRITERIA);
  assert.equal(r.pass, false);
  assert.equal(r.notJudged![0]!.criterion, 'ingested');
});

test('judge: a target whose counter moves every 2 s (VictoriaMetrics) is read over its batches: no starved seconds, no batch at an edge counted whole', () => {
  // 11 frames, 20k samples at every even one: 6 batches in 11 s would read 10.9k/s (109 %) counted whole, and every odd second starved.
  const r = judgeStep(win(frames(11, (i) => ({ samples: i % 2 === 0 ? 20_000 : 0, scrapeMs: null, scrapeHistogram: '' }))), DEFAULT_CRITERIA);
  assert.equal(r.figures.starvedSeconds, 0);
  assert.ok(Math.abs(r.figures.ingestedRatio - 1) < 1e-9, String(r.figures.ingestedRatio));
  assert.equal(r.pass, true, JSON.stringify(r.failed));
  // The same target stopping for 6 s of a 16 s hold fails: short of what was offered. (Whether it
  // also reads starved seconds depends on the windows: the stop stretches the counter's apparent
  // cadence to 4 s, and four such batches are the whole hold.)
  const stop = judgeStep(win(frames(16, (i) => ({ samples: i % 2 === 0 && (i < 6 || i > 11) ? 20_000 : 0, scrapeMs: null, scrapeHistogram: '' }))), DEFAULT_CRITERIA);
  assert.equal(stop.pass, false);
  assert.ok(stop.failed.some((f) => f.criterion === 'ingested'), JSON.stringify(stop.failed));
  // A stop of 6 s in a 30 s hold (the cadence stays 2 s) reads starved seconds too.
  const long = judgeStep(win(frames(30, (i) => ({ samples: i % 2 === 0 && (i < 12 || i > 17) ? 20_000 : 0, scrapeMs: null, scrapeHistogram: '' }))), DEFAULT_CRITERIA);
  assert.ok(long.figures.starvedSeconds > 0, JSON.stringify(long.figures));
});

test('criteria: each out-of-range flag is one line naming it', async () => {
  const { checkCriteria } = await import('../src/capacity/criteria.js');
  assert.equal(checkCriteria(DEFAULT_CRITERIA), null);
  assert.equal(checkCriteria({ ...DEFAULT_CRITERIA, minIngestedRatio: 1.5 }), '--min-ingested must be in (0, 1] (got 1.5)');
  assert.match(checkCriteria({ ...DEFAULT_CRITERIA, maxLatencyIntervals: 0 })!, /^--max-latency /);
  assert.match(checkCriteria({ ...DEFAULT_CRITERIA, maxStarvedSeconds: 0.5 })!, /^--max-starved /);
  assert.match(checkCriteria({ ...DEFAULT_CRITERIA, maxCpuShare: NaN })!, /^--max-cpu /);
  assert.match(checkCriteria({ ...DEFAULT_CRITERIA, memoryLimitBytes: -1 })!, /^--memory-limit /);
  assert.equal(checkCriteria({ ...DEFAULT_CRITERIA, memoryLimitBytes: 2 ** 30 }), null);
});

test("judge: a step's starved seconds, GC share and bytes/sample are summary.json's for the same frames", async () => {
  const { summarize } = await import('../src/analysis/summarize.js');
  const { meta } = await import('./helpers/frames.js');
  // As analysis.test's: seconds 5 and 9 lost half their samples to a mark-compact.
  const all = Array.from({ length: 12 }, (_, i) => frame(i, i === 5 || i === 9 ? 5000 : 10000, i === 5 || i === 9 ? { cpu: { total: 1.5, user: 1.4, system: 0.1, main: 1, v8Platform: 0.5, worker: 0, other: 0 } } : {}));
  const events = [...Array.from({ length: 12 }, (_, i) => gc(i, 'scavenge', 1.5, 2_000_000)), gc(5, 'mark-compact', 300, 0, 60), gc(9, 'mark-compact', 280, 0, 50)];
  const s = summarize(all, events, meta);
  const measuredFrames = all.filter((f) => !f.warmup);
  const inWindow = events.filter((e) => e.wallMs >= measuredFrames[0]!.startMs && e.wallMs < measuredFrames.at(-1)!.endMs);
  const r = judgeStep(win(measuredFrames, { cores: 2, gcEvents: inWindow }), DEFAULT_CRITERIA);
  assert.equal(s.starvation.windows, 2);
  assert.equal(r.figures.starvedSeconds, s.starvation.windows);
  assert.ok(Math.abs(r.figures.gcCpuShare! - s.gc.cpuShare!) < 1e-4, `${r.figures.gcCpuShare} vs ${s.gc.cpuShare}`);
  assert.ok(Math.abs(r.figures.bytesPerSample! - s.bytesPerSample!) < 0.1, `${r.figures.bytesPerSample} vs ${s.bytesPerSample}`);
  assert.deepEqual(r.failed.map((f) => f.criterion).sort(), ['ingested', 'starved']);
});

test('judge: a 2 s batch that lands half in one reading and half in the next (VictoriaMetrics at 100 % ingested) is not a starved second', () => {
  // The readings of a real VictoriaMetrics step (÷ 10.3): a batch split 10k + 10k one second early, the rest on time.
  const seq = [20, 0, 20, 10, 0, 20, 0, 20, 0, 20, 10, 0, 20, 0, 20, 0, 20, 0, 20, 0];
  const r = judgeStep(win(frames(seq.length, (i) => ({ samples: seq[i]! * 1000, scrapeMs: null, scrapeHistogram: '' }))), DEFAULT_CRITERIA);
  assert.equal(r.figures.starvedSeconds, 0, 'over two batches a split one read as 25 % short');
});

test('judge: a hold that starts on an empty second of a 2 s-batch counter is not starved in its first seconds (no whole window behind them)', () => {
  // A real VictoriaMetrics hold at 103k samples/s, 100 % ingested (÷ 1000): the step's frames start with the hold.
  const seq = [0, 206.8, 0, 205.8, 0, 204.6, 96.6, 0, 212, 0, 206];
  const r = judgeStep(win(frames(seq.length, (i) => ({ samples: seq[i]! * 1000, scrapeMs: null, scrapeHistogram: '' }))), DEFAULT_CRITERIA);
  assert.equal(r.figures.starvedSeconds, 0, JSON.stringify(r.failed));
  // A real stop in the first seconds still reads.
  const stop = [0, 0, 0, 0, 0, 206, 0, 206, 0, 206, 0, 206, 0, 206];
  assert.ok(judgeStep(win(frames(stop.length, (i) => ({ samples: stop[i]! * 1000, scrapeMs: null, scrapeHistogram: '' }))), DEFAULT_CRITERIA).figures.starvedSeconds > 0);
});
