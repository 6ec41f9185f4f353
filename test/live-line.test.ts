import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frame, meta } from './helpers/frames.js';
import { liveLine } from '../src/report/terminal.js';
import { scheduledRate, type Schedule } from '../src/analysis/schedule.js';
import { summarize } from '../src/analysis/summarize.js';

/** Issue 24 part 3: one number for one thing on the live line. */

test('the live line shows the rate the summary will (each second against the schedule); raw only where there is no schedule, and says so', () => {
  // 100 targets at 5 s, 100 samples a scrape (2,000/s offered), their phases bunched: 60 in the
  // first second of the interval, 10 in each other. A healthy engine ingests 95 % of what each
  // second is due: raw counts 5,700 then 950 a second, the schedule reads 1,900 every second.
  const schedule: Schedule = { intervalMs: 5000, samplesPerScrape: 100, offsetsMs: Array.from({ length: 100 }, (_, k) => (k < 60 ? 500 : 500 + 1000 * (1 + ((k - 60) % 4)))) };
  const frames = Array.from({ length: 12 }, (_, i) => frame(i, (i % 5 === 0 ? 6000 : 1000) * 0.95));
  const s = summarize(frames, [], { ...meta, exporters: 100, seriesPerExporter: 100, intervalSeconds: 5, schedule });
  assert.equal(s.samplesPerSecond.mean, 1900);
  const lines = frames.slice(2).map((f) => liveLine({ elapsedSeconds: f.t, totalSeconds: 12, warmup: false, frame: f, scheduledRate: scheduledRate(f, schedule, 2) }));
  for (const l of lines) assert.match(l, /^\d+\/12 s  1,900 samples\/s  engine CPU/, l);
  // No schedule (a --target soak): this second's count, labelled raw.
  const raw = liveLine({ elapsedSeconds: 5, totalSeconds: 10, warmup: false, frame: frame(4, 38600) });
  assert.match(raw, /38,600 samples\/s raw /);
  assert.match(raw, / heap used \d+ MiB /);
});
