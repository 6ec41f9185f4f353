import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProfile } from '../src/profile/load.js';
import { startFleet } from '../src/fleet/fleet.js';
import { PortInUseError } from '../src/common/errors.js';
import { CLI, runCli } from './helpers/tools.js';

test('fleet serves every exporter, 404s the rest, and publishes file_sd and http_sd', async () => {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-fleet-'));
  const fleet = await startFleet({ profile: loadProfile('smoke'), threads: 1, outDir: out });
  try {
    assert.match(fleet.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const text = await fetch(`${fleet.url}/exporters/19/metrics`);
    assert.equal(text.status, 200);
    assert.equal(text.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const body = await text.text();
    assert.equal(body.split('\n').filter((l) => l && !l.startsWith('#')).length, fleet.seriesPerExporter);
    const om = await fetch(`${fleet.url}/exporters/0/metrics`, { headers: { accept: 'application/openmetrics-text;version=1.0.0,text/plain;q=0.5' } });
    assert.match(om.headers.get('content-type')!, /^application\/openmetrics-text; version=1\.0\.0/);
    assert.ok((await om.text()).endsWith('# EOF\n'));
    for (const path of ['/exporters/20/metrics', '/exporters/x/metrics', '/nope']) {
      const r = await fetch(fleet.url + path);
      assert.equal(r.status, 404, path);
      await r.text();
    }
    assert.equal(await (await fetch(`${fleet.url}/healthz`)).text(), 'ok\n');
    const sd = await (await fetch(fleet.httpSd)).json();
    const file = JSON.parse(readFileSync(fleet.fileSd!, 'utf8'));
    assert.deepEqual(sd, file);
    assert.equal(file.length, 20);
    // The targets are on the serving thread's port, not the main one's.
    assert.notEqual(fleet.ports[0], fleet.port);
    assert.deepEqual(file[5], { targets: [`127.0.0.1:${fleet.ports[0]}`], labels: { __metrics_path__: '/exporters/5/metrics', instance: 'exporter-5', exporter: '5' } });
    assert.equal(fleet.stats.scrapes, 2);
    // Sent bodies' buffers go back to their pool: later scrapes reuse them, intact.
    const target = `http://${file[7].targets[0]}${file[7].labels.__metrics_path__}`;
    const reference = (await (await fetch(target)).text()).split('\n').map((l) => l.replace(/ [^ ]+$/, ''));
    for (let i = 0; i < 10; i++) {
      const again = (await (await fetch(target)).text()).split('\n').map((l) => l.replace(/ [^ ]+$/, ''));
      assert.deepEqual(again, reference);
    }
    assert.ok(fleet.stats.reused >= 9, `reused ${fleet.stats.reused}`);
    assert.equal(fleet.stats.notFound, 3);
    assert.equal(fleet.stats.scrapes, 13);
  } finally {
    await fleet.close();
  }
});

test('a taken port is one clear error', async () => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const port = (blocker.address() as { port: number }).port;
  try {
    await assert.rejects(startFleet({ profile: loadProfile('smoke'), port, threads: 1 }), (e: unknown) => {
      assert.ok(e instanceof PortInUseError);
      assert.match((e as Error).message, new RegExp(`port ${port} on 127.0.0.1 is already in use`));
      return true;
    });
    const r = runCli(['fleet', 'smoke', '--port', String(port), '--out', mkdtempSync(join(tmpdir(), 'promsoak-'))]);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `promsoak: port ${port} on 127.0.0.1 is already in use; pick another with --port (0 picks a free one)\n`);
  } finally {
    blocker.close();
  }
});

test('CLI fleet prints one ready line and stops cleanly on SIGINT', async () => {
  const out = mkdtempSync(join(tmpdir(), 'promsoak-'));
  const child = spawn(process.execPath, [CLI, 'fleet', 'smoke', '--out', out, '--threads', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
  after(() => child.kill('SIGKILL'));
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no ready line: ' + stdout)), 15_000);
    child.stdout.on('data', () => {
      if (stdout.includes('\n')) {
        clearTimeout(t);
        resolve();
      }
    });
  });
  assert.match(stdout, /^promsoak fleet ready: profile smoke, 20 exporters x 33 series = 660 series at http:\/\/127\.0\.0\.1:(\d+)\/exporters\/<0\.\.19>\/metrics; file_sd .*file_sd\.json; http_sd http:\/\/127\.0\.0\.1:\d+\/sd; stats http:\/\/127\.0\.0\.1:\d+\/stats; metrics http:\/\/127\.0\.0\.1:\d+\/metrics; 2 serving threads \(ports \d+, \d+\)\n$/);
  const port = /127\.0\.0\.1:(\d+)/.exec(stdout)![1];
  assert.equal((await fetch(`http://127.0.0.1:${port}/exporters/3/metrics`)).status, 200);
  child.kill('SIGINT');
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  assert.equal(code, 0);
  assert.match(stdout, /promsoak fleet stopped: 1 scrapes served/);
});

test('a client that pipelines without reading holds one body at a time: memory bounded, others served, only delivered scrapes counted', { timeout: 60_000 }, async () => {
  const { connect } = await import('node:net');
  const fleet = await startFleet({ profile: loadProfile('default'), threads: 1 });
  try {
    // Warm the renderer and the allocator first, so the reading below measures the client.
    for (let i = 0; i < 20; i++) await (await fetch(`${fleet.url}/exporters/${i}/metrics`)).arrayBuffer();
    const served0 = fleet.stats.scrapes;
    const rss0 = process.memoryUsage().rss;
    // ~1 MB of pipelined GETs (about 20,000 requests for 15 kB bodies), never read.
    const req = Buffer.from(`GET /exporters/1/metrics HTTP/1.1\r\nHost: x\r\n\r\n`);
    const hostile = connect(fleet.port, '127.0.0.1');
    hostile.pause();
    await new Promise<void>((r) => hostile.once('connect', () => r()));
    for (let i = 0; i < 20_000; i++) hostile.write(req);
    await new Promise((r) => setTimeout(r, 3000));
    // Another client is served promptly meanwhile.
    const t0 = Date.now();
    for (let i = 0; i < 10; i++) assert.equal((await fetch(`${fleet.url}/exporters/${i}/metrics`)).status, 200);
    const others = Date.now() - t0;
    const grew = process.memoryUsage().rss - rss0;
    const served = fleet.stats.scrapes - served0;
    hostile.destroy();
    assert.ok(others < 5000, `10 scrapes of another client took ${others} ms`);
    // Without backpressure every response was rendered and buffered (~300 MB for 20,000 bodies).
    assert.ok(grew < 100 * 2 ** 20, `fleet RSS grew ${(grew / 2 ** 20).toFixed(0)} MiB`);
    // What the kernel's socket buffers took (a few MB) is all that was served to the hostile client.
    assert.ok(served - 10 < 2000, `${served} scrapes counted as served`);
  } finally {
    await fleet.close();
  }
});
