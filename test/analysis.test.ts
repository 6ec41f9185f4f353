import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Frame, TimedGcEvent } from '../src/protocol/frame.js';
import { frame, gc, meta, T0 } from './helpers/frames.js';
import { StallWatch } from '../src/run/stall-watch.js';
import { harnessStallFailed } from '../src/analysis/verdict.js';
import { summarize } from '../src/analysis/summarize.js';
import { cv, meanHalfWidth95, median, pearson, quantile } from '../src/analysis/stats.js';
import { evaluate, parseThreshold, validateThresholdPath } from '../src/analysis/thresholds.js';

test('statistics helpers', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(quantile([1, 2, 3, 4, 5], 0.99), 4.96);
  assert.ok(Math.abs(cv([10, 10, 10])) < 1e-12);
  assert.ok(Math.abs(pearson([1, 2, 3, 4], [2, 4, 6, 8]) - 1) < 1e-12);
  assert.ok(Number.isNaN(pearson([1, 1, 1], [1, 2, 3])));
  // [1, 2, 3]: sd 1, n 3, t(2) = 4.303; 100 values of sd 1: past 30 degrees of freedom, t(30) = 2.042, / 10.
  assert.ok(Math.abs(meanHalfWidth95([1, 2, 3]) - 4.303 / Math.sqrt(3)) < 1e-9);
  assert.ok(Math.abs(meanHalfWidth95(Array.from({ length: 100 }, (_, i) => (i % 2 ? 1 : -1) * Math.sqrt(99 / 100))) - 2.042 / 10) < 1e-9);
  assert.ok(Number.isNaN(meanHalfWidth95([5])));
});

test('summary: evenness, bytes/sample, GC totals equal the trace, starvation attributed to GC', () => {
  // 2 warm-up seconds, then 10 measured: seconds 5 and 9 starve, each lost 500 ms to a mark-compact's 300 (280) ms pause + 1.5 ms scavenge.
  const frames = Array.from({ length: 12 }, (_, i) => frame(i, i === 5 || i === 9 ? 5000 : 10000, i === 5 || i === 9 ? { cpu: { total: 1.5, user: 1.4, system: 0.1, main: 1, v8Platform: 0.5, worker: 0, other: 0 } } : {}));
  const events = [gc(0, 'scavenge', 99, 999_999_999), ...Array.from({ length: 12 }, (_, i) => gc(i, 'scavenge', 1.5, 2_000_000)), gc(5, 'mark-compact', 300, 0, 60), gc(9, 'mark-compact', 280, 0, 50)];
  const s = summarize(frames, events, meta);
  assert.equal(s.samples, 8 * 10000 + 2 * 5000);
  assert.equal(s.samplesPerSecond.median, 10000);
  assert.equal(s.samplesPerSecond.min, 5000);
  assert.equal(s.samplesPerSecond.expected, 10000);
  // Only measured-window events count: 10 scavenges × 2 MB (the warm-up ones are out).
  assert.equal(s.allocation.bytes, 20_000_000);
  assert.equal(s.bytesPerSample, Math.round((20_000_000 / 90_000) * 10) / 10);
  assert.equal(s.gc.count, 12);
  assert.equal(s.gc.pauseMs, 10 * 1.5 + 300 + 280);
  assert.equal(s.gc.byKind['mark-compact']!.count, 2);
  assert.equal(s.gc.maxPauseMs, 300);
  assert.equal(s.starvation.windows, 2);
  assert.equal(s.starvation.withGc, 2);
  assert.deepEqual(s.starvation.seconds.map((x) => x.t), [6, 10]);
  assert.ok(s.starvation.correlation.gcTime! > 0.9, String(s.starvation.correlation.gcTime));
  assert.equal(s.cpu.maxCores, 1.5);
  assert.equal(s.provisioning.coresNeeded, 2); // p99 ≈ 1.5 cores at 80 %
  // GC's headroom: the heap at its peak (30 MB) over the live heap (25 MB); the rest of RSS is not GC's.
  assert.equal(s.provisioning.gcRamOverheadPct, 20);
  assert.equal(s.scrapes.ok, 100);
  assert.ok(s.scrapes.durationMs!.p99 >= 2 && s.scrapes.durationMs!.p99 < 2.02);
  assert.equal(s.fleet.saturated, false);
  assert.match(s.verdict.join('\n'), /ingestion was uneven: 2 of 10 s fell >20 % below the median/);
});

test('a saturated fleet is flagged, so the engine is not blamed', () => {
  const frames = Array.from({ length: 6 }, (_, i) => frame(i, 10000, { fleet: { cpuCores: 0.97, queued: 3, scrapesServed: 10 } }));
  const s = summarize(frames, [], meta);
  assert.equal(s.fleet.saturated, true);
  assert.match(s.fleet.reason!, /0\.97 of its 1 core/);
  assert.match(s.verdict.at(-1)!, /WARNING: the load generator was saturated/);
  assert.equal(s.bytesPerSample, 0, 'no GC and a flat heap: nothing allocated');
  assert.match(s.allocation.source, /heap growth over the window/);
});

test('allocation: the window edges are corrected with heap used; no GC means heap growth', async () => {
  const { allocationInWindow } = await import('../src/analysis/allocation.js');
  const ev = (allocatedBytes: number, before: number, after: number): TimedGcEvent => ({ ...gc(3, 'scavenge', 1, allocatedBytes), sizeBeforeBytes: before, sizeAfterBytes: after });
  // Previous GC left 10 MB; the window starts at 14 MB (4 MB allocated before it), the GC sees
  // 20 MB (10 MB allocated since the previous GC), leaves 10 MB, the window ends at 13 MB.
  assert.equal(allocationInWindow([ev(10e6, 20e6, 10e6)], 14e6, 13e6).bytes, 10e6 - 4e6 + 3e6);
  assert.equal(allocationInWindow([], 14e6, 19e6).bytes, 5e6);
});

test('thresholds: parse, validate against the summary shape, evaluate', () => {
  const s = summarize(Array.from({ length: 6 }, (_, i) => frame(i, 10000)), [gc(3, 'scavenge', 1, 1_000_000)], meta);
  assert.deepEqual(evaluate(parseThreshold('bytesPerSample<200'), s), { expression: 'bytesPerSample<200', ok: true, actual: 25 });
  assert.equal(evaluate(parseThreshold('samplesPerSecond.cv <= 0.01'), s).ok, true);
  assert.equal(evaluate(parseThreshold('starvation.windows>0'), s).ok, false);
  assert.throws(() => parseThreshold('bytesPerSample lt 3'), /is not of the form/);
  assert.throws(() => validateThresholdPath(parseThreshold('bytesPerSampel<3'), s), /summary\.json has no numeric key bytesPerSampel/);
});

test('heap trend: the post-GC floor is fitted; a growing floor is a leak, a steady sawtooth is not, a short soak says nothing', async () => {
  const { heapTrend } = await import('../src/analysis/heap-trend.js');
  const MiB = 2 ** 20;
  // 6 minutes of a sawtooth: climbs 4 MiB over 10 s, collected back to its floor.
  const saw = (floorAt: (i: number) => number): Frame[] =>
    Array.from({ length: 360 }, (_, i) => {
      const f = frame(i, 100);
      f.heap = { ...f.heap, usedBytes: floorAt(i) + (i % 10) * 0.4 * MiB };
      return f;
    });
  const steady = heapTrend(saw(() => 50 * MiB))!;
  assert.equal(steady.leak, false);
  assert.ok(Math.abs(steady.growthBytesPerHour) < 1, String(steady.growthBytesPerHour));
  assert.equal(steady.floorBytes, 50 * MiB);
  // +2 MiB a minute: 120 MiB an hour, far over 10 % of a 50 MiB floor.
  const leaking = heapTrend(saw((i) => 50 * MiB + (i / 60) * 2 * MiB))!;
  assert.equal(leaking.leak, true);
  assert.ok(Math.abs(leaking.growthBytesPerHour - 120 * MiB) < 10 * MiB, String(leaking.growthBytesPerHour / MiB));
  assert.equal(leaking.settling, false);
  assert.ok(Math.abs(leaking.lateGrowthBytesPerHour! - 120 * MiB) < 10 * MiB, String(leaking.lateGrowthBytesPerHour! / MiB));
  assert.equal(heapTrend(saw(() => 50 * MiB).slice(0, 200)), null, 'under 5 minutes: nothing to tell');
});

/**
 * The heap after each mark-compact (ms into the window, bytes) of a measured soak:
 * `promsoak run churn-5xx.json --duration 600 --warmup 20` (profiles/churn.json with
 * seriesEverySeconds 20 and faults.http5xx.fraction 0.5), promsoak's snapshot GCs left out.
 * Snapshots at 120, 350 and 590 s showed what grew: compiled code (+88 kB, then +11 kB) and
 * the client's connections (7 → 8 → 11 of at most 16), nothing per scrape or per series.
 */
const WARMING_UP: [number, number][] = [
  [12371, 13454080],
  [13086, 13278608],
  [110142, 13518056],
  [213772, 13600464],
  [302232, 13632328],
  [442374, 13657464],
  [542227, 13663816],
];

/** A 600 s window (frames 0…599) with mark-compacts at the given (ms, heap after). */
function markCompacts(points: [number, number][]): { frames: Frame[]; events: TimedGcEvent[] } {
  const frames = Array.from({ length: 600 }, (_, i) => frame(i, 100));
  const events = points.map(([ms, after]) => ({ ...gc(0, 'mark-compact', 5, 0), wallMs: frames[0]!.startMs + ms, sizeAfterBytes: after }));
  return { frames, events };
}

test('heap trend: a warm-up that levels off is "settling", not a leak; a line that keeps its slope in the second half still is', async () => {
  const { heapTrend } = await import('../src/analysis/heap-trend.js');
  const MiB = 2 ** 20;
  const w = markCompacts(WARMING_UP);
  const warm = heapTrend(w.frames, w.events)!;
  assert.equal(warm.source, 'mark-compacts');
  // What the soak's verdict read: LEAK at 2.0 MiB/h over a 13.0 MiB floor, r² 0.72.
  assert.ok(Math.abs(warm.growthBytesPerHour - 2_064_342) < 1000, String(warm.growthBytesPerHour));
  assert.ok(Math.abs(warm.r2 - 0.719) < 0.001, String(warm.r2));
  // Its second half (the last three) grows 0.46 MiB/h, under 10 % of 13 MiB an hour.
  assert.ok(warm.lateGrowthBytesPerHour! > 0.4 * MiB && warm.lateGrowthBytesPerHour! < 0.5 * MiB, String(warm.lateGrowthBytesPerHour! / MiB));
  assert.equal(warm.leak, false);
  assert.equal(warm.settling, true);

  // The same times, growing 3 MiB/h all along (with the measured points' scatter): a leak.
  const line = WARMING_UP.map(([ms, after], i): [number, number] => [ms, 13.3 * MiB + (ms / 3_600_000) * 3 * MiB + (after - WARMING_UP[i]![1]) * 0.1]);
  const l = markCompacts(line);
  const leak = heapTrend(l.frames, l.events)!;
  assert.equal(leak.leak, true);
  assert.equal(leak.settling, false);
  assert.ok(leak.lateGrowthBytesPerHour! > 2 * MiB, String(leak.lateGrowthBytesPerHour! / MiB));

  // Fewer than three mark-compacts in the second half: no slope of its own, judged on the whole line.
  const early = markCompacts(line.slice(0, 5).concat([[line[6]![0], line[6]![1]]]));
  const t = heapTrend(early.frames, early.events)!;
  assert.equal(t.lateGrowthBytesPerHour, null);
  assert.equal(t.leak, true);
  assert.equal(t.settling, false);
});

test('verdict: a settling heap says "not yet steady", not LEAK', () => {
  // Two warm-up seconds, then the measured window with the warm-up's mark-compacts in it.
  const frames = Array.from({ length: 602 }, (_, i) => frame(i, 10000));
  const events = WARMING_UP.map(([ms, after]) => ({ ...gc(2, 'mark-compact', 5, 0), wallMs: frames[2]!.startMs + ms, sizeAfterBytes: after }));
  const s = summarize(frames, events, meta);
  assert.equal(s.memory.heapTrend!.settling, true);
  assert.equal(s.memory.heapTrend!.leak, false);
  const v = s.verdict.join('\n');
  assert.doesNotMatch(v, /LEAK/);
  assert.match(v, /not yet steady: the heap after GC grew 2\.0 MiB per hour over the window \(from a floor of 13\.0 MiB, r² 0\.72\) but 0\.5 MiB per hour over its second half/);
});

test('summary: the seconds a harness stall touches read neutral, not starved; a stall of a second or more fails the run', () => {
  // 2 warm-up seconds, then 12 measured; the coordinator stopped from 6.2 s to 7.6 s after T0 (frames 6-7 get
  // almost nothing, 8-9 the backlog), and briefly (400 ms) at 11.1 s.
  const samples = (i: number): number => (i === 6 || i === 7 ? 500 : i === 8 ? 16000 : 10000);
  const frames = Array.from({ length: 14 }, (_, i) => frame(i, samples(i)));
  const stalls = [
    { fromMs: T0 + 6200, toMs: T0 + 7600, why: 'test' },
    { fromMs: T0 + 11100, toMs: T0 + 11500, why: 'test' },
  ];
  const plain = summarize(frames, [], meta);
  assert.ok(plain.starvation.windows >= 2, 'without the stalls, the dip reads as starvation');
  const s = summarize(frames, [], { ...meta, harnessStalls: stalls });
  assert.equal(s.starvation.windows, 0, JSON.stringify(s.starvation.seconds));
  assert.equal(s.samplesPerSecond.cv, 0, 'the stalled seconds are neutral, the rest even');
  assert.deepEqual(s.run.harnessStalls, stalls);
  // Frames 6-9 (the first stall and 2 s after), 11-13 (the second).
  assert.equal(s.run.harnessStalledSeconds, 7);
  assert.match(s.verdict[0]!, /^FAILED: the harness itself stalled: the coordinator, which serves the fleet, did not run for 1\.4 s at t=4 s, 0\.4 s at t=9 s/);
  assert.equal(harnessStallFailed(s), true);
  assert.equal(harnessStallFailed(summarize(frames, [], { ...meta, harnessStalls: [stalls[1]!] })), false, 'a stall under a second is said, not failed');
});

test('StallWatch: a tick over 250 ms late is a stall of the coordinator, one still going at stop() too', () => {
  let now = 1000;
  const w = new StallWatch(100, 250, () => now);
  w.start();
  for (const t of [1100, 1200, 1450, 1550]) ((now = t), w.tick());
  assert.equal(w.stalls.length, 0, 'a tick 150 ms late is not a stall');
  now = 2600;
  w.tick();
  now = 3100;
  w.stop();
  assert.deepEqual(
    w.stalls.map((x) => [x.fromMs, x.toMs]),
    [
      [1550, 2600],
      [2600, 3100],
    ],
  );
});
