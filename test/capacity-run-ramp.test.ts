import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CapacityRamp, spoiledBy, type Dial } from '../src/capacity/ramp.js';
import { CapacitySearch } from '../src/capacity/search.js';
import { judgeStep } from '../src/capacity/judge.js';
import { DEFAULT_CRITERIA, type Criteria, type StepResult } from '../src/capacity/types.js';
import type { HarnessPause } from '../src/analysis/summary.js';
import type { RampSource, RampSystem } from '../src/run/soak-ramp.js';
import { frame } from './helpers/frames.js';

const SOURCE: RampSource = { fileSd: '', httpSd: '', dir: '', groups: [], serveTargets: () => {} };

/**
 * The ramp on a fake system that answers in real time: one frame a second, its samples
 * min(offered, ceiling), the fleet's scrapes as many as the exporters offered (1 s interval),
 * and the fleet's CPU `fleetCpu(exporters)`. Short steps: no warm-up, 2 s held.
 */
function fakeSystem(o: { seriesPerExporter: number; ceiling: number; fleetCpu?: (exporters: number) => number }) {
  let offered = 0;
  const dial: Dial = {
    maxExporters: 1000,
    get offered() {
      return offered;
    },
    async set(n: number) {
      offered = n;
    },
  };
  const stalls: HarnessPause[] = [];
  const abort = new AbortController();
  let i = 0;
  let ramp: CapacityRamp | undefined;
  const timer = setInterval(() => {
    const now = Date.now();
    const f = frame(i++, Math.min(offered * o.seriesPerExporter, o.ceiling), { startMs: now - 1000, endMs: now, warmup: false });
    f.fleet = { cpuCores: o.fleetCpu?.(offered) ?? 0.1, queued: 0, scrapesServed: offered };
    f.cpu.total = 0.2;
    ramp?.onFrame(f);
  }, 1000);
  const system: RampSystem = { ...SOURCE, soakStartMs: Date.now(), stalls, signal: abort.signal };
  return {
    dial,
    stalls,
    abort,
    system,
    attach: (r: CapacityRamp) => (ramp = r),
    stop: () => clearInterval(timer),
  };
}

function rampOn(sys: ReturnType<typeof fakeSystem>, o: { start: number; seriesPerExporter: number; fleetCores?: number; lines?: string[] }) {
  const search = new CapacitySearch({ startExporters: o.start, maxExporters: 1000, factor: 2, resolution: 0.25, warmupSeconds: 0, holdSeconds: 2, maxSteps: 12, maxDurationSeconds: 600, samplesPerExporterPerSecond: o.seriesPerExporter, seriesPerExporter: o.seriesPerExporter, by: 'rate' });
  const ramp = new CapacityRamp({
    search,
    judge: judgeStep,
    criteria: { ...DEFAULT_CRITERIA, maxStarvedSeconds: 100 },
    makeDial: async () => sys.dial,
    firstExporters: o.start,
    cores: 1,
    intervalSeconds: 1,
    pushed: false,
    fleetCores: o.fleetCores,
    onStep: (r) => o.lines?.push(`${r.plan.load.exporters} ${r.spoiled ? 'spoiled' : r.pass ? 'pass' : 'fail'}`),
  });
  sys.attach(ramp);
  return { ramp, search };
}

test('capacity ramp: a generator that runs out ends the search with "at least", never a ceiling of the system', { timeout: 60_000 }, async () => {
  // The system would keep up with 10,000 samples/s; the fleet's one core is used up from 20 exporters on.
  const sys = fakeSystem({ seriesPerExporter: 10, ceiling: 10_000, fleetCpu: (n) => (n >= 20 ? 1 : 0.2) });
  try {
    const { ramp, search } = rampOn(sys, { start: 10, seriesPerExporter: 10, fleetCores: 1 });
    await ramp.prepare(SOURCE);
    assert.equal(sys.dial.offered, 10, 'the first step offered before the system starts');
    await ramp.run(sys.system);
    const out = search.outcome()!;
    assert.equal(out.kind, 'generator');
    assert.match(out.words, /at least/);
    assert.deepEqual(ramp.steps.map((s) => s.plan.load.exporters), [10, 20]);
    assert.match(ramp.steps[1]!.generatorSaturated!, /fleet used 1(\.0+)? of its 1 core/);
  } finally {
    sys.stop();
  }
});

test('capacity ramp: a harness stall inside a step spoils it and the same load is run again; the rest is judged', { timeout: 60_000 }, async () => {
  const sys = fakeSystem({ seriesPerExporter: 10, ceiling: 250 });
  const lines: string[] = [];
  try {
    const { ramp, search } = rampOn(sys, { start: 10, seriesPerExporter: 10, lines });
    await ramp.prepare(SOURCE);
    // A stall of 600 ms in the first step's hold: the coordinator (serving the fleet) did not run.
    setTimeout(() => sys.stalls.push({ fromMs: Date.now() - 600, toMs: Date.now(), why: 'the coordinator (serving the fleet) did not run' }), 1500);
    await ramp.run(sys.system);
    assert.equal(lines[0], '10 spoiled');
    assert.match(ramp.steps[0]!.spoiled!, /harness stall of 0\.6 s/);
    assert.equal(lines[1], '10 pass', 'the spoiled load run again');
    // 250 samples/s of 10 per exporter: 25 exporters hold, 40 do not; resolution 25 %.
    const out = search.outcome()!;
    assert.equal(out.kind, 'ceiling', JSON.stringify(out));
    assert.ok(out.exporters! >= 20 && out.exporters! <= 25, `ceiling at ${out.exporters} exporters: ${lines.join(', ')}`);
  } finally {
    sys.stop();
  }
});

test('capacity ramp: the soak\'s window ending (Ctrl-C) inside a step stops the ramp at once; only finished steps are kept', { timeout: 30_000 }, async () => {
  const sys = fakeSystem({ seriesPerExporter: 10, ceiling: 10_000 });
  try {
    const { ramp } = rampOn(sys, { start: 10, seriesPerExporter: 10 });
    await ramp.prepare(SOURCE);
    const done = ramp.run(sys.system);
    // The first step takes ≥ 3 s (a frame showing the load, 2 s held, a second for the last frame).
    await new Promise((r) => setTimeout(r, 5500));
    const t = Date.now();
    sys.abort.abort();
    await done;
    assert.ok(Date.now() - t < 700, `the ramp took ${Date.now() - t} ms to stop`);
    assert.equal(ramp.steps.length, 1, 'the step cut short is not judged');
    assert.equal(ramp.steps[0]!.pass, true);
  } finally {
    sys.stop();
  }
});

test('capacity ramp: a load change the frames never show spoils the step (the fleet served too few scrapes)', { timeout: 60_000 }, async () => {
  const sys = fakeSystem({ seriesPerExporter: 10, ceiling: 10_000 });
  // A dial that says it set n but the fleet keeps serving 10.
  const stuck: Dial = { maxExporters: 1000, offered: 10, set: async () => {} };
  sys.dial.set(10);
  const search = new CapacitySearch({ startExporters: 40, maxExporters: 1000, factor: 2, resolution: 0.25, warmupSeconds: 0, holdSeconds: 2, maxSteps: 1, maxDurationSeconds: 600, samplesPerExporterPerSecond: 10, seriesPerExporter: 10, by: 'rate' });
  const ramp = new CapacityRamp({ search, judge: judgeStep, criteria: DEFAULT_CRITERIA, makeDial: async () => stuck, firstExporters: 40, cores: 1, intervalSeconds: 1, pushed: false });
  sys.attach(ramp);
  try {
    await ramp.prepare(SOURCE);
    // Shortened: the slack after the warm-up is 10 s.
    await ramp.run(sys.system);
    assert.equal(ramp.steps.length, 1);
    assert.match(ramp.steps[0]!.spoiled!, /served 10\.0 scrapes\/s where 40 exporters offer 40\.0: the load change did not take/);
  } finally {
    sys.stop();
  }
});

/** A dial that moves at once: `offered` is what was set last. */
function plainDial(): Dial {
  let offered = 0;
  return {
    maxExporters: 1000,
    get offered() {
      return offered;
    },
    set: async (n: number) => void (offered = n),
  };
}

/**
 * A search (10 samples an exporter a second, 1 s interval, resolution 25 %, no warm-up) and its
 * ramp on `dial`, one core; `lines` gets each step as "<exporters> pass|fail|spoiled" (or `line`'s).
 */
function testRamp(dial: Dial, o: { start: number; factor: number; maxSteps: number; holdSeconds?: number; criteria?: Criteria; fleetCores?: number; line?: (r: StepResult) => string }) {
  const lines: string[] = [];
  const search = new CapacitySearch({ startExporters: o.start, maxExporters: 1000, factor: o.factor, resolution: 0.25, warmupSeconds: 0, holdSeconds: o.holdSeconds ?? 2, maxSteps: o.maxSteps, maxDurationSeconds: 600, samplesPerExporterPerSecond: 10, seriesPerExporter: 10, by: 'rate' });
  const ramp = new CapacityRamp({
    search,
    judge: judgeStep,
    criteria: o.criteria ?? { ...DEFAULT_CRITERIA, maxStarvedSeconds: 100 },
    makeDial: async () => dial,
    firstExporters: o.start,
    cores: 1,
    intervalSeconds: 1,
    pushed: false,
    ...(o.fleetCores !== undefined ? { fleetCores: o.fleetCores } : {}),
    onStep: (r) => lines.push(o.line ? o.line(r) : `${r.plan.load.exporters} ${r.spoiled ? 'spoiled' : r.pass ? 'pass' : 'fail'}`),
  });
  const run = async (): Promise<void> => {
    await ramp.prepare(SOURCE);
    await ramp.run({ ...SOURCE, soakStartMs: Date.now(), stalls: [], signal: new AbortController().signal });
  };
  return { search, ramp, lines, run };
}

/**
 * A ramp over a system that asks for (or a fleet that serves) at most `cap` exporters' scrapes a
 * second (10 samples each, 1 s interval): the fleet's CPU and queue, and the system's CPU, as
 * functions of the exporters offered.
 */
function cappedRamp(o: { cap: number; factor: number; maxSteps: number; criteria: Criteria; fleet: (offered: number) => { cpuCores: number; queued: number }; systemCpu: (offered: number) => number }) {
  const dial = plainDial();
  const t = testRamp(dial, { start: o.cap, factor: o.factor, maxSteps: o.maxSteps, criteria: o.criteria, fleetCores: 1 });
  let i = 0;
  const timer = setInterval(() => {
    const now = Date.now();
    const served = Math.min(dial.offered, o.cap);
    const f = frame(i++, served * 10, { startMs: now - 1000, endMs: now, warmup: false });
    f.fleet = { ...o.fleet(dial.offered), scrapesServed: served };
    f.cpu.total = o.systemCpu(dial.offered);
    t.ramp.onFrame(f);
  }, 1000);
  return { ...t, stop: () => clearInterval(timer) };
}

test('capacity ramp: a load change the fleet cannot serve (its core used up while it tried) ends the search with "at least", not a spoiled step', { timeout: 60_000 }, async () => {
  // The fleet serves at most 20 exporters' scrapes a second: busy but not saturated at 20; at 40
  // its core is used up (queued renders too) and the step never shows. Three spoiled tries used
  // to end the search as "interrupted".
  const c = cappedRamp({ cap: 20, factor: 2, maxSteps: 6, criteria: { ...DEFAULT_CRITERIA, maxStarvedSeconds: 100 }, fleet: (n) => (n > 20 ? { cpuCores: 1, queued: 3 } : { cpuCores: 0.5, queued: 0 }), systemCpu: () => 0.2 });
  try {
    await c.run();
    assert.deepEqual(c.lines, ['20 pass', '40 fail']);
    const out = c.search.outcome()!;
    assert.equal(out.kind, 'generator', JSON.stringify(out));
    assert.equal(out.exporters, 20);
    assert.match(out.words, /at least .*the load generator ran out first/);
    assert.match(c.ramp.steps[1]!.generatorSaturated!, /fleet used 1(\.0+)? of its 1 core.*served 20\.0 scrapes\/s where 40 exporters offer 40\.0: the load change did not take/);
  } finally {
    c.stop();
  }
});

test('capacity ramp: a scraper too busy to ask for a step\'s scrapes (its core used up, the fleet idle) fails on its last try, not "interrupted"', { timeout: 90_000 }, async () => {
  // The system asks for at most 20 exporters' scrapes a second and its one core is used up past
  // them; the fleet idles. Twice spoiled (a burst of new series may take longer than the
  // warm-up), the third try at 60 is judged: the system's failure, a ceiling to bisect under.
  const c = cappedRamp({ cap: 20, factor: 3, maxSteps: 4, criteria: DEFAULT_CRITERIA, fleet: () => ({ cpuCores: 0.05, queued: 0 }), systemCpu: (n) => (n > 20 ? 1 : 0.3) });
  try {
    await c.run();
    assert.deepEqual(c.lines, ['20 pass', '60 spoiled', '60 spoiled', '60 fail']);
    assert.match(c.ramp.steps[1]!.spoiled!, /served 20\.0 scrapes\/s where 60 exporters offer 60\.0: the load change did not take/);
    assert.deepEqual(c.ramp.steps[3]!.failed.map((f) => f.criterion), ['ingested', 'cpu']);
    assert.equal(c.ramp.steps[3]!.generatorSaturated, null);
    const out = c.search.outcome()!;
    assert.notEqual(out.kind, 'interrupted', JSON.stringify(out));
    assert.equal(out.failureAbove?.criterion, 'ingested');
  } finally {
    c.stop();
  }
});

test('capacity ramp: a fleet shard down in a step spoils it, naming the shard; a stall outside the step does not', () => {
  const f = frame(3, 100);
  f.fleet = { cpuCores: 0.1, queued: 0, scrapesServed: 10, shards: [{ shard: '1/2', url: 'http://10.0.0.7:9400', up: false } as never] };
  assert.match(spoiledBy({ stalls: [] }, [frame(2, 100), f], 0, Infinity)!, /fleet shard 1\/2 \(http:\/\/10\.0\.0\.7:9400\) was down at t=4 s/);
  const stall = { fromMs: 1000, toMs: 2000, why: 'x' };
  assert.equal(spoiledBy({ stalls: [stall] }, [frame(2, 100)], 2000, 9000), undefined);
  assert.match(spoiledBy({ stalls: [stall] }, [frame(2, 100)], 1500, 9000)!, /harness stall of 1\.0 s/);
});

test('capacity ramp, pushed: a step whose samples the pushing fleet never generates is spoiled, not judged', { timeout: 60_000 }, async () => {
  const abort = new AbortController();
  const stuck: Dial = { maxExporters: 1000, offered: 10, set: async () => {} };
  const search = new CapacitySearch({ startExporters: 40, maxExporters: 1000, factor: 2, resolution: 0.25, warmupSeconds: 0, holdSeconds: 2, maxSteps: 1, maxDurationSeconds: 600, samplesPerExporterPerSecond: 10, seriesPerExporter: 10, by: 'rate' });
  const ramp = new CapacityRamp({ search, judge: judgeStep, criteria: DEFAULT_CRITERIA, makeDial: async () => stuck, firstExporters: 40, cores: 1, intervalSeconds: 1, pushed: true });
  let i = 0;
  // The fleet keeps generating 10 exporters' 100 samples/s.
  const timer = setInterval(() => {
    const now = Date.now();
    const f = frame(i++, 100, { startMs: now - 1000, endMs: now, warmup: false });
    f.fleet = { cpuCores: 0.1, queued: 0, scrapesServed: 0, push: { generated: 100, acknowledged: 100, rejected: 0, retried: 0, dropped: 0, backlog: 0, latencyP99Ms: 5 } };
    ramp.onFrame(f);
  }, 1000);
  try {
    await ramp.prepare(SOURCE);
    await ramp.run({ ...SOURCE, soakStartMs: Date.now(), stalls: [], signal: abort.signal });
    assert.equal(ramp.steps.length, 1);
    assert.match(ramp.steps[0]!.spoiled!, /generated 100 samples\/s where 40 exporters offer 400: the load change did not take/);
  } finally {
    clearInterval(timer);
  }
});

test('capacity ramp: a load change the scraper takes seconds to act on is waited for; the step is not judged on the last step\'s load', { timeout: 60_000 }, async () => {
  // The scraper acts on a new target list 3 s after it is written (Prometheus's discovery
  // throttle): until then the frames show the last step's exporters. Steps of × 1.5 are each
  // within half of the last one's load; the system keeps up with any of them.
  const LAG_MS = 3000;
  const history: { atMs: number; n: number }[] = [];
  const dial: Dial = {
    maxExporters: 1000,
    get offered() {
      return history.at(-1)?.n ?? 0;
    },
    async set(n: number) {
      history.push({ atMs: Date.now(), n });
    },
  };
  const scraped = (now: number): number => [...history].reverse().find((h) => h.atMs + LAG_MS <= now)?.n ?? history[0]?.n ?? 0;
  const { search, ramp, lines, run } = testRamp(dial, { start: 10, factor: 1.5, maxSteps: 2, line: (r) => `${r.plan.load.exporters} ${r.spoiled ? 'spoiled' : r.pass ? 'pass' : 'fail'}: ${r.failed.map((x) => x.words).join('; ')}` });
  let i = 0;
  let lastEndMs: number | undefined;
  // Frames end to end, as the recorder's, each with what was scraped over its own length (a loaded machine's timer drifts).
  const timer = setInterval(() => {
    const now = Date.now();
    const startMs = lastEndMs ?? now - 1000;
    lastEndMs = now;
    const n = scraped((startMs + now) / 2);
    const f = frame(i++, (n * 10 * (now - startMs)) / 1000, { startMs, endMs: now, warmup: false });
    f.fleet = { cpuCores: 0.1, queued: 0, scrapesServed: (n * (now - startMs)) / 1000 };
    f.cpu.total = 0.2;
    ramp.onFrame(f);
  }, 1000);
  try {
    await run();
    assert.deepEqual(lines, ['10 pass: ', '15 pass: '], 'the 15-exporter step judged once the scraper scraped 15');
    assert.equal(search.outcome()!.kind, 'above');
  } finally {
    clearInterval(timer);
  }
});

test('capacity ramp: a hold the system was silent through (no frames, or a second of them) is spoiled and run again, never judged a pass or a failure on what little came', { timeout: 60_000 }, async () => {
  const dial = plainDial();
  const { ramp, lines, run } = testRamp(dial, { start: 10, factor: 2, maxSteps: 3, holdSeconds: 3, line: (r) => `${r.plan.load.exporters} ${r.spoiled ? `spoiled: ${r.spoiled}` : r.pass ? 'pass' : 'fail'}` });
  // The second frame to show 20 exporters (the first may have begun before the dial moved), the
  // system then goes silent for 5 s (its frames lost): the hold falls in it.
  let silentUntil = 0;
  let twenties = 0;
  let i = 0;
  const timer = setInterval(() => {
    const now = Date.now();
    if (now < silentUntil) return;
    const f = frame(i++, dial.offered * 10, { startMs: now - 1000, endMs: now, warmup: false });
    f.fleet = { cpuCores: 0.1, queued: 0, scrapesServed: dial.offered };
    f.cpu.total = 0.2;
    ramp.onFrame(f);
    if (dial.offered === 20 && ++twenties === 2) silentUntil = now + 5000;
  }, 1000);
  try {
    await run();
    assert.equal(lines[0], '10 pass');
    assert.match(lines[1]!, /^20 spoiled: the frames cover [01]\.\d s of the 3\.0 s hold: the system went silent$/);
    assert.equal(lines[2], '20 pass', 'the same load run again once the system spoke');
  } finally {
    clearInterval(timer);
  }
});
