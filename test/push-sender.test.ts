import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertConserved, pushFor } from './helpers/push-for.js';
import { samplesWritten } from '../src/push/sender.js';

test('push: an answer whose body is still being read when the fleet closes is counted once, as dropped at stop (400 and 2xx)', { timeout: 60_000 }, async () => {
  for (const status of [400, 200]) {
    const { stats } = await pushFor(2, () => ({ status, partial: 'out of' }), { drainMs: 300 });
    const t = stats.totals;
    assertConserved(stats);
    assert.equal(t.acknowledged + t.rejected, 0, `${status}: ${JSON.stringify(t)}`);
    assert.ok(t.droppedAtStop > 0, `${status}: nothing dropped at stop`);
  }
});

test('push: a 3xx is not followed: its samples are rejected and counted under that status', { timeout: 60_000 }, async () => {
  const { stats } = await pushFor(2, () => ({ status: 301, headers: { location: 'http://127.0.0.1:1/elsewhere' } }));
  const t = stats.totals;
  assertConserved(stats);
  assert.ok(t.rejected > 0);
  assert.deepEqual(t.rejectedByStatus, { '301': t.rejected });
  assert.ok(stats.notes.some((n) => /rejected \d+ samples with 301/.test(n)), stats.notes.join('; '));
});

test('push remote-write:2: a samples-written header that is not a count of the samples sent is said once and not counted', { timeout: 60_000 }, async () => {
  const garbage = ['1e300', '-5', 'Infinity', '99999999', 'abc', ''];
  const { stats } = await pushFor(2, (n) => ({ status: 204, headers: { 'x-prometheus-remote-write-samples-written': garbage[n % garbage.length]! } }), { protocol: 2 });
  assertConserved(stats);
  assert.ok(stats.totals.requestsOk > 0);
  assert.equal(stats.totals.written, 0);
  assert.ok(stats.notes.some((n) => /not a count from 0 to the \d+ samples sent/.test(n)), stats.notes.join('; '));
  assert.equal(samplesWritten('100', 100), 100);
  assert.equal(samplesWritten(' 0 ', 100), 0);
  assert.equal(samplesWritten(['5', '5'], 100), undefined);
  assert.equal(samplesWritten('101', 100), undefined);
});
