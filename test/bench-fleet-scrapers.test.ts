import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measureFleetScrapers, fleetScraperRow, type FleetScraperMeasurement } from '../scripts/bench-fleet-scrapers.js';
import { loopbackTargets, startDriver } from '../scripts/lib/conns-driver.js';
import { PROMETHEUS_ACCEPT } from '../scripts/lib/scrape-conn.js';
import { alive, liveProcesses } from './helpers/processes.js';
import { which } from './helpers/tools.js';

/** Issue #28: the fleet's CPU per scrape under a scraper's pattern (scripts/bench-fleet-scrapers.ts). */

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function fileSd(dir: string, groups: unknown): string {
  const file = join(dir, 'file_sd.json');
  writeFileSync(file, JSON.stringify(groups));
  return file;
}

function assertSound(m: FleetScraperMeasurement): void {
  for (const [name, v] of Object.entries({ ...m.fleet, driverCores: m.driverCores, p99Ms: m.p99Ms, offered: m.offeredPerSecond })) {
    assert.ok(Number.isFinite(v), `${name} is ${v}`);
  }
  assert.ok(m.fleet.usPerScrape > 0 && m.fleet.usPerSample > 0 && m.fleet.cores > 0, JSON.stringify(m.fleet));
  assert.ok(Math.abs(m.fleet.usPerSample * m.seriesPerExporter - m.fleet.usPerScrape) < 1e-6 * m.fleet.usPerScrape, 'per sample is per scrape ÷ the series of a scrape');
  assert.equal(m.warmedTargets, m.exporters);
  assert.equal(m.fleet.notFound + m.fleet.renderErrors, 0);
  // Light load on loopback: what was offered is served (a shared CPU may cost a few).
  assert.ok(m.fleet.scrapesPerSecond > 0.8 * m.offeredPerSecond, `${m.fleet.scrapesPerSecond} scrapes/s of ${m.offeredPerSecond}`);
  assert.ok(!alive(m.fleet.pid), `the fleet (pid ${m.fleet.pid}) still runs`);
  assert.ok(!alive(m.driverPid), `the driver (pid ${m.driverPid}) still runs`);
  assert.deepEqual(
    liveProcesses().filter((p) => p.ppid === process.pid),
    [],
  );
  assert.match(fleetScraperRow(m).note!, /^\*\*\d+ µs fleet CPU\/scrape\*\* \([\d.]+ µs\/sample; \d+% system\), fleet [\d.]+ cores at \d+ scrapes\/s of \d+ offered/);
}

test('the conns driver against a smoke fleet of 50 exporters every 1 s: finite figures, the fleet served what the driver read, nothing left running', { timeout: 90_000 }, async () => {
  const [m] = await measureFleetScrapers({ profile: 'smoke', exporters: [50], intervals: [1], drivers: ['conns'], windowSeconds: 4, warmupLimitSeconds: 20 });
  assert.ok(m);
  assertSound(m);
  assert.equal(m.failures, 0, m.lastFailure ?? '');
  // Both counted over the same window, sampled a moment apart: within one interval's scrapes.
  assert.ok(Math.abs(m.fleet.scrapes - m.responses!) <= m.exporters, `fleet served ${m.fleet.scrapes}, driver read ${m.responses}`);
  assert.ok(m.responses! >= 3 * m.exporters, `${m.responses} responses in a 4 s window`);
  const row = fleetScraperRow(m);
  assert.equal(row.subject, 'promsoak fleet (1 serving thread) scraped by 50 connections (bench driver)');
  assert.match(row.input, /^smoke profile, 50 exporters × \d+ series, every 1 s$/);
});

test('the prometheus driver against a smoke fleet: every target up, Prometheus\'s own CPU measured, nothing left running', { timeout: 90_000, skip: which('prometheus') ? false : 'prometheus is not installed (Debian: apt install prometheus)' }, async () => {
  const [m] = await measureFleetScrapers({ profile: 'smoke', exporters: [50], intervals: [1], drivers: ['prometheus'], windowSeconds: 4, warmupLimitSeconds: 20 });
  assert.ok(m);
  assertSound(m);
  assert.equal(m.targetsUp, 50);
  assert.ok(m.driverCores > 0);
  assert.match(fleetScraperRow(m).subject, /^promsoak fleet \(1 serving thread\) scraped by prometheus \d+\.\d+$/);
});

test('the driver: one keep-alive connection per target, each scraped once per interval at its own phase, with Prometheus\'s Accept header', { timeout: 30_000 }, async () => {
  const accepts = new Set<string | undefined>();
  const firstAt: number[] = [];
  let connections = 0;
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    accepts.add((req.headers as IncomingHttpHeaders).accept);
    const id = Number(/^\/exporters\/(\d+)\/metrics$/.exec(req.url ?? '')?.[1]);
    firstAt[id] ??= performance.now();
    const body = 'x 1\n'.repeat(100);
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), 'promsoak-driver-'));
  const n = 20;
  const file = fileSd(
    dir,
    Array.from({ length: n }, (_, i) => ({ targets: [`127.0.0.1:${port}`], labels: { __metrics_path__: `/exporters/${i}/metrics` } })),
  );
  const t0 = performance.now();
  const driver = startDriver(loopbackTargets(file), 0.5, () => {});
  try {
    await sleep(1600);
    const s = driver.stats(false);
    const intervals = (performance.now() - t0) / 500;
    assert.equal(connections, n, 'one connection per target, kept alive across scrapes');
    // Each target once per interval, never more (a timer may fire late, never early).
    assert.ok(requests >= 3 * n && s.sent <= Math.ceil(intervals * n) + 1, `${requests} requests, ${s.sent} sent in ${intervals.toFixed(2)} intervals of ${n} targets`);
    assert.ok(s.sent - s.responses <= n, `${s.sent} sent, ${s.responses} answered: at most one in flight per target`);
    assert.equal(s.failures, 0, s.lastFailure ?? '');
    assert.equal(s.answeredTargets, n);
    assert.equal(s.bodyBytes, s.responses * 400, 'every body read whole, by its Content-Length');
    assert.deepEqual([...accepts], [PROMETHEUS_ACCEPT]);
    assert.ok(s.latency.count === s.responses && s.latency.p99Us > 0);
    // Phases spread over the interval: target i first asked ~i/n of 500 ms after target 0.
    const spread = firstAt[n - 1]! - firstAt[0]!;
    assert.ok(spread > 300 && spread < 700, `first scrapes spread over ${spread.toFixed(0)} ms`);
  } finally {
    driver.stop();
    await new Promise((r) => server.close(r));
  }
});

test('the driver reads by Content-Length: a response without one, or a target that is not loopback, is a failure said in one line', { timeout: 30_000 }, async () => {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('a 1\n');
    res.end('b 2\n'); // chunked: no Content-Length
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), 'promsoak-driver-'));
  const driver = startDriver(loopbackTargets(fileSd(dir, [{ targets: [`127.0.0.1:${port}`], labels: {} }])), 0.2, () => {});
  try {
    await sleep(700);
    const s = driver.stats(false);
    assert.equal(s.responses, 0);
    assert.ok(s.failures >= 2, `${s.failures} failures`);
    assert.match(s.lastFailure!, /^127\.0\.0\.1:\d+\/metrics: no Content-Length$/);
  } finally {
    driver.stop();
    await new Promise((r) => server.close(r));
  }
  assert.throws(() => loopbackTargets(fileSd(dir, [{ targets: ['10.0.0.1:9100'] }])), /file_sd\.json: target http:\/\/10\.0\.0\.1:9100\/metrics is not http on loopback/);
  assert.throws(() => loopbackTargets(fileSd(dir, [])), /lists no targets/);
});
