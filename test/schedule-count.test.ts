import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectedSamples } from '../src/analysis/schedule.js';
import type { Frame } from '../src/protocol/frame.js';

/** Each target counted on its own: the definition the bisection must keep. */
const dueIn = (from: number, to: number, o: number, interval: number): number => Math.floor((to - o) / interval) - Math.floor((from - o) / interval);

test('a second\'s due scrapes by bisection equal each target counted on its own (whole-ms schedules, offsets past the interval and negative ones)', () => {
  let seed = 7;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let c = 0; c < 300; c++) {
    const intervalMs = [1000, 5000, 15000, 250][c % 4]!;
    const offsetsMs = Array.from({ length: 1 + Math.floor(rnd() * 200) }, () => Math.floor(rnd() * intervalMs * 3) - intervalMs);
    const t0 = 1_700_000_000_000 + Math.floor(rnd() * 1e6);
    const frames = Array.from({ length: 12 }, (_, i) => ({ startMs: t0 + i * 1000, endMs: t0 + (i + 1) * 1000 + Math.floor(rnd() * 700) })) as Frame[];
    const lagMs = c % 2 ? 3 : 0;
    const got = expectedSamples(frames, { intervalMs, offsetsMs, samplesPerScrape: 5 }, lagMs);
    frames.forEach((f, i) => {
      let due = 0;
      for (const o of offsetsMs) due += dueIn(f.startMs - lagMs, f.endMs - lagMs, o, intervalMs);
      assert.equal(got[i], due * 5, `case ${c}, frame ${i}`);
    });
  }
});

test('a schedule of a million targets and 100,000 frames is counted in well under a second each way (was one pass over every target a frame)', () => {
  const offsetsMs = Array.from({ length: 1_000_000 }, (_, i) => (i * 7919) % 5000);
  const frames = Array.from({ length: 100_000 }, (_, i) => ({ startMs: i * 1000, endMs: (i + 1) * 1000 })) as Frame[];
  const t = process.hrtime.bigint();
  const due = expectedSamples(frames, { intervalMs: 5000, offsetsMs, samplesPerScrape: 1 });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  // 1e6 targets at 5 s: 200,000 due a second.
  assert.equal(due[10], 200_000);
  assert.ok(ms < 5000, `${ms} ms`);
});
