import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frame } from './helpers/frames.js';
import { liveLine } from '../src/report/terminal.js';

/** Issue 24 part 3: one number for one thing on the live line. */

test('the live line says its samples/s is raw (the summary reads against the schedule)', () => {
  const line = liveLine({ elapsedSeconds: 5, totalSeconds: 10, warmup: false, frame: frame(4, 38600) });
  assert.match(line, /38,600 samples\/s raw /);
  assert.match(line, / heap used \d+ MiB /);
});
