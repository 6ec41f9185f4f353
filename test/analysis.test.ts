import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Frame, TimedGcEvent } from '../src/protocol/frame.js';
import { frame, gc, meta } from './helpers/frames.js';
import { summarize } from '../src/analysis/summarize.js';
import { cv, median, pearson, quantile } from '../src/analysis/stats.js';
import { evaluate, parseThreshold, validateThresholdPath } from '../src/analysis/thresholds.js';

test('statistics helpers', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(quantile([1, 2, 3, 4, 5], 0.99), 4.96);
  assert.ok(Math.abs(cv([10, 10, 10])) < 1e-12);
  assert.ok(Math.abs(pearson([1, 2, 3, 4], [2, 4, 6, 8]) - 1) < 1e-12);
  assert.ok(Number.isNaN(pearson([1, 1, 1], [1, 2, 3])));
});

test('summary: evenness, bytes/sample, GC totals equal the trace, starvation attributed to GC', () => {
  // 2 warm-up seconds, then 10 measured: seconds 5 and 9 starve, each after a mark-compact.
  const frames = Array.from({ length: 12 }, (_, i) => frame(i, i === 5 || i === 9 ? 5000 : 10000, i === 5 || i === 9 ? { cpu: { total: 1.5, user: 1.4, system: 0.1, main: 1, v8Platform: 0.5, worker: 0, other: 0 } } : {}));
  const events = [gc(0, 'scavenge', 99, 999_999_999), ...Array.from({ length: 12 }, (_, i) => gc(i, 'scavenge', 1.5, 2_000_000)), gc(5, 'mark-compact', 40, 0, 60), gc(9, 'mark-compact', 35, 0, 50)];
  const s = summarize(frames, events, meta);
  assert.equal(s.samples, 8 * 10000 + 2 * 5000);
  assert.equal(s.samplesPerSecond.median, 10000);
  assert.equal(s.samplesPerSecond.min, 5000);
  assert.equal(s.samplesPerSecond.expected, 10000);
  // Only measured-window events count: 10 scavenges × 2 MB (the warm-up ones are out).
  assert.equal(s.allocation.bytes, 20_000_000);
  assert.equal(s.bytesPerSample, Math.round((20_000_000 / 90_000) * 10) / 10);
  assert.equal(s.gc.count, 12);
  assert.equal(s.gc.pauseMs, 10 * 1.5 + 40 + 35);
  assert.equal(s.gc.byKind['mark-compact']!.count, 2);
  assert.equal(s.gc.maxPauseMs, 40);
  assert.equal(s.starvation.windows, 2);
  assert.equal(s.starvation.withGc, 2);
  assert.deepEqual(s.starvation.seconds.map((x) => x.t), [6, 10]);
  assert.ok(s.starvation.correlation.gcTime! > 0.9, String(s.starvation.correlation.gcTime));
  assert.equal(s.cpu.maxCores, 1.5);
  assert.equal(s.provisioning.coresNeeded, 2); // p99 ≈ 1.5 cores at 80 %
  assert.equal(s.provisioning.gcRamOverheadPct, Math.round(((100e6 + 11 - 25e6) / 25e6) * 1000) / 10);
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
  assert.equal(heapTrend(saw(() => 50 * MiB).slice(0, 200)), null, 'under 5 minutes: nothing to tell');
});
