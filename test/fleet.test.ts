import { test } from 'node:test';
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
    assert.deepEqual(file[5], { targets: [`127.0.0.1:${fleet.port}`], labels: { __metrics_path__: '/exporters/5/metrics', instance: 'exporter-5', exporter: '5' } });
    assert.equal(fleet.stats.scrapes, 2);
    // Sent bodies' buffers go back to the workers: later scrapes reuse them, intact.
    const reference = (await (await fetch(`${fleet.url}/exporters/7/metrics`)).text()).split('\n').map((l) => l.replace(/ [^ ]+$/, ''));
    for (let i = 0; i < 10; i++) {
      const again = (await (await fetch(`${fleet.url}/exporters/7/metrics`)).text()).split('\n').map((l) => l.replace(/ [^ ]+$/, ''));
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
  const child = spawn(process.execPath, [CLI, 'fleet', 'smoke', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
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
  assert.match(stdout, /^promsoak fleet ready: profile smoke, 20 exporters x 33 series = 660 series at http:\/\/127\.0\.0\.1:(\d+)\/exporters\/<0\.\.19>\/metrics; file_sd .*file_sd\.json; http_sd http:\/\/127\.0\.0\.1:\d+\/sd; 1 render thread\n$/);
  const port = /127\.0\.0\.1:(\d+)/.exec(stdout)![1];
  assert.equal((await fetch(`http://127.0.0.1:${port}/exporters/3/metrics`)).status, 200);
  child.kill('SIGINT');
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  assert.equal(code, 0);
  assert.match(stdout, /promsoak fleet stopped: 1 scrapes served/);
});
