import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { pushSummary, pushVerdict } from '../src/push/push-verdict.js';
import { TargetSampler } from '../src/run/target-sampler.js';
import type { PushStats } from '../src/protocol/push-stats.js';

/** A push whose every sample was acknowledged: only what the receiver's counter says can fail it. */
function clean(acknowledged: number): PushStats {
  const zero = { sent: acknowledged, rejected: 0, retried: 0, retriedRequests: 0, droppedBacklog: 0, droppedAtStop: 0, requests: 1, requestsOk: 1, bytesWire: 1, bytesRaw: 1, networkErrors: 0, serverErrors: 0, tooManyRequests: 0, written: 0, staleMarkers: 0, generatedLate: 0, skipped: 0 };
  return {
    protocol: '1.0',
    url: 'http://127.0.0.1:1/api/v1/write',
    batch: 100,
    senders: 1,
    maxBacklog: 1000,
    totals: { ...zero, generated: acknowledged, acknowledged, rejectedByStatus: {}, backlog: 0, generatorLagMaxMs: 0, latencyP50Ms: 1, latencyP99Ms: 1 },
    lastSecond: null,
    notes: [],
  };
}

test('push stored: a counter that grew by more than was acknowledged (a url: receiver another writer shares) vouches for nothing: not known, said', () => {
  const p = pushSummary(clean(1000), 5000, 'x_total');
  assert.equal(p.acknowledgedNotStored, null);
  assert.equal(p.stored, null);
  assert.equal(p.failed, false);
  const lines = pushVerdict(p);
  assert.ok(lines.some((l) => /^what the receiver stored is not known: its counter x_total grew by 5000, more than the 1000 samples it acknowledged: something else writes to it too/.test(l)), lines.join('\n'));
  // Within the tolerance it is a count.
  assert.equal(pushSummary(clean(1000), 1000, 'x_total').acknowledgedNotStored, 0);
});

test('push stored: a counter that went backwards during the soak (the receiver restarted) fails the push, whatever it read after', () => {
  const p = pushSummary(clean(1000), 1000, 'x_total', 'its counter x_total went backwards during the soak (from 700 to 3): the receiver restarted or reset it');
  assert.equal(p.failed, true);
  assert.equal(p.stored, null);
  assert.equal(p.storedReset, true);
  assert.ok(pushVerdict(p).some((l) => /^FAILED: what the receiver stored is not known: its counter x_total went backwards/.test(l)));
  const below = pushSummary(clean(1000), -40, 'x_total');
  assert.equal(below.failed, true);
  assert.ok(pushVerdict(below).some((l) => /^FAILED: what the receiver stored is not known: its counter x_total is 40 lower after the soak than before it/.test(l)));
  assert.ok(!pushVerdict(below).some((l) => /acknowledged but not stored/.test(l)));
});

test('target sampler: a samples counter that goes backwards between readings is remembered (the first time), though it grows past its baseline after', async () => {
  const values = [100, 700, 3, 900, 800];
  let n = 0;
  const server = createServer((_req, res) => {
    const v = values[Math.min(n++, values.length - 1)]!;
    res.end(`# TYPE x_total counter\nx_total ${v}\n# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 1\n`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const s = new TargetSampler({ pid: null, metricsUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}/metrics`, names: { samples: 'x_total' } });
    await s.baseline();
    assert.equal(s.samplesWentBack, null);
    await s.next();
    assert.equal(s.samplesWentBack, null);
    await s.next();
    await s.next();
    assert.equal(await s.samplesNow(), 800);
    assert.deepEqual(s.samplesWentBack, { from: 700, to: 3 });
  } finally {
    server.close();
  }
});

test('push verdict: samples still in the backlog after the drain (a serving thread that never stopped) fail the push, named', () => {
  const s = clean(1000);
  s.totals.generated = 1300;
  s.totals.backlog = 300;
  const p = pushSummary(s, 1000, 'x_total');
  assert.equal(p.failed, true);
  assert.ok(pushVerdict(p).some((l) => /^FAILED: 300 samples \(23\.1 %\) were never accounted for/.test(l)), pushVerdict(p).join('\n'));
});
