import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertConserved, pushFor } from './helpers/push-for.js';
import { runCli } from './helpers/tools.js';

test('push: a receiver that takes everything gets every generated sample, in time order per series, with stale markers for churned series', { timeout: 60_000 }, async () => {
  const { stats, rx, series } = await pushFor(7, () => ({ status: 204 }));
  const t = stats.totals;
  assertConserved(stats);
  assert.equal(t.rejected + t.droppedBacklog + t.droppedAtStop, 0);
  const samples = rx.requests.flatMap((r) => r.samples);
  assert.equal(samples.length, t.acknowledged);
  // ~20 exporters × series × 6–7 rounds.
  assert.ok(t.generated >= 20 * series * 5, `${t.generated} generated`);
  for (const r of rx.requests) {
    assert.equal(r.headers['content-encoding'], 'snappy');
    assert.equal(r.headers['content-type'], 'application/x-protobuf');
    assert.equal(r.headers['x-prometheus-remote-write-version'], '0.1.0');
    assert.ok(r.samples.length <= 100, 'a request over --batch');
  }
  const last = new Map<string, number>();
  let stale = 0;
  for (const s of samples) {
    const names = s.labels.map(([k]) => k);
    assert.deepEqual(names, [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))), `labels unsorted: ${s.series}`);
    assert.ok(names.includes('__name__') && names.includes('instance') && names.includes('job'), s.series);
    const before = last.get(s.series);
    assert.ok(before === undefined || s.ts > before, `${s.series}: ${s.ts} after ${before}`);
    last.set(s.series, s.ts);
    if (s.stale) stale++;
  }
  // Churn every 5 s over 7 s: every exporter's churned series turned at least once.
  assert.ok(stale > 0, 'no stale marker for series that churned away');
  for (const s of samples.filter((x) => x.stale)) assert.ok(s.series.includes('churn_id='), s.series);
  assert.equal(stats.notes.length, 0, stats.notes.join('; '));
});

test('push: a receiver that answers 400 to everything: every sample rejected by status, none retried, the reason said once', { timeout: 60_000 }, async () => {
  const { stats } = await pushFor(3, () => ({ status: 400, body: 'out of order sample' }));
  const t = stats.totals;
  assertConserved(stats);
  assert.equal(t.acknowledged, 0);
  assert.ok(t.rejected > 0);
  assert.deepEqual(Object.keys(t.rejectedByStatus), ['400']);
  assert.equal(t.rejectedByStatus['400'], t.rejected);
  assert.equal(t.retried, 0);
  assert.equal(stats.notes.length, 1, stats.notes.join('; '));
  assert.match(stats.notes[0]!, /rejected \d+ samples with 400: out of order sample/);
});

test('push: 503 and 429 are retried with backoff (Retry-After honoured) until acknowledged; nothing lost', { timeout: 60_000 }, async () => {
  const { stats, rx } = await pushFor(4, (n) => (n % 3 === 0 ? { status: 503 } : n % 3 === 1 ? { status: 429, headers: { 'retry-after': '0' } } : { status: 200 }));
  const t = stats.totals;
  assertConserved(stats);
  assert.ok(t.serverErrors > 0 && t.tooManyRequests > 0, JSON.stringify(t));
  assert.ok(t.retried > 0);
  assert.equal(t.rejected, 0);
  assert.equal(t.acknowledged + t.droppedAtStop, t.generated);
  assert.equal(rx.requests.flatMap((r) => r.samples).length, t.acknowledged);
});

test('push: a receiver that never answers: requests time out, the backlog stays within its bound, the rest is dropped and counted', { timeout: 60_000 }, async () => {
  const { stats } = await pushFor(5, () => 'hang', { timeoutMs: 1000, maxBacklog: 500, drainMs: 1000 });
  const t = stats.totals;
  assertConserved(stats);
  assert.equal(t.acknowledged, 0);
  assert.ok(t.networkErrors > 0, 'no request timed out');
  assert.ok(t.droppedBacklog > 0, 'the backlog bound dropped nothing');
  assert.ok(stats.notes.some((n) => /retrying/.test(n)), stats.notes.join('; '));
});

test('push: a rejection with an endless body is read up to its reason and cut; pushing goes on', { timeout: 60_000 }, async () => {
  const { stats } = await pushFor(3, () => ({ status: 400, endless: true }));
  const t = stats.totals;
  assertConserved(stats);
  assert.equal(t.acknowledged, 0);
  // Every request was answered and rejected, not held by the first endless body.
  assert.ok(t.requests >= 5, `${t.requests} requests`);
  assert.equal(t.rejected, t.generated - t.droppedAtStop);
  assert.ok(stats.notes.some((n) => /rejected \d+ samples with 400: x{100}/.test(n)), stats.notes.join('; '));
});

test('push: 413 is said in one line with the batch size that caused it', { timeout: 60_000 }, async () => {
  const { stats } = await pushFor(2, () => ({ status: 413 }));
  assertConserved(stats);
  assert.ok(stats.notes.some((n) => /refused a request of \d+ samples .* too large \(413\): lower --batch/.test(n)), stats.notes.join('; '));
});

test('fleet --push: bad flags are one line and exit 2, before anything starts', () => {
  const cases: [string[], RegExp][] = [
    [['--batch', '10'], /--batch is a push flag: add --push remote-write/],
    [['--push', 'kafka', '--push-url', 'http://127.0.0.1:1/api/v1/write'], /--push "kafka": one of remote-write/],
    [['--push', 'remote-write'], /--push needs --push-url/],
    [['--push', 'remote-write', '--push-url', 'ftp://x/'], /--push-url must be an http:\/\/ URL/],
    [['--push', 'remote-write', '--push-url', 'http://127.0.0.1:1/w', '--batch', '0'], /--batch must be a whole number from 1 to/],
    [['--push', 'remote-write', '--push-url', 'http://127.0.0.1:1/w', '--batch', '5000', '--max-backlog', '100'], /--max-backlog 100 is below --batch 5000/],
    [['--push', 'remote-write', '--push-url', 'http://127.0.0.1:1/w', '--batch', '1000000', '--senders', '1024', '--max-backlog', '100000000'], /--batch 1000000 × --senders 1024 = 1024000000 samples in flight at once, over the 2000000/],
  ];
  for (const [args, want] of cases) {
    const r = runCli(['fleet', 'smoke', '--duration', '1', ...args], { timeout: 15_000 });
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, want);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test('push remote-write:2: 2.0 headers; a 2xx without X-Prometheus-Remote-Write-Samples-Written is "not a 2.0 receiver", a 415 is said in one line; written counted from the header', { timeout: 60_000 }, async () => {
  const v2 = { protocol: 2 as const };
  const plain = await pushFor(2, () => ({ status: 204 }), v2);
  assertConserved(plain.stats);
  assert.equal(plain.stats.protocol, '2.0');
  assert.ok(plain.stats.notes.some((n) => /without X-Prometheus-Remote-Write-Samples-Written: not a remote write 2\.0 receiver/.test(n)), plain.stats.notes.join('; '));
  assert.equal(plain.stats.totals.written, 0);
  const refused = await pushFor(2, () => ({ status: 415, body: 'unsupported proto' }), v2);
  assert.ok(refused.stats.notes.some((n) => /does not take remote write 2\.0 \(415: unsupported proto\): push remote-write \(1\.0\)/.test(n)), refused.stats.notes.join('; '));
  assert.equal(refused.stats.totals.rejectedByStatus['415'], refused.stats.totals.rejected);
  // 1 a request: never more than a request holds (a partly filled batch can hold fewer than 100; a count over the samples sent is not counted).
  const counting = await pushFor(2, () => ({ status: 204, headers: { 'x-prometheus-remote-write-samples-written': '1' } }), v2);
  const h = counting.rx.requests[0]!.headers;
  assert.equal(h['content-type'], 'application/x-protobuf;proto=io.prometheus.write.v2.Request');
  assert.equal(h['x-prometheus-remote-write-version'], '2.0.0');
  assert.equal(h['content-encoding'], 'snappy');
  assert.equal(counting.stats.totals.written, counting.stats.totals.requestsOk);
  assert.equal(counting.stats.notes.length, 0, counting.stats.notes.join('; '));
});
