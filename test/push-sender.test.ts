import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertConserved, pushFor } from './helpers/push-for.js';
import { retryAfter, samplesWritten } from '../src/push/sender.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseProfile, profilesDir } from '../src/profile/load.js';
import { startFleet } from '../src/fleet/fleet.js';
import { pushOptions, RETRY_AFTER_MAX_MS } from '../src/push/push-options.js';
import { pushSummary, pushVerdict } from '../src/push/push-verdict.js';
import { startReceiver } from './helpers/rw-receiver.js';

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

test('push: a generator that cannot keep up (40 000 exporters of 200 series a second on one thread) yields to its sockets, skips what it cannot make, and the verdict names the fleet, not the receiver', { timeout: 90_000 }, async () => {
  const p = JSON.parse(readFileSync(join(profilesDir(), 'default.json'), 'utf8')) as { exporters: number; scrapeIntervalSeconds: number };
  // 40 000 exporters × 200 series every second: ~8 M samples/s, far past one thread's encoder.
  p.exporters = 40_000;
  p.scrapeIntervalSeconds = 1;
  const profile = parseProfile(JSON.stringify(p), 'behind.json');
  const rx = await startReceiver(() => ({ status: 204 }), { decode: false });
  const fleet = await startFleet({ profile, threads: 1, push: { ...pushOptions({ push: 'remote-write', pushUrl: rx.url, senders: 2 }), drainMs: 1000 } });
  let scraped = 0;
  try {
    const target = `http://${fleet.targetGroups()[0]!.targets[0]!}/exporters/0/metrics`;
    const until = Date.now() + 4000;
    while (Date.now() < until) {
      // The serving thread also answers scrapes: a generator that never yields leaves them unanswered.
      const r = await fetch(target, { signal: AbortSignal.timeout(2000) }).then((x) => x.text()).catch(() => '');
      if (r.includes('http_requests_total')) scraped++;
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await fleet.close();
    await rx.close();
  }
  const stats = fleet.push!.stats();
  const t = stats.totals;
  assertConserved(stats);
  assert.ok(scraped >= 3, `the serving thread answered ${scraped} scrapes in 4 s while pushing`);
  assert.ok(t.skipped + t.generatedLate > 0, JSON.stringify(t));
  assert.ok(t.generatorLagMaxMs > 0);
  const lines = pushVerdict(pushSummary(stats, null, 'x'));
  assert.match(lines[0]!, /the fleet's generator fell behind the profile's schedule, by up to \d+ ms: .*The bottleneck is the fleet/);
  if (t.droppedBacklog > 0) assert.ok(lines.some((l) => /FAILED: the fleet or the receiver did not keep up \(the fleet's generator was behind/.test(l)), lines.join('\n'));
  assert.ok(!lines.some((l) => /FAILED: the receiver did not keep up/.test(l)), lines.join('\n'));
});

test('push: a cause said by every sender in its own words (413 with its batch\'s bytes) is one note, not one per sender', { timeout: 60_000 }, async () => {
  const { stats } = await pushFor(2, () => ({ status: 413 }), { senders: 4 });
  assertConserved(stats);
  assert.equal(stats.senders, 4);
  assert.equal(stats.notes.length, 1, stats.notes.join('\n'));
  assert.match(stats.notes[0]!, /too large \(413\): lower --batch/);
});

test('push: a 503 forever with Retry-After 0 (or garbage) is retried on the backoff, not as fast as it answers; a huge Retry-After is bounded and cleared at close', { timeout: 60_000 }, async () => {
  const { stats } = await pushFor(2.5, (n) => ({ status: 503, headers: { 'retry-after': n % 2 ? '0' : '-5' } }), { senders: 2, drainMs: 500 });
  const t = stats.totals;
  assertConserved(stats);
  // 2 senders, backoff 30 ms doubling: under 10 attempts each in 3 s (before: one every round trip, hundreds).
  assert.ok(t.requests <= 24, `${t.requests} requests in 3 s`);
  assert.ok(t.retriedRequests > 0);
  assert.equal(retryAfter('-5'), undefined);
  assert.equal(retryAfter('soon'), undefined);
  assert.equal(retryAfter(String(10 ** 12)), RETRY_AFTER_MAX_MS);
  assert.ok(retryAfter(new Date(Date.now() + 5000).toUTCString())! > 3000);
  // Retry-After 10^12 s: the close does not wait on its timer (the fleet closes within the drain).
  const t0 = Date.now();
  const long = await pushFor(1, () => ({ status: 503, headers: { 'retry-after': String(10 ** 12) } }), { drainMs: 300 });
  assertConserved(long.stats);
  assert.ok(Date.now() - t0 < 10_000, `${Date.now() - t0} ms`);
});
