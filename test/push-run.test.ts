import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, ROOT, runCli, which } from './helpers/tools.js';
import { decodeWriteRequest } from './helpers/rw-receiver.js';
import { uncompress, uncompressedLength } from '../src/push/snappy.js';
import type { Summary } from '../src/analysis/summary.js';

/** The CLI in a child process, awaited (the test's own receiver must keep answering meanwhile). */
function runAsync(args: string[], timeoutMs: number): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [CLI, ...args], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d));
    c.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
    c.on('close', (status) => (clearTimeout(timer), resolve({ status, stdout, stderr })));
  });
}

function summaryOf(out: string): Summary {
  const [dir] = readdirSync(out);
  return JSON.parse(readFileSync(join(out, dir!, 'summary.json'), 'utf8')) as Summary;
}

for (const [target, binary] of [['builtin', null], ['prometheus', 'prometheus'], ['victoria-metrics', 'victoria-metrics'], ['influxdb', 'influxd']] as const) {
  test(`run --push remote-write --target ${target}: what the fleet offers is acknowledged and stored, by the receiver's own counter`, { timeout: 120_000 }, (t) => {
    if (binary && !which(binary)) return t.skip(`${binary} not installed (apt install ${target})`);
    const out = mkdtempSync(join(tmpdir(), 'promsoak-push-'));
    const r = runCli(['run', 'smoke', '--push', 'remote-write', '--target', target, '--duration', '6', '--warmup', '2', '--out', out], { timeout: 110_000 });
    assert.equal(r.status, 0, r.stderr + r.stdout);
    const s = summaryOf(out);
    const p = s.push!;
    assert.ok(p, 'summary.json has no push block');
    assert.equal(p.failed, false, s.verdict.join('\n'));
    assert.ok(p.totals.generated > 0);
    assert.equal(p.totals.acknowledged, p.totals.generated);
    // smoke churns series: each gone one gets a stale marker (NaN), which InfluxDB 1.x does not store.
    assert.ok(p.totals.staleMarkers > 0, 'no stale marker sent');
    const notStored = target === 'influxdb' ? p.totals.staleMarkers : 0;
    assert.equal(p.stored, p.totals.acknowledged - notStored, `${target} stored ${p.stored} of ${p.totals.acknowledged}`);
    assert.equal(p.acknowledgedNotStored, notStored);
    if (target === 'influxdb') assert.ok(s.verdict.some((l) => /are no more than the \d+ stale markers sent \(NaN\)/.test(l)), s.verdict.join('\n'));
    assert.ok(s.verdict.some((l) => /^push \(remote write 1\.0\): \d+ samples generated/.test(l)), s.verdict.join('\n'));
    // Every frame says where that second's samples went.
    const [dir] = readdirSync(out);
    const frames = readFileSync(join(out, dir!, 'frames.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { fleet: { push?: { generated: number; acknowledged: number } } });
    assert.ok(frames.every((f) => f.fleet.push !== undefined), 'a frame without push figures');
    assert.ok(frames.reduce((a, f) => a + f.fleet.push!.acknowledged, 0) > 0);
    // `report` rebuilds the summary from the frames and keeps the push accounting, which is not in them.
    const again = runCli(['report', join(out, dir!)], { timeout: 60_000 });
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(summaryOf(out).push, p);
    assert.match(again.stdout, /push \(remote write 1\.0\)/);
    assert.match(readFileSync(join(out, dir!, 'report.html'), 'utf8'), /Push \(remote write\): samples per second/);
  });
}

/**
 * A receiver on 127.0.0.1 with its own /metrics: `answer` says what a write gets, `stores`
 * whether its samples counter counts what it acknowledged (a 2xx that stored nothing otherwise).
 */
async function fakeReceiver(answer: number, stores: boolean) {
  let stored = 0;
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/metrics') {
      res.end(`# TYPE fake_samples_total counter\nfake_samples_total ${stored}\n# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total ${process.cpuUsage().user / 1e6}\n`);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const raw = new Uint8Array(uncompressedLength(body, body.length, 1 << 28).length);
      uncompress(body, body.length, raw);
      if (answer < 300 && stores) stored += decodeWriteRequest(raw).length;
      res.writeHead(answer).end(answer === 400 ? 'err: out of order sample' : '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { base: `http://127.0.0.1:${port}`, close: () => (server.closeAllConnections(), new Promise((r) => server.close(r))) };
}

const fakeArgs = (base: string, out: string): string[] => [
  'run', 'smoke', '--push', 'remote-write', '--target', `url:${base}/metrics`, '--push-url', `${base}/api/v1/write`,
  '--target-samples', 'fake_samples_total', '--duration', '3', '--warmup', '1', '--out', out,
];

test('run --push to a receiver that answers 400 to everything: FAILED, rejected by status, never "ingested"; exit 1', { timeout: 90_000 }, async () => {
  const rx = await fakeReceiver(400, false);
  const out = mkdtempSync(join(tmpdir(), 'promsoak-push-'));
  try {
    const r = await runAsync(fakeArgs(rx.base, out), 80_000);
    assert.equal(r.status, 1, r.stderr + r.stdout);
    const s = summaryOf(out);
    assert.equal(s.push!.failed, true);
    assert.equal(s.push!.totals.acknowledged, 0);
    assert.equal(s.push!.totals.rejected, s.push!.totals.generated);
    assert.match(s.verdict[0]!, /^FAILED: the receiver rejected \d+ of the \d+ samples pushed \(100\.0 %; \d+ with 400\).*out of order sample/);
  } finally {
    await rx.close();
  }
});

test('run --push to a receiver that answers 204 and stores nothing: its own counter catches it (acknowledged but not stored); exit 1', { timeout: 90_000 }, async () => {
  const rx = await fakeReceiver(204, false);
  const out = mkdtempSync(join(tmpdir(), 'promsoak-push-'));
  try {
    const r = await runAsync(fakeArgs(rx.base, out), 80_000);
    assert.equal(r.status, 1, r.stderr + r.stdout);
    const s = summaryOf(out);
    assert.equal(s.push!.stored, 0);
    assert.equal(s.push!.acknowledgedNotStored, s.push!.totals.acknowledged);
    assert.ok(s.verdict.some((l) => /^FAILED: the receiver acknowledged \d+ samples but its own counter \(fake_samples_total\) says it stored 0/.test(l)), s.verdict.join('\n'));
  } finally {
    await rx.close();
  }
});

test('report on a run directory whose summary.json has a crafted push block: one line naming the field, exit 2', () => {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-push-'));
  const r = runCli(['run', 'smoke', '--duration', '2', '--warmup', '0', '--out', out], { timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const [dir] = readdirSync(out);
  const path = join(out, dir!, 'summary.json');
  const s = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  s.push = { protocol: '1.0', failed: false, stored: 1, storedCounter: 'x', acknowledgedNotStored: 0, batch: 1, senders: 1, maxBacklog: 1, notes: [], totals: { generated: 'lots' } };
  writeFileSync(path, JSON.stringify(s));
  const again = runCli(['report', join(out, dir!)], { timeout: 60_000 });
  assert.equal(again.status, 2, again.stderr);
  assert.match(again.stderr, /push\.totals\.generated/);
});

test('run --push: targets that cannot receive, and push flags without --push, are one line and exit 2', () => {
  const cases: [string[], RegExp][] = [
    [['--push', 'remote-write', '--ingester', 'naive'], /--push with the built-in engine needs --ingester cached/],
    [['--push', 'remote-write', '--target', 'exec:sleep {file_sd}', '--target-metrics', 'http://127.0.0.1:{port}/metrics', '--target-samples', 'x'], /a scrape-only command cannot receive/],
    [['--push', 'remote-write', '--target', 'prometheus', '--push-url', 'http://127.0.0.1:1/api/v1/write'], /--push-url with --target prometheus/],
    [['--push', 'remote-write', '--target', 'url:http://127.0.0.1:1/metrics', '--target-samples', 'x'], /--push needs --push-url/],
    [['--batch', '100'], /--batch is a push flag/],
    ...(which('influxd') ? [[['--target', 'influxdb'], /--target influxdb only receives/] as [string[], RegExp]] : []),
  ];
  for (const [args, want] of cases) {
    const r = runCli(['run', 'smoke', '--duration', '1', '--warmup', '0', ...args], { timeout: 20_000 });
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, want);
  }
});
