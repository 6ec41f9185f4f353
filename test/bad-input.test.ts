import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { parseFileSd } from '../src/engine/targets.js';
import { CLI, runCli } from './helpers/tools.js';

/** Runs the CLI without blocking this process's event loop (a server here must answer it). */
function cli(args: string[]): Promise<{ status: number | null; stderr: string; ms: number }> {
  const t0 = Date.now();
  const c = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  c.stderr.on('data', (d) => (stderr += d));
  return new Promise((r) => c.on('exit', (status) => r({ status, stderr, ms: Date.now() - t0 })));
}

async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics` };
}

/** Bad input is one line naming what is wrong, the right exit code, and nothing started. */

const oneLine = (r: { stderr: string }): void => assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);

describe('bad input: refused before anything starts', () => {
  it('a CR/LF or space in a target or its __metrics_path__ (request smuggling) names the group', () => {
    assert.throws(() => parseFileSd('[{"targets":["127.0.0.1:9"],"labels":{"__metrics_path__":"/m\\r\\nX-Evil: 1"}}]', 'sd.json'), /sd\.json: group 0: __metrics_path__ "\/m\\r\\nX-Evil: 1" holds a control character/);
    assert.throws(() => parseFileSd('[{"targets":["127.0.0.1:9"],"labels":{"__metrics_path__":"/a b"}}]', 'sd.json'), /group 0: __metrics_path__/);
    assert.throws(() => parseFileSd('[{"targets":["127.0.0.1:9\\r\\nHost: x:1"]}]', 'sd.json'), /group 0: target .* must be host:port/);
  });

  it('intervals and durations that would overflow a timer', () => {
    for (const args of [['--interval', '1e12'], ['--duration', '1e9']]) {
      const r = runCli(['run', 'smoke', ...args, '--out', mkdtempSync(join(tmpdir(), 'promsoak-bad-'))], { timeout: 15_000 });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /^promsoak: --(interval must be at most 86400|duration \+ --warmup must be at most)/);
      oneLine(r);
    }
  });

  it('--out that cannot be a directory: under a file, in /proc', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'promsoak-bad-')), 'a-file');
    writeFileSync(file, '');
    for (const [out, why] of [
      [file, /is a file, not a directory/],
      ['/proc/promsoak-x', /cannot create \/proc\/promsoak-x/],
    ] as const) {
      const r = runCli(['run', 'smoke', '--duration', '1', '--out', out], { timeout: 15_000 });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, why);
      oneLine(r);
      const f = runCli(['fleet', 'smoke', '--out', out, '--duration', '1'], { timeout: 15_000 });
      assert.equal(f.status, 2, f.stderr);
      assert.match(f.stderr, why);
    }
  });

  it('fleet --port out of range', () => {
    const r = runCli(['fleet', 'smoke', '--port', '99999', '--duration', '1'], { timeout: 15_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^promsoak: --port must be an integer in 0\.\.65535 \(got 99999\)\n$/);
  });

  it('compare: --repeat 0 and an unknown ingester among the variants, before the first run', () => {
    const out = mkdtempSync(join(tmpdir(), 'promsoak-bad-'));
    const r0 = runCli(['compare', 'smoke', '--repeat', '0', '--duration', '1', '--out', out], { timeout: 15_000 });
    assert.equal(r0.status, 2, r0.stderr);
    assert.match(r0.stderr, /--repeat must be a positive integer \(got 0\)/);
    const r1 = runCli(['compare', 'smoke', '--ingester', 'cached,bogus', '--duration', '1', '--out', out], { timeout: 15_000 });
    assert.equal(r1.status, 2, r1.stderr);
    assert.match(r1.stderr, /--ingester must be one of cached, naive or module:<path> \(got "bogus"\)/);
    assert.deepEqual(readdirSync(out), [], 'no run was started');
  });

  it('a profile whose scrape timeout exceeds its interval names the profile field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'promsoak-bad-'));
    const p = join(dir, 'slow.json');
    writeFileSync(p, JSON.stringify({ exporters: 2, scrapeIntervalSeconds: 2, scrapeTimeoutSeconds: 5, families: [{ name: 'x_total', type: 'counter' }] }));
    for (const cmd of [['run', p, '--duration', '1', '--out', dir], ['fleet', p, '--duration', '1'], ['compare', p, '--duration', '1', '--out', dir]]) {
      const r = runCli(cmd, { timeout: 15_000 });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /slow\.json: scrapeTimeoutSeconds \(5\) must not exceed scrapeIntervalSeconds \(2\)/);
    }
  });

  it('parse <url>: an endless body stops at the deadline or the size limit; a gzip body names its encoding; a broken URL is one line', async () => {
    const line = Buffer.from('x_total{a="b"} 1\n'.repeat(4096));
    const endless = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const pump = (): void => {
        while (res.write(line));
      };
      res.on('drain', pump);
      res.on('close', () => res.off('drain', pump));
      pump();
    });
    try {
      const slow = await cli(['parse', endless.url, '--timeout', '2', '--body-limit', String(2 ** 40)]);
      assert.equal(slow.status, 1, slow.stderr);
      assert.match(slow.stderr, /not done within 2 s \(--timeout\)/);
      assert.ok(slow.ms < 10_000, `${slow.ms} ms`);
      const big = await cli(['parse', endless.url, '--body-limit', '1000000']);
      assert.equal(big.status, 1, big.stderr);
      assert.match(big.stderr, /the body passed the limit of 1000000 bytes \(--body-limit\)/);
    } finally {
      endless.server.closeAllConnections();
      endless.server.close();
    }
    const gz = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
      res.end(gzipSync(line));
    });
    try {
      const r = await cli(['parse', gz.url]);
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /the body is Content-Encoding gzip, though identity was asked\n$/);
    } finally {
      gz.server.close();
    }
    const bad = await cli(['parse', 'http://[::1']);
    assert.equal(bad.status, 2, bad.stderr);
    assert.match(bad.stderr, /^promsoak: "http:\/\/\[::1" is not a URL\n$/);
  });
});

describe('absurd sizes: refused with an estimate before anything is built', () => {
  it('estimates lines without building the model, exactly for generated families', async () => {
    const { loadProfile } = await import('../src/profile/load.js');
    const { buildModel, estimateLines } = await import('../src/fleet/render/model.js');
    const { statSync } = await import('node:fs');
    for (const name of ['default', 'smoke', 'high-cardinality', 'churn']) {
      const p = loadProfile(name);
      assert.equal(estimateLines(p, (f) => statSync(f).size), buildModel(p).lines, name);
    }
  });

  it('run --exporters 1e9 and a 10^10-series profile: exit 2, one line with the estimate, in well under a second of work', () => {
    const r = runCli(['run', 'smoke', '--exporters', '1000000000', '--duration', '1', '--out', mkdtempSync(join(tmpdir(), 'promsoak-bad-'))], { timeout: 15_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^promsoak: profile smoke: 1,000,000,000 exporters × \d+ series = [\d,]+ series, about [\d.]+ GiB for the fleet and the engine's head .*this machine has/);
    oneLine(r);
    const dir = mkdtempSync(join(tmpdir(), 'promsoak-bad-'));
    const p = join(dir, 'huge.json');
    writeFileSync(p, JSON.stringify({ exporters: 1, families: [{ name: 'x', type: 'gauge', labels: [{ name: 'a', cardinality: 100000 }, { name: 'b', cardinality: 100000 }] }] }));
    const f = runCli(['fleet', p, '--duration', '1'], { timeout: 15_000 });
    assert.equal(f.status, 2, f.stderr);
    assert.match(f.stderr, /1 exporters × 10,000,000,000 series/);
  });
});

describe('hostile plug-ins and files', () => {
  it('an ingester whose ingest() returns no number fails its scrapes (reason ingester), never NaN samples/s', async () => {
    const { ROOT } = await import('./helpers/tools.js');
    const out = mkdtempSync(join(tmpdir(), 'promsoak-bad-'));
    const r = runCli(['run', 'smoke', '--duration', '3', '--warmup', '1', '--ingester', `module:${join(ROOT, 'dist', 'test', 'fixtures', 'nan-ingester.js')}`, '--out', out], { timeout: 30_000 });
    const { readFileSync } = await import('node:fs');
    const s = JSON.parse(readFileSync(join(out, readdirSync(out)[0]!, 'summary.json'), 'utf8'));
    assert.equal(s.samples, 0);
    assert.ok(Number.isFinite(s.samplesPerSecond.mean), JSON.stringify(s.samplesPerSecond));
    assert.ok(s.scrapes.failed > 0 && s.scrapes.failedByReason.ingester === s.scrapes.failed, JSON.stringify(s.scrapes));
    assert.doesNotMatch(r.stdout, /NaN/);
  });

  it('a .heapprofile whose tree is not what V8 writes is one line, exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'promsoak-bad-'));
    const p = join(dir, 'x.heapprofile');
    writeFileSync(p, JSON.stringify({ head: { callFrame: { functionName: '(root)' }, selfSize: 0, id: 1, children: [{ selfSize: 5, id: 2 }] }, samples: [] }));
    const r = runCli(['profile', 'top', p]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /not an allocation profile \(node 1\.children\[0\]: no callFrame\)\n$/);
  });
});
